"""Writing to git: one commit appended to a branch, made without touching the work tree or its index.

``history/git.py`` reads; this module is the only one that writes (the publication ledger).
A ref only ever moves forward here: ``update-ref`` is given the old value it expects, so a
concurrent writer makes it fail rather than be overwritten, and nothing is ever force-pushed.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

from ..errors import HistoryError
from .git import _git_env, git

IDENTITY = {"GIT_AUTHOR_NAME": "policy publish", "GIT_AUTHOR_EMAIL": "policy-publish@localhost",
            "GIT_COMMITTER_NAME": "policy publish", "GIT_COMMITTER_EMAIL": "policy-publish@localhost"}


def _run(args: list[str], root: Path, *, data: bytes | None = None, env: Mapping[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess:
    full = _git_env()
    full.update(env or {})
    proc = subprocess.run(["git", *args], cwd=str(root), input=data, capture_output=True, env=full, check=False)
    if check and proc.returncode != 0:
        raise HistoryError(f"`git {' '.join(args[:2])}` failed", proc.stderr.decode("utf-8", "replace"))
    return proc


def ref_value(root: Path, ref: str) -> str | None:
    proc = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def append_commit(root: Path, ref: str, parent: str | None, files: Mapping[str, bytes], message: str,
                  when: str, expected: str | None) -> str:
    """Commit ``parent``'s tree with ``files`` added or replaced, and point ``ref`` at it; return the commit.

    ``when`` is the commit's date (ISO 8601). Fails if ``ref`` no longer points at ``expected``
    (its value when it was read; ``None`` when it did not exist).
    """
    # The caller's identity when it has one (a CI bot), else this tool's; the date is the recording's.
    env = {**{k: v for k, v in IDENTITY.items() if k not in os.environ},
           "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    with tempfile.TemporaryDirectory() as tmp:
        index = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            _run(["read-tree", parent], root, env=index)
        for path, data in files.items():
            blob = _run(["hash-object", "-w", "--stdin"], root, data=data).stdout.decode().strip()
            _run(["update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"], root, env=index)
        tree = _run(["write-tree"], root, env=index).stdout.decode().strip()
    args = ["commit-tree", tree, "-F", "-"] + (["-p", parent] if parent else [])
    commit = _run(args, root, data=message.encode("utf-8"), env=env).stdout.decode().strip()
    proc = _run(["update-ref", ref, commit, expected or "0" * 40], root, check=False)
    if proc.returncode != 0:
        raise HistoryError(f"{ref} moved while it was being written: run again",
                           proc.stderr.decode("utf-8", "replace"))
    return commit


def push(root: Path, remote: str, branch: str) -> bool:
    """Push ``branch`` to ``remote`` without force; ``False`` when the remote moved on (rejected)."""
    proc = _run(["push", "--porcelain", remote, f"refs/heads/{branch}:refs/heads/{branch}"], root, check=False)
    if proc.returncode == 0:
        return True
    text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    # Moved on before this push (rejected), or while it ran (the remote could not lock the ref).
    if any(m in text for m in ("[rejected]", "non-fast-forward", "fetch first", "cannot lock ref",
                               "failed to update ref")):
        return False
    raise HistoryError(f"`git push {remote} {branch}` failed", text)


def fetch(root: Path, remote: str, branch: str) -> str | None:
    """Fetch ``branch`` from ``remote`` into ``refs/remotes/<remote>/<branch>``; its commit, or ``None``."""
    proc = _run(["fetch", "--quiet", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}"], root,
                check=False)
    if proc.returncode != 0:
        return None
    return ref_value(root, f"refs/remotes/{remote}/{branch}")


def is_ancestor(root: Path, older: str, newer: str) -> bool:
    return git(["merge-base", "--is-ancestor", older, newer], root, check=False).returncode == 0


