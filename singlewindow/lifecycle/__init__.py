"""Lifecycle of a COD: signed cancellations, and rectifications (new CODs with a higher rectification)."""

from singlewindow.lifecycle.message import (
    CANCELLATION,
    NS,
    SIGNED_ID,
    CancellationValues,
    Reason,
    build_cancellation,
    is_cancellation,
    read_cancellation,
)
from singlewindow.lifecycle.rectification import (
    Admission,
    Lineage,
    admission,
    current_certificate_id,
    rectification_of,
)
from singlewindow.lifecycle.report import LifecycleReport
from singlewindow.lifecycle.schema import lifecycle_schema, validate_lifecycle
from singlewindow.lifecycle.sign import issue_cancellation, sign_cancellation
from singlewindow.lifecycle.verify import verify_cancellation

__all__ = [
    "CANCELLATION",
    "NS",
    "SIGNED_ID",
    "Admission",
    "CancellationValues",
    "LifecycleReport",
    "Lineage",
    "Reason",
    "admission",
    "build_cancellation",
    "current_certificate_id",
    "is_cancellation",
    "issue_cancellation",
    "lifecycle_schema",
    "read_cancellation",
    "rectification_of",
    "sign_cancellation",
    "validate_lifecycle",
    "verify_cancellation",
]
