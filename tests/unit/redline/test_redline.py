"""The redline engine: real policies read from YAML, compared, and rendered as a reader sees them."""

from __future__ import annotations

import re
from pathlib import Path

import markdown
import pytest

from generator.redline.compare import diff_policies
from generator.redline.wording import changes_markdown
from generator.redline.words import word_diff_html
from generator.training.impact import training_impact
from generator.content.loader import load_policy, policy_from_doc
from generator.content.yamlsource import parse

from seed import page_text

POLICY = Path(__file__).resolve().parents[3] / "content" / "privacy-policy.yaml"

BASE = """\
schema_version: 1
id: demo
title: Demo Policy
organisation: Demo Limited
jurisdiction: New Zealand
language: en-NZ
contact:
  role: Privacy Officer
  postal_address: [Demo Limited, 1 Main Street, Wellington]
  email: privacy@demo.example
clauses:
  - id: collect
    title: What we collect
    summary: We collect what you give us.
    body: >-
      We collect your name and address under the Privacy Act 2000.
    training:
      guidance: Ask before you record.
      questions:
        - id: collect-q
          type: true-false
          prompt: We collect your name.
          answer: true
          explanation: The clause says so.
  - id: use
    title: How we use it
    body: |
      We use it:

      - to deliver services;
      - to bill you; and
      - to improve our website.
    clauses:
      - id: use-marketing
        title: Marketing
        body: We may send you offers.
      - id: use-research
        title: Research
        body: We may study how the site is used.
  - id: keep
    title: How long we keep it
    body: We keep it for seven years.
    training:
      questions:
        - id: keep-q
          type: single
          prompt: How long do we keep records?
          choices:
            - {id: one, text: One year}
            - {id: seven, text: Seven years}
          answer: seven
          explanation: Seven years.
  - id: contact-us
    title: Contact us
    body: Write to us.
    contact: true
"""


def policy(text: str = BASE, **edits: str):
    """Load a policy from YAML text after replacing each ``old=new`` pair (given as kwargs values)."""
    for old_new in edits.values():
        old, new = old_new
        assert old in text, f"test edit does not apply: {old!r}"
        text = text.replace(old, new, 1)
    return policy_from_doc(parse(text, "content/demo.yaml"))


def html(md_text: str) -> str:
    """Render Markdown the way the site's mkdocs.yml does (the extensions the redline relies on)."""
    return markdown.markdown(md_text, extensions=["attr_list", "md_in_html", "toc"])


# ------------------------------------------------------------------ matching


def test_same_public_text_is_an_empty_diff_whatever_the_layout_and_training():
    relaid = BASE.replace("clauses:\n  - id: collect", "# a comment\nclauses:\n  - id: collect")
    relaid = relaid.replace("Ask before you record.", "Always ask before you record a call.")
    relaid = relaid.replace("body: We keep it for seven years.", "body: \"We keep it for seven years.\"")
    d = diff_policies(policy(), policy(relaid))
    assert d.is_empty
    assert d.changed_clause_ids == ()
    assert d.summary() == "No change to the public text"
    md = changes_markdown(d, old_label="version 1", new_label="version 2")
    assert "No change to the public text between version 1 and version 2." in page_text(html(md))


def test_a_changed_word_is_one_changed_clause_with_a_word_level_redline():
    d = diff_policies(policy(), policy(a=("Privacy Act 2000", "Privacy Act 2020")))
    assert d.changed_clause_ids == ("collect",)
    (c,) = d.clauses
    assert c.kind == "changed" and not c.moved
    assert [f.name for f in c.fields] == ["body"]
    assert d.summary() == "1 clause changed"
    red = word_diff_html(c.fields[0].old, c.fields[0].new, labels=False)
    assert red == ("We collect your name and address under the Privacy Act "
                   "<del>2000</del> <ins>2020</ins>.")


