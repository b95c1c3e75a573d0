"""The PDF of a version, read back: text, pages, header, bookmarks, links, metadata, tags, attachment."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pikepdf
import pypdf
import pytest

from generator.content import loader
from generator.pdf import cache as pdf_cache
from generator.pdf import render as pdf
from generator.model import PolicyVersion
from generator.errors import PolicyError
from generator.pdf.document import PdfError
from generator.settings import Settings
from pdftext import page_texts, reading_text
from seed import missing_sentences, normalise

ROOT = Path(__file__).resolve().parents[3]
POLICY_FILE = ROOT / "content" / "privacy-policy.yaml"
SITE_URL = "https://www.leadmanagement.co.nz/policies/"
POSTED = datetime(2026, 3, 12, 1, 5, 0, tzinfo=timezone.utc)  # 14:05 NZDT on 12 March 2026
EXTENSIONS = ("toc", "tables", "fenced_code", "attr_list", "md_in_html", "admonition", "def_list")
CLAUSE_TITLES = [
    ("1", "Personal Information"), ("1.1", "How we collect your information"),
    ("1.2", "Recording of calls"), ("1.3", "How we use your information"),
    ("2", "Security of your information"), ("3", "Disclosure of your information"),
    ("4", "Access to your information"), ("5", "How do you make a privacy complaint?"),
    ("6", "Changes to this policy"),
]


def make_settings(cache_dir: Path | None = None, **kw) -> Settings:
    """Settings as the plugin makes them from this project's mkdocs.yml."""
    values = dict(root=ROOT, content_dir=ROOT / "content", site_url=SITE_URL,
                  markdown_extensions=EXTENSIONS,
                  mdx_configs={"toc": {"permalink": True, "permalink_title": "Link to this section"}},
                  cache_dir=cache_dir, theme_dir=ROOT / "theme")
    values.update(kw)
    return Settings(**values)


def make_version(number: int = 3, *, policy=None, posted: datetime | None = POSTED, status: str = "in-force",
                 source_text: str | None = None) -> PolicyVersion:
    policy = policy or loader.load_policy(POLICY_FILE)
    draft = status == "draft"
    return PolicyVersion(
        number=number, policy=policy, commit=None if draft else "1" * 40,
        posted_at=None if draft else posted,
        effective_date=None if draft else posted.astimezone(_nz()).date(),
        status=status, text_sha256=policy.text_sha256(),
        source_text=POLICY_FILE.read_text(encoding="utf-8") if source_text is None else source_text)


def _nz():
    from zoneinfo import ZoneInfo
    return ZoneInfo("Pacific/Auckland")


def struct_counts(doc: pikepdf.Pdf) -> dict[str, int]:
    counts: dict[str, int] = {}

    def walk(node):
        if isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/StructElem":
            tag = str(node.S)
            counts[tag] = counts.get(tag, 0) + 1
            kids = node.get("/K")
            for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                walk(kid)

    for kid in doc.Root.StructTreeRoot.K:
        walk(kid)
    return counts


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> bytes:
    """The PDF of the seed policy as version 3, in force."""
    settings = make_settings(tmp_path_factory.mktemp("cache"))
    return pdf.render_version(make_version(), settings).data


def test_every_seed_sentence_is_in_the_pdf(current, tmp_path):
    text = reading_text(page_texts(current, tmp_path, body_only=True, raw=True))
    assert missing_sentences(text) == []


def test_cover_block_says_what_and_which_version(current, tmp_path):
    first = normalise(page_texts(current, tmp_path)[0])
    for expected in ("Lead Management Limited", "Privacy Policy", "Version 3", "Effective 12 March 2026",
                     "Posted 12 March 2026, 14:05 NZDT",
                     "Permanent URL https://www.leadmanagement.co.nz/policies/privacy-policy/v/3/"):
        assert expected in first, expected
    assert "Draft" not in first


def test_every_page_has_title_version_effective_date_and_page_x_of_y(current, tmp_path):
    pages = page_texts(current, tmp_path)
    assert len(pages) == len(pypdf.PdfReader(io.BytesIO(current)).pages)
    assert 3 <= len(pages) <= 6  # the seed is a few pages of A4, with its contents
    for i, page in enumerate(pages, 1):
        lines = [normalise(x) for x in page.splitlines() if x.strip()]
        assert lines[0].startswith("Privacy Policy · Version 3"), lines[0]
        assert "Effective 12 March 2026" in lines[0] + " " + lines[1]
        assert f"Page {i} of {len(pages)}" in lines[-1]


