"""The full document verification pipeline and the issuing of complete signed CODs."""

from singlewindow.verification.context import VerificationContext
from singlewindow.verification.issue import complete_and_sign
from singlewindow.verification.pipeline import verify_document
from singlewindow.verification.report import Check, Signer, VerificationReport

__all__ = [
    "Check",
    "Signer",
    "VerificationContext",
    "VerificationReport",
    "complete_and_sign",
    "verify_document",
]
