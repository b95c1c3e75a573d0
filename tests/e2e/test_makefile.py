"""The Makefile on a Debian machine: `make venv` in a copy of it, with a tiny project and no apt-get."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEBIAN_PYTHON = Path("/usr/bin/python3")

# A build backend in the project itself: `pip install --no-build-isolation -e .` then
# needs nothing from PyPI, and the test stays offline.
BACKEND = '''\
import base64, hashlib, os, zipfile

def _wheel(directory):
    name = "tiny-0-py3-none-any.whl"
    files = {"tiny-0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: tiny\\nVersion: 0\\n",
             "tiny-0.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\n"
                                       "Tag: py3-none-any\\n"}
    record = []
    with zipfile.ZipFile(os.path.join(directory, name), "w") as z:
        for path, text in files.items():
            data = text.encode()
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append("tiny-0.dist-info/RECORD,,")
        z.writestr("tiny-0.dist-info/RECORD", "\\n".join(record) + "\\n")
    return name

def build_wheel(directory, config_settings=None, metadata_directory=None):
    return _wheel(directory)

def build_editable(directory, config_settings=None, metadata_directory=None):
    return _wheel(directory)
'''

PYPROJECT = '''\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "tiny"
version = "0"
'''


def _make(project: Path, *targets: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS", "VIRTUAL_ENV"))}
    return subprocess.run(["make", "--no-print-directory", *targets, f"PYTHON={DEBIAN_PYTHON}"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not DEBIAN_PYTHON.is_file() or shutil.which("make") is None,
                    reason="needs Debian's python3 and make")
def test_make_venv_mends_a_venv_that_was_made_without_pip(tmp_path):
    """Without python3-venv, `python3 -m venv` leaves a python and no pip; a later run must recover."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    (project / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (project / "backend.py").write_text(BACKEND, encoding="utf-8")
    (project / "requirements.lock").write_text("", encoding="utf-8")
    # What the failed first run left behind ...
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", "--without-pip", str(project / ".venv")], check=True)
    # ... after the system packages were found installed (newer than the Makefile: no apt-get here).
    (project / ".venv" / ".system-stamp").touch()

    first = _make(project, "venv")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "No module named pip" not in first.stderr
    installed = subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "pip", "show", "tiny"],
                               capture_output=True, text=True)
    assert installed.returncode == 0 and "Name: tiny" in installed.stdout

    again = _make(project, "venv")
    assert again.returncode == 0, again.stderr
    assert "pip install" not in again.stdout  # nothing to redo


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_a_package_added_to_the_makefile_reaches_a_machine_set_up_before(tmp_path):
    """An older system stamp re-checks the packages (dry run: nothing is installed), and that alone
    does not reinstall the Python packages."""
    project = tmp_path / "project"
    (project / ".venv").mkdir(parents=True)
    for name in (".venv/.system-stamp", "requirements.lock", "pyproject.toml", ".venv/.stamp"):
        (project / name).touch()
    shutil.copy(ROOT / "Makefile", project / "Makefile")  # edited after the machine was set up
    os.utime(project / ".venv" / ".system-stamp", (1, 1))
    dry = _make(project, "-n", "venv")
    assert dry.returncode == 0, dry.stderr
    assert "dpkg-query" in dry.stdout
    assert "pip install" not in dry.stdout


def _without_header(lock: str) -> list[str]:
    return [ln for ln in lock.splitlines() if not ln.startswith("#")]


@pytest.mark.skipif(not DEBIAN_PYTHON.is_file() or shutil.which("make") is None,
                    reason="needs Debian's python3 and make")
def test_make_lock_works_with_debians_python_and_matches_the_committed_lock(tmp_path):
    """Debian's python3 refuses `pip install` outside a venv (PEP 668); `make lock` must not need it.

    Re-resolving keeps the committed pins (uv prefers the versions already in the output file),
    so this also says that requirements.lock is up to date with pyproject.toml.
    """
    project = tmp_path / "project"
    (project / ".venv").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "requirements.lock", "requirements-build.in"):
        shutil.copy(ROOT / name, project / name)
    (project / ".venv" / ".system-stamp").touch()
    result = _make(project, "lock")
    assert result.returncode == 0, result.stdout + result.stderr
    assert _without_header((project / "requirements.lock").read_text(encoding="utf-8")) == \
        _without_header((ROOT / "requirements.lock").read_text(encoding="utf-8"))
