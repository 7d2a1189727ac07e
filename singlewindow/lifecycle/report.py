"""The verification report of a lifecycle message: what it says once verified, who signed, every problem."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from singlewindow.errors import Problem
from singlewindow.verification import Check, Signer


class LifecycleReport(BaseModel):
    """Everything found out about one Cancellation; ``valid`` only when no problem was found.

    The values are read from the element the signature verifier returned as signed; they are None when
    the signature did not verify, so that a caller never acts on unverified content.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["cancellation"] = "cancellation"
    valid: bool
    sha256: str
    size: int
    certificate_id: str | None = None
    issuing_country: str | None = None
    eh_id: str | None = None
    importer_country: str | None = None
    cancellation_date: datetime | None = None
    reason: str | None = None
    reason_code: str | None = None
    #: the registry's ALADI answer (00–08) for the signer as an official of the issuing entity
    registry_code: str | None = None
    signer: Signer | None = None
    checks: list[Check] = []
    problems: list[Problem] = []
