"""Shared fixtures: where the official standards are, and a generated federation PKI."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import fastapi.dependencies.models as fastapi_models
import pytest

from singlewindow.harness import ports
from singlewindow.pki import Federation, init_federation

_DEFAULT_STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "standards"


def _own_port_slice() -> None:
    """Each xdist worker (and the services its tests start) draws harness ports from its own slice.

    Two workers starting services at the same moment could otherwise draw the same free port, and
    the later one fails to bind it ("address already in use").
    """
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not worker.startswith("gw") or not count or ports.RANGE_ENV in os.environ:
        return
    low, high = ports.draw_range()
    width = (high - low) // int(count)
    start = low + int(worker[2:]) * width
    os.environ[ports.RANGE_ENV] = f"{start}-{start + width}"


_own_port_slice()


def _standards_root() -> Path:
    return Path(os.environ.get("SINGLEWINDOW_STANDARDS_DIR", str(_DEFAULT_STANDARDS)))


@pytest.fixture(scope="session")
def standards_dir() -> Path:
    """The folder of official reference standards; tests needing it skip cleanly where it is absent."""
    root = _standards_root()
    if not (root / "aladi-cod").is_dir():
        pytest.skip(f"official standards folder not found at {root}")
    return root


@pytest.fixture(scope="session")
def aladi_dir(standards_dir: Path) -> Path:
    """The official ALADI COD XSDs and sample."""
    return standards_dir / "aladi-cod"


@pytest.fixture(scope="session")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Federation:
    """A demo federation PKI (AR, BR, UY; RSA) generated once per test session."""
    return init_federation(tmp_path_factory.mktemp("pki"), countries=["AR", "BR", "UY"])


# FastAPI (0.165) memoises "is this callable a coroutine / generator" in three lru_caches of 4,096
# entries each, keyed by the endpoint and dependency callables themselves. Our apps' endpoints are
# closures over the app, so every app a test builds (hub, nodes, page) stayed alive for the rest of
# the session: about 46 MB per in-process federation, several GB over `make test`.
_FASTAPI_CALLABLE_CACHES = (
    "_is_gen_callable_cached",
    "_is_async_gen_callable_cached",
    "_is_coroutine_callable_cached",
)


def _forget_fastapi_callables() -> None:
    for name in _FASTAPI_CALLABLE_CACHES:
        cache = getattr(fastapi_models, name, None)
        if cache is not None and hasattr(cache, "cache_clear"):
            cache.cache_clear()


@pytest.fixture(autouse=True)
def _release_apps_after_each_test() -> Iterator[None]:
    """After each test, drop FastAPI's memo of the test's endpoints so its apps can be freed."""
    yield
    _forget_fastapi_callables()


@pytest.fixture(scope="module", autouse=True)
def _collect_after_each_module() -> Iterator[None]:
    """After each module, free module-scoped apps and federations (they hold reference cycles)."""
    yield
    _forget_fastapi_callables()
    gc.collect()


def _needs_official_xsds(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the official ALADI XSDs are not configured."""
    seen = 0
    while exc is not None and seen < 10:
        if "SINGLEWINDOW_SCHEMA_DIRS" in str(exc) or getattr(exc, "code", None) == "config.schemas_missing":
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Where the standards folder is missing, a test that needed the official XSDs is skipped, not failed.

    COD layouts are derived from the official XSDs, so most tests need them even without asking for
    the ``aladi_dir`` fixture; with the folder present (as in CI) nothing changes.
    """
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if (
        report.failed
        and call.excinfo is not None
        and not (_standards_root() / "aladi-cod").is_dir()
        and _needs_official_xsds(call.excinfo.value)
    ):
        report.outcome = "skipped"
        report.longrepr = (
            str(item.path),
            item.location[1] or 0,
            f"Skipped: needs the official ALADI XSDs, not found at {_standards_root() / 'aladi-cod'}",
        )
