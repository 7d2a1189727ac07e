"""Live governance of a running federation: every change is a new signed trust list (sequence + 1).

The operator's tools change the trust list (officials added, disabled, enabled or revoked by their
country's CA; a node's key rotated; a member added), sign it with the operator's trust-list key,
write it under the federation directory for offline use and publish it to the running hub
(``PUT /api/v1/federation``: the operator's signature is the authentication). Nodes fetch it from
the hub within ``trustlist_refresh`` seconds.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from singlewindow.pki.certificates import build_crl
from singlewindow.pki.countries import ALADI_COUNTRIES, check_country_code
from singlewindow.pki.files import (
    Algorithm,
    certificate_pem,
    crl_pem,
    read_certificate,
    read_crl,
    write_certificate,
    write_crl,
)
from singlewindow.pki.homes import (
    OPERATOR_CERT,
    TRUSTLIST_NAME,
    ca_home,
    hub_home,
    node_home,
    operator_home,
    write_home_trustlist,
)
from singlewindow.pki.issue import (
    CRL_LIFETIME,
    DEFAULT_HUB_URL,
    TRANSPORT_ALGORITHM,
    _init_country,
    issue_node,
    load_country_ca,
    publish,
)
from singlewindow.pki.signed import SignedTrustlist, next_version, verify_trustlist
from singlewindow.pki.trustlist import CountryEntry, Official, Trustlist

#: how the running hub is found: ``federation.json`` written by ``singlewindow up``
FEDERATION_FILE = "federation.json"
#: the operator's journal of governance changes, one JSON object a line, in the operator's home
JOURNAL_NAME = "journal.jsonl"


class GovernanceError(ValueError):
    """A governance command that cannot apply (unknown country, unregistered certificate, …)."""


@dataclass(frozen=True)
class Published:
    """What a governance command did: the new sequence and whether the running hub took it."""

    sequence: int
    hub: str  # "published to URL", "hub not running: …", or "no hub configured"
    trustlist: Path


def federation_dir(directory: Path) -> Path:
    """The federation PKI of ``directory``: ``DIR/pki`` for a directory given to ``up``, else DIR."""
    directory = Path(directory)
    for candidate in (directory / "pki", directory):
        if (candidate / TRUSTLIST_NAME).is_file() and (candidate / "operator").is_dir():
            return candidate
    raise GovernanceError(f"{directory} holds no federation (no {TRUSTLIST_NAME} with an operator home)")


def _hub_url(directory: Path) -> str | None:
    path = Path(directory) / FEDERATION_FILE
    if not path.is_file():
        return None
    url = json.loads(path.read_text(encoding="utf-8")).get("hub_url")
    return str(url) if url else None


def _current(pki: Path) -> Trustlist:
    return Trustlist.load(pki / TRUSTLIST_NAME)


def _push(signed: SignedTrustlist, *, url: str | None, pki: Path) -> str:
    if url is None:
        write_home(pki, signed)
        return "no running hub known (no federation.json): the hub reads it from its home at start"
    try:
        answer = httpx.put(
            f"{url.rstrip('/')}/api/v1/federation",
            content=signed.data,
            headers={"content-type": "application/json"},
            timeout=15.0,
        )
    except httpx.HTTPError as exc:
        write_home(pki, signed)
        return f"hub at {url} not reachable ({type(exc).__name__}): written to its home for its next start"
    if answer.status_code != 200:
        raise GovernanceError(
            f"the hub at {url} refused the trust list: HTTP {answer.status_code} {answer.text[:300]}"
        )
    return f"published to the hub at {url}"


def write_home(pki: Path, signed: SignedTrustlist) -> None:
    """Hand the signed trust list to the hub's home (read at its next start or refresh)."""
    home = hub_home(pki)
    if home.is_dir():
        write_home_trustlist(home, signed)


