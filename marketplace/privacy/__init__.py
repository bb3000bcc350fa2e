"""A user's own data: download everything we hold about them, close the account (UU PDP 2022; §9)."""