def test_clauses_are_numbered_and_listed_in_a_table_of_contents(current, tmp_path):
    text = reading_text(page_texts(current, tmp_path))
    contents = text[text.index("Contents"):text.index("1 Personal Information 1.1 How we collect your information IN SHORT")]
    for number, title in CLAUSE_TITLES:
        assert re.search(rf"{re.escape(number)} {re.escape(title)} ?\.+ ?\d", contents), title


def test_one_bookmark_per_clause_nested_like_the_clauses():
    reader = pypdf.PdfReader(io.BytesIO(_render_plain()))

    def flatten(outline, depth=0):
        out, last = [], None
        for item in outline:
            if isinstance(item, list):
                out.extend(flatten(item, depth + 1))
            else:
                out.append((depth, item.title))
        return out

    got = flatten(reader.outline)
    assert [t for _, t in got] == [f"{n} {t}" for n, t in CLAUSE_TITLES]
    assert [d for d, _ in got] == [n.count(".") for n, _ in CLAUSE_TITLES]


def test_internal_links_go_to_the_page_of_their_clause(current, tmp_path):
    reader = pypdf.PdfReader(io.BytesIO(current))
    texts = [normalise(t) for t in page_texts(current, tmp_path)]
    targets = {}
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Dest") is not None:
                targets[str(annot["/Dest"])] = reader.get_destination_page_number(
                    reader.named_destinations[str(annot["/Dest"])])
    for clause_id, heading in (("access", "4 Access to your information"),
                               ("changes", "6 Changes to this policy"), ("purposes", "1.3 How we use")):
        assert clause_id in targets
        assert heading in texts[targets[clause_id]]


def test_document_metadata(current):
    reader = pypdf.PdfReader(io.BytesIO(current))
    meta = reader.metadata
    assert meta.title == "Privacy Policy — version 3"
    assert meta.author == "Lead Management Limited"
    assert meta.subject == ("Privacy Policy of Lead Management Limited (New Zealand), version 3, "
                            "effective 12 March 2026")
    assert "privacy-policy" in meta["/Keywords"] and "version 3" in meta["/Keywords"]
    assert meta.creation_date == POSTED
    assert reader.trailer["/Root"]["/Lang"] == "en-NZ"


def test_archival_and_tagged(current):
    doc = pikepdf.open(io.BytesIO(current))
    with doc.open_metadata() as xmp:
        assert xmp["pdfaid:part"] == "3"
        assert xmp["pdfaid:conformance"] == "A"
        assert xmp["dc:title"] == "Privacy Policy — version 3"
    assert doc.Root.MarkInfo.Marked is True
    assert str(doc.Root.Lang) == "en-NZ"
    assert doc.Root.ViewerPreferences.DisplayDocTitle is True
    counts = struct_counts(doc)
    top = sum(1 for n, _ in CLAUSE_TITLES if "." not in n)
    assert counts["/H1"] == 1  # the title
    assert counts["/H2"] == top + 1  # top-level clauses and "Contents"
    assert counts["/H3"] == len(CLAUSE_TITLES) - top
    assert counts["/L"] >= 3 and counts["/LI"] >= 12  # the two lists of the seed and the contents
    assert counts["/Link"] >= len(CLAUSE_TITLES)
    assert counts["/P"] > 10


def test_every_font_is_embedded(current):
    doc = pikepdf.open(io.BytesIO(current))
    fonts = {}
    for page in doc.pages:
        for font in page.Resources.Font.values():
            descriptor = (font.DescendantFonts[0] if "/DescendantFonts" in font else font).FontDescriptor
            fonts[str(font.BaseFont)] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert all("DejaVu" in name for name in fonts)


