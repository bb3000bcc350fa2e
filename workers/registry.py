"""Who consumes what, read from the worker declarations (``workers/<name>/handlers.py``).

The event pipeline's status and its replay need to know, for every consumer, which topics it reads and
which event types of them it applies (``events.delivery.Subscriptions``). That is exactly what each
worker module declares (``CONSUMER``, ``TOPICS``, ``HANDLERS``), so it is read from there rather than
written down a second time.
"""

from __future__ import annotations

from importlib import import_module

from events.catalogue import TOPICS
from events.delivery import Subscriptions


def subscriptions() -> Subscriptions:
    """consumer → topic → the event types of that topic it has a handler for (every declared worker)."""
    from workers.cli import WORKERS

    out: dict[str, dict[str, frozenset[str]]] = {}
    for module_name in WORKERS.values():
        module = import_module(module_name)
        handled = set(module.HANDLERS)
        out[module.CONSUMER] = {
            topic: frozenset(handled & set(TOPICS.get(topic, handled))) for topic in module.TOPICS
        }
    return out
