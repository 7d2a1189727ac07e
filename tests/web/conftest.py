"""Fixtures of the verification page tests: sample certificates and reports shaped like the verifier's."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi import FastAPI
from lxml import etree
from web.parties import EXPORTER_CONTACT, IMPORTER_CONTACT, NO_EXPORTER_FAX

from singlewindow.cod import (
    Certificate,
    CertificateID,
    SchemaRegistry,
    sample_certificate,
    to_bytes,
    to_element,
)
from singlewindow.cod.generate import example_certificate
from singlewindow.cod.samples import demo_exporter
from singlewindow.errors import problem
from singlewindow.node.web import (
    CertificateRecord,
    LifecycleState,
    Official,
    TrailEvent,
    create_web_router,
)
from singlewindow.node.web.model import TrailStep
from singlewindow.verification.report import Signer, VerificationReport

WHEN = datetime(2025, 3, 14, 13, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def sample_xml() -> bytes:
    """A complete (unsigned) FormA18 certificate with three lines of goods, for layout tests."""
    return to_bytes(sample_certificate(goods=3, when=WHEN, number=43), stage="complete")


class ReportFactory(Protocol):
    """Builds a report shaped like the verifier's for some bytes."""

    def __call__(
        self, data: bytes, *, problems: tuple[str, ...] = (), stage: str = "complete"
    ) -> VerificationReport: ...


def _make_report(
    data: bytes, *, problems: tuple[str, ...] = (), stage: str = "complete"
) -> VerificationReport:
    signers = [
        Signer(
            role="exporter",
            name="Exportadora Demo S.A.",
            subject="CN=Exportadora Demo S.A.,C=AR",
            serial_number="1001",
            country="AR",
            anchor="AR Root CA",
            signed_at=WHEN,
            valid_at_signing_time=True,
            signature_valid="signature.digest_mismatch" not in problems,
        ),
        Signer(
            role="official",
            name="Lucía Pérez",
            subject="CN=Lucía Pérez,O=Cámara,C=AR",
            serial_number="2002",
            entity="001",
            country="AR",
            anchor="AR Root CA",
            signed_at=WHEN,
            valid_at_signing_time="chain.revoked" not in problems,
            registry_code="03" if "registry.03" in problems else "00",
            signature_valid=True,
        ),
    ]
    return VerificationReport(
        valid=not problems,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        certificate_id="AR001A18250000004300",
        stage=stage,  # type: ignore[arg-type]
        problems=[problem(code, path="/Envelope") for code in problems],
        signers=signers,
    )


@pytest.fixture(scope="session")
def make_report() -> ReportFactory:
    """A factory of reports with the verifier's shape: valid when no problem code is given."""
    return _make_report


# ------------------------------------------------------------------ real signed documents


@pytest.fixture(scope="session")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A generated AR+BR demo federation (root CAs, CRLs, exporters, registered officials)."""
    from singlewindow.pki import init_federation

    return init_federation(tmp_path_factory.mktemp("federation"), countries=["AR", "BR"])


def _sign(federation: Any, cert: Certificate) -> bytes:
    xmlsec = pytest.importorskip("singlewindow.xmlsec")
    if not hasattr(xmlsec, "sign_official"):
        pytest.skip("signing is not available yet")
    pki = federation.country(cert.exporter.country)
    root = to_element(cert, stage="complete")
    etree.indent(root, space="  ")
    xmlsec.sign_exporter(root, key=pki.exporter.private_key, certificate=pki.exporter.certificate)
    xmlsec.sign_official(root, key=pki.official.private_key, certificate=pki.official.certificate)
    signed: bytes = xmlsec.serialize(root)
    return signed


def _with_id(cert: Certificate, **changes: Any) -> Certificate:
    assert cert.certification is not None
    newer = dataclasses.replace(CertificateID.parse(str(cert.certification.certificate_id)), **changes)
    return cert.model_copy(
        update={"certification": cert.certification.model_copy(update={"certificate_id": newer})}
    )


def _rectified(cert: Certificate) -> Certificate:
    return _with_id(cert, rectification=1)


#: the 8-character number of the certificate whose CertificateID has lowercase letters (the XSD allows them)
LOWERCASE_NUMBER = "ab000046"


@pytest.fixture(scope="session")
def signed_documents(federation: Any) -> dict[str, bytes]:
    """Real signed CODs from AR: genuine, tampered (goods edited), cancelled, rectified and its newer one;
    another validly signed version of the genuine one's ID, one never delivered, one with a lowercase ID."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    genuine = _sign(federation, sample_certificate(goods=3, when=now, number=43))
    value = re.search(rb"<GoodsItemValue>([^<]+)</GoodsItemValue>", genuine)
    assert value is not None
    tampered = genuine.replace(value.group(0), b"<GoodsItemValue>1.00</GoodsItemValue>", 1)
    rectified_cert = sample_certificate(goods=2, when=now, number=45)
    return {
        "genuine": genuine,
        "tampered": tampered,
        "cancelled": _sign(federation, sample_certificate(goods=1, when=now, number=44)),
        "rectified": _sign(federation, rectified_cert),
        "newer": _sign(federation, _rectified(rectified_cert)),
        "other_version": _sign(federation, sample_certificate(goods=2, when=now, number=43, seed=7)),
        "foreign": _sign(federation, sample_certificate(goods=1, when=now, number=47)),
        "lowercase": _sign(
            federation, _with_id(sample_certificate(goods=1, when=now, number=46), number=LOWERCASE_NUMBER)
        ),
    }


