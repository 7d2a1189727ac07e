"""Delivery states of the hub (as in the IPPC ePhyto hub) and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class DeliveryState(StrEnum):
    """Where one accepted document is on its way to the destination node."""

    PENDING = "PendingDelivery"
    DELIVERED = "Delivered"
    FAILED = "FailedDelivery"


#: a delivered document never moves again; a failed one can only be replayed
TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    DeliveryState.PENDING: frozenset({DeliveryState.DELIVERED, DeliveryState.FAILED}),
    DeliveryState.DELIVERED: frozenset(),
    DeliveryState.FAILED: frozenset({DeliveryState.PENDING}),
}


class CertificateStatus(StrEnum):
    """What a node tells customs and officials about one certificate."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DELIVERED = "delivered"
    FAILED = "failed"
    RECEIVED = "received"
    #: the exporting node's certificate whose cancellation the hub accepted
    CANCELLED = "cancelled"


#: a sent certificate's statuses that a held status read (``?wait=``) waits to see change
UNDER_WAY: frozenset[CertificateStatus] = frozenset({CertificateStatus.SUBMITTED, CertificateStatus.ACCEPTED})

#: the exporting node's view of a hub state
STATUS_OF_STATE: dict[DeliveryState, CertificateStatus] = {
    DeliveryState.PENDING: CertificateStatus.ACCEPTED,
    DeliveryState.DELIVERED: CertificateStatus.DELIVERED,
    DeliveryState.FAILED: CertificateStatus.FAILED,
}


def can_move(*, source: DeliveryState, target: DeliveryState) -> bool:
    """Whether ``source`` → ``target`` is an allowed transition."""
    return target in TRANSITIONS[source]
