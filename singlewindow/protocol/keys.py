"""Signing and verifying bytes with federation keys (RSA PKCS#1 v1.5 or ECDSA P-256, SHA-256)."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from singlewindow.errors import Problem, problem
from singlewindow.pki.roles import Role, roles_of

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
RSA = "rsa-v1_5-sha256"
ECDSA = "ecdsa-p256-sha256"
_P256_BYTES = 32


def transport_problem(certificate: x509.Certificate, *, role: Role, what: str) -> Problem | None:
    """``role.transport_required`` when ``certificate`` was not issued for ``role`` (node or hub).

    HTTP message signatures and receipts are made only with node and hub keys, never with a key
    issued to sign documents (exporter, official) or the trust list.
    """
    roles = roles_of(certificate)
    if role in roles:
        return None
    listed = ", ".join(sorted(roles)) or "no federation role"
    return problem(
        "role.transport_required",
        f"{what} is made with a certificate issued for {listed}, not for the {role} role",
    )


def algorithm_of_public(certificate: x509.Certificate) -> str | None:
    """The RFC 9421 algorithm name for a certificate's key, or None for an unsupported key."""
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return RSA
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return ECDSA
    return None


def algorithm_of(key: PrivateKey) -> str:
    """The RFC 9421 algorithm name for a private key."""
    if isinstance(key, rsa.RSAPrivateKey):
        return RSA
    if isinstance(key.curve, ec.SECP256R1):
        return ECDSA
    raise ValueError(f"unsupported key curve {key.curve.name}")


def sign_bytes(*, key: PrivateKey, data: bytes) -> tuple[str, bytes]:
    """``(algorithm, signature)``; ECDSA signatures are raw r||s as RFC 9421 wants."""
    algorithm = algorithm_of(key)
    if isinstance(key, rsa.RSAPrivateKey):
        return algorithm, key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return algorithm, r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")


def verify_bytes(*, certificate: x509.Certificate, algorithm: str, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``data`` verifies with the certificate's key under ``algorithm``."""
    # the algorithm follows from the pinned key; a caller-chosen one that differs is refused
    if algorithm != algorithm_of_public(certificate):
        return False
    public = certificate.public_key()
    try:
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        assert isinstance(public, ec.EllipticCurvePublicKey)
        if len(signature) != 2 * _P256_BYTES:
            return False
        r = int.from_bytes(signature[:_P256_BYTES], "big")
        s = int.from_bytes(signature[_P256_BYTES:], "big")
        public.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False
