"""`policy publish`: post what the tip of the publishing branch says, once, in the ledger.

Run by the publish workflow after each push to the publishing branch and before the
build. Only the tip is posted: the commits of a rebase-merged or fast-forwarded pull
request in between never become versions. A file that disappeared is withdrawn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone as tz
from pathlib import Path

from .content import loader
from .errors import HistoryError
from .history import git as git_history
from .history import gitstore
from .history import ledger as ledger_store
from .history.ledger import Entry, Ledger
from .history.rules import zone
from .history.versions import read_all
from .model import Policy, PolicyVersion
from .settings import Settings

TOLERANCE = timedelta(minutes=5)
"""How far a commit's clock may run ahead of the recording machine's and still date a version."""
ATTEMPTS = 5
NOW_ENV = "POLICY_NOW"
"""An ISO 8601 time that stands for now (tests pin it, as they pin commit dates)."""


@dataclass(frozen=True)
class Published:
    """What one run appended, and where the ledger stands."""

    entries: tuple[Entry, ...]
    head: str
    pushed: bool
    seeded: bool
    attempts: int = 1


def now() -> datetime:
    """The time of recording: ``$POLICY_NOW`` when set (an offset-less time is UTC), else the clock's."""
    pinned = os.environ.get(NOW_ENV)
    if not pinned:
        return datetime.now(tz.utc).replace(microsecond=0)
    try:
        when = datetime.fromisoformat(pinned)
    except ValueError:
        raise HistoryError(f"${NOW_ENV}={pinned!r}: expected a time as YYYY-MM-DDTHH:MM:SS+HH:MM") from None
    return when if when.tzinfo else when.replace(tzinfo=tz.utc)


def publish(settings: Settings, *, push: bool = False, remote: str = "origin") -> Published:
    """Append an entry for each policy whose public text at the tip differs from its last entry.

    Raises:
        HistoryError: no repository, no publishing branch, the ledger is damaged, a push failed.
        ContentError: a policy file at the tip cannot be read.
    """
    root = git_history.repo_root(settings.root)
    ref = f"refs/heads/{settings.ledger_branch}"
    for attempt in range(1, ATTEMPTS + 1):
        remote_commit = gitstore.fetch(root, remote, settings.ledger_branch) if push else None
        local = gitstore.ref_value(root, ref)
        # Pushing, the remote ledger is the record: entries made here and never pushed are
        # made again from it (they were never published).
        book = (ledger_store.read(root, ref=f"refs/remotes/{remote}/{settings.ledger_branch}")
                if remote_commit else ledger_store.read(root, settings.ledger_branch))
        new, texts, seeded = _plan(settings, root, book)
        lines = list(book.lines) + [e.to_line() for e in new]
        if new:
            files = {ledger_store.FILE: b"\n".join(lines) + b"\n"}
            files.update({ledger_store.text_path(sha): data for sha, data in texts.items()})
            message = "Post " + ", ".join(
                f"{e.policy} " + (f"v{e.version}" if e.kind == "version" else
                                  f"renamed to {e.renamed_to}" if e.kind == "renamed" else "withdrawn")
                for e in new)
            gitstore.append_commit(root, ref, book.commit, files, message, new[-1].recorded_at.isoformat(), local)
        elif book.commit and book.commit != local:  # nothing new: bring the local branch level with the record
            git_history.git(["update-ref", ref, book.commit, local or "0" * 40], root)
        head = Ledger(root, ref, None, tuple(lines)).head
        if not push:
            return Published(tuple(new), head, False, seeded, attempt)
        if gitstore.push(root, remote, settings.ledger_branch):
            return Published(tuple(new), head, True, seeded, attempt)
    raise HistoryError(f"the ledger on {remote} kept moving: {ATTEMPTS} attempts to append were rejected")


def _tip(root: Path, branch: str) -> tuple[str, datetime]:
    ref = git_history.resolve_branch(root, branch)
    out = git_history.git(["log", "-1", "--format=%H %cI", ref], root).stdout.decode().split()
    return out[0], datetime.fromisoformat(out[1])