def test_added_removed_and_changed_are_counted_for_the_versions_table():
    new = policy(
        a=("body: We keep it for seven years.", "body: We keep it for ten years."),
        b=("  - id: contact-us\n    title: Contact us\n    body: Write to us.\n    contact: true\n",
           "  - id: complaints\n    title: Complaints\n    body: Tell us first.\n"),
        c=("title: What we collect", "title: What we collect about you"),
    )
    d = diff_policies(policy(), new)
    kinds = {c.clause_id: c.kind for c in d.clauses}
    assert kinds == {"collect": "changed", "keep": "changed", "complaints": "added", "contact-us": "removed"}
    assert d.summary() == "2 clauses changed, 1 added, 1 removed"
    assert d.text_changed_ids == d.changed_clause_ids
    # A removed clause is listed where it used to be, before what replaced it.
    assert d.changed_clause_ids == ("collect", "keep", "contact-us", "complaints")


def test_insertion_renumbers_following_clauses_without_calling_them_moved():
    new = policy(a=("  - id: keep\n", "  - id: share\n    title: Sharing\n    body: We never sell it.\n  - id: keep\n"))
    d = diff_policies(policy(), new)
    assert d.changed_clause_ids == ("share",)
    assert d.clauses[0].number == "3"
    assert d.summary() == "1 clause added"


def test_reordering_siblings_marks_only_the_clause_that_moved():
    text = BASE.replace(
        "      - id: use-marketing\n        title: Marketing\n        body: We may send you offers.\n"
        "      - id: use-research\n        title: Research\n        body: We may study how the site is used.\n",
        "      - id: use-research\n        title: Research\n        body: We may study how the site is used.\n"
        "      - id: use-marketing\n        title: Marketing\n        body: We may send you offers.\n")
    d = diff_policies(policy(), policy(text))
    assert len(d.clauses) == 1
    (c,) = d.clauses
    assert c.kind == "moved" and c.moved and not c.fields
    assert (c.old_place.number, c.new_place.number) in (("2.1", "2.2"), ("2.2", "2.1"))
    assert d.summary() == "1 clause moved"
    assert d.text_changed_ids == ()


def test_a_clause_moved_under_another_parent_and_edited_is_moved_and_changed():
    text = BASE.replace(
        "      - id: use-research\n        title: Research\n        body: We may study how the site is used.\n", "")
    text = text.replace(
        "    body: We keep it for seven years.\n",
        "    body: We keep it for seven years.\n    clauses:\n      - id: use-research\n"
        "        title: Research\n        body: We may study how the website is used.\n")
    d = diff_policies(policy(), policy(text))
    (c,) = d.clauses
    assert c.clause_id == "use-research"
    assert c.kind == "changed" and c.moved
    assert (c.old_place.parent_id, c.new_place.parent_id) == ("use", "keep")
    assert (c.old_place.number, c.new_place.number) == ("2.2", "3.1")
    assert d.summary() == "1 clause changed, 1 moved"
    md = changes_markdown(d, old_label="version 1", new_label="version 2", new_url="../")
    text_out = page_text(html(md))
    assert "Changed: the wording. It moved under “How long we keep it” (it was clause 2.2)." in text_out
    assert "We may study how the [deleted: site] [inserted: website] is used." in text_out


def test_policy_details_and_contact_flag_are_reported():
    new = policy(
        a=("title: Demo Policy", "title: Demo Privacy Policy"),
        b=("email: privacy@demo.example", "email: privacy-officer@demo.example"),
        c=("    body: Write to us.\n    contact: true\n", "    body: Write to us.\n"),
    )
    d = diff_policies(policy(), new)
    assert [f.name for f in d.metadata] == ["title", "contact.email"]
    (c,) = d.clauses
    assert [f.name for f in c.fields] == ["contact"]
    assert d.summary() == "1 clause changed, policy details changed"
    out = page_text(html(changes_markdown(d, old_label="version 1", new_label="version 2")))
    assert "Title: Demo [inserted: Privacy] Policy" in out
    assert "The contact details are no longer shown at the end of this clause." in out


def test_first_version_has_nothing_to_compare():
    d = diff_policies(None, policy())
    assert d.is_first and not d.is_empty
    assert d.summary() == "First version: 6 clauses"
    out = page_text(html(changes_markdown(d, old_label="", new_label="version 1")))
    assert "This is the first version: there is no earlier text to compare it with." in out


