"""Revisions of a content file → its numbered versions, with dates, statuses and the draft."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..content.loader import policy_from_text
from ..errors import ContentError, HistoryError
from ..model import Policy, PolicyVersion
from ..settings import Settings
from . import git as git_history
from . import migrate
from .cache import BlobCache
from . import ledger as ledger_store
from .ledger import Ledger
from .rules import PublicationRules, build_day, zone



@dataclass(frozen=True)
class PolicyHistory:
    """Every published version of one policy, plus the draft if the working tree differs."""

    policy_id: str
    path: str
    """The content file, relative to the repository root."""
    versions: tuple[PolicyVersion, ...]
    """Published versions in number order (1, 2, 3…): in force, superseded and scheduled."""
    draft: PolicyVersion | None
    """The working tree's text when it differs from the latest published one; never published."""
    today: date
    warnings: tuple[str, ...] = ()
    """Blobs in the history that could not be read (they were never published)."""
    trained: Policy | None = None
    """The text staff train on, with its training: the draft's, else the shown version's."""
    from_ledger: bool = False
    """Versions read from the publication ledger (else derived from the git history)."""
    withdrawn_on: date | None = None
    """The day its file's removal was posted (it no longer applies from then); ``None`` if it applies."""
    ledger_head: str = ""
    """The ledger's head when the versions were read from it."""
    previous_ids: tuple[str, ...] = ()
    """Ids this policy's earlier versions were posted under: their addresses lead here."""
    split_off: tuple["PolicyHistory", ...] = ()
    """Earlier ids of the same file (its policy's ``id`` was changed): withdrawn policies of their own."""
    pdf_sha256s: tuple[str | None, ...] = ()
    """The PDF SHA-256 the ledger recorded for each version (by number - 1); empty without a ledger."""

    @property
    def shown(self) -> PolicyVersion | None:
        """The version the policy page shows: in force, else the last one of a withdrawn policy, else
        the first scheduled one, else the draft."""
        if self.in_force is None and self.withdrawn_on is not None and self.versions:
            return self.versions[-1]
        return self.in_force or (self.versions[0] if self.versions else self.draft)

    @property
    def in_force(self) -> PolicyVersion | None:
        return next((v for v in reversed(self.versions) if v.status == "in-force"), None)

    @property
    def scheduled(self) -> tuple[PolicyVersion, ...]:
        return tuple(v for v in self.versions if v.status == "scheduled")

    @property
    def latest(self) -> PolicyVersion | None:
        return self.versions[-1] if self.versions else None

    def version(self, number: int) -> PolicyVersion:
        return self.versions[number - 1]

    def previous(self, v: PolicyVersion) -> PolicyVersion | None:
        """The version before ``v`` (for a draft: the latest published one)."""
        if v.is_draft:
            return self.latest
        return self.versions[v.number - 2] if v.number > 1 else None


Reader = Callable[[bytes, str], Policy]


