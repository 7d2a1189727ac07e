"""Shared fixtures: where the official standards are, and a generated federation PKI."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import fastapi.dependencies.models as fastapi_models
import pytest

from singlewindow.pki import Federation, init_federation

_DEFAULT_STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "standards"


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