def _apply(
    directory: Path, trustlist: Trustlist, *, now: datetime, record: Mapping[str, object], **changes: object
) -> Published:
    pki = federation_dir(directory)
    newer = next_version(trustlist, now=now, **changes)
    signed = publish(pki, newer)
    status = _push(signed, url=_hub_url(directory), pki=pki)
    _journal(pki, {"sequence": signed.sequence, "at": now.isoformat(), **record, "hub": status})
    return Published(sequence=signed.sequence, hub=status, trustlist=pki / TRUSTLIST_NAME)


def _journal(pki: Path, entry: dict[str, object]) -> None:
    """Append one change to the operator's journal (who did what, to which certificate, and why)."""
    path = operator_home(pki) / JOURNAL_NAME
    line = json.dumps({key: value for key, value in entry.items() if value is not None}, sort_keys=True)
    with path.open("a", encoding="utf-8") as journal:
        journal.write(line + "\n")


def _official_record(
    action: str, country: str, eh_id: str, certificate: x509.Certificate, reason: str | None
) -> dict[str, object]:
    return {
        "action": action,
        "country": country,
        "entity": eh_id,
        "subject": certificate.subject.rfc4514_string(),
        "serial_number": format(certificate.serial_number, "x"),
        "reason": reason,
    }


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def _entry(trustlist: Trustlist, country: str) -> CountryEntry:
    check_country_code(country)
    entry = trustlist.countries.get(country)
    if entry is None:
        raise GovernanceError(
            f"{country} is not a member of the federation ({', '.join(trustlist.countries)})"
        )
    return entry


def _with_entry(trustlist: Trustlist, country: str, entry: CountryEntry) -> dict[str, CountryEntry]:
    return {**trustlist.countries, country: entry}


