"""Hostile content published before `policy check` refused it: the pages, PDFs and training built
from it carry no executable content, and texts that hung or crashed the renderers build quickly
as plain text.

One project, built once: ``content/hostile.yaml`` version 1 holds every vector in its summary,
body, guidance and explanation, and is in force (version 2, clean, is scheduled 30 days out),
so the policy page, version 1's page, version 2's redline, a checklist and every PDF render it.
``content/slow.yaml`` version 1 holds the texts that hung or crashed the build.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pytest

from gitrepo import GitRepo, mkdocs_build
from hostile import PATHOLOGICAL, VECTORS, policy_text

V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-03-10T10:00:00+13:00"
TODAY = "2026-03-20"

ALL = "\n\n".join(payload for payload, _ in VECTORS.values())
SLOW = "\n\n".join([PATHOLOGICAL["nested-list"][0], "[" * 20_000, "‹" * 20_000])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    repo = GitRepo.project(tmp / "project")
    config = repo.path / "mkdocs.yml"
    config.write_text(config.read_text().replace("notice_days: 0", "notice_days: 30"))
    repo.write("content/hostile.yaml", policy_text(summary=ALL, body=ALL, guidance=ALL, explanation=ALL))
    repo.write("content/slow.yaml", policy_text("slow", body=SLOW))
    repo.write("checklists/hostile-staff.yaml", (
        "id: hostile-staff\ntitle: Hostile staff\naudience: Everyone\ndescription: Read it.\n"
        "policy: hostile\npass_mark: 80\nitems:\n  - id: quiz\n    kind: quiz\n    clauses: [intro]\n"))
    repo.commit("Published before policy check refused such content", V1)
    repo.write("content/hostile.yaml", policy_text())
    repo.write("content/slow.yaml", policy_text("slow"))
    repo.commit("Clean it up", V2)
    site = tmp / "site"
    result = mkdocs_build(repo.path, site, today=TODAY, quiet=False)
    assert result.returncode == 0, result.stderr
    (tmp / "build.log").write_text(result.stderr)
    return site


class _Executable(HTMLParser):
    """What in a page's content could run script or reach elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "form", "style", "base", "meta", "link"):
            if not (tag == "script" and ("type", "application/json") in attrs) and tag != "link":
                self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "formaction", "srcdoc"):
                self.found.append(f"{tag} {name}")
            if name in ("href", "src", "action") and value and \
                    re.match(r"\s*(javascript|data|vbscript):", value, re.I):
                self.found.append(f"{tag} {name}={value[:30]}")


def content_of(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    m = re.search(r'<article class="md-content__inner md-typeset">(.*)</article>', html, re.S)
    assert m, page
    return m.group(1)


PAGES = ["hostile/index.html", "hostile/v/1/index.html", "hostile/v/2/index.html",
         "hostile/v/2/changes/index.html", "hostile/versions/index.html",
         "training/hostile-staff/index.html", "training/index.html", "slow/index.html",
         "slow/v/1/index.html", "slow/v/2/changes/index.html"]


@pytest.mark.parametrize("page", PAGES)
def test_no_page_content_can_run_script(built, page):
    parser = _Executable()
    parser.feed(content_of(built / page))
    # The training page's own script tag is the theme's (src, same origin) and is allowed.
    found = [f for f in parser.found if not (page.startswith("training/hostile-staff") and f == "<script>")]
    assert found == []


def test_the_published_words_are_still_there_as_text(built):
    text = content_of(built / "hostile/v/1/index.html")
    assert "Read the terms" in text and "Hover over this paragraph." in text
    redline = content_of(built / "hostile/v/2/changes/index.html")
    # The reviewer-facing redline shows the payloads as text, not as markup.
    assert "&lt;img src=\"x\" onerror=\"window.pwned = 'img'\"&gt;" in redline


def test_texts_over_the_limits_are_shown_as_plain_text_with_a_note(built):
    page = content_of(built / "slow/v/1/index.html")
    assert '<pre class="policy-plain">' in page
    assert "[" * 1000 in page and "‹" * 1000 in page
    log = (built.parent / "build.log").read_text()
    assert "slow version 1: the body of clause 'intro' is shown as plain text" in log


def _pdfs(site: Path) -> list[Path]:
    return sorted(site.glob("hostile/**/*.pdf")) + sorted(site.glob("slow/**/*.pdf"))


def test_every_pdf_has_no_script_and_only_public_attachments(built):
    pdfs = _pdfs(built)
    assert len(pdfs) == 6  # each policy's PDF in force, and one per version
    for path in pdfs:
        pdf = pikepdf.open(path)
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary):
                for key in ("/JS", "/JavaScript", "/Launch", "/SubmitForm", "/OpenAction"):
                    assert key not in obj, f"{path.name}: {key}"
                uri = obj.get("/URI")
                if uri is not None:
                    assert not re.match(r"\s*(javascript|data):", str(uri), re.I), f"{path.name}: {uri}"
        files = {name: spec.get_file().read_bytes().decode("utf-8") for name, spec in pdf.attachments.items()}
        assert sorted(n.rsplit(".", 1)[1] for n in files) == ["json", "yaml"]
        for name, text in files.items():
            for secret in ("training", "guidance", "answer", "explanation", "questions", "#"):
                assert secret not in text, f"{path.name} attaches {name} with {secret!r}"
