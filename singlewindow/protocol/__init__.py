"""Wire formats between nodes and hub: request signatures, receipts, states and JSON bodies."""

from singlewindow.protocol.httpsig import SignatureAuth, content_digest, sign_request, verify_request
from singlewindow.protocol.keys import PrivateKey, algorithm_of, sign_bytes, verify_bytes
from singlewindow.protocol.messages import (
    ACCEPTED_AT_HEADER,
    CERTIFICATE_HEADER,
    DELIVERY_COVERS,
    DELIVERY_HEADER,
    HUB_KEYID,
    MAX_PUSHED_OUTCOMES,
    PUSH_COVERS,
    XML,
    AcceptedBody,
    OutcomesBody,
    ProblemsBody,
    TrailBody,
    TrailEvent,
)
from singlewindow.protocol.receipt import Receipt, ReceiptInvalid, sign_receipt, verify_receipt
from singlewindow.protocol.states import (
    STATUS_OF_STATE,
    TRANSITIONS,
    UNDER_WAY,
    CertificateStatus,
    DeliveryState,
    can_move,
)

__all__ = [
    "ACCEPTED_AT_HEADER",
    "CERTIFICATE_HEADER",
    "DELIVERY_COVERS",
    "DELIVERY_HEADER",
    "HUB_KEYID",
    "MAX_PUSHED_OUTCOMES",
    "PUSH_COVERS",
    "STATUS_OF_STATE",
    "TRANSITIONS",
    "UNDER_WAY",
    "XML",
    "AcceptedBody",
    "CertificateStatus",
    "DeliveryState",
    "OutcomesBody",
    "PrivateKey",
    "ProblemsBody",
    "Receipt",
    "ReceiptInvalid",
    "SignatureAuth",
    "TrailBody",
    "TrailEvent",
    "algorithm_of",
    "can_move",
    "content_digest",
    "sign_bytes",
    "sign_receipt",
    "sign_request",
    "verify_bytes",
    "verify_receipt",
    "verify_request",
]
