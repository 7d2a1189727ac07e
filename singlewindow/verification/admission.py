"""One admission path for every signed document: parse once, dispatch on the root element, one report.

A COD (``env:Envelope``) gets a ``VerificationReport``; a Cancellation a ``LifecycleReport``; both
come from the same pinned-signature engine over the same context (trust store, caches, XSDs).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from singlewindow.verification.context import VerificationContext
from singlewindow.verification.pipeline import verify_cod_tree
from singlewindow.verification.report import VerificationReport
from singlewindow.xmlsec import parse_xml
from singlewindow.xmlsec.profile import CANCELLATION_TAG

if TYPE_CHECKING:
    from singlewindow.lifecycle.report import LifecycleReport


def admit(
    data: bytes,
    *,
    context: VerificationContext,
    now: datetime | None = None,
    schema_dirs: Sequence[Path] = (),
) -> VerificationReport | LifecycleReport:
    """Verify any signed document once: a Cancellation as a lifecycle message, anything else as a COD.

    Raises UnusableInput (or InputTooLarge) only for input the hardened parser refuses.
    """
    root = parse_xml(data, max_bytes=context.max_bytes)
    if root.tag == CANCELLATION_TAG:
        from singlewindow.lifecycle.verify import verify_cancellation_tree  # lifecycle builds on verification

        return verify_cancellation_tree(root, data=data, context=context, now=now, schema_dirs=schema_dirs)
    return verify_cod_tree(root, data=data, context=context)
