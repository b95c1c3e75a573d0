"""`policy verify`: a genuine PDF (exit 0), a modified one and a foreign one (exit 1), with messages."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pikepdf
import pytest

from gitrepo import mkdocs_build, policy_cli
from test_pdf_site import PID, history

PDF_V2 = f"{PID}/v/2/{PID}-v2.pdf"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("verify")
    repo = history(base / "project")
    result = mkdocs_build(repo.path, base / "site", today="2026-05-10")
    assert result.returncode == 0, result.stderr
    return repo.path, base / "site"


def _copy(src: Path, dest: Path) -> Path:
    shutil.copy(src, dest)
    return dest


def _verify(project: Path, pdf: Path, *args: str):
    return policy_cli(project, "verify", str(pdf), *args, today="2026-05-10")


def test_genuine_pdf_against_the_built_site(built, tmp_path):
    project, site = built
    # A reader's download keeps its bytes, whatever it is called.
    pdf = _copy(site / PDF_V2, tmp_path / "downloaded.pdf")
    result = _verify(project, pdf, "--site", str(site))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{pdf}: genuine",
        f"  Privacy Policy ({PID}), version 2",
        "  effective 1 April 2026 (2026-04-01), superseded",
        f"  https://www.leadmanagement.co.nz/policies/{PID}/v/2/",
    ]


def test_genuine_pdf_from_git_history_alone(built, tmp_path):
    project, site = built
    shutil.rmtree(project / ".cache", ignore_errors=True)  # rebuilt from history, not from the cache
    pdf = _copy(site / f"{PID}/{PID}.pdf", tmp_path / "policy.pdf")
    result = _verify(project, pdf)
    assert result.returncode == 0, result.stderr
    assert f"  Privacy Policy ({PID}), version 3" in result.stdout
    assert "effective 4 May 2026 (2026-05-04), in force" in result.stdout


def _edited(src: Path, dest: Path) -> Path:
    """The same PDF with one word of its text changed, saved by another tool."""
    doc = pikepdf.open(src)
    page = doc.pages[1]
    contents = page.Contents if isinstance(page.Contents, pikepdf.Array) else [page.Contents]
    changed = False
    for stream in contents:
        data = stream.read_bytes()
        if b"Tj" in data or b"TJ" in data:
            # Nudge a glyph id in the first text-show operation: the page now says something else.
            at = data.index(b"<", data.index(b"BT"))
            digit = data[at + 1:at + 2]
            data = data[:at + 1] + (b"1" if digit != b"1" else b"2") + data[at + 2:]
            stream.write(data)
            changed = True
            break
    assert changed
    doc.save(dest)
    return dest


@pytest.mark.parametrize("mode", ["site", "git"])
def test_a_modified_pdf_is_not_genuine(built, tmp_path, mode):
    project, site = built
    pdf = _edited(site / PDF_V2, tmp_path / "edited.pdf")
    result = _verify(project, pdf, *(["--site", str(site)] if mode == "site" else []))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == f"{pdf}: NOT GENUINE"
    assert (f"it says it is Privacy Policy ({PID}) version 2, but its bytes differ from that "
            "version's published PDF") in result.stderr
    assert "Traceback" not in result.stderr


def test_a_byte_appended_is_enough(built, tmp_path):
    project, site = built
    pdf = tmp_path / "appended.pdf"
    pdf.write_bytes((site / PDF_V2).read_bytes() + b"\n")
    result = _verify(project, pdf, "--site", str(site))
    assert result.returncode == 1 and "NOT GENUINE" in result.stderr


@pytest.mark.parametrize("mode", ["site", "git"])
def test_a_foreign_pdf_is_not_genuine(built, tmp_path, mode):
    import weasyprint

    project, site = built
    pdf = tmp_path / "foreign.pdf"
    weasyprint.HTML(string="<h1>Privacy Policy</h1><p>We sell everything.</p>").write_pdf(pdf)
    result = _verify(project, pdf, *(["--site", str(site)] if mode == "site" else []))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{pdf}: NOT GENUINE",
        f"  it is not the PDF of any published version of {PID}",
    ]


def test_a_draft_pdf_is_not_a_published_version(tmp_path):
    repo = history(tmp_path / "project", count=1)
    repo.write_policy(repo.read("content/privacy-policy.yaml").replace("two business days", "five business days"))
    assert mkdocs_build(repo.path, tmp_path / "site", today="2026-05-10").returncode == 0
    pdf = tmp_path / "site" / PID / "draft" / f"{PID}-draft.pdf"
    result = _verify(repo.path, pdf, "--site", str(tmp_path / "site"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{pdf}: NOT GENUINE", f"  it is not the PDF of any published version of {PID}"]


def test_not_a_pdf_or_no_file_is_a_clean_error(built, tmp_path):
    project, site = built
    text = tmp_path / "notes.pdf"
    text.write_text("hello", encoding="utf-8")
    result = _verify(project, text, "--site", str(site))
    assert result.returncode == 1 and "NOT GENUINE" in result.stderr and "Traceback" not in result.stderr
    result = _verify(project, tmp_path / "missing.pdf", "--site", str(site))
    assert result.returncode == 1
    assert result.stderr.strip() == f"{tmp_path / 'missing.pdf'}: no such file"
    result = _verify(project, text, "--site", str(tmp_path / "nowhere"))
    assert result.returncode == 1 and "no such folder" in result.stderr


def test_a_version_this_site_never_published(built, tmp_path):
    """A PDF of version 3 checked against a site that stops at version 2 (a fork, or an old copy)."""
    _, site = built
    older = history(tmp_path / "older", count=2)
    assert mkdocs_build(older.path, tmp_path / "site", today="2026-05-10").returncode == 0
    pdf = _copy(site / f"{PID}/v/3/{PID}-v3.pdf", tmp_path / "v3.pdf")
    for args in (["--site", str(tmp_path / "site")], []):
        result = _verify(older.path, pdf, *args)
        assert result.returncode == 1
        assert (f"it says it is Privacy Policy ({PID}) version 3, but no such version has been published"
                in result.stderr), result.stderr


@pytest.mark.parametrize("mode", ["site", "git"])
def test_a_pdf_carrying_another_text_is_not_genuine(built, tmp_path, mode):
    """Someone swapped the attached canonical text for an edited one."""
    project, site = built
    doc = pikepdf.open(site / PDF_V2)
    name = f"{PID}-v2.json"
    text = doc.attachments[name].get_file().read_bytes().replace(b"three business days", b"thirty business days")
    doc.attachments[name] = pikepdf.AttachedFileSpec(doc, text, filename=name)
    pdf = tmp_path / "swapped.pdf"
    doc.save(pdf)
    result = _verify(project, pdf, *(["--site", str(site)] if mode == "site" else []))
    assert result.returncode == 1
    assert (f"it says it is Privacy Policy ({PID}) version 2, but the text it carries is not the text "
            "of that version") in result.stderr, result.stderr


def _forged(dest: Path, name: str, text: bytes) -> Path:
    """A one-page PDF whose only attachment is ``text`` under ``name`` (what a forger controls)."""
    doc = pikepdf.new()
    doc.add_blank_page()
    doc.attachments[name] = pikepdf.AttachedFileSpec(doc, text, filename=name)
    doc.save(dest)
    return dest


@pytest.mark.parametrize("name, text, says", [
    # A version number Python will not turn into an int (over 4,300 digits).
    (f"{PID}-v{'9' * 5000}.json", b'{"title": "Privacy Policy"}', None),
    # Canonical text nested deeper than json can decode.
    (f"{PID}-v2.json", b"[" * 200_000, f"it says it is {PID} ({PID}) version 2"),
    # A title that is not text.
    (f"{PID}-v2.json", b'{"title": ["<b>x</b>"]}', f"it says it is {PID} ({PID}) version 2"),
])
def test_a_pdf_with_a_forged_attachment_is_not_genuine_without_a_traceback(built, tmp_path, name, text, says):
    project, site = built
    pdf = _forged(tmp_path / "forged.pdf", name, text)
    result = _verify(project, pdf, "--site", str(site))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{pdf}: NOT GENUINE", result.stderr
    assert len(lines) == 2
    assert lines[1] == (f"  it is not the PDF of any published version of {PID}" if says is None
                        else f"  {says}, but the text it carries is not the text of that version")


def test_a_non_pdf_gets_the_verdict_and_nothing_else(built, tmp_path):
    project, site = built
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + b"not really\n" * 100)
    result = _verify(project, junk, "--site", str(site))
    assert result.returncode == 1
    # pypdf's own repair notes ("EOF marker not found") are not the user's business.
    assert result.stderr.splitlines() == [
        f"{junk}: NOT GENUINE", f"  it is not the PDF of any published version of {PID}"]


def test_a_huge_file_is_hashed_in_pieces_not_loaded(built, tmp_path):
    """2 GiB (sparse) under a 1 GiB address-space limit: reading it whole would raise MemoryError."""
    import resource
    import subprocess

    from gitrepo import POLICY, _base_env

    project, site = built
    huge = tmp_path / "huge.pdf"
    with open(huge, "wb") as f:
        f.truncate(2 << 30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = subprocess.run([str(POLICY), "verify", str(huge), "--site", str(site)], cwd=project,
                            env=_base_env(), capture_output=True, text=True, timeout=120, preexec_fn=limit)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{huge}: NOT GENUINE", f"  it is not the PDF of any published version of {PID}"]


def test_a_version_posted_under_an_older_notice_period_is_still_genuine(tmp_path):
    """mkdocs.yml's notice period changed after version 2: its PDF keeps the date it was posted with."""
    repo = history(tmp_path / "project", count=2)
    config = repo.read("mkdocs.yml")
    assert "notice_days: 0\n" in config
    repo.write("mkdocs.yml", config.replace("notice_days: 0\n", "notice_days: 14\n"))
    repo.commit("Two weeks' notice from now on", "2026-04-20T10:00:00+12:00")
    assert mkdocs_build(repo.path, tmp_path / "site", today="2026-05-10").returncode == 0
    pdf = _copy(tmp_path / "site" / PDF_V2, tmp_path / "v2.pdf")
    shutil.rmtree(repo.path / ".cache", ignore_errors=True)  # rebuilt from history, not from the cache
    result = _verify(repo.path, pdf)
    assert result.returncode == 0, result.stderr
    assert "  effective 1 April 2026 (2026-04-01), in force" in result.stdout.splitlines()


@pytest.mark.parametrize("text, says", [
    ('{"policy": ["x"], "title": {"a": 1}, "versions": [{"version": 1, "pdf_sha256": "00"}]}',
     "  it is not the PDF of any published version of other"),
    ('{"versions": [{"version": 1, "policy": {"id": "x"}}]}',
     "  it is not the PDF of any published version of other"),
    ("[" * 100_000, "other/versions.json: cannot read it as JSON"),
])
def test_a_mangled_versions_json_is_a_clean_answer(built, tmp_path, text, says):
    project, site = built
    (tmp_path / "site" / "other").mkdir(parents=True)
    (tmp_path / "site" / "other" / "versions.json").write_text(text, encoding="utf-8")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    result = _verify(project, junk, "--site", str(tmp_path / "site"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert says in result.stderr, result.stderr
