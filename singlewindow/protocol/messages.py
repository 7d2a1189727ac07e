"""JSON bodies exchanged between customs, nodes and hub, and the headers of a delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pybase64
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from singlewindow.errors import Problem
from singlewindow.protocol.states import DeliveryState

DELIVERY_HEADER = "Singlewindow-Delivery"
CERTIFICATE_HEADER = "Singlewindow-Certificate-Id"
#: the keyid the hub signs deliveries with
HUB_KEYID = "hub"
#: the hub's acceptance time of the delivered document (RFC 3339, UTC): its trusted time
ACCEPTED_AT_HEADER = "Singlewindow-Accepted-At"
#: what a hub→node delivery signature must cover besides method, URI and digest
DELIVERY_COVERS = (
    DELIVERY_HEADER.lower(),
    CERTIFICATE_HEADER.lower(),
    ACCEPTED_AT_HEADER.lower(),
    "content-type",
)
#: what the signature on a JSON body of several items (an outcome push, several deliveries, several
#: submissions) must cover besides method, URI and digest: the body, covered by its digest, carries
#: every item with the values the single forms put in headers
JSON_BODY_COVERS = ("content-type",)
#: most settled deliveries one outcome push carries
MAX_PUSHED_OUTCOMES = 64
#: most documents one request carries (several deliveries, several submissions), and most document
#: bytes (before base64) in all
MAX_DOCUMENTS_TOGETHER = 16
MAX_DOCUMENTS_TOGETHER_BYTES = 1024 * 1024
#: the largest body of several documents: their base64 (4/3 of their bytes) and the JSON around them
MAX_DOCUMENTS_BODY = 2 * MAX_DOCUMENTS_TOGETHER_BYTES
XML = "application/xml"


def _strict_base64(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return pybase64.b64decode(value, validate=True)  # the standard library's, 35 times faster
    except ValueError:
        raise ValueError("not standard base64") from None


#: a document's exact bytes; in JSON, standard base64 (anything else is refused, never skipped)
Base64Document = Annotated[
    bytes,
    BeforeValidator(_strict_base64),
    PlainSerializer(pybase64.b64encode_as_string, return_type=str, when_used="json"),
    Field(min_length=1),
]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProblemsBody(_Body):
    """A refusal: every problem found."""

    problems: list[Problem]


class AcceptedBody(_Body):
    """The hub's 202: the delivery number to follow the document by."""

    delivery: str
    certificate_id: str
    sha256: str
    state: DeliveryState
    status_url: str
    duplicate: bool = False
    #: accepted under its issuing member's legacy RSA-SHA1 policy (trust list ``sha1_until``)
    legacy_sha1: bool = False


class TrailEvent(_Body):
    """One line of a delivery trail."""

    at: datetime
    state: str
    event: str
    detail: str = ""


class TrailBody(_Body):
    """The hub's view of one delivery, for its sender and its receiver."""

    delivery: str
    certificate_id: str
    sha256: str
    sender: str
    destination: str
    state: DeliveryState
    attempts: int
    accepted_at: datetime
    delivered_at: datetime | None = None
    receipt: dict[str, Any] | None = None
    events: list[TrailEvent] = []


class OutcomesBody(_Body):
    """An outcome push: settled deliveries of one exporting node, each with only its settling event."""

    outcomes: list[TrailBody] = Field(min_length=1, max_length=MAX_PUSHED_OUTCOMES)


class DeliveryItem(_Body):
    """One document of a delivery of several: what the single form sends as body and headers."""

    delivery: str = Field(min_length=1, max_length=40)
    certificate_id: str = Field(max_length=64)
    #: the hub's acceptance time, as in the ``Singlewindow-Accepted-At`` header
    accepted_at: str = Field(max_length=64)
    #: the exact accepted bytes
    document: Base64Document


class DeliveriesBody(_Body):
    """Several documents for one node in one request (``POST /api/v1/inbound/batch``)."""

    deliveries: list[DeliveryItem] = Field(min_length=1, max_length=MAX_DOCUMENTS_TOGETHER)


class DeliveredItem(_Body):
    """The node's answer for one document, as the single form would have answered it.

    ``status`` is that HTTP status: 200 with the signed ``receipt``, otherwise the ``problems``
    (422: refused after the node's own verification; anything else: try again later).
    """

    delivery: str
    status: int
    receipt: dict[str, Any] | None = None
    problems: list[Problem] = []


class DeliveredBody(_Body):
    """The node's answers to a delivery of several documents, in the order sent."""

    deliveries: list[DeliveredItem]


class SubmissionsBody(_Body):
    """Several documents of one node for the hub in one request (``POST /api/v1/messages/batch``)."""

    documents: list[Base64Document] = Field(min_length=1, max_length=MAX_DOCUMENTS_TOGETHER)


class SubmittedItem(_Body):
    """The hub's answer for one submitted document, as the single form would have answered it.

    ``status`` is that HTTP status: 202 with ``accepted``, otherwise the ``problems``.
    """

    status: int
    accepted: AcceptedBody | None = None
    problems: list[Problem] = []


class SubmittedBody(_Body):
    """The hub's answers to a submission of several documents, in the order sent."""

    documents: list[SubmittedItem]
