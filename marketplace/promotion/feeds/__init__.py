"""Feeds: RSS 2.0 and Atom 1.0 of newly approved listings, all or per city, kelurahan or category."""
