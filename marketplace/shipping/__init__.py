"""Shipping quotes: from a shop's city to a buyer's city, by zone and billable weight.

``provinces`` knows Indonesia's 38 provinces and where the programme's cities lie; ``rates`` loads the
rate table (data, not code); ``services`` turns a weight and a destination into a :class:`Quote`.
The checkout calls :func:`marketplace.shipping.services.quote_for_shop` once per shop; the quote API
and the listing page call the same function.
"""
