"""Shared fixtures.

Every test that touches the database runs twice: on SQLite (the embedded default) and on PostgreSQL
(production). PostgreSQL comes from ``TEST_DATABASE_URL`` (``scripts/test.sh`` finds or starts one); each
run works in its own schema, so parallel runs on one server do not collide. Under CI a missing
PostgreSQL is a failure, never a skip.

Parallel workers (pytest-xdist, ``scripts/test.sh``): every session fixture here and in the folders'
conftests is per worker process — its PostgreSQL schema (named after the worker), SQLite files under
the worker's own ``tmp_path_factory`` base, the broker of ``tests/integration`` on a free port — and
nothing is written under the repository, so workers share only the PostgreSQL server (and Redis, keyed
per test).
"""

from __future__ import annotations

import os
import uuid

# Tests store no real password: argon2-cffi's cheapest profile instead of ~0.3 s per hash (inherited by
# the processes the e2e tests start). Production keeps the default; tests/unit/accounts checks that.
os.environ.setdefault("PASSWORD_HASH_PROFILE", "cheapest")
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import models
from marketplace.web.app import close_app, create_app
from marketplace.config import Settings
from marketplace.catalog.changes import CatalogChanges
from marketplace.db import Base, install_session_hooks, make_engine, normalise_url

PG_URL_ENV = "TEST_DATABASE_URL"


def _pg_base_url() -> str | None:
    url = os.environ.get(PG_URL_ENV, "").strip()
    return normalise_url(url) if url else None


def _require_pg_or_fail() -> str | None:
    url = _pg_base_url()
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if url is None:
        if ci:
            pytest.exit("CI=true but TEST_DATABASE_URL is not set: PostgreSQL is required under CI", returncode=3)
        return None
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"PostgreSQL at {PG_URL_ENV} is unreachable: {exc}", returncode=3)
    return url


def pytest_configure(config: pytest.Config) -> None:
    config._pk_pg_url = _require_pg_or_fail()  # type: ignore[attr-defined]


def _backends(config: pytest.Config) -> list[str]:
    return ["sqlite", "postgresql"] if getattr(config, "_pk_pg_url", None) else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _backends(metafunc.config), scope="session")


def pytest_report_header(config: pytest.Config) -> str:
    pg = getattr(config, "_pk_pg_url", None)
    if pg:
        return f"databases: sqlite + postgresql ({pg.split('@')[-1]})"
    return "databases: SQLITE ONLY — PostgreSQL was not found; set TEST_DATABASE_URL to test production's database"


def with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_pg_schema(base: str, prefix: str = "pk_test") -> Iterator[str]:
    """A URL on ``base`` whose search_path is a new, empty schema (dropped afterwards)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1…: whose schema it is, when one is left over
    schema = f"{prefix}_{worker + '_' if worker else ''}{uuid.uuid4().hex[:10]}"
    engine = make_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield with_search_path(base, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@contextmanager
def empty_database(backend: str, tmp_path: Any, config: pytest.Config) -> Iterator[str]:
    """An empty database of ``backend`` with no tables (for migration and DDL tests)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:6]}.db'}"
        return
    with fresh_pg_schema(config._pk_pg_url, "pk_empty") as url:  # type: ignore[attr-defined]
        yield url


@pytest.fixture(autouse=True)
def _closed_circuits() -> None:
    """Each test starts with every outside service's circuit closed (breakers live in the process)."""
    from marketplace.ops import breakers

    breakers.reset()


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema of this test run (dropped at the end)."""
    base = request.config._pk_pg_url  # type: ignore[attr-defined]
    if not base:
        pytest.skip("PostgreSQL not available (allowed outside CI only)")
    with fresh_pg_schema(base) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """The database of this backend, with every table created."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    models.create_all(engine)
    engine.dispose()
    return url


