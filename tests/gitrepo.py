"""Build real git repositories with pinned dates for tests, and run `mkdocs build` on them.

Typical use::

    from gitrepo import GitRepo, policy_yaml, mkdocs_build   # tests/ is on sys.path

    repo = GitRepo.project(tmp_path / "proj")        # mkdocs.yml + theme/ + content/ copied
    repo.write_policy(policy_yaml({"intro": "We keep your data safe."}))
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    repo.branch("edit")                               # work on a branch…
    repo.write_policy(policy_yaml({"intro": "We keep your data very safe."}))
    repo.commit("Edit", "2026-03-02T09:00:00+13:00")
    repo.checkout("main")
    repo.merge("edit", "2026-03-03T12:00:00+13:00")   # …and merge it (--no-ff)
    result = mkdocs_build(repo.path, tmp_path / "site", today="2026-03-10")

Every commit gets the same author and committer date unless ``author_date`` is given
(rebases and squashes keep old author dates: pass one to model them). Dates are ISO 8601
with an offset, as git accepts them. Nothing here changes the test process's working
directory or environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping

ROOT = Path(__file__).resolve().parent.parent
"""The project folder (where mkdocs.yml is)."""

MKDOCS = ROOT / ".venv" / "bin" / "mkdocs"
POLICY = ROOT / ".venv" / "bin" / "policy"

POLICY_FILE = "content/privacy-policy.yaml"


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Legal", "GIT_AUTHOR_EMAIL": "legal@example.org",
        "GIT_COMMITTER_NAME": "Legal", "GIT_COMMITTER_EMAIL": "legal@example.org",
        "NO_MKDOCS_2_WARNING": "1",
        "LC_ALL": "C",
    })
    env.pop("SOURCE_DATE_EPOCH", None)
    env.pop("POLICY_TODAY", None)
    env.pop("POLICY_NOW", None)
    return env


class GitRepo:
    """A git repository in a folder, driven through the git command line."""

    def __init__(self, path: Path, *, branch: str = "main", init: bool = True) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        if init:
            self.git("init", "-q", "-b", branch)
            self.git("config", "commit.gpgsign", "false")

    @classmethod
    def project(cls, path: Path, *, content: bool = True, checklists: bool = True,
                pdf: bool = True) -> "GitRepo":
        """A repository holding a copy of this project's site (nothing committed yet).

        ``pdf=False`` turns the PDF stage off in its ``mkdocs.yml``, for tests about
        something else (PDFs are the slowest part of a build and have their own tests).
        """
        copy_project(path, content=content, checklists=checklists)
        if not pdf:
            config = path / "mkdocs.yml"
            text = config.read_text(encoding="utf-8")
            assert text.count("  - policy:\n") == 1, "mkdocs.yml should configure the policy plugin once"
            config.write_text(text.replace("  - policy:\n", "  - policy:\n      pdf: false\n"), encoding="utf-8")
        return cls(path)

    # -- plumbing --------------------------------------------------------------------

    def git(self, *args: str, date: str | None = None, author_date: str | None = None,
            check: bool = True) -> str:
        """Run git here; ``date`` pins committer (and author) date, ``author_date`` the author's."""
        env = _base_env()
        if date:
            env["GIT_COMMITTER_DATE"] = date
            env["GIT_AUTHOR_DATE"] = author_date or date
        proc = subprocess.run(["git", *args], cwd=self.path, env=env, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout.strip()

    def write(self, rel: str, text: str) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p

    def write_policy(self, text: str, rel: str = POLICY_FILE) -> Path:
        return self.write(rel, text)

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    # -- history ---------------------------------------------------------------------

    def commit(self, message: str, date: str, *, author_date: str | None = None,
               paths: tuple[str, ...] = ()) -> str:
        """Stage ``paths`` (everything when empty), commit at ``date`` and return the sha."""
        self.git("add", *(paths or ("-A",)))
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date, author_date=author_date)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str = "HEAD") -> None:
        """Create branch ``name`` at ``start`` and switch to it."""
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "-q", ref)

    def merge(self, branch: str, date: str, message: str | None = None) -> str:
        """Merge ``branch`` into the current branch with a merge commit (``--no-ff``)."""
        self.git("merge", "-q", "--no-ff", "-m", message or f"Merge {branch}", branch, date=date)
        return self.head()

    def squash_merge(self, branch: str, date: str, message: str | None = None,
                     author_date: str | None = None) -> str:
        """Squash ``branch`` into one commit on the current branch, as GitHub's "Squash and merge"."""
        self.git("merge", "-q", "--squash", branch)
        self.git("commit", "-q", "-m", message or f"Squash {branch}", date=date, author_date=author_date)
        return self.head()

    def rebase_merge(self, branch: str, dates: list[str]) -> list[str]:
        """Replay ``branch``'s commits onto the current branch one by one, as "Rebase and merge".

        Each replayed commit keeps its author date and gets the next committer date from
        ``dates``. Returns the new shas.
        """
        base = self.git("merge-base", "HEAD", branch)
        commits = self.git("rev-list", "--reverse", f"{base}..{branch}").split()
        if len(commits) != len(dates):
            raise AssertionError(f"{len(commits)} commits to replay but {len(dates)} dates")
        out = []
        for sha, when in zip(commits, dates):
            author = self.git("log", "-1", "--format=%aI", sha)
            self.git("cherry-pick", "--allow-empty", sha, date=when, author_date=author)
            out.append(self.head())
        return out

    def revert(self, sha: str, date: str) -> str:
        self.git("revert", "--no-edit", sha, date=date)
        return self.head()


