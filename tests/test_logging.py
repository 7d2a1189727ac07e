"""The services' JSON logs: one whole record per line, whatever the threads writing at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# A service logs from its event loop and from worker threads at once (structlog and stdlib records),
# into one file: the log of a process the harness started, read back by operators and tests.
WRITER = """
import logging, threading
from singlewindow.logging import configure_logging, get_logger

configure_logging(level="INFO", service="hub")
log, std = get_logger("test"), logging.getLogger("test.stdlib")

def work(n: int) -> None:
    for i in range(400):
        log.info("delivery_attempt", delivery=f"D{n}-{i}", padding="x" * (i % 97))
        std.warning("stdlib record %s-%s", n, i)

threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def test_records_from_many_threads_are_whole_lines(tmp_path: Path) -> None:
    """8 threads × 800 records into one file: every line is one JSON record, none lost or merged."""
    log = tmp_path / "hub.log"
    with log.open("ab") as out:
        subprocess.run([sys.executable, "-c", WRITER], stderr=out, check=True, timeout=120)
    lines = log.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # "Extra data" when two records share a line
    assert len(records) == 8 * 800
    assert {r["delivery"] for r in records if r["event"] == "delivery_attempt"} == {
        f"D{n}-{i}" for n in range(8) for i in range(400)
    }
    assert all(r["service"] == "hub" for r in records)
