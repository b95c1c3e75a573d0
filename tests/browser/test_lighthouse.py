"""Issue 15: Lighthouse (npm, pinned by tests/lighthouse/package-lock.json) scores the built pages 100.

Accessibility and SEO on the policy, versions, changes and checklist pages, in Debian's
Chromium over loopback, one browser for all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

RUNNER = Path(__file__).resolve().parents[1] / "lighthouse" / "run.mjs"
PAGES = ("two/privacy-policy/", "two/privacy-policy/versions/", "two/privacy-policy/v/2/changes/",
         "two/training/all-staff/")


def test_lighthouse_accessibility_and_seo_are_100(base_url):
    run = subprocess.run(["node", str(RUNNER), *(f"{base_url}/{p}" for p in PAGES)], capture_output=True,
                         text=True, timeout=300, env=dict(os.environ, CHROME_PATH="/usr/bin/chromium"))
    assert run.returncode == 0, run.stderr[-2000:]
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert [r["url"].removeprefix(base_url + "/") for r in results] == list(PAGES)
    for r in results:
        assert r["scores"] == {"accessibility": 1, "seo": 1} and r["failing"] == [], r
