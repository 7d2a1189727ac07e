"""Building, reading and schema-validating the Cancellation message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

import singlewindow.lifecycle as lifecycle
from singlewindow.errors import ConfigurationError, UnusableInput
from singlewindow.lifecycle import (
    CANCELLATION,
    NS,
    Reason,
    build_cancellation,
    is_cancellation,
    lifecycle_schema,
    read_cancellation,
    validate_lifecycle,
)
from singlewindow.lifecycle.schema import PACKAGED, schema_path
from singlewindow.xmlsec import parse_xml

Cancel = Callable[..., bytes]
CERTIFICATE_ID = "AR001A18260000043000"
WHEN = datetime(2026, 11, 27, 15, 30, 5, 123456, tzinfo=timezone(timedelta(hours=-3)))


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted, every name in it exists, and every public re-export is listed."""
    assert lifecycle.__all__ == sorted(lifecycle.__all__, key=lambda n: (not n.isupper(), n))
    modules = {"message", "rectification", "report", "schema", "sign", "verify"}
    public = {n for n in vars(lifecycle) if not n.startswith("_")} - modules
    assert public == set(lifecycle.__all__)


def test_build_carries_every_field_from_the_certificate_id() -> None:
    """IssuingCountry and EHId come from the CertificateID; the date is written in UTC to the second."""
    data = build_cancellation(
        certificate_id=CERTIFICATE_ID,
        importer_country="BR",
        reason=Reason(text="duplicate issue", code="DUPLICATE"),
        when=WHEN,
    )
    root = parse_xml(data)
    assert is_cancellation(root) and root.tag == CANCELLATION and root.get("id") == "CANCEL"
    values = read_cancellation(root)
    assert (values.certificate_id, values.issuing_country, values.eh_id) == (CERTIFICATE_ID, "AR", "001")
    assert values.importer_country == "BR"
    assert values.cancellation_date == "2026-11-27T18:30:05Z"
    assert (values.reason, values.reason_code) == ("duplicate issue", "DUPLICATE")


def test_signed_cancellation_validates_against_the_xsd(cancel: Cancel) -> None:
    """A signed cancellation is valid against schemas/lifecycle.xsd (with the offline XMLDSig import)."""
    assert validate_lifecycle(parse_xml(cancel())) == []


def test_unsigned_cancellation_is_schema_invalid() -> None:
    """The schema requires the ds:Signature: an unsigned cancellation does not validate."""
    data = build_cancellation(certificate_id=CERTIFICATE_ID, importer_country="BR", reason="x", when=WHEN)
    problems = validate_lifecycle(parse_xml(data))
    assert [p.code for p in problems] == ["schema.invalid"]
    assert "Signature" in problems[0].message


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda r: r.find(f"{{{NS}}}Reason").set("code", "lower case"), "code"),
        (lambda r: setattr(r.find(f"{{{NS}}}Reason"), "text", "   "), "Reason"),
        (lambda r: setattr(r.find(f"{{{NS}}}ImporterCountry"), "text", "US"), "ImporterCountry"),
        (lambda r: setattr(r.find(f"{{{NS}}}CancellationDate"), "text", "2026-11-27T10:00:00"), "Date"),
        (lambda r: r.set("id", "COD"), "id"),
        (lambda r: r.remove(r.find(f"{{{NS}}}EHId")), "EHId"),
    ],
    ids=["reason-code", "blank-reason", "non-member", "no-offset", "wrong-id", "missing-ehid"],
)
def test_schema_refuses_malformed_fields(cancel: Cancel, mutate: object, fragment: str) -> None:
    """Each field's XSD restriction holds: reason code and text, member country, offset, id, presence."""
    root = parse_xml(cancel())
    mutate(root)  # type: ignore[operator]
    problems = validate_lifecycle(root)
    assert problems and {p.code for p in problems} == {"schema.invalid"}
    assert any(fragment in p.message for p in problems), problems


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"certificate_id": "AR001A1826000004300"}, "certificate_id"),
        ({"importer_country": "US"}, "importer_country"),
        ({"reason": "  "}, "reason"),
        ({"reason": "x" * 1001}, "reason"),
        ({"reason": Reason(text="ok", code="bad code")}, "reason_code"),
        ({"when": datetime(2026, 1, 1)}, "when"),
    ],
    ids=["short-id", "non-member", "blank-reason", "long-reason", "bad-code", "naive-date"],
)
def test_build_refuses_bad_fields(kwargs: dict[str, object], field: str) -> None:
    """Building refuses malformed input with input.invalid_fields naming the field (HTTP 400 at the edge)."""
    args: dict[str, object] = {
        "certificate_id": CERTIFICATE_ID,
        "importer_country": "BR",
        "reason": "issued in error",
        "when": datetime.now(UTC),
    } | kwargs
    with pytest.raises(UnusableInput) as caught:
        build_cancellation(**args)  # type: ignore[arg-type]
    assert [(p.code, p.path) for p in caught.value.problems] == [("input.invalid_fields", field)]


def test_read_ignores_repeated_children() -> None:
    """A repeated field reads as absent, so a duplicated value can never be picked silently."""
    data = build_cancellation(certificate_id=CERTIFICATE_ID, importer_country="BR", reason="x", when=WHEN)
    root = parse_xml(data)
    root.insert(0, etree.Element(f"{{{NS}}}CertificateID"))
    assert read_cancellation(root).certificate_id is None
    assert read_cancellation(etree.Element("Other")).certificate_id is None


def test_schema_is_found_in_given_directories_first(tmp_path: Path) -> None:
    """A folder holding lifecycle.xsd overrides the packaged one; a list without it is a config error."""
    (tmp_path / "lifecycle.xsd").write_bytes(PACKAGED.read_bytes())
    assert schema_path([tmp_path]) == tmp_path / "lifecycle.xsd"
    assert lifecycle_schema([tmp_path]) is lifecycle_schema([tmp_path])
    with pytest.raises(ConfigurationError) as caught:
        schema_path([tmp_path / "empty"])
    assert [p.code for p in caught.value.problems] == ["config.invalid"]


def test_the_packaged_schema_is_used_without_any_directory(tmp_path: Path) -> None:
    """With no directory holding lifecycle.xsd, the copy shipped inside the package validates."""
    assert PACKAGED.is_file()
    assert isinstance(lifecycle_schema([tmp_path / "nowhere"]), etree.XMLSchema)
