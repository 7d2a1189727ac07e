"""The full document verification pipeline and the issuing of complete signed CODs."""

from singlewindow.verification.admission import admit
from singlewindow.verification.context import VerificationContext
from singlewindow.verification.issue import complete_and_sign
from singlewindow.verification.pipeline import verify_cod_tree, verify_document
from singlewindow.verification.policy import SignerFacts, SignerPolicy
from singlewindow.verification.report import Check, Signer, VerificationReport

__all__ = [
    "Check",
    "Signer",
    "SignerFacts",
    "SignerPolicy",
    "VerificationContext",
    "VerificationReport",
    "admit",
    "complete_and_sign",
    "verify_cod_tree",
    "verify_document",
]
