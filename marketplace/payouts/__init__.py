"""Seller payouts: the payout provider interface, payout accounts, payouts and statements (issue #10)."""