def clean_database(url: str) -> None:
    """Empty every table after a test, with PostgreSQL's sequences restarted (ids from 1 again).

    ``DELETE`` (children first), not ``TRUNCATE``: a test leaves a handful of rows, and TRUNCATE of ~35
    tables makes and syncs new files for each, about 1 s per test against 0.1 s here; with ~1,000
    PostgreSQL tests that was the suite's largest single cost. TRUNCATE stays the fallback for a row a
    table outside the metadata still points at (it cascades).
    """
    engine = make_engine(url)
    tables = list(reversed(Base.metadata.sorted_tables))
    try:
        with engine.begin() as conn:
            for t in tables:
                conn.execute(t.delete())
            if engine.dialect.name == "postgresql":
                sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences"
                                              " WHERE sequence_schema = current_schema()")).scalars().all()
                for name in sequences:
                    conn.execute(text(f'ALTER SEQUENCE "{name}" RESTART'))
    except IntegrityError:
        if engine.dialect.name != "postgresql":
            raise
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def service_engine(database_url: str) -> Iterator[Any]:
    """An engine for :func:`tx`, announcing catalogue writes as every entry point's does."""
    engine = make_engine(database_url, immediate=True)
    catalog_changes = CatalogChanges()
    catalog_changes.install(engine)
    yield engine
    engine.dispose()
    catalog_changes.close()


@pytest.fixture
def tx(service_engine: Any) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test: for service tests.

    Services never commit (the entry point does), so a test can call them, look at what they wrote
    and leave nothing behind, without an app, an HTTP client or a table truncation. A ``commit()``
    in the test only releases a savepoint (``join_transaction_mode``), so after-commit hooks can be
    tested too.
    """
    connection = service_engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    install_session_hooks(session)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Any) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        var_dir=str(tmp_path / "var"),
        media_root=str(tmp_path / "media"),
        session_cookie_secure=False,
        testing=True,
        login_rate_limit="1000 per minute",
        register_rate_limit="1000 per minute",
        activity_flush_seconds=3600,  # written when a test asks (flush) or its app closes, not mid-test
    )


@pytest.fixture
def app(settings: Settings, database_url: str) -> Iterator[Any]:
    application = create_app(settings)
    yield application
    close_app(application)
    clean_database(database_url)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def db_session(app: Any) -> Iterator[Session]:
    """A session on the app's database, for arranging and checking state."""
    session = app.extensions["db"].new_session()
    yield session
    session.rollback()
    session.close()


@dataclass
class ApiUser:
    id: int
    email: str
    password: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """Helper to call the JSON API as a given user (``api.get(path, as_=user)``)."""

    def __init__(self, client: Any, app: Any):
        self.client = client
        self.app = app
        self._n = 0

    def make_user(self, role: str = "buyer", *, email: str | None = None, password: str = "correct horse battery") -> ApiUser:
        from marketplace.accounts import services

        self._n += 1
        email = email or f"{role}{self._n}-{uuid.uuid4().hex[:6]}@example.id"
        with self.app.extensions["db"].transaction() as session:
            if role == "admin":
                user = services.create_admin(session, email=email, password=password)
            else:
                user = services.register(session, email=email, password=password, name=f"{role.title()} {self._n}", role=role)
            token, _ = services.issue_token(session, user, 24)
            return ApiUser(id=user.id, email=user.email, password=password, role=role, token=token)

    def _call(self, method: str, path: str, as_: ApiUser | None = None, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        if as_ is not None:
            headers.update(as_.headers)
        return getattr(self.client, method)(path, headers=headers, **kw)

    def get(self, path: str, as_: ApiUser | None = None, **kw: Any) -> Any:
        return self._call("get", path, as_, **kw)

    def post(self, path: str, as_: ApiUser | None = None, **kw: Any) -> Any:
        return self._call("post", path, as_, **kw)

    def patch(self, path: str, as_: ApiUser | None = None, **kw: Any) -> Any:
        return self._call("patch", path, as_, **kw)

    def delete(self, path: str, as_: ApiUser | None = None, **kw: Any) -> Any:
        return self._call("delete", path, as_, **kw)

    def put(self, path: str, as_: ApiUser | None = None, **kw: Any) -> Any:
        return self._call("put", path, as_, **kw)


@pytest.fixture
def api(client: Any, app: Any) -> Api:
    return Api(client, app)


class PageAuth:
    """Log in through the real login form (CSRF included) as the flask tutorial's ``auth`` helper does."""

    def __init__(self, client: Any):
        self.client = client

    def csrf_token(self, path: str) -> str:
        import re

        html = self.client.get(path, follow_redirects=True).get_data(as_text=True)  # a remembered language redirects
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str) -> Any:
        token = self.csrf_token("/login")
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def logout(self) -> Any:
        return self.client.post("/logout", data={"csrf_token": self.csrf_token("/")})


@pytest.fixture
def auth(client: Any) -> PageAuth:
    return PageAuth(client)
