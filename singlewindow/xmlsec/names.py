"""Names the signature profile pins: namespaces, element paths, ids and algorithm URIs."""

from __future__ import annotations

from typing import Literal

SignatureRole = Literal["exporter", "official"]

ENV_NS = "http://www.w3.org/2001/12/soap-envelope"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
NSMAP = {"ds": DS_NS, "env": ENV_NS}

ENVELOPE = f"{{{ENV_NS}}}Envelope"
CERT_ORIGIN = f"{{{ENV_NS}}}CertOrigin"
DS_SIGNATURE = f"{{{DS_NS}}}Signature"

#: The id each role signs, the element carrying it, and where the signature must sit (signxml location).
SIGNED_ID: dict[SignatureRole, str] = {"exporter": "COD", "official": "CODEH"}
SIGNATURE_LOCATION: dict[SignatureRole, str] = {
    "exporter": f"./{{{ENV_NS}}}CertOrigin/CODEH/CODExporter/",
    "official": f"./{{{ENV_NS}}}CertOrigin/",
}
#: Human paths for problem reports.
SIGNATURE_PATH: dict[SignatureRole, str] = {
    "exporter": "/Envelope/CertOrigin/CODEH/CODExporter/ds:Signature",
    "official": "/Envelope/CertOrigin/ds:Signature",
}
SIGNED_PATH: dict[SignatureRole, str] = {
    "exporter": "/Envelope/CertOrigin/CODEH/CODExporter/COD",
    "official": "/Envelope/CertOrigin/CODEH",
}

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
C14N11_COMMENTS = "http://www.w3.org/2006/12/xml-c14n11#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
CANONICALIZATIONS = frozenset({C14N, C14N_COMMENTS, C14N11, C14N11_COMMENTS, EXC_C14N, EXC_C14N_COMMENTS})
TRANSFORMS = CANONICALIZATIONS | {ENVELOPED}

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
ECDSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

SIGNATURE_METHODS = frozenset({RSA_SHA256, RSA_SHA384, RSA_SHA512, ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512})
DIGEST_METHODS = frozenset({SHA256, SHA384, SHA512})
LEGACY_SIGNATURE_METHODS = frozenset({RSA_SHA1})
LEGACY_DIGEST_METHODS = frozenset({SHA1})

#: Short names for reports ("rsa-sha256"), keyed by URI.
SHORT_NAMES = {
    RSA_SHA256: "rsa-sha256",
    RSA_SHA384: "rsa-sha384",
    RSA_SHA512: "rsa-sha512",
    ECDSA_SHA256: "ecdsa-sha256",
    ECDSA_SHA384: "ecdsa-sha384",
    ECDSA_SHA512: "ecdsa-sha512",
    RSA_SHA1: "rsa-sha1",
}


def allowed_signature_methods(*, allow_sha1: bool) -> frozenset[str]:
    """Signature method URIs the policy accepts."""
    return SIGNATURE_METHODS | LEGACY_SIGNATURE_METHODS if allow_sha1 else SIGNATURE_METHODS


def allowed_digest_methods(*, allow_sha1: bool) -> frozenset[str]:
    """Digest method URIs the policy accepts."""
    return DIGEST_METHODS | LEGACY_DIGEST_METHODS if allow_sha1 else DIGEST_METHODS
