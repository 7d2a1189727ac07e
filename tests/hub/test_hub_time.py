"""Trusted time at the hub: claimed signing dates are judged against the hub's acceptance time."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import etree
from network.kit import WHEN, LocalFederation, signed_cod

from singlewindow.cod import CertificateID, sample_certificate, to_bytes, to_element
from singlewindow.hub import create_app
from singlewindow.lifecycle import issue_cancellation
from singlewindow.pki import Federation
from singlewindow.protocol import XML, SignatureAuth
from singlewindow.storage import CANCELLATION, utcnow
from singlewindow.verification import complete_and_sign
from singlewindow.xmlsec import serialize, sign_exporter, sign_official

pytestmark = pytest.mark.anyio
_CERTIFIED = "CertOrigin/CODEH/CertificationEH/CertificateDate"


def _as(local: LocalFederation, country: str, clock: Callable[[], datetime] | None = None) -> SignatureAuth:
    return SignatureAuth(key=local.pki.country(country).node.private_key, keyid=country, clock=clock)


async def _post(local: LocalFederation, body: bytes) -> httpx.Response:
    async with local.client("hub", role=None) as hub:
        return await hub.post(
            "/api/v1/messages", content=body, headers={"content-type": XML}, auth=_as(local, "AR")
        )


async def _post_days_ago(local: LocalFederation, body: bytes, *, days: int) -> httpx.Response:
    """``body`` posted to a second hub process on the same database whose clock says ``days`` ago."""

    def earlier() -> datetime:
        return utcnow() - timedelta(days=days)

    app = create_app(local.hub_settings(), verify=local.verify, clock=earlier)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as hub,
    ):
        return await hub.post(
            "/api/v1/messages",
            content=body,
            headers={"content-type": XML},
            auth=_as(local, "AR", clock=earlier),
        )


def _codes(answer: httpx.Response) -> set[str]:
    return {p["code"] for p in answer.json()["problems"]}


def _find(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path.replace("CertOrigin", "{http://www.w3.org/2001/12/soap-envelope}CertOrigin"))
    assert found is not None, path
    return found


def edited_cod(
    federation: Federation,
    edit: Callable[[etree._Element], None],
    *,
    when: datetime = WHEN,
    year: int | None = None,
) -> bytes:
    """A complete AR→BR COD, changed by ``edit`` before AR's exporter and official sign it."""
    cert = sample_certificate(number=7, when=when)
    assert cert.certification is not None
    if year is not None:
        cid = dataclasses.replace(CertificateID.parse(str(cert.certification.certificate_id)), year=year)
        cert = cert.model_copy(
            update={"certification": cert.certification.model_copy(update={"certificate_id": cid})}
        )
    pki = federation.country("AR")
    root = to_element(cert, stage="complete")
    edit(root)
    sign_exporter(root, key=pki.exporter.private_key, certificate=pki.exporter.certificate)
    sign_official(root, key=pki.official.private_key, certificate=pki.official.certificate)
    return bytes(serialize(root))


def _dated(path: str, moment: Callable[[etree._Element], datetime]) -> Callable[[etree._Element], None]:
    def edit(root: etree._Element) -> None:
        _find(root, path).text = moment(root).isoformat()

    return edit


def _declared(root: etree._Element) -> datetime:
    form = _find(root, "CertOrigin/CODEH/CODExporter/COD/FormA18")
    text = form.findtext("Declaration/DeclarationDate")
    assert text is not None
    return datetime.fromisoformat(text)


def _certified(root: etree._Element) -> datetime:
    return datetime.fromisoformat(_find(root, _CERTIFIED).text or "")


async def test_a_certificate_dated_in_the_future_is_refused(local: LocalFederation) -> None:
    """CertificateDate a day ahead of the hub's clock: 422 time.future, nothing stored."""
    document = edited_cod(local.pki, _dated(_CERTIFIED, lambda _root: datetime.now(UTC) + timedelta(days=1)))
    answer = await _post(local, document)
    assert answer.status_code == 422, answer.text
    assert "time.future" in _codes(answer)
    assert sum(local.hub.store.counts().values()) == 0


async def test_a_certificate_dated_before_its_declaration_is_refused(local: LocalFederation) -> None:
    """CertificateDate an hour before the exporter's DeclarationDate: 422 time.before_declaration."""
    document = edited_cod(local.pki, _dated(_CERTIFIED, lambda root: _declared(root) - timedelta(hours=1)))
    answer = await _post(local, document)
    assert answer.status_code == 422 and _codes(answer) == {"time.before_declaration"}, answer.text


async def test_a_certificate_dated_before_an_invoice_is_refused(local: LocalFederation) -> None:
    """An invoice dated after the CertificateDate: 422 time.before_invoice."""
    path = "CertOrigin/CODEH/CODExporter/COD/FormA18/Invoices/Invoice/InvoiceDate"
    document = edited_cod(local.pki, _dated(path, lambda root: _certified(root) + timedelta(hours=1)))
    answer = await _post(local, document)
    assert answer.status_code == 422 and _codes(answer) == {"time.before_invoice"}, answer.text


