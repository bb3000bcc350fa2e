"""QR codes drawn locally as SVG ``data:`` URIs (segno; nothing leaves the server): the sandbox's QRIS
payment code and the check-in code of a programme event registration."""

from __future__ import annotations


def qr_data_uri(payload: str | None, *, scale: int = 5) -> str | None:
    """A ``data:`` URI of the QR code of ``payload`` (None for none)."""
    if not payload:
        return None
    import segno

    return segno.make(payload, error="m").svg_data_uri(scale=scale, border=2)