# ------------------------------------------------------------------ word diff


def test_word_diff_escapes_html_and_never_lets_content_become_markup():
    red = word_diff_html("a < b", "a <script>alert(1)</script> & b", labels=False)
    assert "<script>" not in red
    assert "&lt;script&gt;" in red and "&amp;" in red
    rendered = html(red)
    assert "<script>" not in rendered
    assert page_text(rendered) == "a < b a <script>alert(1)</script> & b"
    assert "<ins>a &lt;script&gt;alert(1)&lt;/script&gt; &amp; b</ins>" in rendered



def test_words_of_a_link_are_escaped_too_and_the_link_still_works():
    red = word_diff_html("Read [the act](https://example.org/act).",
                         "Read [<img src=x onerror=alert(1)> & more](https://example.org/act).", labels=False)
    rendered = html(red)
    assert "<img" not in rendered
    assert '<a href="https://example.org/act">&lt;img src=x onerror=alert(1)&gt; &amp; more</a>' in rendered
    assert page_text(rendered) == "Read the act <img src=x onerror=alert(1)> & more."

def test_word_diff_keeps_list_items_as_list_items():
    old = "We use it:\n\n- to deliver services;\n- to bill you; and\n- to improve our website."
    new = "We use it:\n\n- to deliver services;\n- to bill you;\n- to train staff; and\n- to improve our website."
    red = word_diff_html(old, new, labels=False)
    assert red.splitlines() == [
        "We use it:",
        "",
        "- to deliver services;",
        "- to bill you; <del>and</del>",
        "- <ins>to train staff; and</ins>",
        "- to improve our website.",
    ]
    items = re.findall(r"<li>(.*?)</li>", html(red))
    assert items == ["to deliver services;", "to bill you; <del>and</del>",
                     "<ins>to train staff; and</ins>", "to improve our website."]


def test_no_mark_spans_a_line_so_paragraphs_stay_paragraphs():
    red = word_diff_html("", "First paragraph.\n\nSecond paragraph.", labels=False)
    assert red == "<ins>First paragraph.</ins>\n\n<ins>Second paragraph.</ins>"
    assert html(red) == "<p><ins>First paragraph.</ins></p>\n<p><ins>Second paragraph.</ins></p>"


def test_links_are_compared_whole_so_they_keep_working():
    red = word_diff_html("Read [the Act](https://example.org/a) now.",
                         "Read [the Act](https://example.org/b) now.", labels=False)
    assert red == ("Read <del>[the Act](https://example.org/a)</del> "
                   "<ins>[the Act](https://example.org/b)</ins> now.")
    assert '<del><a href="https://example.org/a">the Act</a></del>' in html(red)


def test_labels_make_the_redline_readable_without_colour_or_css():
    red = word_diff_html("kept for seven years", "kept for ten years")
    assert page_text(html(red)) == "kept for [deleted: seven] [inserted: ten] years"


def test_equal_text_is_returned_unchanged():
    text = "Same words, same – punctuation; “quotes”.\n\n- a list"
    assert word_diff_html(text, text) == text


# ------------------------------------------------------------------ changes page


def test_changes_page_lists_each_clause_with_number_title_what_and_link():
    new = policy(
        a=("body: We keep it for seven years.", "body: We keep it for ten years."),
        b=("  - id: contact-us\n", "  - id: cookies\n    title: Cookies\n    summary: We use two cookies.\n"
                                  "    body: One for login, one for language.\n  - id: contact-us\n"),
    )
    d = diff_policies(policy(), new)
    md = changes_markdown(d, old_label="version 1", new_label="version 2", new_url="../", old_url="../../1/")
    page = html(md)
    text = page_text(page)
    assert "Changes from version 1 to version 2: 1 clause changed, 1 added." in text
    headings = re.findall(r'<h2 id="([^"]+)">(.*?)</h2>', page)
    assert [h[0] for h in headings] == ["change-keep", "change-cookies"]
    assert page_text(headings[0][1]) == "3 How long we keep it"
    assert page_text(headings[1][1]) == "4 Cookies"
    assert "Changed: the wording." in text
    assert "Added. This clause is new." in text
    assert "We keep it for [deleted: seven] [inserted: ten] years." in text
    assert "[inserted: We use two cookies.]" in text
    assert '<a href="../#keep">Read clause 3 in version 2</a>' in page
    assert '<a href="../#cookies">Read clause 4 in version 2</a>' in page
    # The redline blocks went through md_in_html: their Markdown became HTML.
    assert '<div class="policy-redline policy-redline--body">' in page


