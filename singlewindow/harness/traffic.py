"""Realistic, varied certificate traffic: who ships to whom, which form, how many goods, which body."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from singlewindow.cod import Certificate, CertificateID, sample_certificate, to_bytes
from singlewindow.cod.layouts import FormName

if TYPE_CHECKING:
    from singlewindow.pki import Federation

BodyKind = Literal["json", "xml"]

#: (form, CODVer) pairs the sample generator supports, with their weight in the traffic mix
_VARIANTS: tuple[tuple[FormName, str, int], ...] = (
    ("FormA18", "2.0.0", 4),
    ("FormR252", "2.0.0", 3),
    ("FormA18", "4.1.0", 2),
    ("FormR252", "4.1.0", 1),
)
MAX_GOODS = 200


@dataclass(frozen=True, slots=True)
class Shipment:
    """One certificate to submit: its exporting and importing node, its body and how it was made."""

    index: int
    exporter: str
    importer: str
    form: FormName
    cod_ver: str
    goods: int
    body_kind: BodyKind
    body: bytes
    #: the CertificateID we composed (JSON bodies); None when the node numbers it (XML requests)
    certificate_id: str | None
    #: the index of the shipment this one rectifies, or None
    rectifies: int | None = None

    @property
    def content_type(self) -> str:
        """The Content-Type to post the body with."""
        return "application/json" if self.body_kind == "json" else "application/xml"


def goods_count(*, rng: random.Random) -> int:
    """How many goods lines: mostly a handful, sometimes dozens, rarely up to MAX_GOODS."""
    roll = rng.random()
    if roll < 0.70:
        return rng.randint(1, 5)
    if roll < 0.95:
        return rng.randint(6, 40)
    return rng.randint(41, MAX_GOODS)


def _variant(rng: random.Random) -> tuple[FormName, str]:
    forms = [(form, ver) for form, ver, _ in _VARIANTS]
    form, ver = rng.choices(forms, weights=[w for _, _, w in _VARIANTS])[0]
    return form, ver


def plan_traffic(
    *,
    countries: list[str],
    certificates: int,
    seed: int,
    skew_s: dict[str, float] | None = None,
    rectify_share: float = 0.03,
    xml_share: float = 0.4,
    base_number: int | None = None,
) -> list[Shipment]:
    """Plan ``certificates`` shipments between distinct ``countries`` (at least two), deterministically.

    Numbers start at ``base_number`` (default: drawn from the seed) so that runs against a reused
    database do not collide. A rectification re-issues an earlier JSON shipment with the
    rectification digits ``01``; the driver sends it after the original was accepted.
    """
    if len(countries) < 2:
        raise ValueError("traffic needs at least two countries")
    rng = random.Random(f"traffic/{seed}")  # noqa: S311  # simulated traffic, not security
    base = base_number if base_number is not None else rng.randint(0, 80_000_000)
    skew_s = skew_s or {}
    now = datetime.now(UTC)
    shipments: list[Shipment] = []
    for index in range(certificates):
        original = shipments[rng.randrange(len(shipments))] if shipments else None
        if (
            original is not None
            and original.body_kind == "json"
            and original.rectifies is None
            and rng.random() < rectify_share
            and not any(s.rectifies == original.index for s in shipments)
        ):
            shipments.append(_rectification(original=original, index=index))
            continue
        exporter = rng.choice(countries)
        importer = rng.choice([code for code in countries if code != exporter])
        form, cod_ver = _variant(rng)
        goods = goods_count(rng=rng)
        when = now + timedelta(seconds=skew_s.get(exporter, 0.0)) - timedelta(seconds=rng.randint(0, 600))
        cert = sample_certificate(
            exporter_country=exporter,
            importer_country=importer,
            form=form,
            cod_ver=cod_ver,
            number=(base + index) % 100_000_000,
            goods=goods,
            seed=seed,
            when=when,
        )
        if rng.random() < xml_share:
            body, kind, cid = to_bytes(cert, stage="request"), "xml", None
        else:
            assert cert.certification is not None
            body, kind = cert.model_dump_json().encode(), "json"
            cid = str(cert.certification.certificate_id)
        shipments.append(
            Shipment(
                index=index,
                exporter=exporter,
                importer=importer,
                form=form,
                cod_ver=cod_ver,
                goods=goods,
                body_kind=kind,  # type: ignore[arg-type]  # "xml" or "json" literal above
                body=body,
                certificate_id=cid,
            )
        )
    return shipments


def _rectification(*, original: Shipment, index: int) -> Shipment:
    cert = Certificate.model_validate_json(original.body)
    assert cert.certification is not None
    old = cert.certification.certificate_id
    new_id = CertificateID.compose(
        country=old.country,
        eh_id=old.eh_id,
        acronym=old.acronym,
        year=old.year,
        number=old.number,
        rectification=old.rectification + 1,
    )
    certification = cert.certification.model_copy(update={"certificate_id": new_id})
    fixed = cert.model_copy(update={"certification": certification})
    return Shipment(
        index=index,
        exporter=original.exporter,
        importer=original.importer,
        form=original.form,
        cod_ver=original.cod_ver,
        goods=original.goods,
        body_kind="json",
        body=fixed.model_dump_json().encode(),
        certificate_id=str(new_id),
        rectifies=original.index,
    )


def _sign(shipment: Shipment, *, federation: Federation, taken: set[str]) -> Shipment:
    """One shipment as a complete COD signed by its country's demo keys, numbered outside ``taken``."""
    from singlewindow.cod import from_element
    from singlewindow.verification import complete_and_sign
    from singlewindow.xmlsec import parse_xml

    document = complete_and_sign(
        shipment.body,
        federation=federation,
        country=shipment.exporter,
        available=lambda certificate_id: certificate_id not in taken,
    )
    certificate_id = shipment.certificate_id
    if certificate_id is None:
        certification = from_element(parse_xml(document)).certification
        assert certification is not None  # complete_and_sign always certifies
        certificate_id = str(certification.certificate_id)
    return dataclasses.replace(shipment, body=document, body_kind="xml", certificate_id=certificate_id)