def build_versions(current: Policy | None, revisions: list[git_history.Revision], blobs: Mapping[str, bytes], *,
                   timezone: str = "Pacific/Auckland", notice_days: int = 0, today: date,
                   path: str = "", reader: Reader = migrate.read_policy,
                   cache: BlobCache | None = None,
                   rules: Callable[[str], tuple[str, int]] | None = None) -> PolicyHistory:
    """Turn one file's first-parent revisions into numbered versions with dates and statuses.

    Args:
        current: the working tree's policy (``None`` to skip draft detection).
        revisions: the file's revisions, oldest first (from :func:`history.read_history`).
        blobs: blob contents by id (a :class:`history.Blobs` reads missing ones on access).
        timezone: where a posting instant becomes an effective date.
        notice_days: days from posting to taking effect.
        today: the build day.
        path: the file's path, for messages.
        reader: blob → policy (the tolerant historic reader by default).
        cache: what earlier builds learnt about these blobs (only with the default reader).
        rules: commit → ``(timezone, notice_days)`` it was posted under (a
            :class:`PublicationRules`); without it, ``timezone`` and ``notice_days`` apply to all.

    Returns:
        The policy's history. A text that returns to an earlier one is a new version.
    """
    zone(timezone)  # fail early on an unknown zone
    if reader is not migrate.read_policy:
        cache = None  # the cache holds what the default reader makes of a blob
    known = cache.blobs if cache is not None else {}
    if hasattr(blobs, "prefetch"):  # one exchange with git for every blob not yet known
        blobs.prefetch(r.blob for r in revisions if r.blob not in known)
    read: dict[str, Policy] = {}
    entries: dict[str, Any] = {}
    warnings: list[str] = []
    found: list[tuple[git_history.Revision, str]] = []
    last_sha = None
    for rev in revisions:
        entry = entries.get(rev.blob, known.get(rev.blob))
        if entry is None:
            try:
                policy = reader(blobs[rev.blob], f"{rev.path}@{rev.commit.sha[:12]}")
            except ContentError as e:  # such a commit broke the build: nothing was published
                entry = ["error", f"{e.location}: skipped, it cannot be read ({e.message})"]
            else:
                entry = policy.text_sha256()
                read.setdefault(entry, policy)
                if cache is not None and entry not in cache.texts:
                    cache.texts[entry] = migrate.policy_data(policy)
            if cache is not None:
                cache.blobs[rev.blob] = entry
                cache.dirty = True
        entries[rev.blob] = entry
        if isinstance(entry, list):
            if entry[1] not in warnings:
                warnings.append(entry[1])
            continue
        if entry != last_sha:
            found.append((rev, entry))
            last_sha = entry

    if hasattr(blobs, "prefetch"):  # the source text of each version, in one more exchange
        blobs.prefetch(rev.blob for rev, _ in found)
    if rules is None:
        rules = lambda _commit: (timezone, notice_days)  # noqa: E731
    elif hasattr(rules, "prefetch"):
        rules.prefetch(rev.commit.sha for rev, _ in found)
    versions: list[PolicyVersion] = []
    floor: datetime | None = None
    for number, (rev, sha) in enumerate(found, 1):
        name = f"{rev.path}@{rev.commit.sha[:12]}"
        policy = read.get(sha)
        if policy is None:
            try:
                policy = migrate.policy_from_data(cache.texts[sha], name)
            except (KeyError, AttributeError, ContentError):  # cache damaged: read the blob itself
                policy = reader(blobs[rev.blob], name)
            read[sha] = policy
        posted = rev.commit.committed_at
        # A committer clock set back cannot date a version before the one it follows.
        counted = posted if floor is None or posted >= floor else floor
        floor = counted
        # The policy's own rules, as its file said when this version was posted, beat the site's.
        posted_zone, posted_notice = policy.rules(*rules(rev.commit.sha))
        effective = counted.astimezone(zone(posted_zone)).date() + timedelta(days=posted_notice)
        versions.append(PolicyVersion(number=number, policy=policy, commit=rev.commit.sha, posted_at=posted,
                                      effective_date=effective, status="", text_sha256=sha,
                                      source_text=blobs[rev.blob].decode("utf-8", "replace"),
                                      posted_zone=posted_zone))
    if current is not None and any(v.policy.id != current.id for v in versions):
        return _split_by_id(current, versions, today, path, tuple(warnings))
    return _with_draft(current, _statuses(versions, today), today, path, tuple(warnings))


def _split_by_id(current: Policy, versions: list[PolicyVersion], today: date, path: str,
                 warnings: tuple[str, ...]) -> PolicyHistory:
    """A file whose policy changed its ``id``: each id is its own policy, numbered from 1.

    The current id's versions make the history; an earlier id's versions are a policy
    withdrawn on the day the file stopped carrying it (``PolicyHistory.split_off``).
    """
    keep = {current.id, *current.previous_ids}  # declared: one history, numbered on
    groups: dict[str, list[PolicyVersion]] = {}
    for v in versions:
        key = current.id if v.policy.id in keep else v.policy.id
        groups.setdefault(key, []).append(replace(v, number=len(groups.get(key, [])) + 1))
    others = []
    for pid, mine in groups.items():
        if pid == current.id:
            continue
        after = next((v for v in versions if v.posted_at > mine[-1].posted_at and v.policy.id != pid), None)
        old = _with_draft(None, _statuses(mine, today), today, path, policy_id=pid)
        if after is not None and after.effective_date <= today:
            ended = [replace(v, status="superseded", superseded_on=after.effective_date)
                     if v.status == "in-force" else v for v in old.versions]
            old = replace(old, versions=tuple(ended), withdrawn_on=after.effective_date)
        others.append(old)
    history = _with_draft(current, _statuses(groups.get(current.id, []), today), today, path, warnings)
    moved = tuple(dict.fromkeys(v.policy.id for v in history.versions if v.policy.id != current.id))
    return replace(history, split_off=tuple(others), previous_ids=moved)