def test_removed_clause_links_to_the_old_version():
    new = policy(a=("      - id: use-research\n        title: Research\n        body: We may study how the site is used.\n", ""))
    d = diff_policies(policy(), new)
    page = html(changes_markdown(d, old_label="version 1", new_label="version 2", new_url="../", old_url="../../1/"))
    assert "Removed. It was clause 2.2." in page_text(page)
    assert '<a href="../../1/#use-research">Read clause 2.2 as it was in version 1</a>' in page
    assert "[deleted: We may study how the site is used.]" in page_text(page)


def test_github_flavour_has_no_mkdocs_syntax_and_no_hidden_labels():
    d = diff_policies(policy(), policy(a=("seven years", "ten years")))
    md = changes_markdown(d, old_label="the published version", new_label="this branch", for_site=False,
                          heading_level=3)
    assert "{ #" not in md and "policy-sr" not in md and " markdown>" not in md
    assert "### 3 How long we keep it" in md
    assert "We keep it for <del>seven</del> <ins>ten</ins> years." in md


# ------------------------------------------------------------------ training impact


def test_training_on_changed_clauses_and_edited_questions_is_listed():
    new = policy(
        a=("Privacy Act 2000", "Privacy Act 2020"),                     # public: collect-q must be redone
        b=("prompt: How long do we keep records?", "prompt: How long do we keep call records?"),  # training only
    )
    impact = training_impact(policy(), new)
    got = [(i.kind, i.item_id, i.reason, i.redo) for i in impact.items]
    assert got == [("question", "collect-q", "clause text changed", True),
                   ("question", "keep-q", "question changed", True)]
    assert diff_policies(policy(), new).changed_clause_ids == ("collect",)


def test_training_only_edit_lists_training_but_no_public_change():
    new = policy(a=("Ask before you record.", "Ask before you record a call."),
                 b=("          explanation: The clause says so.\n",
                    "          explanation: The clause says so.\n        - id: collect-q2\n"
                    "          type: true-false\n          prompt: We collect your address.\n"
                    "          answer: true\n          explanation: Also in the clause.\n"))
    assert diff_policies(policy(), new).is_empty
    impact = training_impact(policy(), new)
    assert [(i.kind, i.item_id, i.reason) for i in impact.items] == [
        ("guidance", "guidance", "guidance changed"), ("question", "collect-q2", "question added")]


def test_removed_questions_are_listed_but_need_no_redo():
    start = BASE.index("    training:\n      questions:\n        - id: keep-q")
    text = BASE[:start] + BASE[BASE.index("  - id: contact-us"):]
    impact = training_impact(policy(), policy(text))
    assert [(i.item_id, i.reason, i.redo) for i in impact.items] == [("keep-q", "question removed", False)]
    assert impact.redo == ()


def test_checklist_items_on_changed_clauses_are_listed():
    checklists = [{"id": "call-centre", "title": "Call centre staff", "items": [
        {"id": "read-collect", "text": "Read what we collect", "clauses": ["collect"]},
        {"id": "read-keep", "text": "Read how long we keep it", "clauses": ["keep"]},
        {"id": "quiz-keep", "text": "Pass the retention quiz", "questions": ["keep-q"]},
    ]}]
    impact = training_impact(policy(), policy(a=("Privacy Act 2000", "Privacy Act 2020")), checklists)
    assert [(i.kind, i.item_id, i.text) for i in impact.of_kind("checklist")] == [
        ("checklist", "call-centre/read-collect", "Call centre staff: Read what we collect")]


