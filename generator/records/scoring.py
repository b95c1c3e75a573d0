"""Read the training contract a build published and score a submitted checklist against it."""

from __future__ import annotations

import math
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import ContentError, PolicyError
from ..site.versions_json import FILE_NAME as VERSIONS_FILE
from ..site.versions_json import VersionRecord, VersionsFile
# The contract the build publishes, and the formula the page and the server hash answers with.
from ..training.contract import FILE_NAME, Checklist, Item, QuestionKey, answer_hash, load_checklist

__all__ = ["Checklist", "Item", "PublishedSite", "QuestionKey", "Score", "SubmissionError", "answer_hash",
           "changed_clauses", "items_to_redo", "score"]

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
"""Checklist and policy ids are slugs; anything else cannot name a published file."""


@dataclass(frozen=True)
class Score:
    correct: int
    total: int
    score: int
    """Whole percent, rounded down."""
    passed: bool
    wrong: tuple[str, ...] = ()
    missing_acknowledgements: tuple[str, ...] = ()


class SubmissionError(PolicyError):
    """A submission that does not fit the checklist; ``field`` names the offending part."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def score(checklist: Checklist, answers: Mapping[str, list[str]], acknowledged: Iterable[str]) -> Score:
    """Mark ``answers`` against the checklist's answer hashes; the browser's own mark is never used.

    Args:
        checklist: the published checklist the person worked through.
        answers: question id -> chosen choice ids. Unanswered questions count as wrong.
        acknowledged: ids of the acknowledge items the person ticked.

    Returns:
        The score; ``passed`` needs the pass mark and every acknowledgement.

    Raises:
        SubmissionError: an answer names a question or choice the checklist does not have,
            or an acknowledgement names no acknowledge item.
    """
    counted = checklist.quiz_questions
    for qid, chosen in answers.items():
        key = checklist.questions.get(qid)
        if key is None or qid not in counted:
            raise SubmissionError(f"'{qid}' is not a question of checklist '{checklist.id}'", f"answers.{qid}")
        for choice in chosen:
            if choice not in key.choices:
                raise SubmissionError(f"'{choice}' is not a choice of question '{qid}'", f"answers.{qid}")
    acks = set(acknowledged)
    wanted = checklist.acknowledge_items
    for a in sorted(acks):
        if a not in wanted:
            raise SubmissionError(f"'{a}' is not an item to acknowledge in checklist '{checklist.id}'",
                                  "acknowledged")
    wrong = []
    for qid in counted:
        key = checklist.questions[qid]
        if answer_hash(key.salt, qid, answers.get(qid, ())) != key.answer_hash:
            wrong.append(qid)
    total = len(counted)
    correct = total - len(wrong)
    # No quiz at all means nothing to get wrong: the acknowledgements decide.
    percent = math.floor(100 * correct / total) if total else 100
    missing = tuple(a for a in wanted if a not in acks)
    return Score(correct, total, percent, percent >= checklist.pass_mark and not missing,
                 tuple(wrong), missing)


def changed_clauses(old: Mapping[str, str], new: Mapping[str, str]) -> set[str]:
    """Clause ids whose text differs between two ``clause_text_sha256`` maps (added ones too)."""
    return {cid for cid, h in new.items() if old.get(cid) != h}


def items_to_redo(checklist: Checklist, old_clause_hashes: Mapping[str, str]) -> list[Item]:
    """The items of ``checklist`` that touch a clause changed since ``old_clause_hashes``."""
    changed = changed_clauses(old_clause_hashes, checklist.clause_hashes)
    out = []
    for item in checklist.items:
        clauses = set(item.clauses)
        for qid in item.questions:
            if qid in checklist.questions:
                clauses.add(checklist.questions[qid].clause)
        if clauses & changed:
            out.append(item)
    return out


# -- reading the published files ------------------------------------------------------------

@dataclass
class _Cached:
    stamp: tuple
    value: Any


@dataclass
class PublishedSite:
    """The training contract of a built site, re-read whenever the build rewrites a file.

    A rebuild while the service runs (a new version merged) must take effect at once:
    that is what makes an old page's submission stale (409) rather than silently accepted.
    """

    root: Path
    _cache: dict[str, _Cached] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _read(self, path: Path, parse) -> Any:
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        key = str(path)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit.stamp == stamp:
                return hit.value
        value = parse(path)
        with self._lock:
            self._cache[key] = _Cached(stamp, value)
        return value

    def checklist(self, checklist_id: str) -> Checklist | None:
        """The current checklist ``checklist_id``, or ``None`` when the site has none by that id."""
        if not SLUG.match(checklist_id):
            return None
        return self._read(self.root / "training" / checklist_id / FILE_NAME, load_checklist)

    def checklists(self) -> list[Checklist]:
        base = self.root / "training"
        if not base.is_dir():
            return []
        out = []
        for name in sorted(os.listdir(base)):
            c = self.checklist(name)
            if c is not None:
                out.append(c)
        return out

    def versions(self, policy_id: str) -> tuple[VersionRecord, ...]:
        """The entries of ``<policy>/versions.json`` (empty when the build wrote none)."""
        def parse(p: Path) -> tuple[VersionRecord, ...]:
            try:
                return VersionsFile.read(p).versions
            except PolicyError:
                raise ContentError("not valid JSON", str(p)) from None
        if not SLUG.match(policy_id):
            return ()
        return self._read(self.root / policy_id / VERSIONS_FILE, parse) or ()

    def version_in_force(self, checklist: Checklist) -> int:
        """The policy version in force, from ``versions.json``; the checklist's own if none is listed."""
        for v in self.versions(checklist.policy):
            if v.status == "in-force":
                return v.version
        return checklist.version

    def known_versions(self, checklist: Checklist) -> set[int]:
        known = {v.version for v in self.versions(checklist.policy)}
        known.add(checklist.version)
        return known
