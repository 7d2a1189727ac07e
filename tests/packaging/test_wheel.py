"""The built wheel works outside the checkout: its XSD is package data, a cancellation goes end to end."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

_REPO = Path(__file__).resolve().parents[2]
_SKIP = shutil.ignore_patterns(
    ".git", ".venv", ".federation", "walkthrough", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
)

# Runs inside the fresh virtualenv, from a temporary folder: sign a COD with the CLI's library, then
# sign and verify its cancellation against the lifecycle XSD the installed package ships.
_SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    from pathlib import Path

    import singlewindow
    from singlewindow.lifecycle import issue_cancellation, verify_cancellation
    from singlewindow.lifecycle.schema import PACKAGED
    from singlewindow.pki import Federation
    from singlewindow.verification import VerificationContext, verify_document

    checkout = Path(sys.argv[1])
    assert checkout not in Path(singlewindow.__file__).parents, singlewindow.__file__
    assert checkout not in Path(str(PACKAGED)).parents, PACKAGED
    federation = Federation.load(Path("pki"))
    cod = next(Path(".").glob("AR*.xml")).read_bytes()
    context = VerificationContext.from_paths(
        trust_dir=federation.trust_dir, registry_file=federation.trustlist_path
    )
    report = verify_document(cod, context=context)
    assert report.valid, report.problems
    cancellation = issue_cancellation(
        certificate_id=report.certificate_id,
        importer_country=report.importer_country,
        reason="Factura anulada",
        when=datetime.now(UTC),
        official=federation.country("AR").official,
    )
    answer = verify_cancellation(cancellation, context=context)
    assert answer.valid, answer.problems
    print("cancellation valid against", PACKAGED)
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once from a copy of the checkout (the checkout stays clean)."""
    source = tmp_path_factory.mktemp("source") / "singlewindow"
    shutil.copytree(_REPO, source, ignore=_SKIP)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if built.returncode != 0 and "No matching distribution" in built.stderr:
        pytest.skip(f"no build backend available offline: {built.stderr[-300:]}")
    assert built.returncode == 0, built.stderr
    assert "BuildBackendWarning" not in built.stderr and "SetuptoolsDeprecationWarning" not in built.stderr
    (path,) = out.glob("singlewindow-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with only the wheel installed; dependencies seen through a .pth file."""
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env, with_pip=True, system_site_packages=False)
    python = env / "bin" / "python"
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the dependencies come from this test run's environment, after the venv's own site-packages,
    # so `singlewindow` itself resolves to the installed wheel and never to the checkout
    deps = [p for p in site.getsitepackages() if "site-packages" in p]
    (Path(target) / "zz_dependencies.pth").write_text("\n".join(deps) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    return env


def test_wheel_ships_the_project_xsd(wheel: Path) -> None:
    """The wheel holds singlewindow/schemas/lifecycle.xsd as package data."""
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "singlewindow/schemas/lifecycle.xsd" in names


def test_installed_wheel_signs_and_cancels_outside_the_checkout(
    installed: Path, aladi_dir: Path, tmp_path: Path
) -> None:
    """From a temp folder: pki init, sign a COD, sign and verify its cancellation with the package's XSD."""
    bin_dir = installed / "bin"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")} | {
        "SINGLEWINDOW_SCHEMA_DIRS": str(aladi_dir),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
        )

    assert run(str(bin_dir / "singlewindow"), "--version").stdout.startswith("singlewindow ")
    made = run(str(bin_dir / "singlewindow"), "pki", "init", "pki", "--countries", "AR,BR,UY")
    assert made.returncode == 0, made.stderr
    example = _REPO / "examples" / "certificate-ar-br.json"
    signed = run(str(bin_dir / "singlewindow"), "sign", str(example), "--pki", "pki", "--country", "AR")
    assert signed.returncode == 0, signed.stderr
    (script := tmp_path / "cancel.py").write_text(_SCRIPT)
    cancelled = run(str(bin_dir / "python"), str(script), str(_REPO))
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    assert "cancellation valid against" in cancelled.stdout
    assert str(installed) in cancelled.stdout
