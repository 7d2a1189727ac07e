"""The officials' verification page of a node: router factory, page model and pure rendering."""

from __future__ import annotations

from singlewindow.node.web.form import CertificateForm, form_from_xml
from singlewindow.node.web.i18n import LANGUAGES, Language, negotiate
from singlewindow.node.web.model import (
    Authenticate,
    CertificateRecord,
    LifecycleState,
    Lookup,
    Official,
    TrailEvent,
    Verify,
)
from singlewindow.node.web.qr import qr_svg, verification_url
from singlewindow.node.web.render import render_result
from singlewindow.node.web.router import create_web_router
from singlewindow.node.web.verdict import Verdict, decide

__all__ = [
    "LANGUAGES",
    "Authenticate",
    "CertificateForm",
    "CertificateRecord",
    "Language",
    "LifecycleState",
    "Lookup",
    "Official",
    "TrailEvent",
    "Verdict",
    "Verify",
    "create_web_router",
    "decide",
    "form_from_xml",
    "negotiate",
    "qr_svg",
    "render_result",
    "verification_url",
]
