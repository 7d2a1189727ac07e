"""XML security: the hardened parser, the signing profile and single-signature verification."""

from singlewindow.xmlsec.names import SignatureRole
from singlewindow.xmlsec.parser import DEFAULT_MAX_BYTES, parse_xml, serialize
from singlewindow.xmlsec.sign import SigningAlgorithm, SigningKey, sign_exporter, sign_official
from singlewindow.xmlsec.verify import CertificateCheck, SignatureResult, verify_signature

__all__ = [
    "DEFAULT_MAX_BYTES",
    "CertificateCheck",
    "SignatureResult",
    "SignatureRole",
    "SigningAlgorithm",
    "SigningKey",
    "parse_xml",
    "serialize",
    "sign_exporter",
    "sign_official",
    "verify_signature",
]