def copy_project(dest: Path, *, content: bool = True, checklists: bool = True) -> Path:
    """Copy mkdocs.yml, theme/ and content/ (and checklists/ when present) into ``dest``.

    Pass ``checklists=False`` when the test writes its own small policy: the real
    checklists name clauses of the real policy.
    """
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(ROOT / "theme", dest / "theme")
    if content:
        shutil.copytree(ROOT / "content", dest / "content")
    else:
        (dest / "content").mkdir()
        shutil.copy(ROOT / "content" / "policy.schema.json", dest / "content" / "policy.schema.json")
    if checklists and (ROOT / "checklists").is_dir():
        shutil.copytree(ROOT / "checklists", dest / "checklists")
    return dest


def mkdocs_build(project: Path, site: Path, *, today: str | None = None, strict: bool = True,
                 env: Mapping[str, str] | None = None, quiet: bool = True) -> subprocess.CompletedProcess:
    """Run ``mkdocs build`` of ``project`` into ``site``; ``today`` sets ``POLICY_TODAY``;
    ``quiet=False`` keeps the INFO lines (notes about content) in ``stderr``."""
    full = _base_env()
    if today:
        full["POLICY_TODAY"] = today
    full.update(env or {})
    args = [str(MKDOCS), "build", *(["-q"] if quiet else []), "-f", str(project / "mkdocs.yml"), "-d", str(site)]
    if strict:
        args.append("--strict")
    return subprocess.run(args, cwd=project, env=full, capture_output=True, text=True, timeout=300)


def policy_cli(project: Path, *args: str, today: str | None = None,
               now: str | None = None) -> subprocess.CompletedProcess:
    """Run the ``policy`` command in ``project``; ``now`` pins the time ``policy publish`` records."""
    full = _base_env()
    if today:
        full["POLICY_TODAY"] = today
    if now:
        full["POLICY_NOW"] = now
    return subprocess.run([str(POLICY), *args], cwd=project, env=full, capture_output=True, text=True,
                          timeout=300)


def policy_yaml(clauses: Mapping[str, str | dict], *, policy_id: str = "privacy-policy",
                title: str = "Privacy Policy", comment: str = "", extra_top: str = "",
                schema_version: int | None = 1) -> str:
    """A small valid policy file.

    Args:
        clauses: clause id → body text, or → a dict of clause fields (``title``, ``body``,
            ``summary``, ``training`` …) written as given.
        comment: a YAML comment put at the top (comment-only edits make no new version).
        extra_top: raw YAML lines added after the metadata (to model other schemas).
        schema_version: the ``schema_version`` line, or ``None`` to leave it out.
    """
    import yaml

    lines = []
    if comment:
        lines += [f"# {ln}" for ln in comment.splitlines()]
    if schema_version is not None:
        lines.append(f"schema_version: {schema_version}")
    lines += [f"id: {policy_id}", f"title: {title}", "organisation: Example Limited",
              "jurisdiction: New Zealand", "language: en-NZ", "contact:", "  role: Privacy Officer",
              "  email: privacy@example.org"]
    if extra_top:
        lines += extra_top.rstrip("\n").splitlines()
    items = []
    for cid, value in clauses.items():
        fields = {"id": cid, "title": cid.replace("-", " ").capitalize()}
        fields.update({"body": value} if isinstance(value, str) else value)
        items.append(fields)
    body = yaml.safe_dump({"clauses": items}, sort_keys=False, allow_unicode=True, width=1000)
    return "\n".join(lines) + "\n" + body
