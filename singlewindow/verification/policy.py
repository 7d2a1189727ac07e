"""The per-signer policy hook: after a signature verifies, who signed is judged against the role expected.

The pipeline hands every verified signer to ``VerificationContext.signer_policy`` (when one is set) with
the role its place requires, its certificate, the signing time and the values that signature covers;
the problems it returns are reported under the check ``policy.<role>`` (role and trusted-time rules).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from cryptography import x509

from singlewindow.errors import Problem

if TYPE_CHECKING:
    from singlewindow.lifecycle.message import CancellationValues
    from singlewindow.verification.values import CODEHValues, CODValues


@dataclass(frozen=True)
class SignerFacts:
    """One verified signature as a policy sees it (values read only from what was signed)."""

    #: the role the signature's pinned place requires ("exporter" under COD, "official" elsewhere)
    role: Literal["exporter", "official"]
    #: which profile was verified: "exporter", "official" or "cancellation"
    profile: str
    certificate: x509.Certificate
    signed_at: datetime | None
    values: CODValues | CODEHValues | CancellationValues


SignerPolicy = Callable[[SignerFacts], Sequence[Problem]]
