"""Applying a fault SPEC to a running federation at the moments it names, and recording what was done."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

from singlewindow.harness.federation import HUB, SimulatedFederation
from singlewindow.harness.report import FaultEvent
from singlewindow.harness.spec import Fault
from singlewindow.offload import in_thread

#: kinds the proxy applies (the others act on processes, the traffic or the documents)
PROXY_KINDS = frozenset({"slow", "fail", "drop"})


def resolve_target(*, fault: Fault, countries: list[str], seed: int) -> str:
    """The service a fault hits: ``hub``, a named country, or ``node`` → one country chosen by the seed."""
    if fault.target == "node":
        rng = random.Random(f"target/{seed}/{fault.describe()}")  # noqa: S311  # fault dice
        return rng.choice(countries)
    if fault.target not in (HUB, "", *countries):
        raise ValueError(f"fault {fault.describe()}: {fault.target} is not in the federation")
    return fault.target


def skews(*, faults: tuple[Fault, ...], countries: list[str], seed: int) -> dict[str, float]:
    """Clock offsets (seconds) of the issuing systems, by country, from the ``skew`` faults."""
    return {
        resolve_target(fault=fault, countries=countries, seed=seed): fault.amount
        for fault in faults
        if fault.kind == "skew"
    }


class FaultScheduler:
    """Fire each fault when the run reaches its share of submissions or its second, in a worker thread."""

    def __init__(
        self,
        *,
        federation: SimulatedFederation,
        faults: tuple[Fault, ...],
        progress: Callable[[], float],
        seed: int = 0,
    ) -> None:
        self.federation = federation
        self.progress = progress  # share of certificates submitted, 0..1
        self.pending = [
            (fault, resolve_target(fault=fault, countries=federation.countries, seed=seed))
            for fault in faults
            if fault.kind in PROXY_KINDS or fault.is_event
        ]
        self.events: list[FaultEvent] = []
        self.started = time.monotonic()
        self._busy: list[asyncio.Task[None]] = []

    def _log(self, fault: Fault, detail: str) -> None:
        self.events.append(
            FaultEvent(at_s=round(time.monotonic() - self.started, 2), fault=fault.describe(), detail=detail)
        )

    def _due(self, fault: Fault) -> bool:
        if fault.at_seconds is not None:
            return time.monotonic() - self.started >= fault.at_seconds
        if fault.at_share is not None:
            return self.progress() >= fault.at_share
        return True  # a window fault without @ holds from the start

    async def run(self) -> None:
        """Watch the run until every fault fired and finished (cancel to stop early)."""
        while self.pending:
            for item in list(self.pending):
                if self._due(item[0]):
                    self.pending.remove(item)
                    self._busy.append(asyncio.create_task(self._apply(*item)))
            await asyncio.sleep(0.05)
        await asyncio.gather(*self._busy)

    async def _apply(self, fault: Fault, target: str) -> None:
        federation = self.federation
        if fault.kind == "kill":
            old = federation.services[target].pid
            how = f"SIGKILL pid {old}" if old is not None else "server thread stopped"
            await in_thread(federation.kill, target)
            self._log(fault, f"killed {target} ({how})")
            await asyncio.sleep(fault.duration_s or 0.0)
            await in_thread(federation.restart, target)
            new = federation.services[target].pid
            self._log(fault, f"{target} restarted and healthy" + (f" (pid {new})" if new is not None else ""))
        elif fault.kind == "pause":
            await in_thread(federation.pause, target)
            how = "SIGSTOP" if federation.processes else "proxy held"
            self._log(fault, f"paused {target} ({how})")
            await asyncio.sleep(fault.duration_s or 0.0)
            await in_thread(federation.resume, target)
            self._log(fault, f"{target} resumed")
        else:
            faults = federation.proxies[target].faults
            name = {"slow": "delay_s", "fail": "fail_rate", "drop": "drop_rate"}[fault.kind]
            setattr(faults, name, fault.amount)
            self._log(fault, f"{fault.kind} on {target}'s proxy")
            if fault.duration_s is not None:
                await asyncio.sleep(fault.duration_s)
                setattr(faults, name, 0.0)
                self._log(fault, f"{fault.kind} on {target} lifted")

    def lift_all(self) -> None:
        """Clear every proxy fault (before the drain, so the run can settle)."""
        for proxy in self.federation.proxies.values():
            proxy.faults.delay_s = proxy.faults.fail_rate = proxy.faults.drop_rate = 0.0
            proxy.faults.release()
