"""Who consumes what: the workers, and the topics and event types each one subscribes to.

Each worker is declared by its handlers module (``workers/<name>/handlers.py``: ``CONSUMER``, ``TOPICS``,
``HANDLERS``, ``build_dependencies``; see ``workers.worker``). ``WORKERS`` below names those modules: read
one to see what that worker does. The subscriptions (consumer → topic → the event types of it handled)
are read from the declarations rather than written down a second time.

The event pipeline needs them too (``events status``, ``events replay --undelivered``, the relay's
broker watch), but the event contract imports nothing of the workers: the command line
(``marketplace.cli``) and the admin page (``marketplace.ops``) hand ``subscriptions()`` to it.
"""

from __future__ import annotations

from importlib import import_module
from types import MappingProxyType

from events.catalogue import TOPICS
from events.delivery import Subscriptions
from workers.worker import Worker

#: worker name (``marketplace worker <name>``) → the module that declares it
WORKERS = MappingProxyType({
    "payments": "workers.payments.handlers",
    "promotion": "workers.promotion.handlers",
    "payouts": "workers.payouts.handlers",
    "notifications": "workers.notifications.handlers",
})


def declared(name: str) -> Worker:
    """The declaration of worker ``name`` (its module, and what its handlers use, is imported now)."""
    return Worker.from_module(import_module(WORKERS[name]))


def subscriptions() -> Subscriptions:
    """consumer → topic → the event types of that topic it has a handler for (every declared worker)."""
    out: dict[str, dict[str, frozenset[str]]] = {}
    for name in WORKERS:
        worker = declared(name)
        handled = set(worker.handlers)
        out[worker.name] = {topic: frozenset(handled & set(TOPICS.get(topic, handled))) for topic in worker.topics}
    return out