async def test_a_certificate_id_of_another_year_is_refused(local: LocalFederation) -> None:
    """CertificateID naming last year for a certificate dated this year: 422 time.year_mismatch."""
    document = edited_cod(local.pki, lambda _root: None, year=(WHEN.year - 1) % 100)
    answer = await _post(local, document)
    assert answer.status_code == 422 and _codes(answer) == {"time.year_mismatch"}, answer.text


async def test_a_certificate_older_than_the_maximum_age_is_refused_at_first_acceptance(
    local: LocalFederation,
) -> None:
    """A hub whose max_certificate_age is one minute refuses a certificate dated an hour ago: time.too_old."""
    settings = local.hub_settings().model_copy(update={"max_certificate_age": 60.0})
    app = create_app(settings, verify=local.verify)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as hub,
    ):
        answer = await hub.post(
            "/api/v1/messages",
            content=signed_cod(local.pki, number=3),
            headers={"content-type": XML},
            auth=_as(local, "AR"),
        )
    assert answer.status_code == 422 and _codes(answer) == {"time.too_old"}, answer.text


async def test_a_revoked_official_cannot_back_date_a_certificate(local: LocalFederation) -> None:
    """Signed by the revoked official with a date before its revocation: valid offline, refused by the hub."""
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    cert = sample_certificate(number=5, when=when)
    document = complete_and_sign(
        to_bytes(cert, stage="request"),
        federation=local.pki,
        country="AR",
        now=when,
        official=local.pki.country("AR").revoked_official,
    )
    assert local.verify(document).valid  # judged at the claimed time only, it looks genuine
    answer = await _post(local, document)
    assert answer.status_code == 422, answer.text
    assert _codes(answer) == {"time.signer_invalid_at_acceptance"}
    assert sum(local.hub.store.counts().values()) == 0


async def test_a_certificate_accepted_before_a_revocation_stays_accepted(local: LocalFederation) -> None:
    """Accepted before the official's revocation, the same bytes later are a duplicate, not refused."""
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)
    document = complete_and_sign(
        to_bytes(sample_certificate(number=6, when=when), stage="request"),
        federation=local.pki,
        country="AR",
        now=when,
        official=local.pki.country("AR").revoked_official,
    )
    first = await _post_days_ago(local, document, days=9)
    assert first.status_code == 202, first.text
    again = await _post(local, document)
    assert again.status_code == 202 and again.json()["duplicate"] is True, again.text
    assert again.json()["delivery"] == first.json()["delivery"]


async def test_a_cancellation_may_not_predate_its_certificate(local: LocalFederation) -> None:
    """A cancellation dated a day before the certificate it cancels: 422 lifecycle.before_certificate."""
    accepted = await _post(local, signed_cod(local.pki, number=8))
    assert accepted.status_code == 202, accepted.text
    cancellation = issue_cancellation(
        certificate_id=accepted.json()["certificate_id"],
        importer_country="BR",
        reason="predated",
        when=WHEN - timedelta(days=1),
        official=local.pki.country("AR").official,
    )
    answer = await _post(local, cancellation)
    assert answer.status_code == 422 and _codes(answer) == {"lifecycle.before_certificate"}, answer.text
    assert local.hub.store.by_certificate(accepted.json()["certificate_id"], kind=CANCELLATION) is None


async def test_a_revoked_official_cannot_back_date_a_cancellation(local: LocalFederation) -> None:
    """A cancellation by the revoked official dated before its revocation is refused at acceptance."""
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=12)
    document = complete_and_sign(
        to_bytes(sample_certificate(number=9, when=when), stage="request"),
        federation=local.pki,
        country="AR",
        now=when,
    )
    accepted = await _post(local, document)
    assert accepted.status_code == 202, accepted.text
    cancellation = issue_cancellation(
        certificate_id=accepted.json()["certificate_id"],
        importer_country="BR",
        reason="back-dated",
        when=when + timedelta(days=2),
        official=local.pki.country("AR").revoked_official,
    )
    answer = await _post(local, cancellation)
    assert answer.status_code == 422, answer.text
    assert "time.signer_invalid_at_acceptance" in _codes(answer)


async def test_a_cancellation_accepted_before_a_revocation_stays_accepted(local: LocalFederation) -> None:
    """A cancellation accepted before its official's revocation: the same bytes later are a duplicate."""
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(days=12)
    document = complete_and_sign(
        to_bytes(sample_certificate(number=10, when=when), stage="request"),
        federation=local.pki,
        country="AR",
        now=when,
    )
    assert (await _post(local, document)).status_code == 202
    cancellation = issue_cancellation(
        certificate_id=str(local.verify(document).certificate_id),
        importer_country="BR",
        reason="issued in error",
        when=when + timedelta(days=2),
        official=local.pki.country("AR").revoked_official,
    )
    first = await _post_days_ago(local, cancellation, days=9)
    assert first.status_code == 202, first.text
    again = await _post(local, cancellation)
    assert again.status_code == 202 and again.json()["duplicate"] is True, again.text
