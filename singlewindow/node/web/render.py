"""Rendering the verification page: pure functions from what is known about a certificate to HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from singlewindow.node.web.form import CertificateForm
from singlewindow.node.web.i18n import LANGUAGE_NAMES, LANGUAGES, Language, registry_text, translate
from singlewindow.node.web.model import LifecycleState, Official, TrailEvent
from singlewindow.node.web.qr import qr_svg
from singlewindow.node.web.verdict import decide
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


def format_date(value: datetime | str | None) -> str:
    """A date for people: ``2018-09-14 09:24 -03:00``; midnight without zone shows the day only."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
        offset = value.strftime("%z")
        return (
            f"{text} UTC"
            if offset in ("+0000", "-0000")
            else f"{text} {offset[:3]}:{offset[3:]}".rstrip(" :")
        )
    match = _XML_DATE.match(value.strip())
    if match is None:
        return value
    day, time, zone = match.groups()
    if time is None or time == "00:00":
        return day
    return f"{day} {time} {'UTC' if zone == 'Z' else zone or ''}".rstrip()


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
    environment.filters["date"] = format_date
    return environment


def render_result(
    *,
    report: VerificationReport,
    form: CertificateForm,
    status: LifecycleState,
    trail: tuple[TrailEvent, ...],
    language: Language,
    verify_url: str | None,
    file_differs: bool = False,
) -> Markup:
    """The result section: verdict banner, the form, signatures, delivery trail and QR code."""
    template = _environment().get_template("result.html")
    html = template.render(
        t=partial(translate, language=language),
        registry=partial(registry_text, language=language),
        step_label=partial(step_label, language=language),
        verdict=decide(report=report, status=status, language=language),
        report=report,
        form=form,
        status=status,
        trail=trail,
        verify_url=verify_url,
        qr=qr_svg(verify_url) if verify_url else None,
        file_differs=file_differs,
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


def render_sign_in(*, chrome: Chrome, next_url: str, notice: Notice | None = None) -> str:
    """The sign-in page for officials, returning to ``next_url`` once signed in."""
    return (
        _environment()
        .get_template("sign_in.html")
        .render(
            t=partial(translate, language=chrome.language),
            chrome=chrome,
            next_url=next_url,
            notice=notice,
        )
    )
