"""CLI commands: ``sign`` (issue a complete signed COD) and ``verify`` (offline verification)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from singlewindow.cli.output import (
    console,
    echo_json,
    fail,
    read_input,
    require_federation,
    require_schemas,
)
from singlewindow.cli.output import country as check_country
from singlewindow.cod import SchemaRegistry
from singlewindow.errors import Problem, SinglewindowError, UnusableInput, problem
from singlewindow.pki import Federation
from singlewindow.verification import (
    VerificationContext,
    VerificationReport,
    complete_and_sign,
    verify_document,
)
from singlewindow.xmlsec import parse_xml

ALGORITHMS = ("rsa-sha256", "ecdsa-sha256")
_REGISTRY_CHECK = "registry.official"
_NOT_CHECKED = "registry not checked (no --registry given)"


def _claimed_id(data: bytes) -> str | None:
    """The CertificateID the file claims, read from the raw (unverified) XML, for the message only."""
    try:
        return parse_xml(data).findtext(".//CertificationEH/CertificateID")
    except SinglewindowError:
        return None


def _print_report(report: VerificationReport, *, data: bytes, registry_checked: bool) -> None:
    out = console()
    verdict = "[green]VALID[/green]" if report.valid else "[red]INVALID[/red]"
    if report.certificate_id:
        named = escape(report.certificate_id)
    else:
        claimed = _claimed_id(data)
        named = f"(claimed: {escape(claimed)}, not signed)" if claimed else "(no signed CertificateID)"
    out.print(f"{verdict} {named} sha256={report.sha256}")
    for signer in report.signers:
        state = "ok" if signer.signature_valid and signer.valid_at_signing_time else "NOT OK"
        registry = f", registry {signer.registry_code}" if signer.registry_code else ""
        when = signer.signed_at.isoformat() if signer.signed_at else "?"
        who = f"{escape(signer.name)} ({escape(signer.entity or '-')}, {signer.country or '-'})"
        out.print(f"  {signer.role}: {who} signed {when} {signer.algorithm}{registry}: {state}")
        out.print(f"    signing time {when}: claimed by the signer, not a trusted time")
        out.print(f"    trust anchor: {escape(signer.anchor or 'none (does not chain to a trust anchor)')}")
    if not registry_checked:
        out.print(f"  {_NOT_CHECKED}")
    for item in report.problems:
        where = f" ({escape(item.path)})" if item.path else ""
        out.print(f"  [red]{item.code}[/red] {escape(' '.join(item.message.split()))}{where}")


def _report_json(report: VerificationReport, *, registry_checked: bool) -> dict[str, Any]:
    data = report.model_dump(mode="json")
    for check in data["checks"]:
        check["skipped"] = False
    if not registry_checked:
        data["checks"].append({"name": _REGISTRY_CHECK, "ok": None, "skipped": True, "detail": _NOT_CHECKED})
    return data


def verify(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The signed COD XML file to verify.")],
    trust: Annotated[Path, typer.Option("--trust", help="Folder of trust anchors (*.pem, *.crt) and CRLs.")],
    registry: Annotated[
        Path | None, typer.Option("--registry", help="trustlist.json with the authorised officials.")
    ] = None,
    allow_sha1: Annotated[bool, typer.Option("--allow-sha1", help="Accept legacy SHA-1 signatures.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Verify a signed COD offline: exit 0 valid, 1 invalid, 2 unusable input or set-up."""
    data = read_input(file, as_json=as_json)
    schema_dirs = require_schemas(as_json=as_json)
    try:
        context = VerificationContext.from_paths(
            trust_dir=trust, registry_file=registry, schema_dirs=schema_dirs, allow_sha1=allow_sha1
        )
        report = verify_document(data, context=context)
    except SinglewindowError as exc:
        raise fail(exc.problems, as_json=as_json) from None
    if as_json:
        echo_json(_report_json(report, registry_checked=registry is not None))
    else:
        _print_report(report, data=data, registry_checked=registry is not None)
    raise typer.Exit(0 if report.valid else 1)


def _plain_field_problems(problems: list[Problem]) -> list[Problem]:
    """Field problems in plain words: a date in the wrong format names the format expected."""
    result = []
    for item in problems:
        if "date" in item.message.lower():
            message = (
                "not a date: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss±hh:mm, e.g. 2026-11-19T10:30:00-03:00"
            )
            item = item.model_copy(update={"message": message})
        result.append(item)
    return result


def sign(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="JSON fields, or a COD at stage 1 (request) or 2.")
    ],
    pki: Annotated[Path, typer.Option("--pki", help="The federation folder (from `pki init`).")],
    country: Annotated[str, typer.Option("--country", help="The issuing country, e.g. AR.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (default ./<CertificateID>.xml).")
    ] = None,
    algorithm: Annotated[str, typer.Option("--algorithm", help="rsa-sha256 or ecdsa-sha256.")] = "rsa-sha256",
) -> None:
    """Complete and sign a COD: the exporter signs #COD (if not yet), then the active official #CODEH.

    The result is validated against the official XSD of its CODVer before it is written.
    """
    code = check_country(country)
    if algorithm not in ALGORITHMS:
        raise typer.BadParameter(f"expected one of {', '.join(ALGORITHMS)}", param_hint="--algorithm")
    data = read_input(file)
    require_federation(pki)
    schema_dirs = require_schemas()
    try:
        federation = Federation.load(pki)
        signed = complete_and_sign(
            data,
            federation=federation,
            country=code,
            algorithm="ecdsa-sha256" if algorithm == "ecdsa-sha256" else "rsa-sha256",
        )
        root = parse_xml(signed)
        invalid = SchemaRegistry.load(schema_dirs).validate(root, stage="complete")
    except UnusableInput as exc:
        raise fail(_plain_field_problems(exc.problems)) from None
    except SinglewindowError as exc:
        raise fail(exc.problems, exit_code=exc.exit_code) from None
    except ValueError as exc:
        raise fail(problem("input.invalid_fields", str(exc))) from None
    if invalid:
        raise fail(invalid, exit_code=1)
    certificate_id = root.findtext(".//CertificationEH/CertificateID") or "certificate"
    target = out or Path.cwd() / f"{certificate_id}.xml"
    try:
        target.write_bytes(signed)
    except OSError as exc:
        raise fail(problem("config.invalid", f"cannot write {target}: {exc.strerror}")) from None
    typer.echo(f"signed {certificate_id} -> {target}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.command("sign")(sign)
    app.command("verify")(verify)
