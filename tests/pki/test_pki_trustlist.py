"""Tests of the trust list file: round trip and validation with clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from singlewindow.errors import ConfigurationError
from singlewindow.pki import Federation, Trustlist


def test_round_trip(federation: Federation, tmp_path: Path) -> None:
    """Saving and loading the trust list yields an equal model."""
    path = tmp_path / "trustlist.json"
    federation.trustlist.save(path)
    assert Trustlist.load(path) == federation.trustlist


def test_contents(federation: Federation) -> None:
    """The signed trust list describes every country, its CA, CRL, node and both officials with status."""
    document = json.loads(federation.trustlist_path.read_text())
    assert sorted(document["signature"]) == ["alg", "keyid", "value"]
    data = document["trustlist"]
    assert data["sequence"] == 1 and data["issued_at"] and data["next_update"]
    assert data["format"] == "singlewindow-trustlist/1"
    assert data["hub"]["url"] is None
    assert sorted(data["countries"]) == ["AR", "BR", "UY"]
    ar = data["countries"]["AR"]
    assert ar["node_url"] is None and ar["accepts"] == ["COD"]
    assert len(ar["root_cas"]) == 1 and len(ar["crls"]) == 1
    officials = ar["entities"]["001"]["officials"]
    assert [(o["status"], o["enabled"], o["role"]) for o in officials] == [
        ("active", True, "official"),
        ("revoked", True, "official"),
    ]


def _broken(federation: Federation, change: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(federation.trustlist_path.read_text())["trustlist"]
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="other/2"), "format"),
        (lambda d: d["countries"].update(XX=d["countries"]["AR"]), "XX"),
        (lambda d: d["countries"]["AR"].update(root_cas=["not pem"]), "root_cas"),
        (lambda d: d["countries"]["AR"].update(crls=["not pem"]), "not a PEM CRL"),
        (lambda d: d["countries"]["AR"]["entities"].update({"1": {"name": "x"}}), "three digits"),
        (lambda d: d["countries"]["AR"]["entities"]["001"]["officials"][0].update(status="gone"), "status"),
        (lambda d: d["countries"]["AR"]["entities"]["001"]["officials"][0].update(colour="red"), "colour"),
        (lambda d: d.pop("hub"), "hub"),
    ],
)
def test_invalid_trustlist(federation: Federation, tmp_path: Path, change: Any, message: str) -> None:
    """A malformed trust list is a ConfigurationError naming the file and the offending field."""
    path = tmp_path / "trustlist.json"
    path.write_text(json.dumps(_broken(federation, change)))
    with pytest.raises(ConfigurationError, match=message) as caught:
        Trustlist.load(path)
    assert str(path) in str(caught.value)


def test_missing_trustlist(tmp_path: Path) -> None:
    """A missing trust list is a ConfigurationError, and so is loading a federation from an empty dir."""
    with pytest.raises(ConfigurationError, match="cannot read trust list"):
        Trustlist.load(tmp_path / "trustlist.json")
    with pytest.raises(ConfigurationError):
        Federation.load(tmp_path)
