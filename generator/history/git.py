"""All git access: the first-parent history of the content files and their blobs."""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from collections.abc import Iterable, Mapping

from ..errors import HistoryError

FETCH_FIX = (
    "Versions and their dates come from the full git history. In GitHub Actions set "
    "`fetch-depth: 0` on actions/checkout; elsewhere run `git fetch --unshallow`."
)
"""How to fix a checkout whose history is missing; every history error ends with it."""

PATHSPECS = ("*.yaml", "*.yml")
"""What ``git log`` looks at. Both sides of a rename must match, so a policy file
moved between folders is still followed."""


@dataclass(frozen=True)
class Commit:
    """A first-parent commit of the publishing branch."""

    sha: str
    committed_at: datetime
    """Committer time with the committer's offset (not the author time: a rebase or a
    squash keeps old author dates, but the commit only reached the branch at this time)."""
    subject: str = ""


@dataclass(frozen=True)
class Revision:
    """One commit that changed a policy file, and the blob it left at ``path``."""

    commit: Commit
    path: str
    """Path of the file in that commit, relative to the repository root."""
    blob: str


@dataclass
class History:
    """What git knows about a set of policy files, read with one ``git log`` and one ``git cat-file``."""

    root: Path
    """Top of the git work tree."""
    ref: str
    """The ref the history was read from, e.g. ``refs/heads/main`` or ``refs/remotes/origin/main``."""
    revisions: dict[str, list[Revision]] = field(default_factory=dict)
    """Per policy file (path relative to ``root`` as it is now): its revisions, oldest first."""
    blobs: Mapping[str, bytes] = field(default_factory=dict)
    """Blob contents by blob id (a :class:`Blobs`, read lazily when not prefetched)."""
    in_head: set[str] = field(default_factory=set)
    """Policy files without history on the branch that HEAD has committed (a branch may add
    one that the publishing branch lacks); only those are looked up."""


