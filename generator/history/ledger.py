"""The publication ledger: what was posted, when, kept for ever on its own branch.

The branch (``policy-ledger`` by default) holds ``ledger.jsonl``, one JSON entry per line
and per published version (or withdrawal), each carrying the SHA-256 of the line before
it, and ``texts/<text_sha256>.json``, the public text of every version as written. The
ledger only grows: ``policy publish`` appends, and every reader checks the chain. Pages,
PDFs, ``versions.json`` and the feed of every version can be rebuilt from it alone, after
a file is deleted or a history rewritten.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import ContentError, HistoryError
from ..model import Policy
from . import git as git_history
from . import migrate
from .gitstore import is_ancestor, ref_value

BRANCH = "policy-ledger"
FILE = "ledger.jsonl"
TEXTS = "texts"
KINDS = ("version", "withdrawn", "renamed")


def _hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def text_path(sha: str) -> str:
    return f"{TEXTS}/{sha}.json"


def text_bytes(policy: Policy) -> bytes:
    """The public text of ``policy`` as the ledger stores it (as written, not canonicalised)."""
    return (json.dumps(migrate.policy_data(policy), ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


@dataclass(frozen=True)
class Entry:
    """One line of the ledger."""

    kind: str
    """``version`` (a text posted), ``withdrawn`` (its file removed, posted) or ``renamed`` (its history
    continues under ``renamed_to``, which declared it in ``previous_ids``)."""
    policy: str
    version: int | None
    title: str
    posted_at: datetime
    effective_date: date
    commit: str
    """The tip of the publishing branch that posted it."""
    path: str
    """The policy file in that commit (for a withdrawal: where it was)."""
    text_sha256: str | None
    pdf_sha256: str | None
    recorded_at: datetime
    prev: str
    """SHA-256 of the previous line ("" for the first)."""
    posted_zone: str = ""
    derived: bool = False
    """Seeded from the git history when the ledger was started, not posted through it."""
    note: str = ""
    """Why ``posted_at`` is the time of recording rather than the commit's time."""
    renamed_to: str = ""

    def to_line(self) -> bytes:
        data: dict[str, Any] = {
            "kind": self.kind, "policy": self.policy, "version": self.version, "title": self.title,
            "posted_at": self.posted_at.isoformat(), "effective_date": self.effective_date.isoformat(),
            "commit": self.commit, "path": self.path, "text_sha256": self.text_sha256,
            "pdf_sha256": self.pdf_sha256, "recorded_at": self.recorded_at.isoformat(), "prev": self.prev,
            "posted_zone": self.posted_zone, "derived": self.derived, "note": self.note,
            "renamed_to": self.renamed_to,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_line(cls, line: bytes, where: str) -> "Entry":
        try:
            d = json.loads(line)
            return cls(d["kind"], d["policy"], d["version"], d["title"],
                       datetime.fromisoformat(d["posted_at"]), date.fromisoformat(d["effective_date"]),
                       d["commit"], d["path"], d["text_sha256"], d["pdf_sha256"],
                       datetime.fromisoformat(d["recorded_at"]), d["prev"], d.get("posted_zone", ""),
                       bool(d.get("derived", False)), d.get("note", ""), d.get("renamed_to", ""))
        except (ValueError, KeyError, TypeError) as e:
            raise HistoryError(f"{where}: not a ledger entry ({e})") from None


@dataclass(frozen=True)
class Ledger:
    """The entries of the ledger as one ref holds them, and how to read their texts."""

    root: Path
    ref: str | None
    """``refs/heads/policy-ledger``, ``refs/remotes/origin/policy-ledger`` or ``None`` (no ledger yet)."""
    commit: str | None
    lines: tuple[bytes, ...] = ()
    entries: tuple[Entry, ...] = ()
    _texts: dict[str, Policy] = field(default_factory=dict, compare=False, repr=False)

    @property
    def head(self) -> str:
        """SHA-256 of the last entry: names the whole chain (published in ``versions.json`` and the feed)."""
        return _hash(self.lines[-1]) if self.lines else ""

    def of(self, policy_id: str) -> list[Entry]:
        return [e for e in self.entries if e.policy == policy_id]

    def versions_of(self, policy_id: str) -> list[Entry]:
        """Every version of ``policy_id``'s history: those of the ids renamed into it, then its own."""
        out: list[Entry] = []
        for e in self.entries:
            if e.kind == "renamed" and e.renamed_to == policy_id:
                out.extend(self.versions_of(e.policy))
            elif e.kind == "version" and e.policy == policy_id:
                out.append(e)
        return sorted(out, key=lambda e: e.version or 0)

    def previous_ids(self, policy_id: str) -> list[str]:
        """The ids whose history continues as ``policy_id`` (their addresses lead to it)."""
        out = []
        for e in self.entries:
            if e.kind == "renamed" and e.renamed_to == policy_id:
                out.extend([e.policy, *self.previous_ids(e.policy)])
        return out

    def policy_ids(self) -> list[str]:
        """Every id with a history of its own (not renamed into another)."""
        ids = dict.fromkeys(e.policy for e in self.entries)
        return [pid for pid in ids if self.of(pid)[-1].kind != "renamed"]

    def withdrawn(self, policy_id: str) -> Entry | None:
        """The withdrawal in effect for ``policy_id`` (its last entry), if it is withdrawn."""
        mine = self.of(policy_id)
        return mine[-1] if mine and mine[-1].kind == "withdrawn" else None

    def texts(self, shas: list[str]) -> dict[str, Policy]:
        """The public text of each version, checked against its hash (read in one exchange with git)."""
        wanted = [s for s in dict.fromkeys(shas) if s not in self._texts]
        if wanted:
            found = git_history.read_files_at(self.root, [(self.commit, text_path(s)) for s in wanted])
            for sha in wanted:
                raw = found.get((self.commit, text_path(sha)))
                if raw is None:
                    raise HistoryError(f"ledger {self.ref}: the text {sha[:12]} is missing from {TEXTS}/")
                try:
                    policy = migrate.policy_from_data(json.loads(raw), f"{self.ref}:{text_path(sha)}")
                except (ValueError, ContentError) as e:
                    raise HistoryError(f"ledger {self.ref}: the text {sha[:12]} cannot be read ({e})") from None
                if policy.text_sha256() != sha:
                    raise HistoryError(f"ledger {self.ref}: the text stored as {sha[:12]} hashes to "
                                       f"{policy.text_sha256()[:12]}: it was edited")
                self._texts[sha] = policy
        return {s: self._texts[s] for s in shas}

    def check_chain(self) -> list[str]:
        """Problems with the chain and the numbering (empty when sound)."""
        problems = []
        prev = ""
        numbers: dict[str, int] = {}
        for n, (line, e) in enumerate(zip(self.lines, self.entries), 1):
            if e.prev != prev:
                problems.append(f"{FILE}:{n}: the chain is broken: this entry names {e.prev[:12] or 'none'} "
                                f"as the one before it, which hashes to {prev[:12] or 'none'}: an earlier "
                                "entry was edited, removed or reordered")
            if e.kind not in KINDS:
                problems.append(f"{FILE}:{n}: unknown kind {e.kind!r}")
            if e.kind == "version":
                expected = numbers.get(e.policy, 0) + 1
                if e.version != expected:
                    problems.append(f"{FILE}:{n}: {e.policy} version {e.version} follows version {expected - 1}")
                numbers[e.policy] = e.version or expected
            elif e.kind == "renamed":  # the new id continues the numbering
                numbers[e.renamed_to] = max(numbers.get(e.renamed_to, 0), numbers.get(e.policy, 0))
            prev = _hash(line)
        return problems


def find_ref(root: Path, branch: str = BRANCH) -> str | None:
    """The ledger's ref: the local branch, or ``origin/<branch>`` when that is ahead or alone."""
    local, remote = f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"
    lv, rv = ref_value(root, local), ref_value(root, remote)
    if lv and rv and lv != rv and is_ancestor(root, lv, rv):
        return remote
    return local if lv else (remote if rv else None)


def read(root: Path, branch: str = BRANCH, ref: str | None = None) -> Ledger:
    """The ledger at ``ref`` (found by :func:`find_ref` when not given); empty when there is none yet.

    Raises:
        HistoryError: an entry cannot be read, or the chain is broken.
    """
    ref = ref or find_ref(root, branch)
    if ref is None:
        return Ledger(root, None, None)
    commit = ref_value(root, ref)
    raw = git_history.read_files_at(root, [(commit, FILE)]).get((commit, FILE)) or b""
    lines = tuple(line for line in raw.split(b"\n") if line.strip())
    entries = tuple(Entry.from_line(line, f"{ref}:{FILE}:{n}") for n, line in enumerate(lines, 1))
    ledger = Ledger(root, ref, commit, lines, entries)
    problems = ledger.check_chain()
    if problems:
        raise HistoryError(f"the publication ledger ({ref}) has been tampered with:\n  " + "\n  ".join(problems))
    return ledger


def rewritten(ledger: Ledger, branch_ref: str) -> list[str]:
    """A message for each posted commit that ``branch_ref`` no longer contains (its history was rewritten)."""
    proc = git_history.git(["rev-list", branch_ref], ledger.root)
    reachable = set(proc.stdout.decode().split())
    out = []
    for e in ledger.entries:
        if e.commit not in reachable:
            what = f"version {e.version}" if e.kind == "version" else "its withdrawal"
            out.append(f"{e.policy} {what} (posted {e.posted_at.isoformat()}) came from commit {e.commit[:12]}, "
                       f"which {branch_ref} no longer contains: its history was rewritten (a force-push, or a "
                       f"rebase of published commits). The ledger keeps the published text; restore the "
                       f"branch so that it contains {e.commit[:12]} again (README: \"A rejected history "
                       "rewrite\").")
    return out


def policies_at(root: Path, commit: str, folder: Path) -> dict[str, tuple[Policy, str]]:
    """Each policy file directly in ``folder`` at ``commit``: its id → (public text, path).

    Raises:
        ContentError: a file cannot be read as a policy, or two share an id.
    """
    rel = folder.resolve().relative_to(root).as_posix()
    proc = git_history.git(["ls-tree", "-z", "--name-only", commit, "--", rel + "/"], root)
    paths = sorted(p for p in proc.stdout.decode().split("\0")
                   if p.endswith((".yaml", ".yml")) and posixpath.dirname(p) == rel)
    raw = git_history.read_files_at(root, [(commit, p) for p in paths])
    out: dict[str, tuple[Policy, str]] = {}
    for p in paths:
        data = raw.get((commit, p))
        if data is None:
            continue
        policy = migrate.read_policy(data, f"{p}@{commit[:12]}")
        if policy.id in out:
            raise ContentError(f"duplicate policy id '{policy.id}' (also in {out[policy.id][1]})", p)
        out[policy.id] = (policy, p)
    return out


def applying(book: Ledger) -> dict[str, Entry]:
    """The policies the ledger says apply (not withdrawn): id → its last version entry."""
    out = {}
    for pid in book.policy_ids():
        mine = book.of(pid)
        if mine[-1].kind == "version":
            out[pid] = mine[-1]
    return out


def new_entry(ledger_lines: list[bytes], **fields: Any) -> Entry:
    """An entry chained after ``ledger_lines``."""
    return Entry(prev=_hash(ledger_lines[-1]) if ledger_lines else "", **fields)
