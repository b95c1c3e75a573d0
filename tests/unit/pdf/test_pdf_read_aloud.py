"""Issue 15: a PDF that reads well aloud, checked by outloud and by walking its structure."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from generator.pdf import render as pdf
from pdfstruct import elements, read_page, reading_order
from pdftext import page_texts
from test_pdf import make_settings, make_version

OUTLOUD = Path(sys.executable).parent / "outloud"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> bytes:
    return pdf.render_version(make_version(), make_settings(tmp_path_factory.mktemp("cache"))).data


@pytest.fixture
def doc(rendered):
    return pikepdf.open(io.BytesIO(rendered))


def outloud(data: bytes, tmp_path: Path) -> dict:
    file = tmp_path / "checked.pdf"
    file.write_bytes(data)
    run = subprocess.run([str(OUTLOUD), "--json", "-", "--fail-on", "never", str(file)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    (result,) = json.loads(run.stdout)["results"]
    assert result["error"] is None, result["error"]
    return result


def test_outloud_finds_no_error_and_no_warning(rendered, tmp_path):
    # Was: 10 errors and 6 warnings per PDF (outloud 0.2.1).
    result = outloud(rendered, tmp_path)
    assert result["counts"] == {"error": 0, "warning": 0, "info": 0}, result
    assert result["verdict"] == "pass"


def test_running_header_footer_and_leaders_are_artifacts(doc):
    for number, page in enumerate(doc.pages, start=1):
        read = read_page(page)
        assert read.untagged == []
        tagged = " ".join(read.texts.values())
        # Was: the header and "Page X of Y" tagged on every page.
        assert f"Page {number} of {len(doc.pages)}" in "".join(read.artifacts)
        assert "Page " + str(number) not in tagged and "Privacy Policy · Version" not in tagged
        # Was: 774 leader dots tagged as text.
        assert not re.search(r"\.{3}", tagged.replace(" ", "")) and "." * 3 not in "".join(read.texts.values())
    assert sum("".join(read_page(p).artifacts).count(".") for p in doc.pages) > 100


def test_every_link_annotation_sits_under_a_link_element_with_its_words(doc):
    parents = {int(k): v for k, v in zip(doc.Root.StructTreeRoot.ParentTree.Nums[::2],
                                         doc.Root.StructTreeRoot.ParentTree.Nums[1::2])}
    links = 0
    for page in doc.pages:
        for annot in page.get("/Annots", []):
            if annot.Subtype != "/Link":
                continue
            links += 1
            el = parents[int(annot.StructParent)]
            # Was: 9 of 38 under a Span.
            assert el.S == "/Link", el.S
            assert any(k.objgen == annot.objgen for k in
                       (kid.Obj for kid in el.K if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"))
            assert str(annot.Contents).strip() and not re.fullmatch(r"[a-z-]+", str(annot.Contents))
    assert links > 10
    # No link inside a link: a reader would announce it twice.
    for el, parent in elements(doc):
        if el.S == "/Link":
            assert parent is None or parent.S != "/Link"


def test_contents_entries_read_as_number_title_and_page(doc):
    entries = [el for el, parent in elements(doc) if el.S == "/Link" and parent is not None and parent.S == "/LBody"]
    texts = {str(a.Contents) for p in doc.pages for a in p.get("/Annots", []) if "/Dest" in a or "/A" in a}
    assert "1 Personal Information 2" in texts or any(re.fullmatch(r"1 Personal Information \d+", t) for t in texts)
    assert entries


def test_reading_order_of_the_first_page_is_its_visible_text(doc, rendered, tmp_path):
    def squeeze(text: str) -> str:  # no white space, no leader dots, no list bullets
        return re.sub(r"\.{2,}", "", re.sub(r"\s|•", "", text))
    visible = page_texts(rendered, tmp_path, body_only=True)[0]
    assert squeeze(reading_order(doc, 0)) == squeeze(visible)


def test_the_file_claims_pdf_ua_1_beside_pdf_a_3a_with_its_schema(doc):
    with doc.open_metadata() as xmp:
        assert xmp["pdfaid:part"] == "3" and xmp["pdfaid:conformance"] == "A"
        assert xmp["pdfuaid:part"] == "1"
    raw = doc.Root.Metadata.read_bytes()
    assert b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in raw and raw.count(b"pdfuaid:part>1") == 1


def test_the_bytes_stay_reproducible(rendered, tmp_path):
    again = pdf.render_version(make_version(), make_settings(tmp_path / "other-cache")).data
    assert again == rendered