def _with_draft(current: Policy | None, versions: list[PolicyVersion], today: date, path: str,
                warnings: tuple[str, ...] = (), *, from_ledger: bool = False,
                policy_id: str = "") -> PolicyHistory:
    """The history of numbered ``versions``, with the working tree's text as a draft when it differs."""
    draft = None
    if current is not None:
        latest_sha = versions[-1].text_sha256 if versions else None
        if current.text_sha256() != latest_sha:
            draft = PolicyVersion(number=len(versions) + 1, policy=current, commit=None, posted_at=None,
                                  effective_date=None, status="draft", text_sha256=current.text_sha256())
    policy_id = current.id if current is not None else (policy_id or (versions[-1].policy.id if versions else ""))
    history = PolicyHistory(policy_id, path, tuple(versions), draft, today, warnings, from_ledger=from_ledger)
    return replace(history, trained=_trained(history, current)) if current is not None else history


def from_ledger(current: Policy | None, ledger: Ledger, policy_id: str, *, today: date, path: str,
                sources: Mapping[tuple[str, str], bytes | None]) -> PolicyHistory:
    """A policy's published versions as the ledger records them: numbers, dates and texts.

    ``sources`` are the files each version was posted from (``(commit, path)`` → bytes), for the
    training of a version in force behind a scheduled one; the public text is the ledger's own.
    """
    entries = ledger.versions_of(policy_id)
    texts = ledger.texts([e.text_sha256 for e in entries])
    versions = [PolicyVersion(number=e.version, policy=texts[e.text_sha256], commit=e.commit,
                              posted_at=e.posted_at, effective_date=e.effective_date, status="",
                              text_sha256=e.text_sha256, posted_zone=e.posted_zone,
                              source_text=(sources.get((e.commit, e.path)) or b"").decode("utf-8", "replace"))
                for e in entries]
    history = _with_draft(current, _statuses(versions, today), today, path, from_ledger=True, policy_id=policy_id)
    history = replace(history, ledger_head=ledger.head, pdf_sha256s=tuple(e.pdf_sha256 for e in entries),
                      previous_ids=tuple(ledger.previous_ids(policy_id)))
    gone = ledger.withdrawn(policy_id) if current is None else None
    if gone is None:
        return history
    ended = [replace(v, status="superseded", superseded_on=gone.effective_date)
             if v.status == "in-force" and gone.effective_date <= today else v for v in history.versions]
    return replace(history, versions=tuple(ended), withdrawn_on=gone.effective_date)


def _trained(history: PolicyHistory, current: Policy) -> Policy | None:
    """The policy, training included, of the text staff train on.

    The working tree's training applies whenever its public text is the one shown, because
    training-only edits make no new version; only a version in force behind a scheduled one
    needs its own file read with training.
    """
    shown = history.draft or history.shown
    if shown is None:
        return None
    if shown.is_draft or shown.text_sha256 == current.text_sha256():
        return current
    name = f"{history.path}@v{shown.number}"
    return policy_from_text(shown.source_text, name) or shown.policy


def _statuses(versions: list[PolicyVersion], today: date) -> list[PolicyVersion]:
    """In force: the last version whose effective date has come; before it superseded; after it scheduled."""
    current = None
    for v in versions:
        if v.effective_date <= today:
            current = v.number
    out = []
    for v in versions:
        if current is None or v.number > current:
            out.append(replace(v, status="scheduled"))
        elif v.number == current:
            out.append(replace(v, status="in-force"))
        else:
            # Superseded on the day a later version took effect: the next one that has.
            successor = next(w for w in versions[v.number:] if w.number <= current)
            out.append(replace(v, status="superseded", superseded_on=successor.effective_date))
    return out


