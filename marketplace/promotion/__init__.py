"""Promotion: getting approved listings in front of buyers, and knowing which of it worked.

One sub-package per part, each with the house's file names (models, schemas, services, api, views):

- :mod:`~marketplace.promotion.posts` — posting each approved listing on the social channels (one row
  per listing and channel, the queue the promotion worker delivers from), its captions, the admins'
  list and retry;
- :mod:`~marketplace.promotion.feeds` — RSS and Atom feeds of newly approved listings;
- :mod:`~marketplace.promotion.attribution` — where buyers come from: a landing's source kept in a
  signed cookie, visits counted per day, orders credited to a source at checkout;
- :mod:`~marketplace.promotion.reach` — the artisan's share kit and the admins' figures per channel.
"""
