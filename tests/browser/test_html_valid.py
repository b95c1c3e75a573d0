"""Every built page through the Nu Html Checker (vnu.jar, from tests/vnu, on Debian's Java).

Zero errors may come from this project's templates and overrides. The errors stock
Material makes that no cheap override can fix are listed below by name, each with the
message and the markup it is about, and each must still occur (a stale exception fails).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

VNU = ROOT / "tests" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

KNOWN = {
    # Material sets autocomplete="off" on its drawer and search toggles on purpose (Firefox would
    # otherwise restore them open on "back"); HTML allows autocomplete on text-like inputs only.
    "material-toggle-autocomplete": (
        "Attribute “autocomplete” is only allowed when the input type is",
        r'<input class="md-toggle" data-md-toggle="(drawer|search)" type="checkbox"'),
    # On a page outside the navigation (an archived version) Material's table of contents keeps
    # its <label for="__toc"> while the checkbox it names is not rendered as a form control.
    "material-toc-label-off-navigation": (
        "The value of the “for” attribute of the “label” element must be the ID of a non-hidden form control.",
        r'<label class="md-nav__title" for="__toc">'),
}


@pytest.fixture(scope="module")
def report(sites) -> list[dict]:
    if not VNU.is_file():
        pytest.fail("the Nu Html Checker is not installed: run `make test` (it runs `npm ci` in tests/vnu)")
    java = shutil.which("java")
    assert java, "Java is missing: `make test` installs default-jre-headless"
    proc = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--skip-non-html", str(sites / "three")],
                          capture_output=True, text=True, timeout=300)
    return [m for m in json.loads(proc.stderr)["messages"] if m.get("type") == "error"]


def _known(message: dict) -> str | None:
    for name, (text, markup) in KNOWN.items():
        if message["message"] == text or message["message"].startswith(text):
            if re.search(markup, message.get("extract", "")):
                return name
    return None


def test_the_checker_read_every_page(sites, report):
    pages = list((sites / "three").rglob("*.html"))
    assert len(pages) >= 10  # home, policy, versions, each version and redline, training, 404


def test_no_page_has_an_error_from_this_project(report):
    ours = [(Path(m["url"]).as_posix().split("/three/")[-1], m["message"], m.get("extract", "").strip()[:120])
            for m in report if _known(m) is None]
    assert ours == []


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_each_known_stock_theme_error_still_occurs(report, name):
    assert any(_known(m) == name for m in report), f"{name} no longer occurs: remove it from KNOWN"
