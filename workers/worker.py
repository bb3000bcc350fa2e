"""What a worker is (``Worker``) and what each of its handlers receives (``HandlerContext``).

A worker module (``workers/<name>/handlers.py``) declares, in one screen: its ``CONSUMER`` name (the
consumer group and the inbox's ``consumer``), the ``TOPICS`` it reads, its ``HANDLERS`` (event type →
``handler(ctx, event)``) and ``build_dependencies(settings)``, the factory of the outside systems its
handlers need (payment gateway, payout provider, social channels…), keyed by name; and, when it has
work that no event starts, ``background_tasks(settings, dependencies)``: loops the runner runs beside
its consumer, in threads of the same process, until the worker stops (the payments worker's sandbox
gateway delivers its webhooks so).

The worker modules are listed in ``workers.subscriptions``. ``ConsumerRunner(worker, settings=...)``
calls the factory once per process (``marketplace worker`` with ``Settings.from_env()``); tests pass
fakes through its ``dependencies=`` argument instead (ARCHITECTURE.md §8). The runner builds a fresh
context per attempt around its own session and is the only one that commits it: a handler (and the
services it calls) changes rows and records outbox events, nothing more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType, ModuleType
from typing import Any

from sqlalchemy.orm import Session

from marketplace.config import Settings
from marketplace.db import utcnow

Clock = Callable[[], datetime]  # returns an aware UTC datetime
Dependencies = Mapping[str, Any]  # gateway name → the object its handlers call


@dataclass(frozen=True)
class HandlerContext:
    """One attempt at one event: the unit of work and everything the handler may talk to."""

    session: Session
    settings: Settings
    clock: Clock = utcnow
    gateways: Dependencies = field(default_factory=lambda: MappingProxyType({}))
    consumer: str = ""
    attempt: int = 1  # 1 on the first try; retries of a failed handler count up

    def gateway(self, name: str) -> Any:
        """The dependency ``name`` this worker's ``build_dependencies`` declared (a clear error if not)."""
        try:
            return self.gateways[name]
        except KeyError:
            declared = ", ".join(sorted(self.gateways)) or "none"
            raise LookupError(
                f"worker {self.consumer or '?'} has no gateway {name!r} (declared: {declared}); "
                "add it to its build_dependencies(settings)"
            ) from None


Handler = Callable[[HandlerContext, dict[str, Any]], None]
#: ``task(session_factory, stop)``: runs until ``stop`` is set (the worker's SIGTERM sets it).
BackgroundTask = Callable[[Callable[[], Session], threading.Event], None]


def no_dependencies(_settings: Settings) -> dict[str, Any]:
    """For a worker whose handlers need only the session, settings and clock."""
    return {}


def no_background_tasks(_settings: Settings, _dependencies: Dependencies) -> list[BackgroundTask]:
    """For a worker that only handles events."""
    return []


@dataclass(frozen=True)
class Worker:
    """A worker's declaration: what it consumes, how it handles it, and how its gateways are built."""

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]
    build_dependencies: Callable[[Settings], Dependencies] = no_dependencies
    background_tasks: Callable[[Settings, Dependencies], Sequence[BackgroundTask]] = no_background_tasks

    @classmethod
    def from_module(cls, module: ModuleType) -> "Worker":
        """Read ``CONSUMER``, ``TOPICS``, ``HANDLERS``, ``build_dependencies`` and (if it has any)
        ``background_tasks`` from a handlers module."""
        return cls(
            name=module.CONSUMER,
            topics=tuple(module.TOPICS),
            handlers=MappingProxyType(dict(module.HANDLERS)),
            build_dependencies=module.build_dependencies,
            background_tasks=getattr(module, "background_tasks", no_background_tasks),
        )
