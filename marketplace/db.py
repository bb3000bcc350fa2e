"""Database plumbing: the declarative base, engines, sessions, and who commits.

Engines and session factories are built by :func:`make_engine` / :class:`Database` at app start-up,
never at import time.

**The entry point owns the transaction** (ARCHITECTURE.md §8). A use case (a service function) takes
the session, changes rows and records its outbox events (``events.outbox.record``); it never commits
or rolls back. Its caller commits once or rolls back: the request (``marketplace.web``), a CLI command
or script (:func:`transaction`), the relay, or the worker runner. Work that must follow the outcome and
is not in the database (deleting stored files) is hooked with :func:`after_commit` /
:func:`after_rollback`, so a service can say "delete these photos once this is committed" without
knowing when that is. Importing this module installs nothing: those hooks are installed on the session
factories it builds (:func:`install_session_hooks`), and what follows an engine's writes (the
catalogue's versions) by the engine's owner (:class:`EngineHook`); this module imports no feature.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.types import DateTime, TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The largest row id: primary keys are ``INTEGER`` (4 bytes on PostgreSQL). Ids a client sends, in a
#: URL or a body, are bounded by it, so a larger one is "not found" or a validation error, not a
#: database overflow. Widen with the keys (to 2**63 - 1 for ``BIGINT``).
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def run_ddl(connection: Any, per_dialect: dict[str, tuple[str, ...]]) -> None:
    """Execute the statements written for ``connection``'s dialect (``sqlite``, ``postgresql``; none for
    another), in order: the raw DDL the models cannot declare (``marketplace.models.create_all``)."""
    for statement in per_dialect.get(connection.dialect.name, ()):
        connection.execute(text(statement))


def one_of(column: str, values: type[enum.Enum]) -> str:
    """A CHECK constraint's text: ``column`` holds one of the enum's values (``status IN ('a', 'b')``)."""
    return f"{column} IN (" + ", ".join(f"'{v.value}'" for v in values) + ")"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, *, immediate: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url``. On SQLite, ``immediate=True`` makes every transaction take the write lock
    when it begins (``BEGIN IMMEDIATE``): for sessions that will write, so two writers queue on
    ``busy_timeout`` instead of one failing with "database is locked" when its read snapshot went stale."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Foreign keys on, WAL so the relay and workers can read while the web app writes.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # pysqlite's own implicit transaction handling is off (above) so SQLAlchemy's transaction
            # boundaries are real ones (reads and writes of a use case see one snapshot). Read-only
            # sessions stay deferred, so an open read never blocks the other processes.
            conn.exec_driver_sql(begin)

        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


#: A pooled connection idle for at least this long is pinged before it is handed out (see below).
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "pk_idle_since"


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, as ``pool_pre_ping`` does, but only for a connection that sat
    idle in the pool for :data:`PING_AFTER_IDLE_SECONDS` or more: a busy process hands its connections
    out again within milliseconds, and a ping on each was one database round trip of every request
    (issue #15). A connection the server dropped while it was idle (a restart, a failover, an idle
    timeout) is found by the ping and replaced before the request sees it (``DisconnectionError``
    makes the pool connect afresh). A connection dropped less than a second after its last use fails
    its next statement instead; SQLAlchemy then invalidates the pool's other connections too (its
    "optimistic" handling), so one request sees the outage, as a request in flight during it would."""

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)  # None: connected just now (``info`` is per DBAPI connection)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"an idle pooled connection was dropped: {exc}") from exc


#: SQLSTATEs of a PostgreSQL statement refused for waiting or losing, with nothing written:
#: ``lock_not_available`` (``lock_timeout``), ``query_canceled`` (``statement_timeout``),
#: ``serialization_failure`` and ``deadlock_detected``.
BUSY_SQLSTATES = frozenset({"55P03", "57014", "40001", "40P01"})


