"""The signed receipt a node returns for a delivery: JSON over (delivery, CertificateID, SHA-256)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, Literal

from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from singlewindow.errors import SinglewindowError, problem
from singlewindow.pki.roles import Role
from singlewindow.protocol.keys import PrivateKey, sign_bytes, transport_problem, verify_bytes

FORMAT: Literal["singlewindow-receipt/1"] = "singlewindow-receipt/1"


class ReceiptInvalid(SinglewindowError):
    """A receipt that is missing, malformed, wrongly signed or about something else."""

    status_code = 502
    default_code = "receipt.invalid"


class Receipt(BaseModel):
    """What the receiving node attests: it holds these exact bytes for this delivery."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["singlewindow-receipt/1"] = FORMAT
    delivery: str = Field(min_length=1, max_length=40)
    certificate_id: str = Field(min_length=1, max_length=20)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    received_at: datetime
    node: str = Field(pattern=r"^[A-Z]{2}$")


def canonical(value: Any) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign_receipt(*, receipt: Receipt, key: PrivateKey) -> bytes:
    """The receipt document: ``{"receipt": {...}, "signature": {"alg", "keyid", "value"}}``."""
    body = receipt.model_dump(mode="json")
    algorithm, signature = sign_bytes(key=key, data=canonical(body))
    document = {
        "receipt": body,
        "signature": {
            "alg": algorithm,
            "keyid": receipt.node,
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }
    return canonical(document)


def verify_receipt(
    data: bytes, *, certificate: x509.Certificate, delivery: str, sha256: str, node: str
) -> Receipt:
    """Check a receipt's signature with the node's pinned certificate and that it is about this delivery."""
    try:
        document = json.loads(data)
        body, signature = document["receipt"], document["signature"]
        value = base64.b64decode(signature["value"], validate=True)
        algorithm = str(signature["alg"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ReceiptInvalid(problem("receipt.invalid", f"the receipt is malformed: {exc}")) from None
    misuse = transport_problem(certificate, role=Role.NODE, what=f"the receipt of node {node}")
    if misuse is not None:
        raise ReceiptInvalid(misuse)
    # the signature is checked over the canonical form of exactly what was received
    if not isinstance(body, dict) or not verify_bytes(
        certificate=certificate, algorithm=algorithm, data=canonical(body), signature=value
    ):
        raise ReceiptInvalid(problem("receipt.invalid", f"the receipt is not signed by node {node}"))
    try:
        receipt = Receipt.model_validate(body)
    except ValidationError as exc:
        raise ReceiptInvalid(problem("receipt.invalid", f"the receipt is malformed: {exc}")) from None
    wrong = [
        name
        for name, got, want in (
            ("delivery", receipt.delivery, delivery),
            ("sha256", receipt.sha256, sha256),
            ("node", receipt.node, node),
        )
        if got != want
    ]
    if wrong:
        raise ReceiptInvalid(problem("receipt.invalid", f"the receipt is about another {', '.join(wrong)}"))
    return receipt