def git(args: list[str], cwd: str | Path, *, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``git ARGS`` in ``cwd`` and return the completed process (bytes).

    Raises:
        HistoryError: git is missing, or it failed and ``check`` is true.
    """
    try:
        proc = subprocess.run(["git", *args], cwd=str(cwd), capture_output=True,
                              env=_git_env(), check=False)
    except FileNotFoundError:
        raise HistoryError("git is not installed, and versions come from git history") from None
    if check and proc.returncode != 0:
        raise HistoryError(f"`git {' '.join(args[:3])}` failed", proc.stderr.decode("utf-8", "replace"))
    return proc


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Messages and dates in a form this module parses, whatever the user's setup.
    env.update({"LC_ALL": "C", "GIT_PAGER": "cat", "GIT_TERMINAL_PROMPT": "0"})
    # Run from a git hook, these would point git at another repository than ``cwd``.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    return env


def repo_root(path: str | Path) -> Path:
    """The top of the git work tree that holds ``path``.

    Raises:
        HistoryError: ``path`` is not inside a git repository.
    """
    proc = git(["rev-parse", "--show-toplevel"], path, check=False)
    if proc.returncode != 0:
        raise HistoryError(
            f"{path} is not inside a git repository, so no version can be dated. "
            "Build from a clone of the repository (commit the content first). " + FETCH_FIX,
            proc.stderr.decode("utf-8", "replace"))
    return Path(proc.stdout.decode().strip())


def _repo_info(path: str | Path) -> tuple[Path, bool]:
    """``(top of the work tree, whether the clone is shallow)`` with one git call."""
    proc = git(["rev-parse", "--show-toplevel", "--is-shallow-repository"], path, check=False)
    lines = proc.stdout.decode().split("\n")
    if proc.returncode != 0 or len(lines) < 2:
        repo_root(path)  # raises with the explanation
        raise HistoryError(f"git could not describe the repository at {path}",
                           proc.stderr.decode("utf-8", "replace"))
    return Path(lines[0]).resolve(), lines[1].strip() == "true"


def resolve_branch(root: str | Path, branch: str) -> str:
    """The full ref of the publishing branch: local first, then ``origin/<branch>``.

    A CI checkout of a pull request often has only the remote-tracking branch.
    ``branch`` may also be a remote-tracking name (``origin/main``) or a full ref.

    Raises:
        HistoryError: neither exists.
    """
    candidates = [f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"]
    # `policy diff --base origin/main` names a remote-tracking branch, or a full ref.
    if branch.startswith("refs/"):
        candidates.insert(0, branch)
    elif "/" in branch:
        candidates.append(f"refs/remotes/{branch}")
    for ref in candidates:
        if git(["rev-parse", "--verify", "--quiet", ref + "^{commit}"], root, check=False).returncode == 0:
            return ref
    if git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], root, check=False).returncode != 0:
        raise HistoryError(
            f"this repository has no commit yet, so nothing is published: commit the content "
            f"and merge it into '{branch}' to publish its first version.")
    if "/" in branch and not branch.startswith("refs/"):
        # "origin/main": say so plainly rather than list "origin/origin/main".
        remote, _, name = branch.partition("/")
        raise HistoryError(
            f"the branch '{branch}' is not in this clone. Fetch it (`git fetch {remote} {name}`). "
            + FETCH_FIX)
    raise HistoryError(
        f"the publishing branch '{branch}' is not in this clone (neither '{branch}' nor "
        f"'origin/{branch}' exists). Fetch it (`git fetch origin {branch}`), or set `branch:` "
        "under the policy plugin in mkdocs.yml. " + FETCH_FIX)


def head_commit_time(root: str | Path) -> int | None:
    """Committer time of HEAD in seconds since the epoch; ``None`` before the first commit."""
    proc = git(["log", "-1", "--format=%ct", "HEAD"], root, check=False)
    text = proc.stdout.decode().strip()
    return int(text) if proc.returncode == 0 and text else None


_epoch_set_here: str | None = None
"""The ``SOURCE_DATE_EPOCH`` this process set itself, if any."""


def set_source_date_epoch(path: str | Path) -> str | None:
    """Set ``SOURCE_DATE_EPOCH`` to HEAD's committer time unless it is already set.

    MkDocs stamps the sitemap (and its gzip header) with the build time otherwise, so two
    builds of one commit on different days would differ. Returns the value in force, or
    ``None`` outside a repository.
    """
    global _epoch_set_here
    current = os.environ.get("SOURCE_DATE_EPOCH")
    # A value the user set wins; ours is refreshed (`mkdocs serve` rebuilds after new commits).
    if current and current != _epoch_set_here:
        return current
    try:
        root = repo_root(path)
    except HistoryError:
        return None
    stamp = head_commit_time(root)
    if stamp is None:
        return None
    os.environ["SOURCE_DATE_EPOCH"] = _epoch_set_here = str(stamp)
    return str(stamp)


def read_history(files: Iterable[str | Path], branch: str = "main", *, prefetch: bool = True,
                 start: str = "") -> History:
    """Read the first-parent history of ``files`` on ``branch``, with every blob it needs.

    One ``git log`` lists the commits, following renames; one ``git cat-file --batch``
    reads all distinct blobs.

    Args:
        files: the policy files as they are in the working tree (absolute or relative paths).
        branch: the publishing branch; only its commits after ``start`` count (``history_start``).
        prefetch: read every blob now (else on first access, or by ``history.blobs.prefetch``).

    Raises:
        HistoryError: not a repository, a shallow clone, a missing branch.
    """
    files = [Path(f).resolve() for f in files]
    if not files:
        raise HistoryError("no policy files to read the history of")
    root, shallow = _repo_info(files[0].parent)
    if shallow:
        raise HistoryError(
            "this clone is shallow: its git history is cut off, so the posting dates of "
            "earlier versions are unknown (and no date is ever guessed). " + FETCH_FIX)
    ref = resolve_branch(root, branch)
    wanted = {f.relative_to(root).as_posix(): f for f in files}
    history = History(root, ref)
    commits = _log(root, f"{start}..{ref}" if start else ref)  # git names a start that is no commit
    for path in wanted:
        history.revisions[path] = _follow(path, commits)
    missing = [p for p, revs in history.revisions.items() if not revs]
    if missing:  # a branch may add a policy that the publishing branch lacks
        history.in_head = _in_head(root, missing)
    history.blobs = blobs = Blobs(root)
    if prefetch:
        try:
            blobs.prefetch(r.blob for revs in history.revisions.values() for r in revs)
        finally:
            blobs.close()
    return history


def _in_head(root: Path, paths: list[str]) -> set[str]:
    proc = git(["ls-tree", "-z", "--name-only", "HEAD", "--", *paths], root, check=False)
    if proc.returncode != 0:
        return set()
    return {p.decode("utf-8", "surrogateescape") for p in proc.stdout.split(b"\0") if p}


_Change = tuple[str, str, str, str | None]
"""``(status letter, new blob, path, old path for renames/copies)``."""


def _log(root: Path, ref: str) -> list[tuple[Commit, list[_Change]]]:
    """Every first-parent commit of ``ref`` that touches a YAML file, newest first."""
    proc = git(["log", "--first-parent", "--diff-merges=first-parent", "-M", "--raw", "--no-abbrev",
                "-z", "--format=%H %ct %cI %s", ref, "--", *PATHSPECS], root)
    tokens = proc.stdout.split(b"\0")
    out: list[tuple[Commit, list[_Change]]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip(b"\n")
        i += 1
        if not tok:
            continue
        if tok.startswith(b":") and out:
            # ":old_mode new_mode old_blob new_blob STATUS" then one or two paths.
            parts = tok.decode().split()
            status = parts[4][0]
            if status in "RC":
                old, new = tokens[i].decode("utf-8", "surrogateescape"), tokens[i + 1].decode(
                    "utf-8", "surrogateescape")
                i += 2
            else:
                old, new = None, tokens[i].decode("utf-8", "surrogateescape")
                i += 1
            out[-1][1].append((status, parts[3], new, old))
            continue
        sha, ct, iso, *subject = tok.decode("utf-8", "replace").split(" ", 3)
        when = datetime.fromisoformat(iso)
        if int(when.timestamp()) != int(ct):  # pragma: no cover - git guarantees agreement
            raise HistoryError(f"git gave inconsistent dates for {sha}")
        out.append((Commit(sha, when, subject[0] if subject else ""), []))
    return out


def _follow(path: str, commits: list[tuple[Commit, list[_Change]]]) -> list[Revision]:
    """The revisions of the file now at ``path``, walking back through renames; oldest first."""
    found: list[Revision] = []
    current = path
    for commit, changes in commits:  # newest first
        change = next((c for c in changes if c[2] == current), None)
        if change is None:
            continue
        status, blob, _, old = change
        if status == "D":
            # Deleted here and added back later: the history before the deletion belongs
            # to a withdrawn policy, not to this one.
            break
        found.append(Revision(commit, current, blob))
        if status == "R" and old:
            current = old
        elif status in "AC":
            break
    found.reverse()
    return found


class Blobs(Mapping[str, bytes]):
    """Blob contents by id, read through one long-lived ``git cat-file --batch``.

    :meth:`prefetch` asks for many blobs at once: the requests are written from a thread
    while this one reads the answers (writing them all first would deadlock once both
    pipes are full). A blob not prefetched is read on first access by alternating one
    request and one answer on the same process. :meth:`close` ends the process; the
    blobs read so far stay available.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._data: dict[str, bytes] = {}
        self._proc: subprocess.Popen | None = None

    def __getitem__(self, sha: str) -> bytes:
        if sha not in self._data:
            self.prefetch([sha])
        return self._data[sha]

    def __contains__(self, sha: object) -> bool:
        return sha in self._data

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"], cwd=str(self.root), env=_git_env(),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except FileNotFoundError:
                raise HistoryError("git is not installed, and versions come from git history") from None
        return self._proc

    def prefetch(self, shas: Iterable[str]) -> None:
        """Read every blob of ``shas`` not read yet, in one exchange with git."""
        wanted = sorted({s for s in shas if s not in self._data})
        if not wanted:
            return
        proc = self._start()
        request = "".join(f"{b}\n" for b in wanted).encode()
        failure: list[BaseException] = []

        def feed() -> None:
            try:
                proc.stdin.write(request)
                proc.stdin.flush()
            except (BrokenPipeError, OSError) as e:  # git died; its stderr says why
                failure.append(e)

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            for _ in wanted:
                header = proc.stdout.readline()
                parts = header.split()
                if len(parts) != 3:
                    self.close()
                    raise HistoryError(
                        f"git cat-file could not read {header.decode(errors='replace').strip() or 'a blob'}")
                size = int(parts[2])
                self._data[parts[0].decode()] = proc.stdout.read(size)
                proc.stdout.read(1)  # the newline after each object
        finally:
            writer.join()

    def close(self) -> None:
        """End the git process (blobs already read stay available)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                stream.close()
            except OSError:  # pragma: no cover - already closed by a dying git
                pass
        proc.wait()

    def __del__(self) -> None:  # pragma: no cover - best effort when a caller forgets close()
        try:
            self.close()
        except Exception:
            pass


def read_files_at(root: str | Path, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], bytes | None]:
    """Read each ``(commit, path)`` as it was at that commit, with one ``git cat-file --batch``.

    A path that did not exist at its commit reads as ``None``. Requests and answers
    alternate, so no pipe can fill up.
    """
    wanted = list(dict.fromkeys(wanted))
    out: dict[tuple[str, str], bytes | None] = {}
    if not wanted:
        return out
    store = Blobs(root)
    proc = store._start()
    try:
        for commit, path in wanted:
            proc.stdin.write(f"{commit}:{path}\n".encode())
            proc.stdin.flush()
            parts = proc.stdout.readline().split()
            if len(parts) == 3 and parts[1] == b"blob":
                out[(commit, path)] = proc.stdout.read(int(parts[2]))
                proc.stdout.read(1)
            elif len(parts) == 3:  # a tree or such: skip its body
                proc.stdout.read(int(parts[2]) + 1)
                out[(commit, path)] = None
            else:  # "<name> missing"
                out[(commit, path)] = None
    except (BrokenPipeError, OSError, ValueError) as e:
        raise HistoryError(f"git cat-file could not read {path} at {commit[:12]}: {e}") from None
    finally:
        store.close()
    return out
