"""Booth sales at a festival or market (issue #27): the artisan rings up a sale on the phone, the buyer
pays by QRIS, the order is a pickup delivered when paid."""
