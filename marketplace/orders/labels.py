"""The words a person reads for each order and seller-order status (message ids, translated in templates)."""

from __future__ import annotations

ORDER_STATUS = {
    "pending_payment": "Awaiting payment",
    "paid": "Paid",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
}

SELLER_ORDER_STATUS = {
    "pending_payment": "Awaiting payment",
    "awaiting_shipment": "To ship",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
}

REFUND_STATUS = {
    "pending": "Refund pending",
    "succeeded": "Refunded",
    "failed": "Refund failed",
}
