"""Compare output with a file under tests/golden/; `UPDATE_GOLDEN=1` rewrites the file instead."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, actual: str) -> None:
    """Fail with a unified diff when ``actual`` differs from ``tests/golden/<name>``.

    With ``UPDATE_GOLDEN=1`` in the environment the file is (re)written and the
    test passes; review the change with ``git diff tests/golden/`` before committing.
    """
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.is_file():
        raise AssertionError(f"{path} is missing: run with UPDATE_GOLDEN=1 to create it, then review it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"golden/{name}", "actual"))
        raise AssertionError(f"output differs from tests/golden/{name} "
                             f"(UPDATE_GOLDEN=1 rewrites it):\n{diff}")
