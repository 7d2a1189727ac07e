"""The result shows the hub's acceptance time (the trusted time) of a received certificate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from lxml import html

from singlewindow.node.web.form import form_from_xml
from singlewindow.node.web.i18n import Language
from singlewindow.node.web.model import LifecycleState
from singlewindow.node.web.render import render_result

if TYPE_CHECKING:
    from conftest import ReportFactory

ACCEPTED = datetime(2026, 3, 14, 13, 31, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Accepted by the hub at"), ("es", "Aceptado por el hub el"), ("pt", "Aceito pelo hub em")],
)
def test_the_hub_acceptance_time_is_shown(
    sample_xml: bytes, make_report: ReportFactory, language: Language, words: str
) -> None:
    """A held certificate with an acceptance time: one line naming the hub and the time."""
    markup = render_result(
        report=make_report(sample_xml),
        form=form_from_xml(sample_xml),
        status=LifecycleState(),
        trail=(),
        language=language,
        verify_url=None,
        hub_accepted_at=ACCEPTED,
    )
    line = html.fragment_fromstring(str(markup), create_parent="div").find_class("accepted")
    assert len(line) == 1 and words in line[0].text_content() and "13:31" in line[0].text_content()


def test_no_acceptance_line_without_a_hub_time(sample_xml: bytes, make_report: ReportFactory) -> None:
    """An uploaded file this node never received shows no acceptance time."""
    markup = render_result(
        report=make_report(sample_xml),
        form=form_from_xml(sample_xml),
        status=LifecycleState(),
        trail=(),
        language="en",
        verify_url=None,
    )
    assert not html.fragment_fromstring(str(markup), create_parent="div").find_class("accepted")