def _sign_all(shipments: list[Shipment], *, federation: Federation, taken: set[str]) -> list[Shipment]:
    signed: list[Shipment] = []
    for shipment in shipments:
        signed.append(_sign(shipment, federation=federation, taken=taken))
        taken.add(str(signed[-1].certificate_id))
    return signed


def _sign_part(directory: Path, shipments: list[Shipment], named: set[str]) -> list[Shipment]:
    """``_sign_all`` in a worker process, which loads the federation's keys itself."""
    from singlewindow.pki import Federation

    return _sign_all(shipments, federation=Federation.load(directory), taken=set(named))


def presign(*, shipments: list[Shipment], federation: Federation, workers: int = 1) -> list[Shipment]:
    """The same shipments as complete CODs signed by exporter and official, as issuing platforms post them.

    Each body is completed and signed with the exporting country's demo keys of ``federation``
    (``complete_and_sign``, the node's own issuing step) before the run's clock starts, so the
    nodes only verify and route. Every presigned shipment names its CertificateID, and no two the
    same one. ``workers`` > 1 signs consecutive parts in that many processes (each loads the keys
    from ``federation.directory``); a number two parts both gave is then given again to the later
    shipment, outside every number of the run, as one process signing in order would have.
    """
    # the CertificateIDs the run's JSON shipments name, and those numbered here: never given twice
    named = {shipment.certificate_id for shipment in shipments if shipment.certificate_id}
    workers = max(1, min(workers, len(shipments)))
    if workers == 1:
        return _sign_all(shipments, federation=federation, taken=set(named))
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(shipments) // workers)
    parts = [shipments[start : start + size] for start in range(0, len(shipments), size)]
    # spawn, not fork: the caller may run services and worker threads of its own
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=context) as pool:
        futures = [pool.submit(_sign_part, federation.directory, part, named) for part in parts]
        signed = [shipment for future in futures for shipment in future.result()]
    given = {str(shipment.certificate_id) for shipment in signed}
    seen: set[str] = set()
    for position, shipment in enumerate(signed):
        if shipment.certificate_id in seen:  # numbered by two parts alike: the later one again
            shipment = _sign(shipments[position], federation=federation, taken=given | seen)
            given.add(str(shipment.certificate_id))
            signed[position] = shipment
        seen.add(str(shipment.certificate_id))
    return signed
