"""CertificateID: parsing, composing, rectification and pydantic (de)serialisation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from singlewindow.cod import CertificateID
from singlewindow.cod.certificate_id import COUNTRIES, XSD_PATTERN


def test_parse_splits_the_twenty_characters() -> None:
    """A real-looking id splits into country, EH, acronym, year, number and rectification."""
    cid = CertificateID.parse("AR004A18170000043000")
    assert (cid.country, cid.eh_id, cid.acronym, cid.year, cid.number, cid.rectification) == (
        "AR",
        "004",
        "A18",
        17,
        "00000430",
        0,
    )
    assert str(cid) == "AR004A18170000043000"


def test_base_and_rectification() -> None:
    """base is the first 18 characters and with_rectification changes only the last two."""
    cid = CertificateID.parse("BR001R04240000000102")
    assert cid.rectification == 2
    assert cid.base == "BR001R042400000001"
    again = cid.with_rectification(3)
    assert str(again) == "BR001R04240000000103"
    assert again.base == cid.base
    assert cid.rectification == 2  # frozen: the original is untouched


def test_compose_pads_number_and_shortens_year() -> None:
    """compose zero-pads an int number and keeps the last two digits of a four-digit year."""
    cid = CertificateID.compose(country="UY", eh_id="002", acronym="A18", year=2025, number=42)
    assert str(cid) == "UY002A182500000042" + "00"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("AR004A1817000004300", "20 characters"),
        ("AR004A181700000430000", "20 characters"),
        ("US004A18170000043000", "country 'US'"),
        ("AR0_4A18170000043000", "issuing-entity id '0_4'"),
        ("AR004X18170000043000", "acronym 'X18'"),
        ("AR004AB8170000043000", "acronym 'AB8'"),
        ("AR004A181X0000043000", "year '1X'"),
        ("AR004A1817000-043000", "number '000-0430'"),
        ("AR004A181700000430A0", "rectification 'A0'"),
    ],
)
def test_parse_errors_name_the_faulty_part(text: str, fragment: str) -> None:
    """Each malformed part gives a ValueError whose message names that part."""
    with pytest.raises(ValueError, match=re.escape(fragment)):
        CertificateID.parse(text)


def test_compose_rejects_out_of_range_parts() -> None:
    """compose rejects a negative number and a three-digit rectification."""
    with pytest.raises(ValueError, match="number"):
        CertificateID.compose(country="AR", eh_id="001", acronym="A18", year=24, number=-1)
    with pytest.raises(ValueError, match="rectification"):
        CertificateID.compose(country="AR", eh_id="001", acronym="A18", year=24, number=1, rectification=100)


_part = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=3, max_size=3
)


@given(
    country=st.sampled_from(COUNTRIES),
    eh_id=_part,
    acronym=st.builds(
        lambda a, b, c: a + b + c,
        st.sampled_from("ACRHGT"),
        st.sampled_from("A0123456789"),
        st.sampled_from("0123456789"),
    ),
    year=st.integers(0, 99),
    number=st.integers(0, 99_999_999),
    rectification=st.integers(0, 99),
)
def test_compose_parse_roundtrip_matches_xsd_pattern(
    country: str, eh_id: str, acronym: str, year: int, number: int, rectification: int
) -> None:
    """Any composed id matches the official XSD pattern and parses back to itself."""
    cid = CertificateID.compose(
        country=country, eh_id=eh_id, acronym=acronym, year=year, number=number, rectification=rectification
    )
    assert re.fullmatch(XSD_PATTERN, str(cid))
    assert CertificateID.parse(str(cid)) == cid


def test_pydantic_field_is_a_string() -> None:
    """Inside a pydantic model the id validates from and dumps to its 20-character string."""

    class Holder(BaseModel):
        cid: CertificateID

    holder = Holder.model_validate({"cid": "PY010A18240000123401"})
    assert holder.cid.rectification == 1
    assert holder.model_dump(mode="json") == {"cid": "PY010A18240000123401"}
    assert Holder.model_json_schema()["properties"]["cid"]["type"] == "string"
    with pytest.raises(ValueError, match="20 characters"):
        Holder.model_validate({"cid": "short"})
