"""One simulated run end to end: start the federation, drive traffic under faults, drain, audit, report."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import tempfile
import threading
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
from singlewindow.harness.traffic import plan_traffic, presign
from singlewindow.offload import in_thread
from singlewindow.pki import Federation

#: faults that act through the services' proxies; without any, a run talks to the services directly
PROXY_KINDS = frozenset({"slow", "fail", "drop", "pause"})
#: from this many certificates on, ``--presigned`` signs them in one process per core
PARALLEL_PRESIGN = 500


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
    presigned: bool = False,
    rate: float | None = None,
    rss_every_s: float = 2.0,
) -> Report:
    """Run a simulated federation and return its report (``report.ok`` is the verdict).

    ``countries`` is a count (the first N of AR BR UY PY CL BO PE CO EC VE MX PA CU) or a list of
    codes. ``workdir`` keeps the PKI, the SQLite files and the process logs; a temporary directory
    is used (and removed) when it is None. On PostgreSQL each service gets its own schema
    ``sw_<run>_<service>`` in ``database_url``, dropped at the end unless ``keep_databases``.

    ``presigned``: complete signed CODs are made before the clock starts and posted as issuing
    platforms do, so routing alone is measured. ``rate``: open-loop arrivals per second, latency
    counted from each scheduled send time. ``rss_every_s``: how often each service's resident
    memory is sampled (0: never).
    """
    if certificates < 1 or concurrency < 1:
        raise ValueError("certificates and concurrency must be at least 1")
    if rate is not None and not rate > 0:
        raise ValueError("rate must be a positive number of certificates per second")
    codes = pick_countries(count=countries) if isinstance(countries, int) else list(countries)
    check_targets(faults, countries=codes)
    with running(
        countries=codes,
        proxied=any(f.kind in PROXY_KINDS for f in faults),
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
                presigned=presigned,
                rate=rate,
                rss_every_s=rss_every_s,
            )
        )


def rss_mb(pid: int) -> float | None:
    """The resident set size of process ``pid`` in MB (Linux /proc), None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds process ``pid`` has used so far (Linux /proc), None when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _cpu_of(federation: SimulatedFederation) -> dict[str, float]:
    pids = {"harness": os.getpid()}
    if federation.processes:
        pids |= {name: service.pid for name, service in federation.services.items() if service.pid}
    return {name: value for name, pid in pids.items() if (value := cpu_seconds(pid)) is not None}


async def sample_memory(
    *, federation: SimulatedFederation, every_s: float, into: dict[str, list[float]]
) -> None:
    """Append each service's RSS (the harness's own in-process) to ``into`` every ``every_s`` seconds."""
    while True:
        for name, service in federation.services.items():
            pid = service.pid if federation.processes else os.getpid()
            value = rss_mb(pid) if pid is not None else None
            if value is not None:
                into.setdefault(name if federation.processes else "harness", []).append(value)
            if not federation.processes:
                break
        await asyncio.sleep(every_s)


@contextlib.contextmanager
def running(
    *,
    countries: int | list[str],
    processes: bool = False,
    database_url: str | None = None,
    workdir: Path | None = None,
    seed: int = 0,
    keep_databases: bool = False,
    proxied: bool = True,
) -> Iterator[SimulatedFederation]:
    """A started federation, stopped (and its PostgreSQL schemas dropped) when the block ends.

    ``proxied=False``: every call goes straight to the service (no fault proxy in the path).
    """
    codes = pick_countries(count=countries) if isinstance(countries, int) else list(countries)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sw-simulate-")))
        federation = SimulatedFederation(
            countries=codes,
            workdir=workdir,
            processes=processes,
            database_url=database_url,
            seed=seed,
            proxied=proxied,
        )
        if not keep_databases:
            stack.callback(federation.drop_databases)
        stack.callback(federation.stop)
        if processes and threading.current_thread() is threading.main_thread():
            stack.enter_context(_stopped_on_sigterm(stack))
        federation.start()
        yield federation


@contextlib.contextmanager
def _stopped_on_sigterm(stack: contextlib.ExitStack) -> Iterator[None]:
    """While the block runs, SIGTERM stops the run's service processes and ends this one (exit 143).

    The services run in sessions of their own (so that a fault can kill or freeze one alone): without
    this, a run terminated by its supervisor or `kill` would leave its hub and nodes running.
    """

    def stop(signum: int, _frame: object) -> None:
        signal.signal(signum, signal.SIG_DFL)  # a second SIGTERM ends this process at once
        stack.close()  # the services, the PostgreSQL schemas, the temporary work directory
        os._exit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    presigned: bool = False,
    rate: float | None = None,
    rss_every_s: float = 0.0,
) -> Report:
    shipments = plan_traffic(
        countries=federation.countries,
        certificates=certificates,
        seed=seed,
        skew_s=skews(faults=faults, countries=federation.countries, seed=seed),
    )
    if presigned:
        # before the clock starts: issuing platforms sign, the federation only routes
        pki = Federation.load(federation.pki_dir)
        # a large run signs on every core (as many issuing platforms would); a small one in-process
        workers = (os.cpu_count() or 1) if len(shipments) >= PARALLEL_PRESIGN else 1
        shipments = await in_thread(presign, shipments=shipments, federation=pki, workers=workers)
    duplicate_share = max((f.amount for f in faults if f.kind == "duplicate"), default=0.0)
    driver = Driver(
        node_urls={code: federation.url(code) for code in federation.countries},
        token=federation.tokens["customs"],
        concurrency=concurrency,
        duplicate_share=duplicate_share,
        seed=seed,
        rate=rate,
    )

    def progress() -> None:
        if on_progress is not None:
            on_progress(Progress(total=len(shipments), submitted=driver.submitted, settled=driver.settled))

    driver.on_progress = progress
    scheduler = FaultScheduler(
        federation=federation, faults=faults, progress=lambda: driver.submitted / len(shipments), seed=seed
    )
    memory: dict[str, list[float]] = {}
    sampler = (
        asyncio.create_task(sample_memory(federation=federation, every_s=rss_every_s, into=memory))
        if rss_every_s > 0
        else None
    )
    cpu_before = _cpu_of(federation)
    started = time.monotonic()
    fault_task = asyncio.create_task(scheduler.run())
    outcomes = await driver.run(shipments=shipments, drain_s=drain_s)
    elapsed = time.monotonic() - started
    cpu_after = _cpu_of(federation)
    if sampler is not None:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
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
        proxied=federation.proxied,
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
        presigned=presigned,
        rate_per_s=rate,
        submit_latency_ms=latency_of(
            samples_ms=[
                (o.answered_at - o.sent_at) * 1000
                for o in outcomes
                if o.answered_at is not None and o.status != "unanswered"
            ]
        ),
        late_sends=driver.late_sends,
        rss_mb=memory,
        cpu_s={
            name: round(cpu_after[name] - cpu_before[name], 2)
            for name in cpu_after
            if name in cpu_before and cpu_after[name] >= cpu_before[name]
        },
        rss_every_s=rss_every_s if memory else 0.0,
    )