def test_canonical_text_and_public_fields_are_attached(current):
    doc = pikepdf.open(io.BytesIO(current))
    files = {name: spec.get_file().read_bytes() for name, spec in doc.attachments.items()}
    policy = loader.load_policy(POLICY_FILE)
    assert files["privacy-policy-v3.json"] == policy.canonical_text().encode("utf-8")
    assert hashlib.sha256(files["privacy-policy-v3.json"]).hexdigest() == policy.text_sha256()
    # The YAML is a policy file of the public fields: it loads back to the same text.
    public = loader.policy_from_text(files["privacy-policy-v3.yaml"], "attached.yaml")
    assert public is not None and public.canonical_text() == policy.canonical_text()
    # PDF/A-3 ties attachments to the document with a relationship, each listed once
    # (WeasyPrint 70 lists them twice; the finisher in pdf/render.py fixes that).
    assert sorted(str(spec.UF) for spec in doc.Root.AF) == sorted(files)
    assert {str(spec.AFRelationship) for spec in doc.Root.AF} == {"/Source"}


def test_a_draft_says_so_on_every_page(tmp_path):
    policy = loader.load_policy(POLICY_FILE)
    data = pdf.render_version(make_version(4, policy=policy, status="draft", source_text=""),
                              make_settings()).data
    pages = page_texts(data, tmp_path)
    for page in pages:
        assert "Draft — not yet published" in page
        assert "Privacy Policy · Draft" in page and "Effective not yet (draft)" in normalise(page)
    first = normalise(pages[0])
    # Like the site: a draft has no number, date or address until it is merged.
    assert "Version Draft (numbered when it is published)" in first
    assert "Posted not yet posted" in first and "Permanent URL none yet: this is a draft" in first
    assert "Version 4" not in normalise(" ".join(pages))
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Privacy Policy — draft"
    assert reader.metadata.creation_date is None
    assert sorted(reader.attachments) == ["privacy-policy-draft.json", "privacy-policy-draft.yaml"]


def _short_policy():
    policy = loader.load_policy(POLICY_FILE)
    return replace(policy, clauses=policy.clauses[-2:])


def _render_plain() -> bytes:
    return pdf.render_version(make_version(), make_settings()).data


def test_short_documents_have_no_table_of_contents(tmp_path):
    data = pdf.render_version(make_version(1, policy=_short_policy()), make_settings()).data
    pages = page_texts(data, tmp_path)
    assert len(pages) <= 2
    text = normalise(" ".join(pages))
    assert "Contents" not in text
    assert "5 How do you make a privacy complaint?" not in text
    assert "1 How do you make a privacy complaint?" in text and "2 Changes to this policy" in text
    # Neither clause shows the contact block, so it closes the document under its own heading.
    assert "Contact Privacy Officer Postal Address: Lead Management Limited" in text
    counts = struct_counts(pikepdf.open(io.BytesIO(data)))
    assert counts["/H2"] == 3  # two clauses and "Contact"; no "Contents"


def test_a_later_version_or_status_does_not_restamp_an_earlier_pdf():
    settings = make_settings()
    before = pdf.render_version(make_version(3, status="in-force"), settings).data
    superseded = replace(make_version(3, status="superseded"), superseded_on=date(2027, 1, 5))
    after = pdf.render_version(superseded, replace(settings, today=date(2027, 2, 1))).data
    assert after == before


def test_cached_bytes_are_the_rendered_bytes(tmp_path):
    settings = make_settings(tmp_path / "cache")
    fresh = pdf.render_version(make_version(), settings)
    again = pdf.render_version(make_version(), settings)
    assert not fresh.cached and again.cached
    assert again.data == fresh.data and again.sha256 == hashlib.sha256(fresh.data).hexdigest()


def test_a_bad_template_is_a_clean_error(tmp_path):
    theme = tmp_path / "theme" / "pdf"
    theme.mkdir(parents=True)
    (theme / "policy.css").write_text("p {}", encoding="utf-8")
    (theme / "policy.html").write_text("<p>{{ policy.title </p>", encoding="utf-8")
    with pytest.raises(PdfError) as e:
        pdf.render_version(make_version(), make_settings(theme_dir=tmp_path / "theme"))
    assert "policy.html" in str(e.value)


def test_a_variant_that_is_unknown_or_not_reproducible_is_refused():
    for variant in ("pdf/a-9z", "pdf/x-4"):
        with pytest.raises(PolicyError) as e:
            pdf.render_version(make_version(), make_settings(pdf_variant=variant))
        assert f"pdf_variant {variant!r} is not supported" in str(e.value)


