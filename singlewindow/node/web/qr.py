"""The QR code printed with a certificate: an inline SVG of its absolute verification address."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from markupsafe import Markup


def verification_url(*, base_url: str, certificate_id: str) -> str:
    """The absolute address of a certificate's verification page, e.g. ``https://node/verify?certificate_id=…``."""
    return f"{base_url.rstrip('/')}/verify?{urlencode({'certificate_id': certificate_id})}"


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code of ``url`` (error correction M, dark on white, quiet zone kept for scanning)."""
    code = segno.make(url, error="m", micro=False)
    svg: str = code.svg_inline(
        scale=4, dark="#000", light="#fff", border=4, svgclass="qr-code", omitsize=True
    )
    # segno writes only numbers and a fixed path grammar into the SVG, never the URL itself.
    return Markup(svg)  # noqa: S704
