"""Issue 14, item 7: a policy may open with an untitled preamble, on the page, in the PDF and in redlines."""

from __future__ import annotations

import re

import pytest

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml
from pdftext import page_texts, reading_text

V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-06-01T10:00:00+12:00"
FILE = "content/privacy-policy.yaml"
CLAUSES = {"collect": {"title": "What we collect", "body": "We collect your name."},
           "contact-us": {"title": "Contact us", "body": "Write to us.", "contact": True}}


def with_preamble(text: str) -> str:
    return policy_yaml(CLAUSES, extra_top="preamble: |\n" + "".join(f"  {ln}\n" for ln in text.splitlines()))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("preamble")
    repo = GitRepo.project(tmp / "project", content=False, checklists=False)
    repo.write(FILE, with_preamble("This policy applies to everyone who uses **our** services.\n\n"
                                   "It is written in plain English."))
    check = policy_cli(repo.path, "check")
    assert check.returncode == 0, check.stderr
    repo.commit("Publish the privacy policy with an introduction", V1)
    repo.write(FILE, with_preamble("This policy applies to everyone who uses **our** services and websites.\n\n"
                                   "It is written in plain English."))
    repo.commit("Introduction: websites too", V2)
    site = tmp / "site"
    result = mkdocs_build(repo.path, site, today="2026-06-10")
    assert result.returncode == 0, result.stderr
    return tmp, repo, site


def test_the_page_opens_with_the_preamble_untitled_and_unnumbered(built):
    _, _, site = built
    html = (site / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    intro = html.index("everyone who uses <strong>our</strong> services and websites")
    assert intro < html.index('class="policy-toc"') and intro < html.index('id="collect"')
    between = html[html.index("<h1"):intro]
    assert not re.search(r"<h[2-6]", between), "the preamble has no heading of its own"


def test_archived_version_keeps_its_own_preamble(built):
    _, _, site = built
    html = (site / "privacy-policy" / "v" / "1" / "index.html").read_text(encoding="utf-8")
    assert "uses <strong>our</strong> services.</p>" in html and "websites" not in html


def test_the_pdf_opens_with_the_preamble_before_clause_one(built, tmp_path):
    _, _, site = built
    text = reading_text(page_texts((site / "privacy-policy" / "v" / "2" / "privacy-policy-v2.pdf").read_bytes(),
                                   tmp_path, body_only=True))
    intro = text.index("everyone who uses our services and websites")
    assert intro < text.index("1 What we collect")


def test_a_changed_preamble_is_a_new_version_and_its_redline_shows_the_words(built):
    _, _, site = built
    html = (site / "privacy-policy" / "v" / "2" / "changes" / "index.html").read_text(encoding="utf-8")
    assert "Introduction" in html
    assert re.search(r"<ins>.*and websites.*</ins>", html)
    versions = (site / "privacy-policy" / "versions" / "index.html").read_text(encoding="utf-8")
    assert "Introduction changed" in versions


def test_the_pr_diff_shows_the_preamble_change(built):
    _, repo, _ = built
    repo.write(FILE, with_preamble("This policy applies to all who use **our** services and websites.\n\n"
                                   "It is written in plain English."))
    try:
        out = policy_cli(repo.path, "diff", "--base", "main", today="2026-06-10")
    finally:
        repo.git("checkout", "--", FILE)
    assert out.returncode == 0, out.stderr
    assert "Introduction" in out.stdout and "[-everyone-]" in out.stdout and "{+all+}" in out.stdout


def test_hostile_markup_in_a_preamble_is_refused_at_its_line(tmp_path):
    repo = GitRepo.project(tmp_path / "p", content=False, checklists=False, pdf=False)
    repo.write(FILE, with_preamble("Hello.\n\n<script>alert(1)</script>"))
    out = policy_cli(repo.path, "check")
    assert out.returncode == 1
    assert re.search(rf"{FILE}:(\d+): .*HTML", out.stderr + out.stdout), out.stderr
    line = int(re.search(rf"{FILE}:(\d+):", out.stderr + out.stdout).group(1))
    assert "<script>" in repo.read(FILE).splitlines()[line - 1]
