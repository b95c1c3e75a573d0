"""End to end: a real `mkdocs build` of the project, and of broken content."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from seed import missing_sentences, page_text

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = ROOT / ".venv" / "bin" / "mkdocs"
POLICY = ROOT / "content" / "privacy-policy.yaml"


def mkdocs_build(config: Path, site: Path, *, strict: bool = True, env: dict | None = None):
    args = [str(MKDOCS), "build", "-f", str(config), "-d", str(site)]
    if strict:
        args.append("--strict")
    return subprocess.run(args, capture_output=True, text=True, cwd=config.parent,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})})


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("build") / "site"
    result = mkdocs_build(ROOT / "mkdocs.yml", site)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return site


def test_home_page_lists_each_policy(built):
    html = (built / "index.html").read_text(encoding="utf-8")
    assert '<a href="privacy-policy/">Privacy Policy</a>' in html
    assert "Lead Management Limited · New Zealand" in page_text(html)


def test_policy_page_has_contents_clauses_summaries_and_contact(built):
    html = (built / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    text = page_text(html)
    assert "<h1" in html and "Privacy Policy" in text
    for anchor in ("personal-information", "collection", "call-recording", "purposes", "security",
                   "disclosure", "access", "complaints", "changes"):
        assert f'id="{anchor}"' in html
        assert f'href="#{anchor}"' in html  # the table of contents
    # The summary comes before the full text of its clause.
    assert text.index("In short Outbound calls are usually recorded.") < text.index(
        "Note that we generally record outbound calls")
    assert "Postal Address: Lead Management Limited 4 Oxford Street Tawa Wellington 5028" in text
    assert '<a href="mailto:info@leadmanagement.co.nz">info@leadmanagement.co.nz</a>' in html
    # The contact block sits inside the access clause, after "at:" and before the identity check.
    assert text.index("addressed to the Privacy Officer at:") < text.index("Postal Address:") < text.index(
        "We will take steps to check the identity")


def test_every_seed_sentence_appears_unchanged(built):
    html = (built / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert missing_sentences(page_text(html)) == []


def test_lists_stay_lists(built):
    html = (built / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert "<li>delivering services on behalf of our clients;</li>" in html
    assert "<li>our related companies, as that term is defined in the Companies Act 2000.</li>" in html


class _Refs(HTMLParser):
    """Collect every URL a browser would fetch from a page."""

    FETCHING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
                "video": "src", "embed": "src", "link": "href", "object": "data"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        attr = self.FETCHING.get(tag)
        if attr and a.get(attr):
            self.urls.append(a[attr])
        if tag == "img" and a.get("srcset"):
            self.urls.extend(p.strip().split()[0] for p in a["srcset"].split(","))
        if a.get("style"):
            self.styles.append(a["style"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""")


def test_no_request_to_any_other_origin(built):
    own = urlparse(re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.M).group(1)).netloc
    offenders = []
    for f in built.rglob("*"):
        if f.suffix == ".html":
            parser = _Refs()
            parser.feed(f.read_text(encoding="utf-8"))
            urls = parser.urls + [u for s in parser.styles for m in _CSS_URL.findall(s) for u in m if u]
        elif f.suffix == ".css":
            urls = [u for m in _CSS_URL.findall(f.read_text(encoding="utf-8")) for u in m if u]
        else:
            continue
        for u in urls:
            host = urlparse(u if not u.startswith("//") else "https:" + u).netloc
            if host and host != own:
                offenders.append(f"{f.relative_to(built)}: {u}")
    assert offenders == []


def test_search_dialog_has_an_accessible_name(built):
    html = (built / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert 'role="dialog" aria-label="Search"' in html


def _project_copy(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", proj / "mkdocs.yml")
    shutil.copytree(ROOT / "theme", proj / "theme")
    shutil.copytree(ROOT / "content", proj / "content")
    if (ROOT / "checklists").is_dir():
        shutil.copytree(ROOT / "checklists", proj / "checklists")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-03-01T09:00:00+13:00",
           "GIT_COMMITTER_DATE": "2026-03-01T09:00:00+13:00", "GIT_AUTHOR_NAME": "Legal",
           "GIT_AUTHOR_EMAIL": "legal@example.org", "GIT_COMMITTER_NAME": "Legal",
           "GIT_COMMITTER_EMAIL": "legal@example.org"}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "Publish"]):
        subprocess.run(cmd, cwd=proj, check=True, env=env)
    return proj


@pytest.mark.parametrize("edit,line,message", [
    (("    title: Security of your information\n", "    tittle: Security of your information\n"),
     None, "unknown key 'tittle' (did you mean 'title'?)"),
    (("  - id: disclosure\n", "  - id: Disclosure Clause\n"), None, "invalid id 'Disclosure Clause'"),
])
def test_bad_content_fails_the_build_with_one_message_and_no_site(tmp_path, edit, line, message):
    proj = _project_copy(tmp_path)
    policy = proj / "content" / "privacy-policy.yaml"
    text = policy.read_text(encoding="utf-8")
    assert edit[0] in text
    policy.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    expected_line = policy.read_text(encoding="utf-8").splitlines().index(edit[1].rstrip("\n")) + 1
    site = tmp_path / "site"
    result = mkdocs_build(proj / "mkdocs.yml", site)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"content/privacy-policy.yaml:{expected_line}: {message}" in result.stderr
    assert not site.exists()

    check = subprocess.run([str(ROOT / ".venv" / "bin" / "policy"), "check"], cwd=proj,
                           capture_output=True, text=True)
    assert check.returncode == 1
    assert "Traceback" not in check.stderr
    assert check.stderr.startswith(f"content/privacy-policy.yaml:{expected_line}: {message}")


