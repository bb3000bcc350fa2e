"""Integration fixtures: a real Kafka-protocol broker (embedded Tansu) and the real databases.

The broker is shared by the session — one per xdist worker (it starts in about a second); tests isolate themselves with their
own topics and consumer groups. The database fixtures come from ``tests/conftest.py`` and run every
test on SQLite and PostgreSQL.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete

from events.broker import EmbeddedBroker
from marketplace.catalog.changes import CatalogChanges
from marketplace.db import Database
from tests.conftest import clean_database
from tests.integration.helpers import KAFKA_WARNINGS, effects, effects_metadata


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every integration test tolerates kafka-python's own warnings (see helpers; pyproject is the real home)."""
    for item in items:
        if "tests/integration/" in item.nodeid:
            for mark in KAFKA_WARNINGS:
                item.add_marker(mark)


@pytest.fixture(autouse=True)
def _collect_kafka_garbage() -> Iterator[None]:
    """Finalise sockets kafka-python dropped on refused connections while this test's filters apply
    (left to the last garbage collection they would be reported after the session, unfiltered)."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    embedded = EmbeddedBroker(log_path=str(tmp_path_factory.mktemp("broker") / "broker.log"))
    embedded.start(timeout=30)
    yield embedded
    embedded.stop()


@pytest.fixture
def bootstrap(broker: EmbeddedBroker) -> str:
    return broker.bootstrap_servers


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The test database (SQLite, then PostgreSQL) with the effect table; emptied afterwards."""
    database = Database(database_url, hooks=[CatalogChanges()])
    assert database.engine is not None
    effects_metadata.create_all(database.engine)
    yield database
    with database.engine.begin() as conn:
        conn.execute(delete(effects))
    database.dispose()
    clean_database(database_url)


@pytest.fixture
def session_factory(db: Database) -> Any:
    return db.session_factory
