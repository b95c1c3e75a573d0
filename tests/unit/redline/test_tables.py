"""Issue 14, item 6: a table row added, removed or edited is redlined as a row, in its own cells."""

from __future__ import annotations

import html as html_lib
import re

from generator.redline.words import word_diff_html
from generator.render.markdown import Converter
from generator.review import word_diff_text

HEAD = "Intro text.\n\n| Record | Kept for | Why |\n| --- | --- | --- |\n"
OLD = HEAD + "| Invoices | 7 years | Tax law |\n| Call recordings | 12 months | Training |\n| CVs | 1 year | Hiring |"
ADDED = HEAD + ("| Invoices | 7 years | Tax law |\n| Call recordings | 12 months | Training |\n"
                "| Web logs | 90 days | Security |\n| CVs | 1 year | Hiring |")
REMOVED = HEAD + "| Invoices | 7 years | Tax law |\n| CVs | 1 year | Hiring |"
EDITED = HEAD + "| Invoices | 7 years | Tax law |\n| Call recordings | 6 months | Training |\n| CVs | 1 year | Hiring |"

CONVERT = Converter(["tables", "attr_list", "md_in_html"])


def rows(html: str) -> list[list[str]]:
    """Each body row of the first table as the inner HTML of its cells."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body, html
    return [re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S) for tr in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)]


def text(cell: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def visible(cell: str) -> str:
    return text(re.sub(r'<span class="policy-sr">.*?</span>', "", cell))


def test_an_added_row_is_a_whole_inserted_row_with_every_cell_in_its_column():
    out = str(CONVERT(word_diff_html(OLD, ADDED)))
    body = rows(out)
    assert len(body) == 4 and all(len(r) == 3 for r in body), out
    web = body[2]
    assert [visible(c) for c in web] == ["Web logs", "90 days", "Security"]
    assert all(re.fullmatch(r"\s*<ins>.*</ins>\s*", c, re.S) for c in web), web
    # The other rows are untouched.
    assert [visible(c) for c in body[3]] == ["CVs", "1 year", "Hiring"]
    assert "<ins" not in "".join(body[0] + body[1] + body[3]) and "<del" not in out


def test_a_removed_row_is_struck_through_not_shown_as_if_in_force():
    out = str(CONVERT(word_diff_html(OLD, REMOVED)))
    body = rows(out)
    assert len(body) == 3 and all(len(r) == 3 for r in body), out
    gone = body[1]
    assert [visible(c) for c in gone] == ["Call recordings", "12 months", "Training"]
    assert all(re.fullmatch(r"\s*<del>.*</del>\s*", c, re.S) for c in gone), gone


def test_a_changed_cell_is_word_diffed_in_its_own_cell():
    out = str(CONVERT(word_diff_html(OLD, EDITED)))
    body = rows(out)
    assert len(body) == 3 and all(len(r) == 3 for r in body), out
    rec = body[1]
    assert visible(rec[0]) == "Call recordings" and "<ins" not in rec[0] and "<del" not in rec[0]
    assert re.search(r"<del>.*12.*</del>", rec[1]) and re.search(r"<ins>.*6.*</ins>", rec[1])
    assert "months" in rec[1] and "<ins" not in rec[2]


def test_screen_readers_hear_which_rows_were_inserted_and_deleted():
    added = rows(str(CONVERT(word_diff_html(OLD, ADDED))))[2]
    assert text(added[0]).startswith("[inserted row:") and text(added[1]) == "[inserted: 90 days]"
    removed = rows(str(CONVERT(word_diff_html(OLD, REMOVED))))[1]
    assert text(removed[0]).startswith("[deleted row:")


def test_unrelated_rows_are_not_paired_as_edits():
    """A row replaced by a different row is one row out and one in, not a cell-by-cell muddle."""
    new = OLD.replace("| CVs | 1 year | Hiring |", "| Web logs | 90 days | Security |")
    body = rows(str(CONVERT(word_diff_html(OLD, new))))
    assert len(body) == 4, body
    assert all(re.fullmatch(r"\s*<del>.*</del>\s*", c, re.S) for c in body[2])
    assert all(re.fullmatch(r"\s*<ins>.*</ins>\s*", c, re.S) for c in body[3])


def test_a_new_column_keeps_every_row_whole():
    widen = OLD.replace("| Why |\n| --- | --- | --- |", "| Why | Where |\n| --- | --- | --- | --- |")
    widen = widen.replace("| Tax law |", "| Tax law | Archive |")
    out = str(CONVERT(word_diff_html(OLD, widen)))
    assert "<ins>" in re.search(r"<thead>.*</thead>", out, re.S).group(0)
    body = rows(out)
    assert len(body) == 3 and visible(body[0][3]) == "Archive", out
    assert all("Hiring" in text(r[2]) or "Training" in text(r[2]) or "Tax" in text(r[2]) for r in body)


def test_the_pr_comment_and_terminal_never_wrap_a_row_in_one_mark():
    md = word_diff_html(OLD, ADDED, labels=False)
    assert "<ins>|" not in md and "|</ins>" not in md
    assert "| <ins>Web logs</ins> | <ins>90 days</ins> | <ins>Security</ins> |" in md
    plain = word_diff_text(OLD, REMOVED)
    assert "| [-Call recordings-] | [-12 months-] | [-Training-] |" in plain