def _read_pem(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise GovernanceError(f"cannot read the certificate {path}: {exc}") from None


def _issued_by(certificate: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _fingerprint(certificate: x509.Certificate) -> bytes:
    return certificate.fingerprint(hashes.SHA256())


def _find(entry: CountryEntry, certificate: x509.Certificate, eh_id: str | None) -> tuple[str, int]:
    wanted = _fingerprint(certificate)
    for entity_id, entity in entry.entities.items():
        if eh_id is not None and entity_id != eh_id:
            continue
        for index, official in enumerate(entity.officials):
            if _fingerprint(official.load_certificate()) == wanted:
                return entity_id, index
    where = f"entity {eh_id}" if eh_id else "any entity"
    raise GovernanceError(f"{certificate.subject.rfc4514_string()} is not registered with {where}")


def _replace_official(
    trustlist: Trustlist, country: str, eh_id: str, index: int, official: Official
) -> dict[str, CountryEntry]:
    entry = trustlist.countries[country]
    entity = entry.entities[eh_id]
    officials = [*entity.officials]
    officials[index] = official
    entities = {**entry.entities, eh_id: entity.model_copy(update={"officials": officials})}
    return _with_entry(trustlist, country, entry.model_copy(update={"entities": entities}))


def official_add(
    directory: Path,
    *,
    country: str,
    certificate: Path,
    entity: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> Published:
    """Register an official (active, enabled) with ``entity`` (default 001) of ``country``.

    ``reason`` (free text) is recorded with the change in the operator's journal."""
    trustlist = _current(federation_dir(directory))
    entry = _entry(trustlist, country)
    cert = _read_pem(certificate)
    if not any(_issued_by(cert, ca) for ca in entry.load_root_cas()):
        raise GovernanceError(f"{certificate} is not issued by {country}'s certification authority")
    eh_id = entity or "001"
    try:
        _find(entry, cert, eh_id)
    except GovernanceError:
        pass
    else:
        raise GovernanceError(f"{certificate} is already registered with entity {eh_id} of {country}")
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
    official = Official(
        name=str(cn[0].value) if cn else cert.subject.rfc4514_string(), certificate=certificate_pem(cert)
    )
    updated = trustlist.with_official(country=country, eh_id=eh_id, official=official)
    record = _official_record("official.add", country, eh_id, cert, reason)
    return _apply(directory, trustlist, now=_now(now), record=record, countries=updated.countries)


def official_set_enabled(
    directory: Path,
    *,
    country: str,
    certificate: Path,
    enabled: bool,
    entity: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> Published:
    """Disable (registry answer 05) or enable an official again; ``reason`` goes to the journal."""
    trustlist = _current(federation_dir(directory))
    entry = _entry(trustlist, country)
    cert = _read_pem(certificate)
    eh_id, index = _find(entry, cert, entity)
    official = entry.entities[eh_id].officials[index].model_copy(update={"enabled": enabled})
    action = "official.enable" if enabled else "official.disable"
    return _apply(
        directory,
        trustlist,
        now=_now(now),
        record=_official_record(action, country, eh_id, cert, reason),
        countries=_replace_official(trustlist, country, eh_id, index, official),
    )


def official_revoke(
    directory: Path,
    *,
    country: str,
    certificate: Path,
    reason: str = "keyCompromise",
    entity: str | None = None,
    now: datetime | None = None,
) -> Published:
    """The country's CA revokes the certificate now, publishes a new CRL; the registry marks it revoked."""
    pki = federation_dir(directory)
    moment = _now(now)
    trustlist = _current(pki)
    entry = _entry(trustlist, country)
    cert = _read_pem(certificate)
    eh_id, index = _find(entry, cert, entity)
    flag = reason_flag(reason)
    ca = load_country_ca(pki, country, hub_url=DEFAULT_HUB_URL, now=moment)
    crl_path = ca_home(pki, country) / "root-ca.crl"
    old = read_crl(crl_path)
    revoked = [(item.serial_number, item.revocation_date_utc) for item in old]
    if cert.serial_number not in {serial for serial, _ in revoked}:
        revoked.append((cert.serial_number, moment))
    number = _crl_number(old) + 1
    crl = build_crl(
        issuer_certificate=ca.certificate,
        issuer_key=ca.key,
        last_update=moment,
        next_update=moment + CRL_LIFETIME,
        revoked=revoked,
        number=number,
        reasons={cert.serial_number: flag},
    )
    write_crl(crl_path, crl)
    official = (
        entry.entities[eh_id].officials[index].model_copy(update={"status": "revoked", "revoked_at": moment})
    )
    countries = _replace_official(trustlist, country, eh_id, index, official)
    countries[country] = countries[country].model_copy(update={"crls": [crl_pem(crl)]})
    record = _official_record("official.revoke", country, eh_id, cert, flag.value)
    return _apply(directory, trustlist, now=moment, record=record, countries=countries)


def reason_flag(reason: str) -> x509.ReasonFlags:
    """The RFC 5280 reason named ``reason`` (``keyCompromise`` or ``key_compromise``)."""
    for flag in x509.ReasonFlags:
        if reason in (flag.value, flag.name):
            return flag
    choices = ", ".join(sorted(flag.value for flag in x509.ReasonFlags))
    raise GovernanceError(f"unknown revocation reason {reason!r} (one of {choices})")


def _crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return int(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
    except x509.ExtensionNotFound:
        return 1


def node_rotate_key(
    directory: Path, *, country: str, algorithm: Algorithm = TRANSPORT_ALGORITHM, now: datetime | None = None
) -> Published:
    """A new key and certificate for the country's node, written into its home; the trust list pins it."""
    pki = federation_dir(directory)
    moment = _now(now)
    trustlist = _current(pki)
    entry = _entry(trustlist, country)
    ca = load_country_ca(pki, country, hub_url=DEFAULT_HUB_URL, now=moment)
    node = issue_node(ca, algorithm=algorithm, directory=pki)
    countries = _with_entry(
        trustlist, country, entry.model_copy(update={"node_certificate": certificate_pem(node)})
    )
    record = {
        "action": "node.rotate_key",
        "country": country,
        "serial_number": format(node.serial_number, "x"),
    }
    return _apply(directory, trustlist, now=moment, record=record, countries=countries)


def country_add(
    directory: Path,
    *,
    country: str,
    algorithm: Algorithm = "rsa",
    transport_algorithm: Algorithm = TRANSPORT_ALGORITHM,
    hub_url: str = DEFAULT_HUB_URL,
    now: datetime | None = None,
) -> Published:
    """A new member: its CA, entity, officials, exporter and node home; ``up`` starts it next time."""
    pki = federation_dir(directory)
    moment = _now(now)
    trustlist = _current(pki)
    check_country_code(country)
    if country in trustlist.countries:
        raise GovernanceError(f"{country} is already a member of the federation")
    if country not in ALADI_COUNTRIES:
        raise GovernanceError(f"{country} is not an ALADI member")
    entry = _init_country(
        pki,
        code=country,
        algorithm=algorithm,
        transport_algorithm=transport_algorithm,
        now=moment,
        hub_url=hub_url,
        node_signers=True,
    )
    published = _apply(
        directory,
        trustlist,
        now=moment,
        record={"action": "country.add", "country": country},
        countries=_with_entry(trustlist, country, entry),
    )
    home = node_home(pki, country)
    operator = read_certificate(operator_home(pki) / "trustlist-signer.pem")
    write_certificate(home / OPERATOR_CERT, operator)
    write_home_trustlist(home, verify_trustlist((pki / TRUSTLIST_NAME).read_bytes(), operator=operator))
    return published


class Keep(enum.Enum):
    """A policy value left as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP
_COD_VER = re.compile(r"\d+\.\d+\.\d+")
_FORM = re.compile(r"Form[A-Z]\w*")


def country_policy(
    directory: Path,
    *,
    country: str,
    cod_versions: list[str] | Keep | None = KEEP,
    forms: list[str] | Keep | None = KEEP,
    sha1_until: date | Keep | None = KEEP,
    now: datetime | None = None,
) -> Published:
    """What a member accepts (CODVer, forms; None: every one the XSDs define) and until when its
    legacy RSA-SHA1 signatures are accepted (None: never); values given as ``KEEP`` stay as they are."""
    pki = federation_dir(directory)
    moment = _now(now)
    trustlist = _current(pki)
    entry = _entry(trustlist, country)
    update: dict[str, object] = {}
    if not isinstance(cod_versions, Keep):
        bad = [v for v in cod_versions or [] if not _COD_VER.fullmatch(v)]
        if bad or cod_versions == []:
            raise GovernanceError(f"CODVer must look like 4.1.0 (got {', '.join(bad) or 'none'})")
        update["cod_versions"] = sorted(set(cod_versions)) if cod_versions is not None else None
    if not isinstance(forms, Keep):
        bad = [f for f in forms or [] if not _FORM.fullmatch(f)]
        if bad or forms == []:
            raise GovernanceError(f"forms must look like FormA18 (got {', '.join(bad) or 'none'})")
        update["forms"] = sorted(set(forms)) if forms is not None else None
    if not isinstance(sha1_until, Keep):
        update["sha1_until"] = sha1_until
    if not update:
        raise GovernanceError("nothing to change: give --accepts, --forms, --sha1-until or --no-sha1")
    countries = _with_entry(trustlist, country, entry.model_copy(update=update))
    record = {
        "action": "country.policy",
        "country": country,
        "policy": json.loads(json.dumps(update, default=str)),
    }
    return _apply(directory, trustlist, now=moment, record=record, countries=countries)


__all__ = [
    "JOURNAL_NAME",
    "KEEP",
    "GovernanceError",
    "Keep",
    "Published",
    "country_add",
    "country_policy",
    "federation_dir",
    "node_rotate_key",
    "official_add",
    "official_revoke",
    "official_set_enabled",
]
