"""The verification report: what was checked, what failed, and who signed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

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
    checks: list[Check] = []
    problems: list[Problem] = []
    signers: list[Signer] = []


@dataclass
class CheckLog:
    """The running record of one verification: every check by name and every problem, in order."""

    problems: list[Problem] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    def check(self, name: str, problems: list[Problem] | tuple[Problem, ...], *, detail: str = "") -> None:
        """Record check ``name`` with its problems (none: passed, with ``detail`` saying what was seen)."""
        self.problems.extend(problems)
        if problems:
            detail = "; ".join(f"{p.code}: {p.message}" for p in problems)
        # Typed inputs: construct without re-validating (this runs a dozen times per document).
        self.checks.append(Check.model_construct(name=name, ok=not problems, detail=detail[:500]))
