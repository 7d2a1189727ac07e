"""The verification report: what was checked, what failed, and who signed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from singlewindow.errors import Problem

Role = Literal["exporter", "official"]
Stage = Literal["request", "exporter_signed", "complete"]


class Check(BaseModel):
    """One named check and its outcome."""

    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool
    detail: str = ""


class Signer(BaseModel):
    """Who made one signature, read from the verified certificate and registry."""

    model_config = ConfigDict(frozen=True)

    role: Role
    name: str
    subject: str
    serial_number: str
    entity: str | None = None
    country: str | None = None
    anchor: str | None = None
    signed_at: datetime | None = None
    algorithm: str = ""
    valid_at_signing_time: bool = False
    registry_code: str | None = None
    signature_valid: bool = False


class VerificationReport(BaseModel):
    """Everything a verifier found out about one document; ``valid`` only when no problem was found."""

    model_config = ConfigDict(frozen=True)

    valid: bool
    sha256: str
    size: int
    certificate_id: str | None = None
    cod_ver: str | None = None
    stage: Stage | None = None
    form: str | None = None
    exporter_country: str | None = None
    importer_country: str | None = None
    eh_country: str | None = None
    eh_id: str | None = None
    certificate_date: datetime | None = None
    #: accepted under its issuing member's legacy RSA-SHA1 policy (trust list ``sha1_until``)
    legacy_sha1: bool = False
    checks: list[Check] = []
    problems: list[Problem] = []
    signers: list[Signer] = []


_CHECKS: TypeAdapter[list[Check]] = TypeAdapter(list[Check])
#: A passed check without detail is the same immutable value in every report: built once per name.
_PASSED: dict[str, Check] = {}


@dataclass
class CheckLog:
    """The running record of one verification: every check by name and every problem, in order."""

    problems: list[Problem] = field(default_factory=list)
    _entries: list[dict[str, object] | Check] = field(default_factory=list)

    def check(self, name: str, problems: list[Problem] | tuple[Problem, ...], *, detail: str = "") -> None:
        """Record check ``name`` with its problems (none: passed, with ``detail`` saying what was seen)."""
        if problems:
            self.problems.extend(problems)
            detail = "; ".join(f"{p.code}: {p.message}" for p in problems)
        elif not detail:
            passed = _PASSED.get(name)
            if passed is None:
                passed = Check(name=name, ok=True)
                if len(_PASSED) < 256:  # the names are a small fixed set; never grow without bound
                    _PASSED[name] = passed
            self._entries.append(passed)
            return
        self._entries.append({"name": name, "ok": not problems, "detail": detail[:500]})

    @property
    def checks(self) -> list[Check]:
        """Every check so far, in order (built in one validation: a dozen per document on the hot path)."""
        return _CHECKS.validate_python(self._entries)