# ------------------------------------------------------------------ the real policy


def test_real_policy_against_itself_and_with_one_edit():
    seed = load_policy(POLICY)
    assert diff_policies(seed, seed).is_empty
    text = POLICY.read_text(encoding="utf-8")
    edited = text.replace("Privacy Act 2000", "Privacy Act 2020", 1)
    assert edited != text
    new = policy_from_doc(parse(edited, str(POLICY)))
    d = diff_policies(seed, new)
    assert d.changed_clause_ids == ("collection",)
    out = page_text(html(changes_markdown(d, old_label="version 1", new_label="version 2", new_url="../")))
    assert "1.1 How we collect your information" in out
    assert "held in accordance with the Privacy Act [deleted: 2000] [inserted: 2020] and in particular" in out
    # Its training questions are the ones staff must redo.
    impact = training_impact(seed, new)
    expected = [q.id for c, q in seed.training_questions() if c.id == "collection"]
    assert expected and [i.item_id for i in impact.redo] == expected


@pytest.mark.parametrize("old,new", [
    ("", ""), ("a", ""), ("", "a"), ("one two three", "three two one"),
    ("- a\n- b\n- c", "- c\n- b\n- a"), ("para\n\npara", "para"), ("x < y", "x > y"),
])
def test_word_diff_never_loses_words(old, new):
    """Reading only the kept and inserted words gives the new text; kept and deleted, the old one."""
    red = word_diff_html(old, new, labels=False)
    lines = red.split("\n")
    # A wholly deleted or inserted list item keeps its bullet outside the mark.
    whole = re.compile(r"^(?:- )?<(ins|del)>[^<]*</\1>$")
    new_side = "\n".join(ln for ln in lines if not (whole.match(ln) and "<del>" in ln))
    old_side = "\n".join(ln for ln in lines if not (whole.match(ln) and "<ins>" in ln))
    new_side = re.sub(r"<del>.*?</del>", "", new_side).replace("<ins>", "").replace("</ins>", "")
    old_side = re.sub(r"<ins>.*?</ins>", "", old_side).replace("<del>", "").replace("</del>", "")
    unescape = lambda s: s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")  # noqa: E731
    assert unescape(new_side).split() == new.split()
    assert unescape(old_side).split() == old.split()


# ------------------------------------------------------------------ golden files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "redline"


def test_golden_changes_page_for_every_kind_of_change():
    """A reviewed redline of every kind of change; UPDATE_GOLDEN=1 rewrites it after a deliberate change."""
    from golden import assert_golden

    old = load_policy(FIXTURES / "old.yaml")
    new = load_policy(FIXTURES / "new.yaml")
    d = diff_policies(old, new)
    assert d.summary() == "4 clauses changed, 1 added, 1 removed, 1 moved, policy details changed"
    md = changes_markdown(d, old_label="version 1", new_label="version 2", new_url="../", old_url="../../1/")
    assert_golden("redline-changes.md", md)
    assert_golden("redline-changes.html", html(md))
    assert_golden("redline-github.md", changes_markdown(
        d, old_label="version 1", new_label="this change", for_site=False, heading_level=3))


def test_an_email_autolink_stays_a_link_in_the_redline():
    """Issue 14, item 7: "<privacy@example.org>" showed as literal &lt;…&gt; text in the redline."""
    import html as html_lib
    import re as re_lib

    from generator.redline.words import word_diff_html
    from generator.render.markdown import Converter

    md = word_diff_html("Write to <privacy@example.org> for help.", "Write to <privacy@example.org> for any help.")
    out = str(Converter()(md))
    assert "&lt;privacy" not in out and "&amp;lt;" not in out
    link = re_lib.search(r'<a href="([^"]+)">(.*?)</a>', out)
    assert link and html_lib.unescape(link.group(1)) == "mailto:privacy@example.org"
    assert html_lib.unescape(re_lib.sub(r"<[^>]+>", "", link.group(2))) == "privacy@example.org"
    assert "<ins" in out and "any" in out
