"""Password reset: the use cases (``services``: a one-time token by mail, the new password) and the pages
(``views``: ``/forgot-password``, ``/reset-password/<token>``)."""
