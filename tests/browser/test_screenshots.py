"""Issue 15: the README shows what the product makes, and one command makes the pictures again."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("policy-page.png", "redline.png", "pdf-page.png")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_the_readme_shows_the_three_pictures_with_words_for_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in NAMES:
        alt = re.search(r"!\[([^\]]+)\]\(\.github/readme/" + re.escape(name) + r"\)", readme)
        assert alt and len(alt.group(1)) > 20, name
        assert (ROOT / ".github" / "readme" / name).is_file(), name
    assert "make screenshots" in readme


def test_make_screenshots_makes_them_from_the_current_code(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "screenshots.py"), str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert png_size(tmp_path / "policy-page.png") == (1280, 860)
    assert png_size(tmp_path / "redline.png") == (1280, 860)
    width, height = png_size(tmp_path / "pdf-page.png")
    assert abs(width - 595) <= 1 and abs(height - 842) <= 1  # A4 at 72 dpi
    assert all((tmp_path / n).stat().st_size > 20_000 for n in NAMES)
