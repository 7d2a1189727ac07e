"""The demo PKI issues every key for its federation role, and names the exporter as the COD does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from singlewindow.cod import sample_certificate
from singlewindow.pki import Federation
from singlewindow.pki.roles import Role, names_exporter, roles_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "certificate-ar-br.json"


@pytest.mark.parametrize("country", ["AR", "BR", "UY"])
def test_signers_carry_their_role(federation: Federation, country: str) -> None:
    """Exporter and officials carry exactly their role's extended key usage."""
    pki = federation.country(country)
    assert roles_of(pki.exporter.certificate) == {Role.EXPORTER}
    assert roles_of(pki.official.certificate) == {Role.OFFICIAL}
    assert roles_of(pki.revoked_official.certificate) == {Role.OFFICIAL}


def test_services_carry_their_role_next_to_tls_usages(federation: Federation) -> None:
    """Node and hub certificates carry the node/hub role besides server and client auth."""
    for certificate, role in [
        (federation.country("AR").node.certificate, Role.NODE),
        (federation.hub.certificate, Role.HUB),
    ]:
        assert roles_of(certificate) == {role}
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert ExtendedKeyUsageOID.SERVER_AUTH in usage and ExtendedKeyUsageOID.CLIENT_AUTH in usage


def test_exporter_certificate_names_the_example_exporter(federation: Federation) -> None:
    """The exporter certificate names the exporter of the example COD (subject O and C)."""
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))["exporter"]
    certificate = federation.country("AR").exporter.certificate
    assert names_exporter(certificate, business_name=example["business_name"], country=example["country"])


@pytest.mark.parametrize("country", ["AR", "BR", "UY"])
def test_samples_name_the_demo_exporter_and_entity(federation: Federation, country: str) -> None:
    """Generated samples name the PKI's exporter and the trust list's issuing entity."""
    sample = sample_certificate(exporter_country=country, importer_country="PY", number=7)
    assert names_exporter(
        federation.country(country).exporter.certificate,
        business_name=sample.exporter.business_name,
        country=country,
    )
    assert sample.eh is not None
    assert federation.trustlist.countries[country].entities["001"].name == sample.eh.name
