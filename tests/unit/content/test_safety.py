"""`policy check` on hostile and careless content: every vector is named with its file and line."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from generator.content import loader
from generator.errors import ContentErrors
from gitrepo import POLICY, ROOT
from hostile import FIELDS, PATHOLOGICAL, TRAPS, VECTORS, checklist_file, policy_file


def check(content: Path, checklists: Path | None = None) -> subprocess.CompletedProcess:
    empty = content.parent / "no-checklists"
    empty.mkdir(exist_ok=True)
    return subprocess.run([str(POLICY), "check", "--content", str(content),
                           "--checklists", str(checklists or empty)],
                          capture_output=True, text=True, cwd=content.parent, timeout=120)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_each_vector_in_each_field_is_an_error_at_its_line(tmp_path, vector, field):
    payload, said = VECTORS[vector]
    path, line = policy_file(tmp_path / "content", vector, field, payload)
    result = check(tmp_path / "content")
    assert result.returncode == 1, result.stdout
    assert f"content/{vector}.yaml:{line}: " in result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_each_vector_in_a_checklist_description_is_an_error(tmp_path, vector):
    payload, said = VECTORS[vector]
    policy_file(tmp_path / "content", "clean", "body", "Nothing to see.")
    path, line = checklist_file(tmp_path / "checklists", "clean", payload)
    result = check(tmp_path / "content", tmp_path / "checklists")
    assert result.returncode == 1
    assert f"checklists/hostile-staff.yaml:{line}: " in result.stderr and said in result.stderr


def test_the_contact_marker_is_the_one_comment_allowed(tmp_path):
    policy_file(tmp_path / "content", "marker", "body", "Write to us:\n\n<!-- contact -->\n\nThanks.")
    assert check(tmp_path / "content").returncode == 0
    policy_file(tmp_path / "content", "marker", "body", "Hidden <!-- from the reviewer --> text.")
    result = check(tmp_path / "content")
    assert result.returncode == 1 and "a comment or declaration" in result.stderr


def test_code_spans_and_autolinks_are_not_html(tmp_path):
    policy_file(tmp_path / "content", "fine", "body",
                "Write `<script>` to see it. See <https://example.org/> or <privacy@example.org>.")
    result = check(tmp_path / "content")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_texts_are_refused_quickly(tmp_path, name):
    """Each text hung or crashed the build before; checking its file takes a bounded multiple
    of checking the embedded policy (which is 34 KB; these are up to 1 MiB)."""
    text, said = PATHOLOGICAL[name]
    path, line = policy_file(tmp_path / "content", name, "body", text)
    assert path.stat().st_size < 1024 * 1024
    seed = ROOT / "content" / "privacy-policy.yaml"

    def timed(p: Path) -> float:
        start = time.perf_counter()
        try:
            loader.load_policy(p)
        except ContentErrors:
            pass
        return time.perf_counter() - start

    baseline = min(timed(seed) for _ in range(5))
    spent = min(timed(path) for _ in range(2))
    # Measured here: 10 to 50 times the embedded policy, for 30 times its size.
    assert spent < 400 * baseline, f"{name}: {spent:.3f} s against {baseline:.4f} s for the embedded policy"
    result = check(tmp_path / "content")
    assert result.returncode == 1
    assert f"content/{name}.yaml:{line}: " in result.stderr and said in result.stderr
    assert len(result.stderr.splitlines()) <= 11  # at most one message per limit, not one per line


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_markdown_traps_are_warnings_that_say_how_to_write_it(tmp_path, name):
    text, said = TRAPS[name]
    path, line = policy_file(tmp_path / "content", name, "body", text)
    result = check(tmp_path / "content")
    assert result.returncode == 0, result.stderr
    for words in said:
        assert words in result.stderr
    assert f"warning: content/{name}.yaml:" in result.stderr
    advice = {"underscore-in-table": ["code span", "&lt;property-id&gt;", "\\_gac\\_"],
              "lettered-paragraphs": ["blank line"]}[name]
    for words in advice:
        assert words in result.stderr


def test_the_embedded_policy_and_checklists_have_no_findings():
    result = subprocess.run([str(POLICY), "check"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and result.stderr == ""


def test_a_bare_web_address_becomes_a_link_and_the_public_text_stays_as_written():
    from generator.render.markdown import Converter

    md = Converter(["attr_list", "md_in_html", "tables"])
    html = str(md("See www.privacy.org.nz, or https://example.org/a_b (or [ours](https://x.example/))."))
    assert '<a href="https://www.privacy.org.nz">www.privacy.org.nz</a>,' in html
    assert '<a href="https://example.org/a_b">https://example.org/a_b</a> (' in html
    assert html.count("<a ") == 3 and "x.example/</a>" not in html
    policy = loader.load_policy(ROOT / "content" / "privacy-policy.yaml")
    assert "see www.privacy.org.nz for further" in policy.canonical_text()
