"""One simulated run end to end: start the federation, drive traffic under faults, drain, audit, report."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from singlewindow.harness.assault import AssaultReport, assault
from singlewindow.harness.audit import audit
from singlewindow.harness.driver import Driver
from singlewindow.harness.faults import FaultScheduler, skews
from singlewindow.harness.federation import SimulatedFederation, pick_countries
from singlewindow.harness.report import Report, latency_of
from singlewindow.harness.spec import Fault, check_targets
from singlewindow.harness.traffic import plan_traffic


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot for progress bars: how many were submitted and settled out of ``total``."""

    total: int
    submitted: int
    settled: int


def simulate(
    *,
    countries: int | list[str],
    certificates: int,
    concurrency: int = 16,
    faults: tuple[Fault, ...] = (),
    processes: bool = False,
    database_url: str | None = None,
    workdir: Path | None = None,
    seed: int = 0,
    drain_s: float = 120.0,
    keep_databases: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> Report:
    """Run a simulated federation and return its report (``report.ok`` is the verdict).

    ``countries`` is a count (the first N of AR BR UY PY CL BO PE CO EC VE MX PA CU) or a list of
    codes. ``workdir`` keeps the PKI, the SQLite files and the process logs; a temporary directory
    is used (and removed) when it is None. On PostgreSQL each service gets its own schema
    ``sw_<run>_<service>`` in ``database_url``, dropped at the end unless ``keep_databases``.
    """
    if certificates < 1 or concurrency < 1:
        raise ValueError("certificates and concurrency must be at least 1")
    codes = pick_countries(count=countries) if isinstance(countries, int) else list(countries)
    check_targets(faults, countries=codes)
    with running(
        countries=codes,
        processes=processes,
        database_url=database_url,
        workdir=workdir,
        seed=seed,
        keep_databases=keep_databases,
    ) as federation:
        return asyncio.run(
            _drive(
                federation=federation,
                certificates=certificates,
                concurrency=concurrency,
                faults=faults,
                seed=seed,
                drain_s=drain_s,
                on_progress=on_progress,
            )
        )


@contextlib.contextmanager
def running(
    *,
    countries: int | list[str],
    processes: bool = False,
    database_url: str | None = None,
    workdir: Path | None = None,
    seed: int = 0,
    keep_databases: bool = False,
) -> Iterator[SimulatedFederation]:
    """A started federation, stopped (and its PostgreSQL schemas dropped) when the block ends."""
    codes = pick_countries(count=countries) if isinstance(countries, int) else list(countries)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sw-simulate-")))
        federation = SimulatedFederation(
            countries=codes, workdir=workdir, processes=processes, database_url=database_url, seed=seed
        )
        if not keep_databases:
            stack.callback(federation.drop_databases)
        stack.callback(federation.stop)
        federation.start()
        yield federation


def simulate_attacks(
    *,
    countries: int | list[str] = 3,
    legitimate: int = 30,
    processes: bool = False,
    database_url: str | None = None,
    workdir: Path | None = None,
    seed: int = 0,
) -> AssaultReport:
    """Start a federation, run the attack suite with legitimate traffic alongside, and judge it."""
    if (countries if isinstance(countries, int) else len(countries)) < 3:
        raise ValueError("the attack suite needs at least 3 countries (one reads the others' delivery)")
    with running(
        countries=countries, processes=processes, database_url=database_url, workdir=workdir, seed=seed
    ) as federation:
        return asyncio.run(assault(federation=federation, legitimate=legitimate, seed=seed))


async def _drive(
    *,
    federation: SimulatedFederation,
    certificates: int,
    concurrency: int,
    faults: tuple[Fault, ...],
    seed: int,
    drain_s: float,
    on_progress: Callable[[Progress], None] | None,
) -> Report:
    shipments = plan_traffic(
        countries=federation.countries,
        certificates=certificates,
        seed=seed,
        skew_s=skews(faults=faults, countries=federation.countries, seed=seed),
    )
    duplicate_share = max((f.amount for f in faults if f.kind == "duplicate"), default=0.0)
    driver = Driver(
        node_urls={code: federation.url(code) for code in federation.countries},
        token=federation.tokens["customs"],
        concurrency=concurrency,
        duplicate_share=duplicate_share,
        seed=seed,
    )

    def progress() -> None:
        if on_progress is not None:
            on_progress(Progress(total=len(shipments), submitted=driver.submitted, settled=driver.settled))

    driver.on_progress = progress
    scheduler = FaultScheduler(
        federation=federation, faults=faults, progress=lambda: driver.submitted / len(shipments), seed=seed
    )
    started = time.monotonic()
    fault_task = asyncio.create_task(scheduler.run())
    outcomes = await driver.run(shipments=shipments, drain_s=drain_s)
    elapsed = time.monotonic() - started
    await fault_task  # a restart still under way must finish before the audit
    scheduler.lift_all()
    found = await audit(federation=federation, outcomes=outcomes)
    rejected = [o for o in outcomes if o.status == "rejected"]
    by_code: Counter[str] = Counter()
    for outcome in rejected:
        by_code.update(set(outcome.codes))
    latencies = [
        o.latency_ms for o in outcomes if o.latency_ms is not None and o.certificate_id in found.delivered
    ]
    submitted = sum(1 for o in outcomes if o.status != "unanswered")
    return Report(
        mode="processes" if federation.processes else "in-process",
        countries=federation.countries,
        certificates=len(shipments),
        submitted=submitted,
        accepted=len(found.hub_accepted & {o.certificate_id for o in outcomes if o.certificate_id}),
        rejected=len(rejected),
        rejected_by_code=dict(by_code),
        delivered=len(found.delivered),
        failed=sum(1 for o in outcomes if o.status == "failed"),
        lost=len(found.lost),
        duplicates=len(found.stored_twice),
        duplicate_submissions=sum(o.duplicates_sent for o in outcomes),
        latency_ms=latency_of(samples_ms=latencies),
        throughput_per_s=round(len(found.delivered) / elapsed, 2) if elapsed > 0 else 0.0,
        duration_s=round(elapsed, 2),
        faults=scheduler.events,
        proxies={name: dataclasses.asdict(proxy.stats) for name, proxy in federation.proxies.items()},
        lost_ids=[f"{cid}: {why}" for cid, why in sorted(found.lost.items())],
        duplicate_ids=sorted(found.stored_twice),
    )
