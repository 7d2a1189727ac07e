"""Measured speed of the document hot path: signing, and the full verification a hub runs on each message."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from singlewindow.cod import default_schema_dirs, sample_certificate
from singlewindow.pki import Federation, init_federation
from singlewindow.verification import VerificationContext, complete_and_sign, verify_document


@dataclass(frozen=True)
class Measure:
    """One timed operation: how many, how long in all, per-item latency percentiles, rate per second."""

    name: str
    count: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class BenchReport:
    """What ``singlewindow bench`` measured, and on how large a document."""

    goods_per_document: int
    document_bytes: int
    algorithm: str
    measures: tuple[Measure, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return asdict(self)


def _time(name: str, count: int, action: Callable[[int], object]) -> Measure:
    latencies: list[float] = []
    started = time.perf_counter()
    for index in range(count):
        before = time.perf_counter()
        action(index)
        latencies.append(time.perf_counter() - before)
    total = time.perf_counter() - started
    ordered = sorted(latencies)
    return Measure(
        name=name,
        count=count,
        seconds=round(total, 4),
        per_second=round(count / total, 1) if total else 0.0,
        p50_ms=round(statistics.median(ordered) * 1000, 3),
        p95_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 3),
    )


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
        verifying = _time(
            "verify_document (full)", documents, lambda i: verify_document(signed[i], context=context)
        )
        return BenchReport(
            goods_per_document=goods,
            document_bytes=len(signed[0]),
            algorithm=algorithm,
            measures=(signing, verifying),
        )
