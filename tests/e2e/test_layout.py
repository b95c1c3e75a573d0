"""The layout is the architecture: import-linter's contracts hold, and they catch what they forbid."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from gitrepo import ROOT

LINT = ROOT / ".venv" / "bin" / "lint-imports"
STAGES = ("content", "history", "redline", "render", "site", "pdf", "training", "records", "frontends")


def _lint(project: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([str(LINT), "--config", str(project / "pyproject.toml"), "--no-cache"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    shutil.copytree(ROOT / "generator", project / "generator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def _add_import(module: Path, line: str) -> None:
    text = module.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    module.write_text(head + sep + line + "\n" + rest, encoding="utf-8")


def test_a_circle_between_stages_is_caught(tmp_path):
    project = _copy(tmp_path)
    # content is the first stage: it must not reach back into a later one.
    _add_import(project / "generator" / "content" / "loader.py", "from ..site import pages  # noqa")
    result = _lint(project)
    assert result.returncode != 0
    assert "No import circles, at any depth BROKEN" in result.stdout
    assert "Stages import only the stages before them BROKEN" in result.stdout


def test_mkdocs_outside_the_front_ends_is_caught(tmp_path):
    project = _copy(tmp_path)
    _add_import(project / "generator" / "pdf" / "document.py", "import mkdocs  # noqa")
    result = _lint(project)
    assert result.returncode != 0
    assert "Only the front ends know MkDocs and Material BROKEN" in result.stdout


def test_the_folder_listing_names_the_stages():
    """A newcomer reading `ls generator` sees each stage, each saying what it is in one line."""
    package = ROOT / "generator"
    for stage in STAGES:
        init = package / stage / "__init__.py"
        assert init.is_file(), stage
        doc = init.read_text(encoding="utf-8").strip()
        assert doc.startswith('"""') and "\n" not in doc.strip('"'), f"{stage}: one-line docstring"
    for leaf in ("errors.py", "model.py", "settings.py", "build.py"):
        assert (package / leaf).is_file()


def test_no_module_is_a_grab_bag():
    too_long = {str(p.relative_to(ROOT)): n for p in (ROOT / "generator").rglob("*.py")
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > 410}
    assert not too_long, too_long


def test_the_records_service_starts_without_the_page_builders():
    code = ("import sys, generator.records.app, generator.records.scoring, generator.records.report; "
            "print(' '.join(m for m in ('jinja2', 'markdown', 'pydantic', 'yaml', 'weasyprint', 'mkdocs') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
