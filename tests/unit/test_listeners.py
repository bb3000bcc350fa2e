"""Listeners are installed by an explicit call from whoever owns the engine, never by importing a module
(ARCHITECTURE.md §8): a fresh interpreter that imports the application has none of ours registered on
SQLAlchemy's classes, our metadata or an engine it builds, while an app built by ``create_app`` has them
on its own engines and session factories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from marketplace import db
from marketplace.catalog import changes

REPO = Path(__file__).resolve().parents[2]

#: Still registered at import, outside this rule's first pass (issue #23): the ledger's append-only
#: guard on every session.
KNOWN: set[str] = set()

_PROBE = """
import json
import marketplace.db, marketplace.models, marketplace.cli, marketplace.web.app
import events.outbox, marketplace.catalog.changes, marketplace.catalog.fts, marketplace.ledger.totals
from sqlalchemy.event import registry
from marketplace.db import make_engine

engine = make_engine("sqlite://")  # make_engine's own SQLite pragmas are its caller's explicit choice
found = set()
for collection in list(registry._key_to_collection.values()):
    for listener_ref in list(collection.values()):
        fn = listener_ref()
        fn = getattr(fn, "__func__", fn)
        module = getattr(fn, "__module__", None) or ""
        if module.split(".")[0] in ("marketplace", "events", "workers") and module != "marketplace.db":
            found.add(f"{module}.{fn.__qualname__}")
        elif module == "marketplace.db" and "make_engine" not in fn.__qualname__:
            found.add(f"{module}.{fn.__qualname__}")
print(json.dumps(sorted(found)))
"""


def test_importing_the_application_registers_no_listener():
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert set(json.loads(out.stdout)) - KNOWN == set()


def test_an_app_installs_the_catalogue_and_commit_hooks_on_what_it_owns(app):
    database = app.extensions["db"]
    catalog = app.extensions["catalog_changes"]
    for engine in (database.engine, database.write_engine):
        assert event.contains(engine, "commit", catalog._announce)
    for factory in (database.session_factory, database.write_session_factory):
        session = factory()
        try:
            assert db._run_after_commit in list(session.dispatch.after_commit)
        finally:
            session.close()
    assert not event.contains(Session, "after_commit", db._run_after_commit)


def test_a_session_built_by_hand_refuses_commit_hooks_it_would_never_run(database_url):
    engine = db.make_engine(database_url)
    try:
        with Session(engine) as bare:
            try:
                db.after_commit(bare, lambda: None)
            except RuntimeError as err:
                assert "no commit hooks" in str(err)
            else:
                raise AssertionError("after_commit accepted a session that never runs it")
        with Session(engine) as hooked:
            db.install_session_hooks(hooked)
            ran: list[str] = []
            db.after_commit(hooked, lambda: ran.append("done"))
            hooked.commit()
            assert ran == ["done"]
    finally:
        engine.dispose()


def test_two_owners_keep_apart_versions_and_origins(database_url, catalog):
    """Two owners in one process (two apps, or an app and a worker in a test) are as two processes."""
    ours, theirs = changes.CatalogChanges(), changes.CatalogChanges()
    engine = db.make_engine(database_url)
    ours.install(engine)
    ours.install(engine)  # once per engine
    try:
        factory = db.make_session_factory(engine)
        shop = catalog.shop()
        before = (ours.version(), theirs.version())
        with db.transaction(factory) as session:
            session.execute(text("UPDATE shops SET name = name WHERE id = :i"), {"i": shop.id})
        assert ours.version() > before[0]
        assert theirs.version() == before[1]
        assert ours.origin != theirs.origin
    finally:
        engine.dispose()
        ours.close()

