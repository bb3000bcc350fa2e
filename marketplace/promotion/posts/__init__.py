"""Posts on the social channels: one row per (listing, channel), queued when a listing is approved and
delivered by ``workers/promotion``; the captions each channel gets; the admins' list and retry."""