HOSTILE_POLICY = """\
id: terms
title: 'Terms </title><script>alert(1)</script> & <img src=x onerror=alert(2)>'
organisation: 'Org <script>alert(3)</script>'
jurisdiction: 'Land <b>bold</b>'
language: en
contact:
  role: Officer
  postal_address: ['<script>alert(4)</script>']
  email: 'a<i>x</i>@example.org'
  phone: '<img src=x onerror=alert(5)>'
clauses:
  - id: one
    title: 'Clause <img src=x onerror=alert(6)>'
    summary: 'In short <script>alert(7)</script> *still Markdown*'
    body: Body text.
    contact: true
"""


class _Elements(HTMLParser):
    """Every start tag of a page with its attributes, the code of its scripts, the text of its <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in ("title", "script") else None
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.scripts[-1] += data


def test_text_fields_of_the_yaml_never_become_html(tmp_path):
    """Titles, summaries, organisation, jurisdiction and contact fields are text: shown, never run."""
    proj = _project_copy(tmp_path)
    (proj / "content" / "terms.yaml").write_text(HOSTILE_POLICY, encoding="utf-8")
    env = {"GIT_AUTHOR_DATE": "2026-03-02T09:00:00+13:00", "GIT_COMMITTER_DATE": "2026-03-02T09:00:00+13:00",
           "GIT_AUTHOR_NAME": "Legal", "GIT_AUTHOR_EMAIL": "legal@example.org",
           "GIT_COMMITTER_NAME": "Legal", "GIT_COMMITTER_EMAIL": "legal@example.org"}
    for cmd in (["git", "add", "content/terms.yaml"], ["git", "commit", "-qm", "Terms"]):
        subprocess.run(cmd, cwd=proj, check=True, env={**os.environ, **env})
    site = tmp_path / "site"
    result = mkdocs_build(proj / "mkdocs.yml", site)
    assert result.returncode == 0, result.stderr
    pages = [site / "index.html", site / "terms" / "index.html", site / "terms" / "v" / "1" / "index.html",
             site / "terms" / "versions" / "index.html"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        found = _Elements()
        found.feed(html)
        assert not any("alert" in code for code in found.scripts), page
        assert not any(t in ("img", "b", "i") for t, _ in found.tags), page
        assert not any("onerror" in attrs for _, attrs in found.tags), page
        if page != site / "index.html":
            assert found.title.startswith("Terms </title><script>alert(1)</script> & <img"), (page, found.title)
    home = page_text((site / "index.html").read_text(encoding="utf-8"))
    assert "Org <script>alert(3)</script> · Land <b>bold</b>" in home
    text = page_text((site / "terms" / "index.html").read_text(encoding="utf-8"))
    assert "Clause <img src=x onerror=alert(6)>" in text  # no stray backslash before "<"
    assert "In short <script>alert(7)</script> still Markdown" in text
    assert "<script>alert(4)</script>" in text and "<img src=x onerror=alert(5)>" in text
    assert "<em>still Markdown</em>" in (site / "terms" / "index.html").read_text(encoding="utf-8")


def test_navigation_names_each_page_once(built):
    """Issue 15: the navigation said "Privacy policy › Privacy Policy" (a folder section around its one page)."""
    import re

    html = (built / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    versions = (built / "privacy-policy" / "versions" / "index.html").read_text(encoding="utf-8")
    primary = versions[versions.index('<nav class="md-nav md-nav--primary"'):]
    # (The active page's toggle for its contents, a label for="__toc", repeats its link: skipped.)
    labels = [" ".join(re.sub(r"<[^>]+>", " ", m).split())
              for m in re.findall(r'<(?:a|label)(?![^>]*for="__toc")[^>]*class="md-nav__link[^"]*"[^>]*>(.*?)'
                                  r'</(?:a|label)>', primary, re.S)]
    labels = [label for label in labels if label]
    assert labels[:4] == ["Lead Management Limited policies", "Privacy Policy", "Version in force",
                          "All versions"], labels
    lowered = [label.lower() for label in labels]
    assert all(a != b for a, b in zip(lowered, lowered[1:])), labels
    # The page keeps its own name where it is read: title, heading, header.
    assert "<title>Privacy Policy - Lead Management Limited policies</title>" in html
    assert "<title>Privacy Policy: all versions - Lead Management Limited policies</title>" in versions


def test_every_form_control_has_a_name(built):
    """Issue 15 (pa11y): the versions page had an unnamed #__toc checkbox, having no headings."""
    import re

    for page in sorted(built.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        for tag in re.findall(r"<input\b[^>]*>", html):
            if 'type="hidden"' in tag:
                continue
            ident = re.search(r'\bid="([^"]+)"', tag)
            assert "aria-label=" in tag or (ident and ident.group(1) in labelled), (page, tag)
