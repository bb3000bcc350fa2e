"""Orders: a buyer's cart becomes an order, and the order goes from paid to delivered.

Where things are: checkout (cart → order, stock reserved, one commit) is :mod:`.checkout`, read top
down from ``place_order``; the order's states and the transitions other features call (paid,
cancelled, completed, the timeline) are :mod:`.services`; shipping, cancelling a part, confirming
delivery and the scheduler's expiries are :mod:`.fulfilment`. The buyer's checkout and order pages
are :mod:`.views` and :mod:`.api`.
"""
