"""CLI commands: ``federation`` — live governance of a running federation (operator's tools).

Each command signs a new trust list (sequence + 1) with the operator's key, writes it under DIR
and publishes it to the running hub; the nodes fetch it within their ``trustlist_refresh``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from singlewindow.cli.output import console, fail
from singlewindow.errors import SinglewindowError, problem
from singlewindow.pki.governance import (
    KEEP,
    GovernanceError,
    Keep,
    Published,
    country_add,
    country_policy,
    node_rotate_key,
    official_add,
    official_revoke,
    official_set_enabled,
)

federation_app = typer.Typer(name="federation", help="Live governance: officials, node keys, members.")
official_app = typer.Typer(name="official", help="Register, disable, enable or revoke an official.")
node_app = typer.Typer(name="node", help="A member's node.")
country_app = typer.Typer(name="country", help="Federation members.")
federation_app.add_typer(official_app, name="official")
federation_app.add_typer(node_app, name="node")
federation_app.add_typer(country_app, name="country")

Dir = Annotated[
    Path, typer.Option("--dir", help="The directory given to `singlewindow up` (or a PKI directory).")
]
Country = Annotated[str, typer.Option("--country", help="The member country, e.g. AR.")]
Certificate = Annotated[Path, typer.Option("--certificate", help="The official's certificate (PEM file).")]
EntityOption = Annotated[str | None, typer.Option("--entity", help="The issuing entity's EHId, e.g. 001.")]
Reason = Annotated[
    str | None,
    typer.Option("--reason", help="Why, recorded in the operator's journal (revoke: an RFC 5280 reason)."),
]


def _run(action: Callable[[], Published], what: str) -> None:
    try:
        published = action()
    except SinglewindowError as exc:
        raise fail(exc.problems) from None
    except (GovernanceError, OSError) as exc:
        raise fail(problem("config.invalid", str(exc))) from None
    out = console()
    out.print(f"{what}: trust list sequence {published.sequence} signed ({published.trustlist})")
    out.print(published.hub, soft_wrap=True)


@official_app.command("add")
def add(
    directory: Dir,
    country: Country,
    certificate: Certificate,
    entity: EntityOption = None,
    reason: Reason = None,
) -> None:
    """Register an official's certificate (issued by the country's CA) with an entity (default 001)."""
    _run(
        lambda: official_add(
            directory, country=country.upper(), certificate=certificate, entity=entity, reason=reason
        ),
        f"official added to {country.upper()}",
    )


def _set_enabled(
    directory: Path, country: str, certificate: Path, entity: str | None, reason: str | None, *, enabled: bool
) -> None:
    _run(
        lambda: official_set_enabled(
            directory,
            country=country.upper(),
            certificate=certificate,
            entity=entity,
            enabled=enabled,
            reason=reason,
        ),
        "official enabled" if enabled else "official disabled",
    )


@official_app.command("disable")
def disable(
    directory: Dir,
    country: Country,
    certificate: Certificate,
    entity: EntityOption = None,
    reason: Reason = None,
) -> None:
    """Disable an official: the registry answers 05 for their signatures from now on."""
    _set_enabled(directory, country, certificate, entity, reason, enabled=False)


@official_app.command("enable")
def enable(
    directory: Dir,
    country: Country,
    certificate: Certificate,
    entity: EntityOption = None,
    reason: Reason = None,
) -> None:
    """Enable a disabled official again."""
    _set_enabled(directory, country, certificate, entity, reason, enabled=True)


@official_app.command("revoke")
def revoke(
    directory: Dir,
    country: Country,
    certificate: Certificate,
    entity: EntityOption = None,
    reason: Reason = None,
) -> None:
    """The country's CA revokes the certificate now and publishes a new CRL; the registry marks it."""
    _run(
        lambda: official_revoke(
            directory,
            country=country.upper(),
            certificate=certificate,
            entity=entity,
            reason=reason or "keyCompromise",
        ),
        "official revoked",
    )


@node_app.command("rotate-key")
def rotate_key(directory: Dir, country: Country) -> None:
    """A new key and certificate for the country's node (in its home); hub and peers pin the new one."""
    _run(
        lambda: node_rotate_key(directory, country=country.upper()), f"node key of {country.upper()} rotated"
    )


@country_app.command("add")
def add_country(directory: Dir, country: Country) -> None:
    """A new member: its CA, entity, officials, exporter and node home; `up` starts its node next time."""
    _run(lambda: country_add(directory, country=country.upper()), f"{country.upper()} added")


def _list(value: str | None) -> list[str] | Keep | None:
    """``--accepts 2.0.0,4.1.0`` as a list; ``all``: every one the XSDs define; absent: unchanged."""
    if value is None:
        return KEEP
    if value.strip().lower() == "all":
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


@country_app.command("policy")
def policy(
    directory: Dir,
    country: Country,
    accepts: Annotated[
        str | None,
        typer.Option("--accepts", help="CODVer the member accepts, e.g. 2.0.0,4.1.0 (all: every one)."),
    ] = None,
    forms: Annotated[
        str | None,
        typer.Option("--forms", help="Forms the member accepts, e.g. FormA18,FormR252 (all: every one)."),
    ] = None,
    sha1_until: Annotated[
        str | None,
        typer.Option("--sha1-until", help="Accept the member's legacy RSA-SHA1 signatures until this day."),
    ] = None,
    no_sha1: Annotated[
        bool, typer.Option("--no-sha1", help="Accept no legacy RSA-SHA1 signature of the member any more.")
    ] = False,
) -> None:
    """What a member accepts (CODVer, forms) and until when its legacy SHA-1 signatures are accepted."""
    until: date | Keep | None = KEEP
    if sha1_until is not None and no_sha1:
        raise fail(problem("config.invalid", "give either --sha1-until or --no-sha1, not both"))
    if sha1_until is not None:
        try:
            until = date.fromisoformat(sha1_until)
        except ValueError:
            raise fail(
                problem("config.invalid", f"--sha1-until must be a date like 2027-06-30, not {sha1_until!r}")
            ) from None
    elif no_sha1:
        until = None
    code = country.upper()
    _run(
        lambda: country_policy(
            directory, country=code, cod_versions=_list(accepts), forms=_list(forms), sha1_until=until
        ),
        f"policy of {code} changed",
    )


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    app.add_typer(federation_app, name="federation")
