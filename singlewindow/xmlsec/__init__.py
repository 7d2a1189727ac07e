"""XML security: the hardened parser, the signing profile and single-signature verification."""

from singlewindow.xmlsec.names import SignatureRole
from singlewindow.xmlsec.parser import DEFAULT_MAX_BYTES, parse_xml, serialize
from singlewindow.xmlsec.profile import CANCELLATION, EXPORTER, OFFICIAL, SignatureProfile
from singlewindow.xmlsec.sign import (
    SigningAlgorithm,
    SigningKey,
    sign_exporter,
    sign_official,
    sign_pinned,
    sign_root,
)
from singlewindow.xmlsec.verify import CertificateCheck, SignatureResult, verify_signature

__all__ = [
    "CANCELLATION",
    "DEFAULT_MAX_BYTES",
    "EXPORTER",
    "OFFICIAL",
    "CertificateCheck",
    "SignatureProfile",
    "SignatureResult",
    "SignatureRole",
    "SigningAlgorithm",
    "SigningKey",
    "parse_xml",
    "serialize",
    "sign_exporter",
    "sign_official",
    "sign_pinned",
    "sign_root",
    "verify_signature",
]
