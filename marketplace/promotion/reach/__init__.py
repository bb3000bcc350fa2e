"""Reach: the artisan's share kit (images and a caption to post on their own accounts) and the admins'
figures per channel (visits, attributed orders and their value, from :mod:`..attribution`)."""