#: the (CODVer, form) pairs of generated documents, besides the real 1.8.0 sample, the page is opened on
OTHER_FORMS = (("4.1.0", "FormA14"), ("4.1.0", "FormA59"), ("2.0.0", "FormA6"), ("1.8.3", "FormA18"))


def _with_contacts(cert: Certificate, name: str) -> Certificate:
    exporter = {**EXPORTER_CONTACT, **({"fax": None} if name == NO_EXPORTER_FAX else {})}
    return cert.model_copy(
        update={
            "exporter": cert.exporter.model_copy(update=exporter),
            "importer": cert.importer.model_copy(update=IMPORTER_CONTACT),
        }
    )


@pytest.fixture(scope="session")
def form_requests(aladi_dir: Path) -> dict[str, bytes]:
    """Unsigned requests of other forms and versions, one with every field of each of OTHER_FORMS
    generated from the official XSD (keyed "FormA59@4.1.0", …), with the parties' contacts above."""
    registry = SchemaRegistry.load([aladi_dir])
    declared = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    requests = {}
    for cod_ver, form in OTHER_FORMS:
        layout = registry.layout(cod_ver, form)
        assert layout is not None, (cod_ver, form)
        name = f"{form}@{cod_ver}"
        cert = _with_contacts(example_certificate(layout, when=declared, full=True), name)
        requests[name] = to_bytes(cert, stage="request")
    return requests


