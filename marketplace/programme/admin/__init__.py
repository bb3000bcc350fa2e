"""The admins' programme event pages (a sub-package: the feature has one page module per audience)."""
