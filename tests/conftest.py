"""Shared fixtures: the project root and a quiet MkDocs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
"""The project folder (where mkdocs.yml is)."""

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
