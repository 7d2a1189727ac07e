"""Where each party of a federation keeps its material: one home directory per party.

A federation directory ``DIR`` (written by ``singlewindow pki init`` / ``singlewindow up``)::

    DIR/trustlist.json              the signed trust list (public; offline ``verify --registry``)
    DIR/trust/                      public anchors and CRLs (offline ``verify --trust``)
    DIR/operator/                   the federation operator: federation CA, trust-list signing key
    DIR/hub/                        the hub's home
    DIR/CC/ca/                      country CC's certification authority: root CA key, CRL
    DIR/CC/entities/EHId/           an issuing entity: its officials' keys
    DIR/CC/exporter/                the country's demo exporter: its key
    DIR/CC/node/                    country CC's node home

A service home (hub, node) holds only: its own key and certificate (``hub.*`` / ``node.*``), the
operator's trust-list certificate it pins (``operator.pem``) and the last good signed trust list
(``trustlist.json``). A node that issues on behalf of an issuing entity (integration mode) also
holds that entity's signer and the exporter's in ``signer/`` — never another country's material.
"""

from __future__ import annotations

from pathlib import Path

from singlewindow.errors import ConfigurationError
from singlewindow.pki.files import read_certificate
from singlewindow.pki.signed import SignedTrustlist, verify_trustlist

TRUSTLIST_NAME = "trustlist.json"
OPERATOR_CERT = "operator.pem"
ENTITY_ID = "001"


def operator_home(directory: Path) -> Path:
    """The federation operator's home (offline material)."""
    return directory / "operator"


def hub_home(directory: Path) -> Path:
    """The hub's home."""
    return directory / "hub"


def ca_home(directory: Path, country: str) -> Path:
    """Country ``country``'s certification authority."""
    return directory / country / "ca"


def entity_home(directory: Path, country: str, eh_id: str = ENTITY_ID) -> Path:
    """An issuing entity's home (its officials' keys)."""
    return directory / country / "entities" / eh_id


def exporter_home(directory: Path, country: str) -> Path:
    """The country's demo exporter's home."""
    return directory / country / "exporter"


def node_home(directory: Path, country: str) -> Path:
    """Country ``country``'s node home."""
    return directory / country / "node"


def read_home_trustlist(home: Path) -> SignedTrustlist:
    """The last good signed trust list of a service home, checked against the pinned operator."""
    operator = read_certificate(home / OPERATOR_CERT)
    path = home / TRUSTLIST_NAME
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the trust list {path}: {exc}") from exc
    try:
        return verify_trustlist(data, operator=operator)
    except Exception as exc:
        raise ConfigurationError(f"the trust list {path} is not usable: {exc}") from exc


def write_home_trustlist(home: Path, signed: SignedTrustlist) -> None:
    """Keep ``signed`` as the home's last good trust list (atomically: never a torn file)."""
    path = home / TRUSTLIST_NAME
    partial = path.with_suffix(".json.partial")
    partial.write_bytes(signed.data)
    partial.chmod(0o644)
    partial.replace(path)
