"""CLI commands: ``sign`` (issue a complete signed COD) and ``verify`` (offline verification)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from singlewindow.errors import Problem, SinglewindowError
from singlewindow.pki import Federation
from singlewindow.verification import (
    VerificationContext,
    VerificationReport,
    complete_and_sign,
    verify_document,
)
from singlewindow.xmlsec import parse_xml

ALGORITHMS = ("rsa-sha256", "ecdsa-sha256")


def _fail(problems: list[Problem], *, as_json: bool, exit_code: int = 2) -> typer.Exit:
    if as_json:
        payload = {"valid": False, "problems": [p.model_dump() for p in problems]}
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        console = Console(stderr=True)
        for item in problems:
            where = f" ({escape(item.path)})" if item.path else ""
            console.print(f"[red]error[/red] {item.code} {escape(item.message)}{where}")
    return typer.Exit(exit_code)


def _print_report(report: VerificationReport) -> None:
    console = Console()
    verdict = "[green]VALID[/green]" if report.valid else "[red]INVALID[/red]"
    console.print(
        f"{verdict} {escape(report.certificate_id or '(no signed CertificateID)')} sha256={report.sha256}"
    )
    for signer in report.signers:
        state = "ok" if signer.signature_valid and signer.valid_at_signing_time else "NOT OK"
        registry = f", registry {signer.registry_code}" if signer.registry_code else ""
        when = signer.signed_at.isoformat() if signer.signed_at else "?"
        who = f"{escape(signer.name)} ({escape(signer.entity or '-')}, {signer.country or '-'})"
        console.print(f"  {signer.role}: {who} signed {when} {signer.algorithm}{registry}: {state}")
    for item in report.problems:
        where = f" ({escape(item.path)})" if item.path else ""
        console.print(f"  [red]{item.code}[/red] {escape(item.message)}{where}")


def verify(
    file: Annotated[Path, typer.Argument(help="The COD XML file to verify.")],
    trust: Annotated[
        Path, typer.Option("--trust", help="Directory of trust anchors (*.pem, *.crt) and CRLs.")
    ],
    registry: Annotated[
        Path | None, typer.Option("--registry", help="trustlist.json with the officials.")
    ] = None,
    allow_sha1: Annotated[bool, typer.Option("--allow-sha1", help="Accept legacy SHA-1 signatures.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify a signed COD offline: exit 0 valid, 1 invalid, 2 unusable input or arguments."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _fail(
            [Problem(code="input.empty", message=f"cannot read {file}: {exc.strerror}")], as_json=as_json
        ) from None
    try:
        context = VerificationContext.from_paths(
            trust_dir=trust, registry_file=registry, allow_sha1=allow_sha1
        )
        report = verify_document(data, context=context)
    except SinglewindowError as exc:
        raise _fail(exc.problems, as_json=as_json) from None
    if as_json:
        typer.echo(report.model_dump_json())
    else:
        _print_report(report)
    raise typer.Exit(0 if report.valid else 1)


def sign(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT", help="JSON fields or a COD at stage 1 or 2.")
    ],
    pki: Annotated[Path, typer.Option("--pki", help="The federation directory (pki init).")],
    country: Annotated[str, typer.Option("--country", help="The issuing country, e.g. AR.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (default ./<CertificateID>.xml).")
    ] = None,
    algorithm: Annotated[str, typer.Option("--algorithm", help="rsa-sha256 or ecdsa-sha256.")] = "rsa-sha256",
) -> None:
    """Complete and sign a COD: the exporter signs #COD (if not yet), then the active official #CODEH."""
    if algorithm not in ALGORITHMS:
        raise typer.BadParameter(f"expected one of {', '.join(ALGORITHMS)}", param_hint="--algorithm")
    try:
        data = input_file.read_bytes()
    except OSError as exc:
        raise _fail(
            [Problem(code="input.empty", message=f"cannot read {input_file}: {exc.strerror}")], as_json=False
        ) from None
    try:
        federation = Federation.load(pki)
        signed = complete_and_sign(
            data,
            federation=federation,
            country=country.upper(),
            algorithm="ecdsa-sha256" if algorithm == "ecdsa-sha256" else "rsa-sha256",
        )
    except SinglewindowError as exc:
        raise _fail(exc.problems, as_json=False) from None
    except ValueError as exc:
        raise _fail([Problem(code="input.invalid_fields", message=str(exc))], as_json=False) from None
    certificate_id = parse_xml(signed).findtext(".//CertificationEH/CertificateID") or "certificate"
    target = out or Path.cwd() / f"{certificate_id}.xml"
    target.write_bytes(signed)
    typer.echo(f"signed {certificate_id} -> {target}")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.command("sign")(sign)
    app.command("verify")(verify)
