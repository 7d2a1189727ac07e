"""Process control: real SIGKILL, SIGSTOP/SIGCONT and restarts of a live service process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from singlewindow.harness.ports import free_port
from singlewindow.harness.services import ProcessService, ServiceFailed, wait_healthy


def _service(echo_argv: list[str], tmp_path: Path) -> ProcessService:
    port = free_port()
    return ProcessService(
        name="echo", kind="node", port=port, env={}, log=tmp_path / "echo.log", argv=[*echo_argv, str(port)]
    )


def test_kill_is_sigkill_and_restart_is_a_new_process(echo_argv: list[str], tmp_path: Path) -> None:
    """kill() ends the process with SIGKILL; start() brings a new pid up on the same port."""
    service = _service(echo_argv, tmp_path)
    service.start()
    try:
        assert service.process is not None
        service.kill()
        assert service.process.returncode == -9
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{service.port}/healthz", timeout=1.0)
        service.start()
        assert len(set(service.pid_history)) == 2
        assert httpx.get(f"http://127.0.0.1:{service.port}/healthz", timeout=2.0).status_code == 200
    finally:
        service.stop()


def test_pause_freezes_the_process_until_resumed(echo_argv: list[str], tmp_path: Path) -> None:
    """A paused process is stopped (state T) and answers nothing; resume makes it answer again."""
    service = _service(echo_argv, tmp_path)
    service.start()
    try:
        assert service.process is not None
        service.pause()
        deadline = time.monotonic() + 5
        state = ""
        while state != "T" and time.monotonic() < deadline:
            with open(f"/proc/{service.process.pid}/stat") as stat:
                state = stat.read().split()[2]
        assert state == "T"
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"http://127.0.0.1:{service.port}/healthz", timeout=0.5)
        service.resume()
        assert httpx.get(f"http://127.0.0.1:{service.port}/healthz", timeout=2.0).status_code == 200
    finally:
        service.stop()
    assert service.process is not None and service.process.poll() is not None
    assert not os.path.exists(f"/proc/{service.process.pid}/stat") or service.process.returncode is not None


_PARENT = """
import sys, time
from pathlib import Path
from singlewindow.harness.services import ProcessService
port, log, *echo = sys.argv[1:]
service = ProcessService(name="echo", kind="node", port=int(port), env={}, log=Path(log), argv=[*echo, port])
service.start()
print(service.pid, flush=True)
time.sleep(600)
"""


def test_a_service_dies_with_a_harness_killed_by_sigkill(echo_argv: list[str], tmp_path: Path) -> None:
    """A harness that is SIGKILLed (no clean-up code runs) leaves no service behind holding its port."""
    port = free_port()
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(port), str(tmp_path / "echo.log"), *echo_argv],
        stdout=subprocess.PIPE,
    )
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2.0).status_code == 200
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0)
    finally:
        parent.kill()
        parent.wait(timeout=10)
        if parent.stdout is not None:
            parent.stdout.close()
        if child and _alive(child):
            os.kill(child, 9)


def test_unhealthy_service_fails_with_its_log(tmp_path: Path) -> None:
    """Waiting on a port where nothing comes up fails after the timeout and shows the log tail."""
    log = tmp_path / "svc.log"
    log.write_text("Traceback: boom")
    with pytest.raises(ServiceFailed, match="boom"):
        wait_healthy(port=free_port(), timeout=0.5, log=log)


def test_a_service_that_exits_at_start_is_reported_with_its_status_and_log(tmp_path: Path) -> None:
    """No waiting out the 90 s health timeout: the exit status and the log's last words come at once."""
    script = "import sys; print('invalid setting: port 70000'); sys.exit(3)"
    service = ProcessService(
        name="broken",
        kind="node",
        port=free_port(),
        env={},
        log=tmp_path / "broken.log",
        argv=[sys.executable, "-c", script],
    )
    with pytest.raises(ServiceFailed, match=r"exited with status 3[\s\S]*invalid setting: port 70000"):
        service.start()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_a_terminated_simulate_run_stops_its_service_processes(aladi_dir: Path, tmp_path: Path) -> None:
    """SIGTERM to `simulate --processes` stops its hub and nodes (they run in sessions of their own)
    and the run ends with 143; none is left behind holding its port."""
    argv = ["simulate", "--processes", "--countries", "2", "--certificates", "5000", "--concurrency", "2"]
    run = subprocess.Popen(
        [sys.executable, "-m", "singlewindow", *argv, "--workdir", str(tmp_path / "run")],
        env={**os.environ, "SINGLEWINDOW_SCHEMA_DIRS": str(aladi_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    services: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(services) < 3 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.5)
            services = _children(run.pid)
        assert len(services) == 3, services  # the hub and two nodes
        time.sleep(2)  # certificates under way
        run.terminate()
        assert run.wait(timeout=90) == 143
        assert [pid for pid in services if _alive(pid)] == []
    finally:
        run.kill()
        for pid in services:
            if _alive(pid):
                os.kill(pid, 9)
