"""Fulfilment: after payment, the artisan ships or cancels their part, the buyer confirms delivery, and
the scheduler expires unpaid orders and confirms parcels nobody confirmed.

The use cases are in :mod:`.services` (the JSON API in :mod:`.api`, the pages in :mod:`.views`, their
forms in :mod:`.forms`).
"""
