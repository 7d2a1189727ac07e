"""The fault SPEC language: what parses, what it means, and what is refused."""

from __future__ import annotations

import pytest

from singlewindow.harness import Fault, SpecError, parse_faults
from singlewindow.harness.spec import check_targets


def test_full_spec_parses_into_faults() -> None:
    """Every kind parses with its target, moment, duration and amount."""
    faults = parse_faults(
        "kill:hub@50%,kill:BR@30%~2s,pause:ar@20%~3s,slow:UY=300ms,fail:hub=5%,drop=0.02,"
        "duplicate=10%,skew:PE=+300s,kill:node@5s"
    )
    assert faults == (
        Fault(kind="kill", target="hub", at_share=0.5, duration_s=1.0),
        Fault(kind="kill", target="BR", at_share=0.3, duration_s=2.0),
        Fault(kind="pause", target="AR", at_share=0.2, duration_s=3.0),
        Fault(kind="slow", target="UY", amount=0.3),
        Fault(kind="fail", target="hub", amount=0.05),
        Fault(kind="drop", target="hub", amount=0.02),
        Fault(kind="duplicate", target="", amount=0.1),
        Fault(kind="skew", target="PE", amount=300.0),
        Fault(kind="kill", target="node", at_seconds=5.0, duration_s=1.0),
    )


def test_empty_spec_means_no_faults() -> None:
    """An empty or blank SPEC is no faults at all."""
    assert parse_faults("") == ()
    assert parse_faults(" , ") == ()


def test_events_default_to_the_middle_of_the_run() -> None:
    """A kill or pause without @ happens at 50 % of the submissions."""
    (fault,) = parse_faults("pause:BR")
    assert fault.at_share == 0.5
    assert fault.is_event


def test_describe_round_trips() -> None:
    """A fault's description parses back to the same fault."""
    for text in ("kill:hub@50%~1s", "slow:UY=300ms", "fail:hub=5%", "duplicate=10%", "skew:PE=-120s"):
        (fault,) = parse_faults(text)
        assert parse_faults(fault.describe()) == (fault,)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode:hub", "unknown fault kind"),
        ("slow:hub", "needs =AMOUNT"),
        ("fail:hub=150%", "between 0 and 1"),
        ("duplicate:BR=5%", "takes no target"),
        ("kill:hub=5%", "takes no =AMOUNT"),
        ("skew:hub=+5s", "applies to a node"),
        ("kill:hub@soon", "does not match"),
    ],
)
def test_bad_specs_are_refused_with_the_syntax(spec: str, message: str) -> None:
    """A bad item is a SpecError naming the item, the reason and the syntax."""
    with pytest.raises(SpecError) as caught:
        parse_faults(spec)
    assert message in str(caught.value)
    assert repr(spec) in str(caught.value)
    assert "KIND" in str(caught.value)


def test_a_fault_aimed_at_a_country_outside_the_run_is_refused() -> None:
    """``kill:MX`` in a run of AR BR UY is refused, naming the run's countries; hub and node are fine."""
    faults = parse_faults("kill:MX@50%")
    with pytest.raises(SpecError, match=r"MX is not a country of this run .*AR BR UY"):
        check_targets(faults, countries=["AR", "BR", "UY"])
    check_targets(parse_faults("kill:hub,kill:node,pause:br,duplicate=5%"), countries=["AR", "BR"])
