"""The signed, sequenced trust list: signature by the pinned operator, rollback refused, homes apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from singlewindow.pki import Federation
from singlewindow.pki.federation import NodeHome, ServiceHome
from singlewindow.pki.signed import (
    TrustlistInvalid,
    TrustlistRollback,
    check_newer,
    next_version,
    sign_trustlist,
    verify_trustlist,
)


def test_signed_by_the_operator(federation: Federation) -> None:
    """The trust list on disk verifies against the operator's certificate and carries sequence 1."""
    signed = verify_trustlist(
        federation.trustlist_path.read_bytes(), operator=federation.operator.certificate
    )
    assert signed.sequence == 1
    assert signed.trustlist == federation.trustlist


def test_a_changed_byte_is_refused(federation: Federation) -> None:
    """Changing the content after signing breaks the signature."""
    document = json.loads(federation.trustlist_path.read_bytes())
    document["trustlist"]["countries"]["AR"]["entities"]["001"]["officials"][1]["status"] = "active"
    with pytest.raises(TrustlistInvalid, match="does not verify"):
        verify_trustlist(json.dumps(document).encode(), operator=federation.operator.certificate)


def test_another_key_is_refused(federation: Federation) -> None:
    """A trust list signed by the hub's key (not the operator's) is refused."""
    data = sign_trustlist(
        trustlist=federation.trustlist, key=federation.hub.private_key, certificate=federation.hub.certificate
    )
    with pytest.raises(TrustlistInvalid):
        verify_trustlist(data, operator=federation.operator.certificate)
    with pytest.raises(TrustlistInvalid, match="operator role"):
        verify_trustlist(data, operator=federation.hub.certificate)


def test_rollback_is_refused(federation: Federation) -> None:
    """A lower sequence, or the same sequence with other content, is a rollback."""
    operator = federation.operator
    current = verify_trustlist(federation.trustlist_path.read_bytes(), operator=operator.certificate)
    newer_list = next_version(federation.trustlist)
    newer = verify_trustlist(
        sign_trustlist(trustlist=newer_list, key=operator.private_key, certificate=operator.certificate),
        operator=operator.certificate,
    )
    assert check_newer(newer, current=current)
    assert not check_newer(current, current=current)
    with pytest.raises(TrustlistRollback):
        check_newer(current, current=newer)


def test_a_copied_home_is_complete(federation: Federation, tmp_path: Path) -> None:
    """A node's home copied alone into an empty directory loads: key, pinned operator, trust list, signer."""
    target = tmp_path / "home"
    shutil.copytree(federation.country("BR").node_home, target)
    home = NodeHome.load_node(target, country="BR")
    assert home.node.certificate == federation.country("BR").node.certificate
    assert home.official.certificate == federation.country("BR").official.certificate
    assert home.trustlist == federation.trustlist
    hub = ServiceHome.load_hub(shutil.copytree(federation.hub_home, tmp_path / "hub"))
    assert hub.identity.certificate == federation.hub.certificate


def _private_keys(home: Path) -> set[bytes]:
    return {path.read_bytes() for path in home.rglob("*.key")}


def test_no_party_holds_another_partys_private_key(federation: Federation) -> None:
    """Apart from a node's own entity signer (integration mode), no home holds another party's key."""
    directory = federation.directory
    homes = {
        "operator": directory / "operator",
        "hub": federation.hub_home,
        **{f"{c}-ca": directory / c / "ca" for c in federation.countries},
        **{f"{c}-entity": directory / c / "entities" / "001" for c in federation.countries},
        **{f"{c}-exporter": directory / c / "exporter" for c in federation.countries},
        **{f"{c}-node": federation.country(c).node_home for c in federation.countries},
    }
    own = {name: {p.read_bytes() for p in path.glob("*.key")} for name, path in homes.items()}
    for name, home in homes.items():
        keys = _private_keys(home)
        if name.endswith("-node"):
            country = name[:2]
            keys -= _private_keys(home / "signer") & (own[f"{country}-entity"] | own[f"{country}-exporter"])
        for other, theirs in own.items():
            if other != name:
                assert not keys & theirs, f"{name}'s home holds a private key of {other}"
    for code in federation.countries:
        node = federation.country(code).node_home
        assert not (node / "signer").exists() or {p.name for p in (node / "signer").iterdir()} == {
            "official.pem",
            "official.key",
            "exporter.pem",
            "exporter.key",
        }