def read_all(policies: Iterable[Policy], *, branch: str = "main", timezone: str = "Pacific/Auckland",
             notice_days: int = 0, today: date | None = None,
             cache_dir: Path | None = None, config_file: Path | None = None,
             ledger_branch: str | None = None, history_start: str = "") -> dict[str, PolicyHistory]:
    """The history of every policy (loaded from the working tree), read from git in one pass.

    With ``cache_dir``, what each blob holds is remembered in ``cache_dir/history.json``
    so that later builds parse only new blobs. With ``config_file`` (``mkdocs.yml``), each
    version's effective date follows the time zone and notice period of that file at the
    commit that posted it; ``timezone`` and ``notice_days`` are today's.

    Raises:
        HistoryError: not a repository, shallow clone, missing branch, or a policy that was
            never committed.
    """
    policies = list(policies)
    files = [Path(p.source.path) for p in policies]
    if ledger_branch and files:
        root = git_history.repo_root(files[0].resolve().parent)
        book = ledger_store.read(root, ledger_branch)
        if book.ref is not None:
            return _read_ledger(policies, files, book, branch, build_day(today, timezone))
    hist = git_history.read_history(files, branch, prefetch=False, start=history_start)
    day = build_day(today, timezone)
    cache = BlobCache.in_dir(cache_dir)
    rules = PublicationRules.for_config(hist.root, config_file, timezone, notice_days)
    out: dict[str, PolicyHistory] = {}
    try:
        out = _read_each(policies, files, hist, branch, timezone, notice_days, day, cache, rules)
    finally:
        hist.blobs.close()
    cache.save()
    return out


def _read_ledger(policies: list[Policy], files: list[Path], book: Ledger, branch: str,
                 day: date) -> dict[str, PolicyHistory]:
    """Every policy's versions from the ledger; git only says whether the branch still holds them."""
    ref = git_history.resolve_branch(book.root, branch)
    problems = ledger_store.rewritten(book, ref)
    if problems:
        raise HistoryError("the publishing branch no longer holds what was published:\n  " + "\n  ".join(problems))
    # Staff train on the version in force; only when its text is not the working tree's does
    # its own file (with its training) have to be read.
    wanted = []
    for p in policies:
        due = [e for e in book.versions_of(p.id) if e.effective_date <= day]
        if due and due[-1].text_sha256 != p.text_sha256():
            wanted.append((due[-1].commit, due[-1].path))
    sources = git_history.read_files_at(book.root, wanted)
    out = {}
    for policy, file in zip(policies, files):
        rel = file.resolve().relative_to(book.root).as_posix()
        out[policy.id] = from_ledger(policy, book, policy.id, today=day, path=rel, sources=sources)
    # Withdrawn policies keep their archive: every version stays, read from the ledger alone.
    for pid in book.policy_ids():
        if pid not in out and book.versions_of(pid):
            out[pid] = from_ledger(None, book, pid, today=day, path=book.versions_of(pid)[-1].path, sources={})
    return out


def _read_each(policies, files, hist, branch, timezone, notice_days, day, cache, rules) -> dict[str, PolicyHistory]:
    out: dict[str, PolicyHistory] = {}
    for policy, file in zip(policies, files):
        rel = file.resolve().relative_to(hist.root).as_posix()
        revisions = hist.revisions.get(rel, [])
        if not revisions and rel not in hist.in_head:
            raise HistoryError(
                f"{rel}: this file has no history on '{branch}' and is not committed, so it has no "
                f"published version and no date. Commit it and merge it into '{branch}' to publish "
                f"it. If it is committed, the clone may lack history: " + git_history.FETCH_FIX)
        out[policy.id] = build_versions(policy, revisions, hist.blobs, timezone=timezone,
                                        notice_days=notice_days, today=day, path=rel, cache=cache,
                                        rules=rules)
        for old in out[policy.id].split_off:
            out.setdefault(old.policy_id, old)
    return out


def read_for(settings: Settings, policies: Iterable[Policy]) -> dict[str, PolicyHistory]:
    """Every policy's versions under ``settings``: one call for the build and the CLI, so both give the same dates."""
    return read_all(policies, branch=settings.branch, timezone=settings.timezone,
                    notice_days=settings.notice_days, today=settings.today,
                    cache_dir=settings.cache_dir, config_file=settings.config_file,
                    ledger_branch=settings.ledger_branch, history_start=settings.history_start)
