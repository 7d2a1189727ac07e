"""Rendering the verification page: pure functions from what is known about a certificate to HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache, partial
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from singlewindow.node.web.form import CertificateForm
from singlewindow.node.web.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    Language,
    element_label,
    registry_text,
    translate,
)
from singlewindow.node.web.model import LifecycleState, Official, TrailEvent
from singlewindow.node.web.qr import qr_svg
from singlewindow.node.web.verdict import Holding, decide
from singlewindow.verification.report import VerificationReport

_XML_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True, kw_only=True)
class LanguageLink:
    """One entry of the language switch."""

    language: Language
    name: str
    href: str
    current: bool


@dataclass(frozen=True, kw_only=True)
class Chrome:
    """What surrounds every page: node, signed-in official, CSRF token and language switch."""

    language: Language
    node_country: str
    official: Official | None = None
    csrf_token: str = ""
    language_links: tuple[LanguageLink, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A message that is not a verdict (not found, unreadable file, expired form)."""

    key: str
    value: str = ""
    level: str = "warning"


def language_links(*, current: Language, href_for: dict[Language, str]) -> tuple[LanguageLink, ...]:
    """The language switch: one link per supported language, the current one marked."""
    return tuple(
        LanguageLink(language=lang, name=LANGUAGE_NAMES[lang], href=href_for[lang], current=lang == current)
        for lang in LANGUAGES
    )


def _offset(value: datetime) -> str:
    """``UTC+00:00``, ``UTC-03:00``: the zone of every time the page shows."""
    offset = value.strftime("%z") or "+0000"
    return f"UTC{offset[:3]}:{offset[3:5]}"


def format_date(value: datetime | str | None, *, zone: tzinfo = UTC) -> str:
    """A date for people, every time in one zone with its offset: ``2018-09-14 12:24 UTC+00:00``.

    A date-only value (or a midnight without a time of day) shows the day only; a time written
    without a zone cannot be converted and is shown as written, without inventing an offset.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(zone)
        return f"{moment.strftime('%Y-%m-%d %H:%M')} {_offset(moment)}"
    text = value.strip()
    match = _XML_DATE.match(text)
    if match is None:
        return value
    day, time, offset = match.groups()
    if time is None or time == "00:00":
        return day
    if offset is None:
        return f"{day} {time}"
    try:
        return format_date(datetime.fromisoformat(text), zone=zone)
    except ValueError:
        return f"{day} {time} {offset}"


def anchor_name(value: str | None) -> str:
    """A trust anchor as people name it: ``AR Root CA (Ministerio…)`` rather than its RFC 4514 subject."""
    if not value:
        return ""
    try:
        name = x509.Name.from_rfc4514_string(value)
    except ValueError:
        return value
    common = [str(a.value) for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)]
    organisation = [str(a.value) for a in name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if not common:
        return organisation[0] if organisation else value
    if organisation and organisation[0] != common[0]:
        return f"{common[0]} ({organisation[0]})"
    return common[0]


@pass_context
def _date_filter(context: Context, value: datetime | str | None) -> str:
    zone: Any = context.get("zone")
    return format_date(value, zone=zone if isinstance(zone, tzinfo) else UTC)


def step_label(step: str, *, language: Language) -> str:
    """The trail step's label; a status this page does not know yet is shown as the node wrote it."""
    try:
        return translate(f"step_{step}", language=language)
    except KeyError:
        return step


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("singlewindow.node.web", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["date"] = _date_filter
    environment.filters["anchor"] = anchor_name
    return environment


def render_result(
    *,
    report: VerificationReport,
    form: CertificateForm,
    status: LifecycleState,
    trail: tuple[TrailEvent, ...],
    language: Language,
    verify_url: str | None,
    holding: Holding = "same",
    file_name: str = "",
    checked_at: datetime | None = None,
    checked_by: str = "",
    zone: tzinfo = UTC,
    hub_accepted_at: datetime | None = None,
    sections: Markup | None = None,
) -> Markup:
    """The result section: verdict banner, the form, signatures, delivery trail and QR code.

    ``holding`` says whether this node holds exactly these bytes under the CertificateID, other
    bytes, or nothing; ``checked_at``/``checked_by`` go on a printed copy; times show in ``zone``.
    """
    verdict = decide(report=report, status=status, language=language, holding=holding)
    # A paper-copy QR code would lend a forged or foreign file this node's authority.
    show_qr = verify_url is not None and verdict.kind not in ("not_genuine", "not_held", "unknown")
    template = _environment().get_template("result.html")
    html = template.render(
        t=partial(translate, language=language),
        label=partial(element_label, language=language),
        registry=partial(registry_text, language=language),
        step_label=partial(step_label, language=language),
        verdict=verdict,
        report=report,
        form=form,
        status=status,
        trail=trail,
        verify_url=verify_url if show_qr else None,
        qr=qr_svg(verify_url) if show_qr and verify_url else None,
        file_name=file_name,
        checked_at=checked_at,
        checked_by=checked_by,
        zone=zone,
        hub_accepted_at=hub_accepted_at,
        sections=sections or Markup(""),
    )
    return Markup(html)  # noqa: S704 - autoescaped template output


def render_page(
    *,
    chrome: Chrome,
    certificate_id: str = "",
    notice: Notice | None = None,
    result: Markup | None = None,
) -> str:
    """The whole verification page: look-up and upload forms, then a notice or a result."""
    return (
        _environment()
        .get_template("verify.html")
        .render(
            t=partial(translate, language=chrome.language),
            chrome=chrome,
            certificate_id=certificate_id,
            notice=notice,
            result=result,
        )
    )


def render_sign_in(
    *, chrome: Chrome, next_url: str, notice: Notice | None = None, csrf_token: str = ""
) -> str:
    """The sign-in page for officials, returning to ``next_url`` once signed in; ``csrf_token`` is
    bound to the browser's sign-in cookie."""
    return (
        _environment()
        .get_template("sign_in.html")
        .render(
            t=partial(translate, language=chrome.language),
            chrome=chrome,
            next_url=next_url,
            notice=notice,
            csrf_token=csrf_token,
        )
    )
