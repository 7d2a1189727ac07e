"""Rectifications: a new COD whose CertificateID differs only in the last two digits, the highest current."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from singlewindow.cod import CertificateID

#: How a hub classifies an incoming CertificateID against those stored for the same ``.base``:
#: ``new`` (no sibling), ``same`` (that very id: a duplicate or a conflict, decided by digest),
#: ``rectification`` (higher than every sibling: accept), ``stale`` (not above the highest: 409).
Admission = Literal["new", "same", "rectification", "stale"]


def _cid(value: CertificateID | str) -> CertificateID:
    return value if isinstance(value, CertificateID) else CertificateID.parse(value)


def lineage_ids(certificate_id: str) -> list[str]:
    """Every CertificateID the certificate of ``certificate_id`` can carry: its first 18 characters
    with each rectification code 00–99 (what a store looks up by its index to find the siblings)."""
    base = certificate_id[:18]
    return [f"{base}{rectification:02d}" for rectification in range(100)]


def rectification_of(
    new_certificate_id: CertificateID | str, old_certificate_id: CertificateID | str
) -> bool:
    """True when ``new`` rectifies ``old``: the same certificate (``.base``) with a higher rectification code.

    Raises ValueError for a malformed CertificateID.
    """
    new, old = _cid(new_certificate_id), _cid(old_certificate_id)
    return new.base == old.base and new.rectification > old.rectification


@dataclass(frozen=True)
class Lineage:
    """The CertificateIDs stored for one certificate (one ``.base``), oldest first; the last is current."""

    ids: tuple[CertificateID, ...]

    @classmethod
    def of(cls, certificate_ids: Iterable[CertificateID | str]) -> Lineage:
        """The lineage of ids sharing one ``.base``; ValueError when empty or when the bases differ."""
        ids = sorted({_cid(value) for value in certificate_ids}, key=lambda cid: cid.rectification)
        if not ids:
            raise ValueError("a lineage needs at least one CertificateID")
        bases = sorted({cid.base for cid in ids})
        if len(bases) > 1:
            raise ValueError(f"CertificateIDs of different certificates: {', '.join(bases)}")
        return cls(ids=tuple(ids))

    @property
    def base(self) -> str:
        """The 18 characters every id of the lineage shares."""
        return self.ids[0].base

    @property
    def current(self) -> CertificateID:
        """The id with the highest rectification code: the certificate in force."""
        return self.ids[-1]

    @property
    def superseded(self) -> tuple[CertificateID, ...]:
        """Every id replaced by a later rectification, oldest first."""
        return self.ids[:-1]

    def replaced_by(self, certificate_id: CertificateID | str) -> CertificateID | None:
        """The current id when ``certificate_id`` was rectified; None when current or not in the lineage."""
        cid = _cid(certificate_id)
        return self.current if cid in self.superseded else None

    def replacements(self) -> Mapping[str, str]:
        """Each superseded id → the current id (what a node stores as ``replaced_by``)."""
        return {str(cid): str(self.current) for cid in self.superseded}

    def admit(self, certificate_id: CertificateID | str) -> Admission:
        """How an incoming id of this certificate relates to the lineage (see ``Admission``)."""
        cid = _cid(certificate_id)
        if cid.base != self.base:
            raise ValueError(f"{cid} is not a CertificateID of certificate {self.base}")
        if cid in self.ids:
            return "same"
        return "rectification" if cid.rectification > self.current.rectification else "stale"


def admission(certificate_id: CertificateID | str, *, stored: Iterable[CertificateID | str]) -> Admission:
    """Classify an incoming CertificateID against the stored ids of the same ``.base`` (others are ignored).

    A hub answers 409 (``duplicate.conflict``) for ``stale``, and for ``same`` with another digest.
    """
    cid = _cid(certificate_id)
    siblings = [sibling for sibling in map(_cid, stored) if sibling.base == cid.base]
    return Lineage.of(siblings).admit(cid) if siblings else "new"


def current_certificate_id(certificate_ids: Iterable[CertificateID | str]) -> CertificateID:
    """The id in force among ids of one certificate: the highest rectification code."""
    return Lineage.of(certificate_ids).current
