"""The fault SPEC language of ``singlewindow simulate --faults``: parsing into frozen faults."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["kill", "pause", "slow", "fail", "drop", "duplicate", "skew"]
KINDS: tuple[FaultKind, ...] = ("kill", "pause", "slow", "fail", "drop", "duplicate", "skew")

#: Faults that happen once, at a moment of the run (the others hold for a window, default the whole run).
EVENT_KINDS: frozenset[FaultKind] = frozenset({"kill", "pause"})

SYNTAX = """\
SPEC   := FAULT ("," FAULT)*
FAULT  := KIND [":" TARGET] ["@" WHEN] ["~" DURATION] ["=" AMOUNT]
KIND   := kill | pause | slow | fail | drop | duplicate | skew
TARGET := hub | node | XX            (node = one node chosen by the run's seed; XX = a country code)
WHEN   := N% (of the certificates submitted) | N s (seconds after the start)      default 50%
DURATION := N ms | N s | N m       kill: downtime before restart (1s); pause: how long (2s);
                                     slow/fail/drop/skew: the window's length (whole run)
AMOUNT := slow: a delay (200ms); fail, drop, duplicate: a share (5% or 0.05);
          skew: a signed offset of the node's clock (+300s, -2m)
e.g.  kill:hub@50%,kill:BR@30%~2s,pause:AR@20%~3s,slow:UY=300ms,fail:hub=5%,drop:hub=2%,duplicate=10%"""

_FAULT = re.compile(
    r"(?P<kind>[a-z]+)(?::(?P<target>[A-Za-z]+))?(?:@(?P<when>[0-9.]+(?:%|s)))?"
    r"(?:~(?P<duration>[0-9.]+(?:ms|s|m)))?(?:=(?P<amount>[+-]?[0-9.]+(?:%|ms|s|m)?))?"
)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0}
_DEFAULT_DURATION: dict[FaultKind, float] = {"kill": 1.0, "pause": 2.0}


class SpecError(ValueError):
    """A fault SPEC that cannot be parsed; the message names the faulty item and shows the syntax."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: what, against which service, when (share of traffic or seconds), how long, how much."""

    kind: FaultKind
    target: str  # "hub", "node" (chosen by seed), a country code, or "" (the driver: duplicate)
    at_share: float | None = None  # 0..1 of the certificates submitted
    at_seconds: float | None = None
    duration_s: float | None = None  # None: the whole run (window faults)
    amount: float = 0.0  # seconds for slow and skew, a probability for fail/drop/duplicate

    @property
    def is_event(self) -> bool:
        """Whether the fault happens once (kill, pause) rather than over a window."""
        return self.kind in EVENT_KINDS

    def describe(self) -> str:
        """The fault in SPEC syntax, as the report prints it."""
        text = self.kind + (f":{self.target}" if self.target else "")
        if self.at_share is not None:
            text += f"@{self.at_share * 100:g}%"
        elif self.at_seconds is not None:
            text += f"@{self.at_seconds:g}s"
        if self.duration_s is not None:
            text += f"~{self.duration_s:g}s"
        if self.kind in ("slow", "skew"):
            text += f"={self.amount:+g}s" if self.kind == "skew" else f"={self.amount * 1000:g}ms"
        elif self.kind in ("fail", "drop", "duplicate"):
            text += f"={self.amount * 100:g}%"
        return text


def _seconds(text: str) -> float:
    for unit in ("ms", "s", "m"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _UNITS[unit]
    return float(text)


def _share(text: str) -> float:
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0 <= value <= 1:
        raise ValueError(f"share {text!r} must be between 0 and 1 (or 0% and 100%)")
    return value


def _parse_one(item: str) -> Fault:
    match = _FAULT.fullmatch(item)
    if match is None:
        raise ValueError("does not match KIND[:TARGET][@WHEN][~DURATION][=AMOUNT]")
    kind = match["kind"]
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r} (one of: {', '.join(KINDS)})")
    fault_kind: FaultKind = kind
    target = match["target"] or ""
    target = target.lower() if target.lower() in ("hub", "node") else target.upper()
    if fault_kind == "duplicate":
        if target:
            raise ValueError("duplicate takes no target: the traffic driver resubmits")
    elif not target:
        target = "node" if fault_kind == "skew" else "hub"
    if fault_kind == "skew" and target == "hub":
        raise ValueError("skew applies to a node (the clock of the issuing system)")
    when, duration, amount = match["when"], match["duration"], match["amount"]
    at_share = _share(when) if when and when.endswith("%") else None
    at_seconds = float(when[:-1]) if when and when.endswith("s") else None
    if fault_kind in EVENT_KINDS and at_share is None and at_seconds is None:
        at_share = 0.5
    duration_s = _seconds(duration) if duration else _DEFAULT_DURATION.get(fault_kind)
    value = 0.0
    if fault_kind in ("slow", "skew"):
        if amount is None or amount.endswith("%"):
            raise ValueError(f"{fault_kind} needs =AMOUNT as a time, e.g. =200ms or =+300s")
        value = _seconds(amount.lstrip("+"))
    elif fault_kind in ("fail", "drop", "duplicate"):
        if amount is None:
            raise ValueError(f"{fault_kind} needs =SHARE, e.g. ={(fault_kind == 'duplicate' and 10) or 5}%")
        value = _share(amount)
    elif amount is not None:
        raise ValueError(f"{fault_kind} takes no =AMOUNT")
    return Fault(
        kind=fault_kind,
        target=target,
        at_share=at_share,
        at_seconds=at_seconds,
        duration_s=duration_s,
        amount=value,
    )


def parse_faults(spec: str) -> tuple[Fault, ...]:
    """Parse a comma-separated fault SPEC (empty → no faults); raise SpecError on the first bad item."""
    faults: list[Fault] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            faults.append(_parse_one(item))
        except ValueError as exc:
            raise SpecError(f"fault {item!r}: {exc}\n\n{SYNTAX}") from None
    return tuple(faults)


def check_targets(faults: tuple[Fault, ...], *, countries: list[str]) -> None:
    """Refuse (SpecError) a fault aimed at a country that is not a member of this run."""
    members = set(countries)
    for fault in faults:
        if fault.target in ("", "hub", "node") or fault.target in members:
            continue
        raise SpecError(
            f"fault {fault.describe()!r}: {fault.target} is not a country of this run "
            f"(the run has {' '.join(countries)}; --countries N takes the first N of "
            "AR BR UY PY CL BO PE CO EC VE MX PA CU)"
        )