def is_database_busy(err: Exception) -> bool:
    """Whether a database error means "busy, try again" on either backend: SQLite's lock (its message is
    all it has) or one of PostgreSQL's :data:`BUSY_SQLSTATES`."""
    orig = getattr(err, "orig", err)
    if getattr(orig, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    return "database is locked" in str(orig)


def is_sqlite(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"


ModelT = TypeVar("ModelT", bound="Base")


def inserted(session: Session, model: type[ModelT], values: dict[str, Any]) -> ModelT:
    """A row this transaction just inserted with Core, as a persistent object (as a query would load
    it), without reading it back: ``values`` hold every value the insert gave it (its id included),
    and each column they leave out was stored as NULL. Later changes to the object are flushed as an
    ``UPDATE``; the caller makes sure no column default or trigger chose a value it does not know.

    The object is made without its constructor when the model lets that change nothing (its own
    ``__init__`` is the declarative one, no validator, ``init`` or attribute ``set`` listener, and its
    attributes are named as its columns): its state's dictionary is filled as a query's loading
    fills it, instead of one instrumented ``setattr`` (history, events) per column — the constructor
    was most of the cost of a checkout's five such objects (issue #24)."""
    keys, plain = _column_keys(model), _plainly_built(model)
    if plain:
        if not keys.issuperset(values):
            raise TypeError(f"not columns of {model.__name__}: {sorted(set(values) - keys)}")
        instance = model._sa_class_manager.new_instance()
        instance.__dict__.update(dict.fromkeys(keys), **values)
    else:
        instance = model(**{**dict.fromkeys(keys), **values})
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


@cache
def _column_keys(model: type[Base]) -> frozenset[str]:
    return frozenset(model.__table__.c.keys())


@cache
def _plainly_built(model: type[Base]) -> bool:
    """Whether ``model(**columns)`` would only set each column's attribute (see :func:`inserted`)."""
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy.orm.decl_base import _declarative_constructor
    from sqlalchemy.orm.mapper import _event_on_init

    mapper, manager = sa_inspect(model), model._sa_class_manager
    mapper._check_configure()  # what SQLAlchemy's own ``init`` listener does first, once
    attributes = {prop.key for prop in mapper.column_attrs}
    return (manager.original_init is _declarative_constructor and not mapper.validators
            and all(listener is _event_on_init for listener in manager.dispatch.init)  # (configure, above)
            and not mapper._set_polymorphic_identity and not manager.dispatch.init_failure
            and attributes == set(_column_keys(model))
            and all(not manager[key].dispatch.set for key in attributes))


_ON_COMMIT = "pk_after_commit"
_ON_ROLLBACK = "pk_after_rollback"
_WROTE = "pk_wrote"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's current transaction commits (dropped if it rolls back)."""
    _hooks(session, _ON_COMMIT).append(action)


def after_rollback(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` if the session's current transaction ends without committing (rollback, close)."""
    _hooks(session, _ON_ROLLBACK).append(action)


def _hooks(session: Session, kind: str) -> list[Callable[[], None]]:
    if not session.info.get(_HOOKED):  # the action would never run
        raise RuntimeError("this session runs no commit hooks: build it with db.make_session_factory or "
                           "call db.install_session_hooks on it")
    if not session.in_transaction():
        session.begin()  # the hook belongs to a transaction: start it now, so its end is seen
    return session.info.setdefault(kind, [])


def end_reads(session: Session) -> None:
    """End the session's transaction while it has only *read*: for the entry point that owns it and is
    about to do slow work outside the database (decoding a photo), so the work holds no transaction —
    on SQLite the writer's ``BEGIN IMMEDIATE`` would otherwise keep the database's one write lock for
    the whole of it. The next statement starts a fresh transaction. Loaded objects are expired and
    reload on access. A transaction that has written (or hooked work on its outcome) must be committed
    or rolled back instead: this raises ``RuntimeError`` rather than silently drop its changes."""
    if session.new or session.dirty or session.deleted or any(
        session.info.get(k) for k in (_WROTE, _ON_COMMIT, _ON_ROLLBACK)
    ):
        raise RuntimeError("end_reads() on a transaction that has written: commit or roll back instead")
    session.rollback()


def _mark_written(session: Session, _flush_context: Any) -> None:
    session.info[_WROTE] = True


def _run_after_commit(session: Session) -> None:
    session.info.pop(_ON_ROLLBACK, None)
    for action in session.info.pop(_ON_COMMIT, []):
        action()


def _run_after_rollback(session: Session, transaction: Any) -> None:
    if transaction.parent is not None or transaction.nested:
        return  # a savepoint: the outer transaction decides
    session.info.pop(_WROTE, None)
    session.info.pop(_ON_COMMIT, None)  # empty after a commit; discarded after a rollback
    for action in session.info.pop(_ON_ROLLBACK, []):
        action()


_SESSION_HOOKS = (("after_flush", _mark_written), ("after_commit", _run_after_commit),
                  ("after_transaction_end", _run_after_rollback))


#: ``Session.info`` key: this session runs the commit hooks (set with them by :func:`install_session_hooks`).
_HOOKED = "pk_commit_hooks"


def install_session_hooks(target: "sessionmaker[Session] | Session") -> None:
    """Make :func:`after_commit`, :func:`after_rollback` and :func:`end_reads` work for the sessions of
    ``target`` (a session factory, or one session built by hand); idempotent.

    Whether they are installed is marked in the target's own ``info`` (a factory's is copied into each
    session it makes), not asked of SQLAlchemy's event registry: ``event.contains`` keys its answer by
    ``id()`` of the target, and a new factory's class can reuse the id of one already collected, so it
    can say "installed" for a factory that has no hooks (the likely cause of a photo upload that failed
    once, on a clean-clone run, with "this session runs no commit hooks")."""
    info = target.kw.setdefault("info", {}) if isinstance(target, sessionmaker) else target.info
    if info.get(_HOOKED):
        return
    for name, fn in _SESSION_HOOKS:
        event.listen(target, name, fn)
    info[_HOOKED] = True


def make_session_factory(bind: Any, **kwargs: Any) -> "sessionmaker[Session]":
    """A ``sessionmaker`` for ``bind`` whose sessions run the commit hooks (:func:`install_session_hooks`)."""
    factory = sessionmaker(bind=bind, **kwargs)
    install_session_hooks(factory)
    return factory


@contextmanager
def transaction(session_factory: Callable[[], Session]) -> Iterator[Session]:
    """One use case outside a request (CLI commands, scripts, tests): commit on success, else roll back."""
    session = session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class EngineHook(Protocol):
    """Installed by an engine's owner on each engine it builds; closed once they are disposed."""

    def install(self, engine: Engine) -> None: ...

    def close(self) -> None: ...


class Database:
    """Flask extension holding the engines and session factories (``app.extensions['db']``).

    ``session_factory`` is for reading; ``write_session_factory`` for use cases that write. They are the
    same on PostgreSQL; on SQLite the writer's transactions take the write lock up front (see
    :func:`make_engine`). ``writer=True`` makes ``session_factory`` itself the writer's (relay, workers).
    ``hooks`` are installed on every engine it builds and closed by :meth:`dispose` (see the module doc);
    its session factories run the commit hooks.
    """

    def __init__(self, url: str | None = None, *, writer: bool = False, hooks: Sequence[EngineHook] = ()):
        self.engine: Engine | None = None
        self.write_engine: Engine | None = None
        self.session_factory: sessionmaker[Session] | None = None
        self.write_session_factory: sessionmaker[Session] | None = None
        self.writer = writer
        self.hooks = tuple(hooks)
        if url is not None:
            self.connect(url)

    def connect(self, url: str) -> None:
        self.engine = make_engine(url, immediate=self.writer)
        self.write_engine = self.engine
        if self.engine.dialect.name == "sqlite" and not self.writer:
            self.write_engine = make_engine(url, immediate=True)
        for engine in dict.fromkeys((self.engine, self.write_engine)):
            for hook in self.hooks:
                hook.install(engine)
        self.session_factory = make_session_factory(self.engine, expire_on_commit=False)
        self.write_session_factory = make_session_factory(self.write_engine, expire_on_commit=False)

    def dispose(self) -> None:
        for engine in {self.engine, self.write_engine}:
            if engine is not None:
                engine.dispose()
        for hook in self.hooks:
            hook.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.dispose()

    def new_session(self) -> Session:
        assert self.session_factory is not None
        return self.session_factory()

    def transaction(self) -> AbstractContextManager[Session]:
        """``with database.transaction() as session:`` one use case, committed on success (see module doc)."""
        assert self.write_session_factory is not None
        return transaction(self.write_session_factory)
