"""Measured speed of the document hot path: signing, and the full verification a hub runs on each message."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from singlewindow.cod import SchemaRegistry, default_schema_dirs, sample_certificate
from singlewindow.pki import Federation, init_federation
from singlewindow.verification import VerificationContext, complete_and_sign, verify_document
from singlewindow.xmlsec import EXPORTER, OFFICIAL
from singlewindow.xmlsec.oracle import oracle_verify, safe_parser

FULL = "verify_document (full)"
NAIVE = "naive (lxml parse + XSD + signxml x2)"


@dataclass(frozen=True)
class Measure:
    """One timed operation: how many, how long in all, per-item latency percentiles, rate per second."""

    name: str
    count: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    #: documents per second of this process's CPU time: what one core does, whatever else runs
    per_cpu_second: float = 0.0


@dataclass(frozen=True)
class BenchReport:
    """What ``singlewindow bench`` measured, and on how large a document.

    ``verify_per_s`` is the full verification, ``naive_verify_per_s`` the naive path on the same
    documents in the same run (interleaved, so that other load on the machine hits both alike), and
    ``speedup`` their ratio; the ``*_per_cpu_s`` rates divide by this process's CPU time instead of
    wall time (one core's throughput on a shared machine). ``load_average``: 1-minute load at the end.
    """

    goods_per_document: int
    document_bytes: int
    algorithm: str
    measures: tuple[Measure, ...]
    verify_per_s: float = 0.0
    naive_verify_per_s: float = 0.0
    speedup: float = 0.0
    verify_per_cpu_s: float = 0.0
    naive_verify_per_cpu_s: float = 0.0
    load_average: float = 0.0

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return asdict(self)


def _measure(name: str, latencies: list[float], cpu: float = 0.0) -> Measure:
    total = sum(latencies)
    ordered = sorted(latencies)
    return Measure(
        name=name,
        count=len(latencies),
        seconds=round(total, 4),
        per_second=round(len(latencies) / total, 1) if total else 0.0,
        p50_ms=round(statistics.median(ordered) * 1000, 3),
        p95_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 3),
        per_cpu_second=round(len(latencies) / cpu, 1) if cpu else 0.0,
    )


def _time(name: str, count: int, action: Callable[[int], object]) -> Measure:
    latencies: list[float] = []
    cpu = time.process_time()
    for index in range(count):
        before = time.perf_counter()
        action(index)
        latencies.append(time.perf_counter() - before)
    return _measure(name, latencies, time.process_time() - cpu)


def _interleaved(
    count: int, actions: dict[str, Callable[[int], object]], *, chunk: int = 10
) -> dict[str, Measure]:
    """Time each action on every index, alternating in chunks so both see the same machine."""
    latencies: dict[str, list[float]] = {name: [] for name in actions}
    cpu = dict.fromkeys(actions, 0.0)
    for start in range(0, count, chunk):
        for name, action in actions.items():
            began = time.process_time()
            for index in range(start, min(count, start + chunk)):
                before = time.perf_counter()
                action(index)
                latencies[name].append(time.perf_counter() - before)
            cpu[name] += time.process_time() - began
    return {name: _measure(name, values, cpu[name]) for name, values in latencies.items()}


def naive_verify(data: bytes, *, schemas: SchemaRegistry, ca_pem: Path) -> bool:
    """The path a user writes in an afternoon: fresh lxml parse, official XSD, signxml per signature."""
    root = etree.fromstring(data, parser=safe_parser())
    if schemas.validate(root, stage="complete"):
        return False
    return all(oracle_verify(data, profile=profile, ca_pem=ca_pem).ok for profile in (EXPORTER, OFFICIAL))


def run_bench(
    *,
    documents: int = 200,
    goods: int = 10,
    algorithm: str = "rsa-sha256",
    schema_dirs: list[Path] | None = None,
    workdir: Path | None = None,
) -> BenchReport:
    """Sign ``documents`` CODs and verify them (XSD, both signatures, chains, CRLs, registry), single core."""
    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        pki = Path(scratch) / "pki"
        init_federation(
            pki, countries=["AR", "BR"], algorithm="ec" if algorithm.startswith("ecdsa") else "rsa"
        )
        federation = Federation.load(pki)
        context = VerificationContext.from_paths(
            trust_dir=federation.trust_dir,
            registry_file=federation.trustlist_path,
            schema_dirs=schema_dirs if schema_dirs is not None else default_schema_dirs(),
        )
        when = datetime.now(UTC) - timedelta(hours=1)
        requests = [
            sample_certificate(number=index + 1, goods=goods, seed=index, when=when)
            .model_dump_json(exclude={"eh", "certification"})
            .encode()
            for index in range(documents)
        ]
        signed: list[bytes] = []

        def sign(index: int) -> None:
            signed.append(
                complete_and_sign(
                    requests[index],
                    federation=federation,
                    country="AR",
                    algorithm="ecdsa-sha256" if algorithm.startswith("ecdsa") else "rsa-sha256",
                    now=when,
                )
            )

        signing = _time("sign (exporter + official)", documents, sign)
        first = verify_document(signed[0], context=context)
        if not first.valid:
            codes = ", ".join(p.code for p in first.problems)
            raise RuntimeError(f"the benchmark's own documents do not verify: {codes}")
        ca_pem = federation.country("AR").ca.cert_path
        if not naive_verify(signed[0], schemas=context.schemas, ca_pem=ca_pem):
            raise RuntimeError("the naive path (lxml + XSD + signxml) refuses the benchmark's own documents")
        timed = _interleaved(
            documents,
            {
                FULL: lambda i: verify_document(signed[i], context=context),
                NAIVE: lambda i: naive_verify(signed[i], schemas=context.schemas, ca_pem=ca_pem),
            },
        )
        full, naive = timed[FULL], timed[NAIVE]
        return BenchReport(
            goods_per_document=goods,
            document_bytes=len(signed[0]),
            algorithm=algorithm,
            measures=(signing, full, naive),
            verify_per_s=full.per_second,
            naive_verify_per_s=naive.per_second,
            speedup=round(full.per_second / naive.per_second, 2) if naive.per_second else 0.0,
            verify_per_cpu_s=full.per_cpu_second,
            naive_verify_per_cpu_s=naive.per_cpu_second,
            load_average=round(os.getloadavg()[0], 2),
        )