def _at_tip(root: Path, tip: str, settings: Settings) -> dict[str, tuple[Policy, str]]:
    folder = Path(settings.content_dir)
    return ledger_store.policies_at(root, tip, folder if folder.is_absolute() else Path(settings.root) / folder)


def _posted(commit_time: datetime, floor: datetime | None, recorded: datetime, what: str) -> tuple[datetime, str]:
    """The tip's committer time when it is plausible; else the time of recording, and why."""
    if floor is not None and commit_time < floor:
        return recorded, (f"{what}: the commit is dated {commit_time.isoformat()}, before the previous posting "
                          f"({floor.isoformat()}); posted at the time of recording instead")
    if commit_time > recorded + TOLERANCE:
        return recorded, (f"{what}: the commit is dated {commit_time.isoformat()}, in the future; posted at "
                          "the time of recording instead")
    return commit_time, ""


def _plan(settings: Settings, root: Path, book: Ledger) -> tuple[list[Entry], dict[str, bytes], bool]:
    """The entries to append (a seed from history first when there is no ledger yet) and their texts."""
    tip, tip_time = _tip(root, settings.branch)
    recorded = now()
    lines = list(book.lines)
    entries = list(book.entries)
    new: list[Entry] = []
    texts: dict[str, bytes] = {}

    def add(**fields) -> None:
        """Chain an entry after the last line and keep it (the three lists stay in step)."""
        entry = ledger_store.new_entry(lines, recorded_at=recorded, **fields)
        new.append(entry)
        entries.append(entry)
        lines.append(entry.to_line())

    seeded = not book.entries
    if seeded:
        for v, path in _seed(settings):
            add(kind="version", policy=v.policy.id, version=v.number, title=v.policy.title,
                posted_at=v.posted_at, effective_date=v.effective_date, commit=v.commit, path=path,
                text_sha256=v.text_sha256, pdf_sha256=_pdf_sha256(v, settings),
                posted_zone=v.posted_zone or settings.timezone, derived=True,
                note="derived from the git history when the ledger was started")
            texts[v.text_sha256] = ledger_store.text_bytes(v.policy)
    if entries and not gitstore.is_ancestor(root, entries[-1].commit, tip):
        # Another run already posted a later tip: posting this older one would undo it.
        return new, texts, seeded
    at_tip = _at_tip(root, tip, settings)
    floor = max((e.posted_at for e in entries), default=None)
    day_zone = zone(settings.timezone)

    for pid, (policy, path) in at_tip.items():
        posted, note = _posted(tip_time, floor, recorded, f"{pid}")
        if not any(e.policy == pid for e in entries):
            # A new id that declares the old one in previous_ids continues its history.
            for old in policy.previous_ids:
                theirs = [e for e in entries if e.policy == old]
                if theirs and theirs[-1].kind == "version" and old not in at_tip:
                    add(kind="renamed", policy=old, version=None, title=theirs[-1].title, posted_at=posted,
                        effective_date=posted.astimezone(day_zone).date(), commit=tip, path=theirs[-1].path,
                        text_sha256=None, pdf_sha256=None, posted_zone=settings.timezone, note=note,
                        renamed_to=pid)
        view = Ledger(root, None, None, tuple(lines), tuple(entries))
        history = view.versions_of(pid)
        own = view.of(pid)
        sha = policy.text_sha256()
        if own and own[-1].kind == "version" and own[-1].text_sha256 == sha:
            continue
        number = len(history) + 1
        # The policy's own rules, when its file sets them, beat the site's.
        own_zone, notice = policy.rules(settings.timezone, settings.notice_days)
        effective = posted.astimezone(zone(own_zone)).date() + timedelta(days=notice)
        version = PolicyVersion(number, policy, tip, posted, effective, "in-force", text_sha256=sha,
                                posted_zone=own_zone)
        add(kind="version", policy=pid, version=number, title=policy.title, posted_at=posted,
            effective_date=effective, commit=tip, path=path, text_sha256=sha,
            pdf_sha256=_pdf_sha256(version, settings), posted_zone=own_zone, note=note)
        texts[sha] = ledger_store.text_bytes(policy)
    for pid in dict.fromkeys(e.policy for e in entries):
        last = [e for e in entries if e.policy == pid][-1]
        if pid in at_tip or last.kind != "version":
            continue
        posted, note = _posted(tip_time, floor, recorded, f"{pid} withdrawal")
        add(kind="withdrawn", policy=pid, version=None, title=last.title, posted_at=posted,
            effective_date=posted.astimezone(day_zone).date(), commit=tip, path=last.path, text_sha256=None,
            pdf_sha256=None, posted_zone=settings.timezone, note=note)
    return new, texts, seeded


