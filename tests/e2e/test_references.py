"""Issue 14, item 3: references between policies that always resolve, on every page and in every PDF."""

from __future__ import annotations

import re
import shutil
import subprocess

import pikepdf
import pytest

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml

SITE = "https://www.leadmanagement.co.nz/policies/"
V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-06-01T10:00:00+12:00"

TERMS = policy_yaml({
    "use": "Read our [privacy statement](policy:privacy-policy) before you sign up.",
    "data": "How we keep your details is in [](policy:privacy-policy#security).",
}, policy_id="terms", title="Terms of Use")


def security_title(text: str, title: str) -> str:
    changed, n = re.subn(r"(- id: security\n\s+title: ).*", lambda m: m.group(1) + title, text, count=1)
    assert n == 1
    return changed


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Terms of use citing the privacy policy; then the privacy policy renames its security clause."""
    base = tmp_path_factory.mktemp("refs")
    repo = GitRepo.project(base / "one" / "proj")
    repo.write("content/terms.yaml", TERMS)
    repo.commit("Publish the terms of use beside the privacy policy", V1)
    repo.write_policy(security_title(repo.read("content/privacy-policy.yaml"), "Keeping your information secure"))
    repo.commit("Privacy: rename the security clause", V2)
    site = base / "one" / "site"
    result = mkdocs_build(repo.path, site, today="2026-06-10")
    assert result.returncode == 0, result.stderr
    return base, repo, site


def links(html: str, text_has: str) -> list[tuple[str, str]]:
    return [(m.group(1), re.sub(r"<[^>]+>", "", m.group(2)))
            for m in re.finditer(r'<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S) if text_has in m.group(2)]


def test_the_page_in_force_links_the_policy_in_force(project):
    _, _, site = project
    html = (site / "terms" / "index.html").read_text(encoding="utf-8")
    assert ("../privacy-policy/", "privacy statement") in links(html, "privacy statement")
    assert ("../privacy-policy/#security", "clause 2 Keeping your information secure") in links(html, "clause 2")


def test_an_archived_page_links_the_version_in_force_on_its_date(project):
    _, _, site = project
    html = (site / "terms" / "v" / "1" / "index.html").read_text(encoding="utf-8")
    # Was: a relative link that 404s from here. Now the privacy policy as it was on 2 March 2026.
    assert ("../../../privacy-policy/v/1/", "privacy statement") in links(html, "privacy statement")
    assert ("../../../privacy-policy/v/1/#security", "clause 2 Security of your information") in \
        links(html, "clause 2")
    for href, _ in links(html, ""):
        if not href.startswith(("http", "#", "mailto:")):
            assert (site / "terms" / "v" / "1" / href.split("#")[0] / "index.html").resolve().is_file() or \
                (site / "terms" / "v" / "1" / href.split("#")[0]).resolve().is_file(), href


def test_the_pdf_links_absolute_permanent_urls_and_is_the_same_built_anywhere(project, tmp_path):
    base, repo, site = project
    pdf = site / "terms" / "v" / "1" / "terms-v1.pdf"
    doc = pikepdf.open(pdf)
    uris = {str(a.A.URI): str(a.Contents) for p in doc.pages for a in p.get("/Annots", [])
            if "/A" in a and "/URI" in a.A}
    assert uris[f"{SITE}privacy-policy/v/1/"] == "privacy statement"
    assert uris[f"{SITE}privacy-policy/v/1/#security"] == "clause 2 Security of your information"
    assert not any(u.startswith("file:") for u in uris)
    # The same commit in another folder: the same bytes (a relative link made them differ).
    other = base / "elsewhere" / "deeper" / "proj"
    other.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", str(repo.path), str(other)], check=True)
    shutil.copytree(repo.path / ".git" / "refs", other / ".git" / "refs", dirs_exist_ok=True)
    result = mkdocs_build(other, tmp_path / "site", today="2026-06-10")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "terms" / "v" / "1" / "terms-v1.pdf").read_bytes() == pdf.read_bytes()


@pytest.mark.parametrize("body,says", [
    ("See [](policy:cookies).", "'policy:cookies' names no policy: there is no policy with id 'cookies'"),
    ("See [](policy:privacy-policy#nowhere).",
     "'policy:privacy-policy#nowhere' names no clause: policy 'privacy-policy' has no clause 'nowhere'"),
    ("See [the privacy statement](../privacy-policy/).", "link to '../privacy-policy/' is a relative link"),
    ("See [cookies](../cookie-policy/index.md).", "link to '../cookie-policy/index.md' is a relative link"),
    ("See [x](policy:Not_An_Id).", "'policy:Not_An_Id' is not a reference"),
])
def test_policy_check_reports_a_dangling_reference_or_a_relative_link_at_its_line(tmp_path, body, says):
    repo = GitRepo.project(tmp_path / "proj", pdf=False)
    repo.write("content/terms.yaml", policy_yaml({"use": "Fine.", "more": body}, policy_id="terms",
                                                 title="Terms of Use"))
    result = policy_cli(repo.path, "check")
    assert result.returncode == 1
    line = next(n for n, text in enumerate((repo.path / "content" / "terms.yaml").read_text().splitlines(), 1)
                if body.split("(")[0][:10] in text)
    assert f"content/terms.yaml:{line}: {says}" in result.stderr.replace(str(repo.path) + "/", ""), result.stderr
    assert "Traceback" not in result.stderr


def test_a_policy_with_no_contact_clause_shows_the_same_contact_on_its_page_as_in_its_pdf(project):
    """Issue 14, item 7: the page showed no contact, its PDF a "Contact" section."""
    import pypdf

    _, _, site = project
    html = (site / "terms" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<h2 id="contact">Contact', html) and "privacy@example.org" in html
    assert "Privacy Officer" in html
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(site / "terms" / "terms.pdf").pages)
    assert "Contact" in text and "privacy@example.org" in text and "Privacy Officer" in text
    # The embedded policy has a contact clause: no second block.
    seed = (site / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="contact">' not in seed


def test_a_policy_in_a_sub_folder_of_content_is_reported_not_silently_left_out(tmp_path):
    """Issue 14, item 7: sub-folders of content/ were not published, and policy check exited 0."""
    repo = GitRepo.project(tmp_path / "proj", pdf=False)
    repo.write("content/hr/leave.yaml", policy_yaml({"one": "Text."}, policy_id="leave", title="Leave"))
    result = policy_cli(repo.path, "check")
    assert result.returncode == 1
    assert "content/hr/leave.yaml: this file is in a sub-folder of the content folder, so it is not published" \
        in result.stderr.replace(str(repo.path) + "/", "")
    repo.commit("Leave policy in a folder", V1)
    built = mkdocs_build(repo.path, tmp_path / "site")
    assert built.returncode != 0 and "content/hr/leave.yaml" in built.stderr


def test_the_home_page_is_the_policy_centre_in_the_owners_order(project, tmp_path):
    """Issue 14, item 7: the home page listed titles in file-name order, with nothing else."""
    base, repo, site = project
    home = (site / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", home))
    assert text.index("Privacy Policy") < text.index("Terms of Use")  # by title when no order is set
    assert "Version 2, in force since 1 June 2026." in text and "Version 1, in force since 2 March 2026." in text
    assert 'href="privacy-policy/privacy-policy.pdf"' not in home  # each version's own PDF, by its address
    assert 'href="privacy-policy/v/2/privacy-policy-v2.pdf" download' in home
    assert 'href="terms/feed.xml" type="application/atom+xml"' in home and 'href="terms/versions/"' in home
    # The owner's order: terms first, on the home page and in the navigation.
    config = repo.path / "mkdocs.yml"
    saved = config.read_text(encoding="utf-8")
    try:
        config.write_text(saved.replace("  - policy:\n", "  - policy:\n      order: [terms, privacy-policy]\n"),
                          encoding="utf-8")
        result = mkdocs_build(repo.path, tmp_path / "site", today="2026-06-10")
    finally:
        config.write_text(saved, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    body = home[home.index('<article'):]
    assert body.index("Terms of Use") < body.index("Privacy Policy")
    nav = home[home.index('<nav class="md-nav md-nav--primary"'):]
    assert nav.index("Terms of Use") < nav.index("Privacy Policy")
