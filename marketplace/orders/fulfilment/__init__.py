"""Fulfilment: after payment, the artisan ships or cancels their part, the buyer confirms delivery, and
the scheduler expires unpaid orders and confirms parcels nobody confirmed.

The use cases are in :mod:`.services` (the JSON API in :mod:`.api`, the pages in :mod:`.views`). The
scheduler's four are also named here, because ``orders/scheduler.py`` calls them as
``fulfilment.<use case>`` on this package.
"""

from marketplace.orders.fulfilment.services import (  # noqa: F401 (the scheduler's use cases)
    auto_confirm, due_deliveries, due_unpaid_orders, expire_unpaid)
