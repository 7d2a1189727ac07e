"""The signed, sequenced trust list: ``{"trustlist": {…}, "signature": {"alg", "keyid", "value"}}``.

The operator signs the canonical JSON of the ``trustlist`` object (sorted keys, no spaces, ASCII
only — exactly as receipts are signed) with its trust-list key, whose certificate carries the
operator role (``singlewindow.pki.roles``). ``keyid`` is the SHA-256 fingerprint (hex) of that
certificate. Services pin the operator certificate in their home and refuse a trust list that is
not signed by it, or whose ``sequence`` is lower than the one in force.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from singlewindow.errors import Conflict, SinglewindowError, problem
from singlewindow.pki.roles import Role, roles_of
from singlewindow.pki.trustlist import Trustlist
from singlewindow.protocol.keys import PrivateKey, sign_bytes, verify_bytes
from singlewindow.protocol.receipt import canonical

#: how long a signed trust list announces it stays current (``next_update``)
VALIDITY = timedelta(days=7)


class TrustlistInvalid(SinglewindowError):
    """A trust list that is malformed or not signed by the pinned operator certificate."""

    status_code = 422
    default_code = "trustlist.signature_invalid"


class TrustlistRollback(Conflict):
    """A trust list whose sequence is not newer than the one in force."""

    default_code = "trustlist.rollback"


@dataclass(frozen=True)
class SignedTrustlist:
    """A verified trust list and the exact bytes it came in (served and stored as received)."""

    trustlist: Trustlist
    data: bytes

    @property
    def sequence(self) -> int:
        """The trust list's sequence number."""
        return self.trustlist.sequence


def keyid(certificate: x509.Certificate) -> str:
    """The ``keyid`` naming the operator certificate: its SHA-256 fingerprint in hex."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def sign_trustlist(*, trustlist: Trustlist, key: PrivateKey, certificate: x509.Certificate) -> bytes:
    """The signed trust list document (canonical JSON bytes)."""
    body = trustlist.model_dump(mode="json")
    algorithm, signature = sign_bytes(key=key, data=canonical(body))
    document = {
        "trustlist": body,
        "signature": {
            "alg": algorithm,
            "keyid": keyid(certificate),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }
    return canonical(document)


def next_version(trustlist: Trustlist, *, now: datetime | None = None, **changes: object) -> Trustlist:
    """``trustlist`` with ``changes``, sequence + 1, issued now and valid for ``VALIDITY``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    update: dict[str, object] = {
        **changes,
        "sequence": trustlist.sequence + 1,
        "issued_at": moment,
        "next_update": moment + VALIDITY,
    }
    return trustlist.model_copy(update=update)


def _invalid(message: str) -> TrustlistInvalid:
    return TrustlistInvalid(problem("trustlist.signature_invalid", message))


def verify_trustlist(data: bytes, *, operator: x509.Certificate) -> SignedTrustlist:
    """Check the signature with the pinned operator certificate and validate the content."""
    if Role.OPERATOR not in roles_of(operator):
        raise _invalid("the pinned operator certificate is not issued for the operator role")
    try:
        document = json.loads(data)
        body, signature = document["trustlist"], document["signature"]
        value = base64.b64decode(signature["value"], validate=True)
        algorithm, named = str(signature["alg"]), str(signature["keyid"])
    except (ValueError, KeyError, TypeError) as exc:
        raise _invalid(f"the signed trust list is malformed: {exc}") from None
    if named != keyid(operator):
        raise _invalid(f"signed with key {named[:16]}…, not the pinned operator key {keyid(operator)[:16]}…")
    if not isinstance(body, dict) or not verify_bytes(
        certificate=operator, algorithm=algorithm, data=canonical(body), signature=value
    ):
        raise _invalid("the signature does not verify with the pinned operator certificate")
    try:
        trustlist = Trustlist.parse(json.dumps(body), source="(signed trust list)")
    except SinglewindowError as exc:
        raise _invalid(str(exc)) from None
    return SignedTrustlist(trustlist=trustlist, data=data)


def check_newer(candidate: SignedTrustlist, *, current: SignedTrustlist | None) -> bool:
    """True when ``candidate`` replaces ``current``; False when it is the same; rollback raises."""
    if current is None or candidate.sequence > current.sequence:
        return True
    if candidate.sequence == current.sequence and candidate.trustlist == current.trustlist:
        return False
    raise TrustlistRollback(
        problem(
            "trustlist.rollback",
            f"trust list sequence {candidate.sequence} is not newer than {current.sequence} in force",
        )
    )
