"""Demo data a customs official would accept: local ports, quantities in their unit, named people."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from singlewindow.cod import Certificate, sample_certificate
from singlewindow.cod.samples import demo_issuing_entity_seat, demo_official
from singlewindow.pki import Federation
from singlewindow.verification import complete_and_sign
from singlewindow.xmlsec import parse_xml

_AR_PORTS = {
    "Buenos Aires",
    "Rosario",
    "Bahía Blanca",
    "Paso de los Libres",
    "Aeropuerto Internacional de Ezeiza",
}
_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "certificate-ar-br.json"


def _samples() -> list[Certificate]:
    return [sample_certificate(number=n, seed=n, goods=4) for n in range(1, 40)]


def test_an_export_from_argentina_leaves_from_an_argentine_place() -> None:
    """Every AR → BR sample loads in Argentina, with a means of transport fitting that place."""
    for cert in _samples():
        assert cert.transport is not None
        assert cert.transport.port_of_loading in _AR_PORTS
        if cert.transport.port_of_loading == "Paso de los Libres":
            assert cert.transport.means == "Terrestre"
    example = json.loads(_EXAMPLE.read_text())
    assert example["transport"]["port_of_loading"] in _AR_PORTS


def test_quantities_are_counted_in_their_own_unit_and_priced_sensibly() -> None:
    """Machines come in whole units (a few), bulk goods in tonnes or kilograms, values near unit prices."""
    for cert in _samples():
        for line in cert.goods:
            amount, value = line.weight_amount, line.value
            assert amount is not None and value is not None
            if line.measure_unit == "UNIDADES":
                assert amount == amount.to_integral_value() and 1 <= amount <= 40
            if line.measure_unit in ("KILOGRAMOS", "LITROS"):
                assert amount >= 1000
            if line.measure_unit == "TONELADAS":
                assert 25 <= amount <= 2000
            assert value / amount >= Decimal("3")  # no ton of rice for a few dollars


def test_demo_officials_have_names(federation: Federation) -> None:
    """The demo PKI's officials are people with a first and last name, not "Funcionario Activo AR"."""
    for code in federation.countries:
        official = federation.country(code).official
        assert official.name == demo_official(code)
        assert len(official.name.split()) >= 2 and "Funcionario" not in official.name


def test_the_issuing_entity_has_a_real_looking_seat(federation: Federation) -> None:
    """A COD signed from JSON fields names the entity's street address and city, not "Sede central"."""
    fields = sample_certificate().model_dump_json(exclude={"eh", "certification"}).encode()
    root = parse_xml(complete_and_sign(fields, federation=federation, country="AR"))
    seat = demo_issuing_entity_seat("AR")
    assert root.findtext(".//EH/EHAddress") == seat["address"] == "Av. Leandro N. Alem 1067, piso 11"
    assert root.findtext(".//EH/EHCityLocality") == "Buenos Aires"