def _seed(settings: Settings) -> list[tuple[PolicyVersion, str]]:
    """Every version the git history gives by today's rules, in posting order, with its file:
    the ledger's first entries (marked derived)."""
    policies = loader.load_all(settings.content_dir)
    histories = read_all(policies, branch=settings.branch, timezone=settings.timezone,
                         notice_days=settings.notice_days, today=settings.today, cache_dir=settings.cache_dir,
                         config_file=settings.config_file, history_start=settings.history_start)
    versions = sorted(((v, h.path) for h in histories.values() for v in h.versions),
                      key=lambda vp: (vp[0].posted_at, vp[0].policy.id, vp[0].number))
    return versions


def _pdf_sha256(version: PolicyVersion, settings: Settings) -> str | None:
    """The SHA-256 of the version's PDF, as the build makes it (and caches it for the build)."""
    if not settings.pdf:
        return None
    from .pdf.render import render_version  # WeasyPrint only when PDFs are wanted

    return render_version(replace(version, source_text=""), settings).sha256


@dataclass(frozen=True)
class LedgerCheck:
    """What `policy ledger verify` checked, and what it found wrong."""

    book: Ledger
    texts: int
    pdfs: int
    problems: tuple[str, ...]


def verify_ledger(settings: Settings) -> LedgerCheck:
    """Re-check the chain (on reading), every text's SHA-256, that the publishing branch still holds every
    posted commit, and, with PDFs on, that each version's PDF is rebuilt with the SHA-256 recorded.

    Raises:
        HistoryError: there is no ledger, or the chain or a text was tampered with.
    """
    root = git_history.repo_root(settings.root)
    book = ledger_store.read(root, settings.ledger_branch)
    if book.ref is None:
        raise HistoryError(f"no ledger branch '{settings.ledger_branch}' here (nor on origin): "
                           "`policy publish` starts it")
    shas = [e.text_sha256 for e in book.entries if e.text_sha256]
    book.texts(shas)
    problems = ledger_store.rewritten(book, git_history.resolve_branch(root, settings.branch))
    pdfs = 0
    if settings.pdf and not problems:
        from .pdf.render import render_versions

        histories = read_all(loader.load_all(settings.content_dir), branch=settings.branch,
                             timezone=settings.timezone, notice_days=settings.notice_days, today=settings.today,
                             cache_dir=settings.cache_dir, config_file=settings.config_file,
                             ledger_branch=settings.ledger_branch, history_start=settings.history_start)
        wanted = [v for h in histories.values() for v in h.versions]
        rendered = render_versions(wanted, settings)
        for h in histories.values():
            for v, posted in zip(h.versions, h.pdf_sha256s):
                if posted is None:
                    continue
                pdfs += 1
                made = rendered[(v.policy.id, v.number)].sha256
                if made != posted:
                    problems.append(f"{v.policy.id} version {v.number}: its PDF rebuilds with SHA-256 {made[:16]}, "
                                    f"not the {posted[:16]} recorded when it was posted (a different rendering "
                                    "stack? see requirements.lock and the system packages)")
    return LedgerCheck(book, len(set(shas)), pdfs, tuple(problems))
