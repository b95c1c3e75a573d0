"""Shared fixtures: the project root and a quiet MkDocs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
"""The project folder (where mkdocs.yml is)."""

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

# Shared helpers (gitrepo, golden, seed, chromium, records_fixtures) live here in tests/;
# the test modules live in sub-folders that mirror generator/.
sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
