"""The README's pictures of what the product makes: `make screenshots` (Chromium and pdftoppm).

Builds this project's content as two versions in a scratch git repository (version 2 adds
one sentence to the call-recording clause), serves the site on loopback, and writes into
the folder given (default ``.github/readme/``):

* ``policy-page.png``: the policy in force, as a reader on a laptop sees it;
* ``redline.png``: what changed in version 2;
* ``pdf-page.png``: the first page of the version's PDF.

    .venv/bin/python tests/screenshots.py [FOLDER]
"""

from __future__ import annotations

import functools
import http.server
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import chromium  # noqa: E402
from gitrepo import POLICY_FILE, GitRepo, mkdocs_build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RECORDING = re.compile(r"(Note that we generally record outbound calls for operational and\s+training purposes\.)")
VIEWPORT = {"width": 1280, "height": 860}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def build(work: Path) -> Path:
    repo = GitRepo.project(work / "project")
    repo.commit("Publish the privacy policy", "2026-03-02T10:00:00+13:00")
    changed, found = RECORDING.subn(r"\1 We keep call recordings for twelve months.", repo.read(POLICY_FILE))
    if found != 1:
        raise SystemExit("tests/screenshots.py: the call-recording sentence is not in the content any more")
    repo.write_policy(changed)
    repo.commit("Say how long call recordings are kept", "2026-06-01T10:00:00+12:00")
    site = work / "site"
    result = mkdocs_build(repo.path, site, today="2026-06-10")
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return site


def shoot(site: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    made = []
    try:
        with sync_playwright() as p:
            browser = chromium.launch(p)
            page = browser.new_page(viewport=VIEWPORT)
            for name, path in (("policy-page.png", "privacy-policy/"),
                               ("redline.png", "privacy-policy/v/2/changes/")):
                page.goto(f"{base}/{path}")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / name))
                made.append(out / name)
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    pdf = site / "privacy-policy" / "privacy-policy.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(out / "pdf-page")], check=True)
    made.append(out / "pdf-page.png")
    return made


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / ".github" / "readme"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="policy-screenshots-") as tmp:
        for file in shoot(build(Path(tmp)), out):
            print(f"{file}: {file.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