def test_another_variant_is_honoured(tmp_path):
    data = pdf.render_version(make_version(), make_settings(pdf_variant="pdf/ua-1")).data
    doc = pikepdf.open(io.BytesIO(data))
    with doc.open_metadata() as xmp:
        assert xmp.get("pdfaid:part") is None and xmp["pdfuaid:part"] == "1"
    assert doc.Root.MarkInfo.Marked is True and "/StructTreeRoot" in doc.Root


def test_a_changed_stylesheet_is_a_cache_miss(tmp_path):
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme" / "pdf", theme / "pdf")
    settings = make_settings(tmp_path / "cache", theme_dir=theme)
    first = pdf.render_version(make_version(), settings)
    css = theme / "pdf" / "policy.css"
    css.write_text(css.read_text(encoding="utf-8").replace("size: A4;", "size: letter;"), encoding="utf-8")
    second = pdf.render_version(make_version(), settings)
    assert not second.cached and second.data != first.data
    assert pypdf.PdfReader(io.BytesIO(second.data)).pages[0].mediabox.width == 612  # US letter


def test_the_cache_forgets_pdfs_no_build_has_used_for_sixty_days(tmp_path):
    import time

    settings = make_settings(tmp_path / "cache")
    pdf.render_version(make_version(3), settings)
    pdf.render_version(make_version(4), settings)
    cache = pdf_cache.PdfCache(tmp_path / "cache")
    old, recent = pdf_cache.version_key(make_version(4), settings), pdf_cache.version_key(make_version(3), settings)
    long_ago = time.time() - 61 * 86400
    for key in (old, recent):
        os.utime(cache._path(key), (long_ago, long_ago))
    again = pdf.render_version(make_version(3), settings)  # a build that only needs version 3
    assert again.cached
    assert [f.stem for f in (tmp_path / "cache" / "pdf").glob("*/*.pdf")] == [recent]


_RENDER_IN = """
import sys
sys.path[:0] = {paths!r}
from test_pdf import make_settings, make_version
from generator.content import loader, yamlsource
from generator.pdf import cache as pdf_cache
from generator.pdf import render as pdf
# As a version read back from git is: policy check now refuses a local path in new content.
policy = loader.policy_from_doc(yamlsource.read({policy!r}))
sys.stdout.buffer.write(pdf.render_version(make_version(policy=policy), make_settings()).data)
"""


def test_the_bytes_do_not_depend_on_the_current_folder(tmp_path):
    """A clause with a relative image (in a version published before policy check refused it),
    rendered from a folder that has that file and one that has not."""
    policy = tmp_path / "privacy-policy.yaml"
    text = POLICY_FILE.read_text(encoding="utf-8")
    assert "\n    body: |\n" in text
    policy.write_text(text.replace("\n    body: |\n", "\n    body: |\n      ![Logo](logo.png)\n\n", 1),
                      encoding="utf-8")
    script = _RENDER_IN.format(paths=[str(Path(__file__).resolve().parent), str(ROOT / "tests")],
                               policy=str(policy))
    with_logo, without = tmp_path / "with-logo", tmp_path / "without"
    with_logo.mkdir()
    without.mkdir()
    # A real 1 x 1 PNG: WeasyPrint would draw it if it read it.
    (with_logo / "logo.png").write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415478da63f8cfc000000301010018dd8db00000000049454e44ae426082"))
    out = [subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True, check=True,
                          timeout=120).stdout for folder in (with_logo, without)]
    assert out[0][:5] == b"%PDF-" and out[0] == out[1]


def test_a_summary_reads_as_written_as_on_the_policy_page(tmp_path):
    """HTML-like words in a plain-language summary are text in the PDF too, not markup."""
    text = POLICY_FILE.read_text(encoding="utf-8")
    summary = "Outbound calls are usually recorded."
    assert f"summary: {summary}" in text
    hostile = "Calls <b>are</b> recorded & <i>kept</i>."
    file = tmp_path / "privacy-policy.yaml"
    file.write_text(text.replace(f"summary: {summary}", f"summary: '{hostile}'", 1), encoding="utf-8")
    data = pdf.render_version(make_version(policy=loader.load_policy(file)), make_settings()).data
    assert hostile in reading_text(page_texts(data, tmp_path, body_only=True, raw=True))
