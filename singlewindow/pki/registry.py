"""The registry of authorised officials (ALADI SCOD) and its answer codes 00–08."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from singlewindow.errors import Problem, problem
from singlewindow.pki.trust import fingerprint
from singlewindow.pki.trustlist import Official, Trustlist

#: ALADI's verification-service answers (codes 97–99 concern the caller, not the certificate).
MESSAGES: dict[str, str] = {
    "00": "valid: registered, active and enabled official of that entity",
    "01": "certificate format invalid",
    "02": "certificate not valid at that time",
    "03": "certificate revoked",
    "04": "certificate not registered",
    "05": "official disabled",
    "06": "country does not match",
    "07": "issuing-entity id does not match",
    "08": "registered, but not as an official",
}


@dataclass(frozen=True)
class RegistryAnswer:
    """One registry answer: the ALADI code, its meaning, and whom the certificate belongs to."""

    code: str
    message: str
    official_name: str | None = None
    entity: str | None = None

    @property
    def ok(self) -> bool:
        """True for answer 00."""
        return self.code == "00"

    def to_problem(self, *, path: str = "") -> Problem | None:
        """The ``registry.NN`` problem for a negative answer, None for 00."""
        return None if self.ok else problem(f"registry.{self.code}", self.message, path)


@dataclass(frozen=True)
class _Registration:
    country: str
    eh_id: str
    official: Official


def _answer(code: str, detail: str = "", registration: _Registration | None = None) -> RegistryAnswer:
    message = MESSAGES[code] + (f": {detail}" if detail else "")
    if registration is None:
        return RegistryAnswer(code=code, message=message)
    return RegistryAnswer(
        code=code, message=message, official_name=registration.official.name, entity=registration.eh_id
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Registry:
    """Registered people by certificate fingerprint (SHA-256 of DER), built from the trust list."""

    def __init__(self, *, registrations: list[_Registration]) -> None:
        self._by_fingerprint: dict[bytes, list[_Registration]] = {}
        for registration in registrations:
            key = registration.official.load_certificate().fingerprint(hashes.SHA256())
            self._by_fingerprint.setdefault(key, []).append(registration)

    @classmethod
    def from_trustlist(cls, trustlist: Trustlist) -> Registry:
        """Every official of every entity of every country in the trust list."""
        return cls(
            registrations=[
                _Registration(country=code, eh_id=eh_id, official=official)
                for code, entry in trustlist.countries.items()
                for eh_id, entity in entry.entities.items()
                for official in entity.officials
            ]
        )

    @classmethod
    def from_file(cls, path: Path) -> Registry:
        """Load from a ``trustlist.json`` file."""
        return cls.from_trustlist(Trustlist.load(Path(path)))

    def answer(
        self, certificate: x509.Certificate | bytes, *, country: str, eh_id: str, at: datetime
    ) -> RegistryAnswer:
        """Judge ``certificate`` as an official of entity ``eh_id`` of ``country`` signing at ``at``.

        Checks in order: 01 format, 04 registered, 06 country, 07 entity, 08 role, 02 validity at
        ``at``, 03 revoked (at ``at`` when the revocation time is known), 05 status/enabled, else 00.
        """
        parsed = _parse(certificate)
        if isinstance(parsed, str):
            return _answer("01", parsed)
        registrations = self._by_fingerprint.get(fingerprint(parsed), [])
        if not registrations:
            return _answer("04", parsed.subject.rfc4514_string())
        in_country = [reg for reg in registrations if reg.country == country]
        if not in_country:
            where = ", ".join(sorted({reg.country for reg in registrations}))
            return _answer("06", f"registered in {where}, not {country}", registrations[0])
        in_entity = [reg for reg in in_country if reg.eh_id == eh_id]
        if not in_entity:
            where = ", ".join(sorted({reg.eh_id for reg in in_country}))
            return _answer("07", f"registered with entity {where}, not {eh_id}", in_country[0])
        officials = [reg for reg in in_entity if reg.official.role == "official"]
        if not officials:
            return _answer("08", f"registered as {in_entity[0].official.role}", in_entity[0])
        registration = officials[0]
        at = _utc(at)
        if not parsed.not_valid_before_utc <= at <= parsed.not_valid_after_utc:
            window = f"{parsed.not_valid_before_utc.isoformat()} to {parsed.not_valid_after_utc.isoformat()}"
            return _answer("02", f"valid from {window}", registration)
        official = registration.official
        if official.status == "revoked" and (official.revoked_at is None or _utc(official.revoked_at) <= at):
            return _answer("03", "", registration)
        if official.status not in ("active", "revoked") or not official.enabled:
            detail = f"status {official.status}" + ("" if official.enabled else ", disabled")
            return _answer("05", detail, registration)
        return _answer("00", "", registration)


def _parse(certificate: x509.Certificate | bytes) -> x509.Certificate | str:
    if isinstance(certificate, bytes):
        try:
            if b"-----BEGIN" in certificate:
                certificate = x509.load_pem_x509_certificate(certificate)
            else:
                certificate = x509.load_der_x509_certificate(certificate)
        except ValueError as exc:
            return f"cannot parse the certificate ({exc})"
    if certificate.version != x509.Version.v3:
        return "not an X.509 v3 certificate"
    return certificate
