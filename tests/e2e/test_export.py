"""`policy export` + `zensical build`: the same gather builds a whole site without the MkDocs plugin."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
from gitrepo import ROOT, GitRepo, _base_env, policy_cli
from seed import missing_sentences, page_text

ZENSICAL = ROOT / ".venv" / "bin" / "zensical"
PID = "privacy-policy"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The embedded policy posted on 2 March, edited and posted again on 4 May; exported and built."""
    base = tmp_path_factory.mktemp("export")
    repo = GitRepo.project(base / "proj")
    repo.commit("Publish the privacy policy", "2026-03-02T10:00:00+13:00")
    text = repo.read(f"content/{PID}.yaml")
    assert "Lead Management takes all reasonable steps" in text
    repo.write(f"content/{PID}.yaml", text.replace("Lead Management takes all reasonable steps",
                                                    "Lead Management always takes all reasonable steps"))
    repo.commit("Stronger security wording", "2026-05-04T09:30:00+12:00")
    out = base / "export"
    result = policy_cli(repo.path, "export", str(out), today="2026-06-01")
    assert result.returncode == 0, result.stderr
    built = subprocess.run([str(ZENSICAL), "build"], cwd=out, env=_base_env(), capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    return repo, out, out / "site"


def test_the_export_holds_the_whole_docs_tree(exported):
    _, out, _ = exported
    docs = out / "docs"
    for rel in (f"{PID}/index.md", f"{PID}/v/1/index.md", f"{PID}/v/2/changes/index.md",
                f"{PID}/versions/index.md", f"{PID}/versions.json", f"{PID}/feed.xml",
                f"{PID}/v/1/{PID}-v1.pdf", f"{PID}/v/2/{PID}-v2.pdf", f"{PID}/{PID}.pdf",
                "training/index.md", "training/all-staff/index.md", "training/all-staff/checklist.json",
                "assets/javascripts/training.js", "assets/stylesheets/training.css",
                "assets/stylesheets/policy.css"):
        assert (docs / rel).is_file(), rel
    config = (out / "mkdocs.yml").read_text(encoding="utf-8")
    assert "policy:" not in config and "docs_dir: docs" in config
    assert not list(docs.rglob("*.yaml")), "the YAML sources are not part of the site"


def test_zensical_builds_the_policy_page_with_every_seed_sentence(exported):
    _, _, site = exported
    page = page_text((site / PID / "index.html").read_text(encoding="utf-8"))
    assert "Version 2" in page and "Effective 4 May 2026" in page
    assert "Lead Management always takes all reasonable steps" in page
    missing = [s for s in missing_sentences(page) if "Lead Management takes all reasonable steps" not in s]
    assert not missing, missing[:3]


def test_zensical_shows_the_banner_of_a_superseded_version(exported):
    _, _, site = exported
    page = page_text((site / PID / "v" / "1" / "index.html").read_text(encoding="utf-8"))
    assert "Version 1 was superseded on 4 May 2026 and is kept for the record." in page
    assert "Read the version in force (version 2)" in page


def test_zensical_links_the_pdf_the_build_made(exported):
    _, out, site = exported
    html = (site / PID / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+\.pdf)"', html)
    assert hrefs, "the policy page links its PDF"
    target = (site / PID / hrefs[0]).resolve()
    assert target.is_file()
    published = (out / "docs" / PID / "v" / "2" / f"{PID}-v2.pdf").read_bytes()
    assert target.read_bytes() == published
    listed = (site / PID / "versions.json").read_text(encoding="utf-8")
    assert hashlib.sha256(published).hexdigest() in listed


def test_zensical_builds_the_redline(exported):
    _, _, site = exported
    html = (site / PID / "v" / "2" / "changes" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<ins>(<span[^>]*>\[inserted: </span>)?always", html), html[:2000]
    assert "What changed in version 2" in page_text(html)


def test_zensical_builds_the_training_page_with_its_script(exported):
    _, _, site = exported
    html = (site / "training" / "all-staff" / "index.html").read_text(encoding="utf-8")
    assert "All staff: Privacy Policy training" in page_text(html)
    scripts = re.findall(r'<script[^>]+src="([^"]*training\.js)"', html)
    assert scripts and (site / "training" / "all-staff" / scripts[0]).resolve().is_file()


def test_zensical_links_from_the_training_index_to_each_checklist(exported):
    _, _, site = exported
    html = (site / "training" / "index.html").read_text(encoding="utf-8")
    for checklist in ("all-staff", "outbound-calling"):
        assert f'href="{checklist}/"' in html
        assert (site / "training" / checklist / "index.html").is_file()