@pytest.fixture(scope="session")
def form_documents(federation: Any, aladi_dir: Path, form_requests: dict[str, bytes]) -> dict[str, bytes]:
    """Signed CODs from AR of other forms and versions: the real 1.8.0 sample ("sample"), and each of
    ``form_requests`` completed and signed."""
    from singlewindow.verification import complete_and_sign

    now = datetime.now(UTC).replace(microsecond=0)
    declared = now - timedelta(minutes=5)
    # The sample as published, but for two values the test federation needs: its 2018 declaration
    # date (written at UTC-03:00) is brought forward to after the exporter certificate was issued,
    # and its exporter is the one that certificate names.
    sample = (aladi_dir / "A14-FormA18-unsigned.xml").read_bytes()
    local = (declared - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S").encode()
    assert sample.count(b"2018-09-14T09:24:33.2592964") == 1
    sample = sample.replace(b"2018-09-14T09:24:33", local).replace(
        b"IVECO ARGENTINA SA", demo_exporter("AR").encode()
    )
    requests = {"sample": sample, **form_requests}
    return {
        name: complete_and_sign(request, federation=federation, country="AR", now=now - timedelta(minutes=4))
        for name, request in requests.items()
    }


# ------------------------------------------------------------------ a node's page over real verification


@pytest.fixture(scope="session")
def verify(federation: Any, aladi_dir: Path) -> Callable[[bytes], VerificationReport]:
    """The real verification pipeline against the federation's anchors, CRLs, registry and the ALADI XSDs."""
    from singlewindow.cod import default_schema_dirs
    from singlewindow.verification import VerificationContext, verify_document

    context = VerificationContext.from_paths(
        trust_dir=federation.trust_dir,
        registry_file=federation.trustlist_path,
        schema_dirs=[*default_schema_dirs(), aladi_dir],
    )
    return functools.partial(verify_document, context=context)


def _trail(*steps: TrailStep, start: datetime) -> tuple[TrailEvent, ...]:
    details = {"accepted": "HUB-2025-000123", "receipt": "sha256 ok"}
    return tuple(
        TrailEvent(step=step, at=start + timedelta(seconds=7 * i), detail=details.get(step, ""))
        for i, step in enumerate(steps)
    )


@pytest.fixture(scope="session")
def stored(
    signed_documents: dict[str, bytes],
    form_documents: dict[str, bytes],
    verify: Callable[[bytes], VerificationReport],
) -> dict[str, CertificateRecord]:
    """What a receiving node holds: each delivered document with the report it verified on receipt."""
    start = datetime.now(UTC) - timedelta(minutes=3)
    delivered = _trail("issued", "accepted", "delivered", "receipt", start=start)
    records: dict[str, CertificateRecord] = {}
    for name in ("genuine", "cancelled", "rectified", "newer", "lowercase"):
        report = verify(signed_documents[name])
        assert report.valid, (name, report.problems)
        status = LifecycleState()
        trail = delivered
        if name in ("cancelled", "lowercase"):
            status = LifecycleState(
                lifecycle="cancelled", changed_at=start + timedelta(minutes=2), reason="issued in error"
            )
            trail = (*delivered, *_trail("cancelled", start=start + timedelta(minutes=2)))
        if name == "rectified":
            newer = verify(signed_documents["newer"]).certificate_id
            status = LifecycleState(
                lifecycle="rectified", changed_at=start + timedelta(minutes=2), replaced_by=newer
            )
            trail = (*delivered, *_trail("rectified", start=start + timedelta(minutes=2)))
        assert report.certificate_id is not None
        records[report.certificate_id] = CertificateRecord(
            data=signed_documents[name], report=report, status=status, trail=trail
        )
    for name, data in form_documents.items():
        report = verify(data)
        assert report.valid and report.certificate_id is not None, (name, report.problems)
        records[report.certificate_id] = CertificateRecord(data=data, report=report, trail=delivered)
    return records


OFFICIAL_TOKEN = "br-official-token-0123456789"
CUSTOMS_TOKEN = "br-customs-token-0123456789"


@pytest.fixture(scope="session")
def official_token() -> str:
    """The bearer token of the page's signed-in official in ``page_app``."""
    return OFFICIAL_TOKEN


@pytest.fixture(scope="session")
def page_app(stored: dict[str, CertificateRecord], verify: Callable[[bytes], VerificationReport]) -> FastAPI:
    """A FastAPI app holding only the page, wired to stored certificates, real verification and two tokens."""
    tokens = {
        OFFICIAL_TOKEN: Official(name="Ana Souza", role="official", country="BR"),
        CUSTOMS_TOKEN: Official(name="Aduana BR", role="customs", country="BR"),
    }
    app = FastAPI()
    app.include_router(
        create_web_router(
            lookup=stored.get, verify=verify, authenticate=tokens.get, node_country="BR", secret_key=b"w" * 32
        )
    )
    return app


# ------------------------------------------------------------------ the page served live, and a browser


@pytest.fixture(scope="module")
def live_url(page_app: FastAPI) -> Iterator[str]:
    """The page served by uvicorn on a free loopback port, in a thread, for the module's tests."""
    from web.browsing import serving

    with serving(page_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser), one per module."""
    from web.browsing import ARGS, CHROMIUM, playwright_or_skip

    playwright_api = playwright_or_skip()
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_url: str, official_token: str) -> Iterator[Any]:
    """A fresh English browser tab with JavaScript disabled, signed in through the form with the keyboard."""
    from web.browsing import playwright_or_skip

    expect = playwright_or_skip().expect
    context = browser.new_context(java_script_enabled=False, locale="en-GB", base_url=live_url)
    tab = context.new_page()
    tab.goto("/verify")
    expect(tab).to_have_url(re.compile(r"/verify/sign-in\?next=%2Fverify$"))
    expect(tab.get_by_label("Access token")).to_be_focused()
    tab.keyboard.type(official_token)
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(f"{live_url}/verify")
    yield tab
    context.close()
