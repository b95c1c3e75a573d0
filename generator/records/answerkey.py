"""Answers stay on the server when there is a server.

A built training page carries, for each question, a salted hash of its answer and the
explanation shown after checking: a static host has nothing else to check answers with.
With 2 to 4 choices a question, the hashes give the answers away in milliseconds. When the
records service serves the site, it serves each training page and ``checklist.json``
without salts, hashes or explanations, marks the page ``"check": "server"``, and keeps the
explanations to hand out through ``api/check``, one checked question at a time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..training.contract import script_json

DATA = re.compile(r'(<script type="application/json" id="training-data">)(.*?)(</script>)', re.S)
QUESTION = re.compile(r'<fieldset class="training-question"[^>]*\bdata-question="([^"]+)"[^>]*>(.*?)</fieldset>', re.S)
EXPLANATION = re.compile(r"<template data-explanation>(.*?)</template>", re.S)

KEY_FIELDS = ("salt", "answer_hash")


def _without_keys(text: str | bytes) -> dict | None:
    """The training data in ``text`` with every question's salt and hash removed, marked
    ``"check": "server"``; ``None`` when it is not training data."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        return None
    for q in data["questions"]:
        if isinstance(q, dict):
            for k in KEY_FIELDS:
                q.pop(k, None)
    data["check"] = "server"
    return data


def strip_page(html: str) -> tuple[str, dict[str, str]] | None:
    """The page without answer keys or explanations, and the explanations by question id.

    ``None`` when the page is not a training checklist the build made (left as it is).
    """
    found = DATA.search(html)
    data = _without_keys(found.group(2)) if found else None
    if data is None:
        return None
    explanations: dict[str, str] = {}

    def one_question(m: re.Match) -> str:
        qid, body = m.group(1), m.group(2)
        x = EXPLANATION.search(body)
        if x:
            explanations[qid] = x.group(1)
            body = body[:x.start()] + "<template data-explanation></template>" + body[x.end():]
        return m.group(0)[:m.start(2) - m.start(0)] + body + "</fieldset>"

    html = QUESTION.sub(one_question, html)
    found = DATA.search(html)
    assert found is not None
    html = html[:found.start(2)] + script_json(data) + html[found.end(2):]
    return html, explanations


def strip_checklist(raw: bytes) -> bytes | None:
    """``checklist.json`` without salts and answer hashes (``None`` when it is not one)."""
    data = _without_keys(raw)
    if data is None:
        return None
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def keep_keys_private(public: Path) -> dict[str, dict[str, str]]:
    """Strip every training page and checklist under ``public`` in place.

    Returns:
        checklist id -> question id -> explanation HTML.
    """
    out: dict[str, dict[str, str]] = {}
    training = public / "training"
    if not training.is_dir():
        return out
    for folder in sorted(p for p in training.iterdir() if p.is_dir()):
        page = folder / "index.html"
        if page.is_file():
            stripped = strip_page(page.read_text(encoding="utf-8"))
            if stripped is not None:
                page.write_text(stripped[0], encoding="utf-8")
                out[folder.name] = stripped[1]
        contract = folder / "checklist.json"
        if contract.is_file():
            data = strip_checklist(contract.read_bytes())
            if data is not None:
                contract.write_bytes(data)
    return out
