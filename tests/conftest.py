"""Shared fixtures: where the official standards are, and a generated federation PKI."""

from __future__ import annotations

import os
from pathlib import Path

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
