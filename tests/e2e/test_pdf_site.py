"""PDFs in a real build: one per version, in versions.json, linked with size, reproducible, cached."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from generator import build as site_module
from generator.frontends.mkdocs_yml import settings_from_config_file
from generator.site.structure import PdfStats
from gitrepo import GitRepo, mkdocs_build
from seed import missing_sentences, normalise
from pdftext import page_texts, reading_text

SEED_YAML = (Path(__file__).resolve().parents[2] / "content" / "privacy-policy.yaml").read_text(encoding="utf-8")
PID = "privacy-policy"
DATES = ["2026-03-01T10:00:00+13:00", "2026-04-01T09:30:00+13:00", "2026-05-04T16:45:00+12:00"]
EDITS = [("", ""), ("within two business days", "within three business days"),
         ("Privacy Act 2000 and", "Privacy Act 2020 and")]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def history(path: Path, count: int = 3) -> GitRepo:
    """The seed published, then edited twice: three versions."""
    repo = GitRepo.project(path)
    text = SEED_YAML
    for i in range(count):
        old, new = EDITS[i] if i < len(EDITS) else ("posted on our website.", f"posted on our website ({i}).")
        assert old in text
        text = text.replace(old, new) if old else text
        repo.write_policy(text)
        repo.commit(f"Version {i + 1}", DATES[i] if i < len(DATES) else f"2026-{6 + i:02d}-01T10:00:00+12:00")
    return repo


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("pdfsite")
    repo = history(base / "project")
    result = mkdocs_build(repo.path, base / "site", today="2026-05-10")
    assert result.returncode == 0, result.stderr
    return repo, base / "site"


def pdf_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*.pdf"))}


def test_each_version_has_its_pdf_and_versions_json_names_its_sha256(built):
    _, site = built
    data = json.loads((site / PID / "versions.json").read_text(encoding="utf-8"))
    assert [v["version"] for v in data["versions"]] == [1, 2, 3]
    for v in data["versions"]:
        n = v["version"]
        file = site / PID / "v" / str(n) / f"{PID}-v{n}.pdf"
        assert v["pdf"] == f"https://www.leadmanagement.co.nz/policies/{PID}/v/{n}/{PID}-v{n}.pdf"
        assert v["pdf_sha256"] == sha(file.read_bytes())
    in_force = next(v for v in data["versions"] if v["status"] == "in-force")
    assert in_force["version"] == 3
    assert (site / PID / f"{PID}.pdf").read_bytes() == (site / PID / "v" / "3" / f"{PID}-v3.pdf").read_bytes()


def test_version_pages_link_their_pdf_with_its_size(built):
    _, site = built
    for n in (1, 2, 3):
        html = (site / PID / "v" / str(n) / "index.html").read_text(encoding="utf-8")
        size = (site / PID / "v" / str(n) / f"{PID}-v{n}.pdf").stat().st_size
        m = re.search(rf'<a href="{PID}-v{n}.pdf" download>PDF of version {n}</a> \((\d+) KB\)', html)
        assert m, f"no PDF link on the page of version {n}"
        assert int(m.group(1)) == round(size / 1024)
    html = (site / PID / "index.html").read_text(encoding="utf-8")
    assert f'href="v/3/{PID}-v3.pdf" download>PDF of version 3</a>' in html


def test_each_pdf_carries_its_own_version_and_date_only(built, tmp_path):
    _, site = built
    effective = {1: "1 March 2026", 2: "1 April 2026", 3: "4 May 2026"}
    for n, day in effective.items():
        pages = page_texts((site / PID / "v" / str(n) / f"{PID}-v{n}.pdf").read_bytes(), tmp_path)
        for page in pages:
            assert f"Privacy Policy · Version {n}" in page and f"Effective {day}" in page
        text = normalise(" ".join(pages))
        # Nothing of a later version: its PDF must never change when one is posted.
        for later in range(n + 1, 4):
            assert f"Version {later}" not in text and effective[later] not in text
    v1 = reading_text(page_texts((site / PID / "v" / "1" / f"{PID}-v1.pdf").read_bytes(), tmp_path,
                                 body_only=True, raw=True))
    assert missing_sentences(v1) == []
    v2 = normalise(" ".join(page_texts((site / PID / "v" / "2" / f"{PID}-v2.pdf").read_bytes(), tmp_path)))
    assert "within three business days" in v2


def test_two_builds_on_different_days_in_different_processes_give_identical_pdfs(built, tmp_path):
    repo, site = built
    shutil.rmtree(repo.path / ".cache", ignore_errors=True)  # render again, not copy
    again = tmp_path / "site"
    result = mkdocs_build(repo.path, again, today="2027-02-01",
                          env={"TZ": "America/New_York", "SOURCE_DATE_EPOCH": "1234567890"})
    assert result.returncode == 0, result.stderr
    first, second = pdf_files(site), pdf_files(again)
    assert set(first) == set(second) and len(first) == 4
    assert {k: sha(v) for k, v in first.items()} == {k: sha(v) for k, v in second.items()}


def test_a_new_version_renders_one_pdf_and_leaves_the_others_byte_for_byte(tmp_path):
    repo = history(tmp_path / "project", count=2)
    settings = settings_from_config_file(repo.path / "mkdocs.yml", today=date(2026, 5, 10))
    first = site_module.gather(settings)
    assert first.pdf_stats == PdfStats(rendered=2, cached=0)
    again = site_module.gather(settings)
    assert again.pdf_stats == PdfStats(rendered=0, cached=2)

    text = repo.read("content/privacy-policy.yaml").replace("Privacy Act 2000 and", "Privacy Act 2020 and")
    repo.write_policy(text)
    repo.commit("Version 3", DATES[2])
    third = site_module.gather(settings)
    assert third.pdf_stats == PdfStats(rendered=1, cached=2)
    before = {o.dest_uri: o.data for o in first.outputs if o.dest_uri.endswith(".pdf")}
    after = {o.dest_uri: o.data for o in third.outputs if o.dest_uri.endswith(".pdf")}
    for n in (1, 2):
        path = f"{PID}/v/{n}/{PID}-v{n}.pdf"
        assert after[path] == before[path]
    assert f"{PID}/v/3/{PID}-v3.pdf" in after and after[f"{PID}/{PID}.pdf"] == after[f"{PID}/v/3/{PID}-v3.pdf"]


def test_a_draft_gets_a_pdf_marked_as_such(tmp_path):
    repo = history(tmp_path / "project", count=1)
    repo.write_policy(repo.read("content/privacy-policy.yaml").replace("two business days", "five business days"))
    result = mkdocs_build(repo.path, tmp_path / "site", today="2026-05-10")
    assert result.returncode == 0, result.stderr
    draft = tmp_path / "site" / PID / "draft" / f"{PID}-draft.pdf"
    pages = page_texts(draft.read_bytes(), tmp_path)
    assert all("Draft — not yet published" in p for p in pages)
    assert "within five business days" in normalise(" ".join(pages))
    data = json.loads((tmp_path / "site" / PID / "versions.json").read_text(encoding="utf-8"))
    assert [v["version"] for v in data["versions"]] == [1]  # never listed as published
    assert all(v["pdf_sha256"] != sha(draft.read_bytes()) for v in data["versions"])


def test_no_pdfs_when_turned_off(tmp_path):
    repo = history(tmp_path / "project", count=1)
    config = repo.path / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "      notice_days: 0\n", "      notice_days: 0\n      pdf: false\n"), encoding="utf-8")
    assert "pdf: false" in config.read_text(encoding="utf-8")
    result = mkdocs_build(repo.path, tmp_path / "site", today="2026-05-10")
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "site").rglob("*.pdf")) == []
    data = json.loads((tmp_path / "site" / PID / "versions.json").read_text(encoding="utf-8"))
    assert data["versions"][0]["pdf"] is None


def _serve(project: Path, port: int):
    import subprocess

    from gitrepo import MKDOCS, _base_env

    return subprocess.Popen(
        [str(MKDOCS), "serve", "--no-livereload", "-a", f"127.0.0.1:{port}", "-f", str(project / "mkdocs.yml")],
        cwd=project, env={**_base_env(), "POLICY_TODAY": "2026-05-10"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _get(url: str, timeout: float = 60.0) -> tuple[int, bytes]:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, b""
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("pdf_on_serve", [False, True])
def test_mkdocs_serve_skips_pdfs_unless_asked(tmp_path, pdf_on_serve):
    repo = history(tmp_path / "project", count=1)
    if pdf_on_serve:
        config = repo.path / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "      notice_days: 0\n", "      notice_days: 0\n      pdf_on_serve: true\n"), encoding="utf-8")
    port = _free_port()
    server = _serve(repo.path, port)
    try:
        status, _ = _get(f"http://127.0.0.1:{port}/policies/{PID}/")
        assert status == 200
        status, body = _get(f"http://127.0.0.1:{port}/policies/{PID}/{PID}.pdf")
        if pdf_on_serve:
            assert status == 200 and body.startswith(b"%PDF-")
        else:
            assert status == 404
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_later_time_zone_does_not_restamp_earlier_pdfs(tmp_path):
    """mkdocs.yml moves to another time zone after version 2: the PDFs already posted keep their bytes."""
    repo = history(tmp_path / "project", count=2)
    assert mkdocs_build(repo.path, tmp_path / "before", today="2026-05-10").returncode == 0
    config = repo.read("mkdocs.yml")
    assert "timezone: Pacific/Auckland\n" in config
    repo.write("mkdocs.yml", config.replace("timezone: Pacific/Auckland\n", "timezone: Pacific/Chatham\n"))
    repo.commit("Chatham time from now on", "2026-05-01T10:00:00+12:00")
    shutil.rmtree(repo.path / ".cache", ignore_errors=True)  # render again, not copy
    assert mkdocs_build(repo.path, tmp_path / "after", today="2026-05-10").returncode == 0
    for n in (1, 2):
        path = f"{PID}/v/{n}/{PID}-v{n}.pdf"
        assert sha((tmp_path / "after" / path).read_bytes()) == sha((tmp_path / "before" / path).read_bytes()), path


def test_outloud_passes_every_version_pdf_of_the_site(built):
    """Issue 15: 0 errors and 0 warnings from outloud (PDF/UA-1 and WCAG 2.2) on every PDF built."""
    import subprocess
    import sys

    _, site = built
    files = sorted(site.rglob("*.pdf"))
    assert len(files) >= 4
    run = subprocess.run([str(Path(sys.executable).parent / "outloud"), "--json", "-", "--fail-on", "never",
                          *map(str, files)], capture_output=True, text=True, timeout=300)
    results = json.loads(run.stdout)["results"]
    assert {r["path"]: (r["verdict"], r["counts"]["error"], r["counts"]["warning"]) for r in results} == {
        str(f): ("pass", 0, 0) for f in files}
