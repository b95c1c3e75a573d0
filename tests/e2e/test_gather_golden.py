"""A whole gather of a small two-version policy, compared file by file with tests/golden/gather/.

Run with UPDATE_GOLDEN=1 to rewrite the golden copy after an intended change, then
review it with `git diff tests/golden/gather/`.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from gitrepo import GitRepo, copy_project
from golden import GOLDEN, assert_golden

from generator.build import gather
from generator.frontends.export import page_text
from generator.frontends.mkdocs_yml import settings_from_config_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "gather"
POLICY = "content/data-policy.yaml"


@pytest.fixture(scope="module")
def gathered(tmp_path_factory):
    path = tmp_path_factory.mktemp("gather") / "proj"
    copy_project(path, content=False, checklists=False)
    shutil.copytree(FIXTURE / "checklists", path / "checklists")
    repo = GitRepo(path)
    repo.write(POLICY, (FIXTURE / "v1.yaml").read_text(encoding="utf-8"))
    repo.commit("Publish the data policy", "2026-03-02T10:00:00+13:00")
    repo.write(POLICY, (FIXTURE / "v2.yaml").read_text(encoding="utf-8"))
    repo.commit("Add retention, collect phone numbers", "2026-05-04T09:30:00+12:00")
    settings = settings_from_config_file(path / "mkdocs.yml", pdf=False, today=date(2026, 6, 1),
                                         site_url="https://policies.example.org/")
    return gather(settings)


def _files(site) -> dict[str, str]:
    files = {f"pages/{p.src_uri}": page_text(p.markdown, p.meta) for p in site.pages}
    files.update({f"files/{o.dest_uri}": o.data.decode("utf-8") for o in site.outputs})
    return files


def test_the_gather_lays_out_every_page_and_file_in_order(gathered):
    manifest = "".join(f"page {p.src_uri}{'' if p.in_nav else ' (not in nav)'}\n" for p in gathered.pages)
    manifest += "".join(f"file {o.dest_uri}\n" for o in gathered.outputs)
    assert_golden("gather/MANIFEST", manifest)


def test_every_page_and_file_matches_the_golden_copy(gathered):
    files = _files(gathered)
    for name, text in files.items():
        assert_golden(f"gather/{name}", text)
    # A golden file nothing produces any more is a page that disappeared.
    on_disk = {p.relative_to(GOLDEN / "gather").as_posix() for p in (GOLDEN / "gather").rglob("*")
               if p.is_file() and p.name != "MANIFEST"}
    assert on_disk == set(files)


def test_the_golden_site_says_what_a_reader_needs(gathered):
    files = _files(gathered)
    # Version 2 is in force, version 1 superseded on the day version 2 took effect.
    assert "Version 1 was superseded on 4 May 2026" in files["pages/data-policy/v/1/index.md"]
    assert "We collect your name, email address and phone number" in files["pages/data-policy/index.md"]
    changes = files["pages/data-policy/v/2/changes/index.md"]
    assert "<ins>" in changes and "phone" in changes and "How long we keep it" in changes
    assert '"version": 2' in files["files/data-policy/versions.json"]
    assert "https://policies.example.org/data-policy/v/1/" in files["files/data-policy/feed.xml"]
    contract = files["files/training/basics/checklist.json"]
    assert '"version": 2' in contract and "decline" in contract  # a choice id, never the answer in clear
    assert '"answer"' not in contract


def test_training_headings_come_from_the_checklist_and_policy_titles(gathered):
    """Issue 14, item 4: a checklist on the Data Policy was headed "privacy training"."""
    files = _files(gathered)
    assert "# Basics: Data Policy training" in files["pages/training/basics.md"]
    index = files["pages/training/index.md"]
    assert "# Staff training" in index and "privacy" not in index.lower()
