"""Version history cost on a synthetic 2000-commit repository: extraction vs bare git, build vs plain MkDocs.

Run: ``.venv/bin/python benchmarks/history.py [--commits 2000] [--versions 100] [--repeat 5]``

The repository is written with one ``git fast-import``: the real policy, 2000
first-parent commits (every 10th a --no-ff merge of a side branch), of which 100
change the public text; the others edit comments or training in the policy, or
another file. It prints

(a) history extraction (``history.read_history``: one ``git log`` + one
    ``git cat-file --batch``) against the bare shell pipeline
    ``git log … | git cat-file --batch`` of the same blobs, and the whole versions
    step (extraction + reading every distinct blob + numbering) against it too;
(b) a full ``mkdocs build`` of the repository (plugin on, PDFs off: they have their
    own benchmark) against a plain ``mkdocs build`` of the same generated Markdown
    pages with the plugin removed;
(c) both again once ``policy publish`` has started the publication ledger.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.content import loader  # noqa: E402
from generator.history import git as history  # noqa: E402
from generator.history import versions  # noqa: E402
from generator.build import gather  # noqa: E402
from generator.settings import Settings  # noqa: E402

POLICY = "content/privacy-policy.yaml"
MKDOCS = ROOT / ".venv" / "bin" / "mkdocs"
START = 1_700_000_000  # Nov 2023; one commit an hour from there


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "NO_MKDOCS_2_WARNING": "1",
                "LC_ALL": "C"})
    env.pop("SOURCE_DATE_EPOCH", None)
    return env


def _blob(data: bytes) -> bytes:
    return b"data %d\n" % len(data) + data + b"\n"


def make_repo(path: Path, commits: int, published: int) -> None:
    """Write the synthetic history with one fast-import stream."""
    base = (ROOT / POLICY).read_text(encoding="utf-8")
    anchor = "Note that we generally record outbound calls for operational and\n          training purposes."
    assert anchor in base, "the benchmark edits the call-recording clause of the real policy"
    every = max(1, commits // published)
    shutil.copy(ROOT / "mkdocs.yml", path / "mkdocs.yml")
    shutil.copytree(ROOT / "theme", path / "theme")
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=_env())
    cfg = (path / "mkdocs.yml").read_text().replace("notice_days: 0", "notice_days: 0\n      pdf: false")
    (path / "mkdocs.yml").write_text(cfg)

    out: list[bytes] = []
    version = 1
    comment = 0
    mark = 0
    text = base

    def policy_text() -> bytes:
        body = text.replace(anchor, anchor[:-1] + f" (revision {version}).") if version > 1 else text
        return (f"# edit {comment}\n" + body).encode("utf-8")

    def commit(ref: str, n: int, files: dict[str, bytes], parents: list[str], msg: str) -> str:
        nonlocal mark
        mark += 1
        when = START + n * 3600
        out.append(f"commit {ref}\nmark :{mark}\n".encode())
        out.append(f"committer Legal <legal@example.org> {when} +1300\n".encode())
        out.append(_blob(msg.encode()))
        if parents:
            out.append(f"from {parents[0]}\n".encode())
            for p in parents[1:]:
                out.append(f"merge {p}\n".encode())
        for name, data in files.items():
            out.append(f"M 100644 inline {name}\n".encode() + _blob(data))
        return f":{mark}"

    tip = commit("refs/heads/main", 0, {POLICY: policy_text(), "mkdocs.yml": cfg.encode(), "README.md": b"x\n"},
                 [], "Publish")
    for n in range(1, commits):
        if n % every == 0 and version < published:
            version += 1
            files = {POLICY: policy_text()}
        elif n % 2:
            comment += 1
            files = {POLICY: policy_text()}
        else:
            files = {"README.md": f"readme {n}\n".encode()}
        if n % 10 == 0:
            side = commit("refs/heads/side", n, files, [tip], f"Side {n}")
            tip = commit("refs/heads/main", n, {}, [tip, side], f"Merge {n}")
        else:
            tip = commit("refs/heads/main", n, files, [tip], f"Commit {n}")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(out), check=True, env=_env())
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True, env=_env())
    # The theme is not committed (a real repo would commit it; it does not touch history).
    (path / "content" / "policy.schema.json").write_text((ROOT / "content" / "policy.schema.json").read_text())


def best(fn, repeat: int) -> float:
    """The fastest of ``repeat`` runs (load from other processes only ever adds time)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bare(repo: Path) -> None:
    script = (f"git log --first-parent --diff-merges=first-parent --raw --no-abbrev --format= main -- {POLICY}"
              " | awk '{print $4}' | git cat-file --batch > /dev/null")
    subprocess.run(["sh", "-c", script], cwd=repo, check=True, env=_env())


def build(config: Path, site: Path, env: dict[str, str]) -> None:
    subprocess.run([str(MKDOCS), "build", "-q", "-f", str(config), "-d", str(site)], check=True, env=env)


def interleaved(a, b, repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` runs of each, alternated: other work on the machine only adds time."""
    first, second = [], []
    for _ in range(repeat):
        first.append(best(a, 1))
        second.append(best(b, 1))
    return min(first), min(second)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commits", type=int, default=2000)
    ap.add_argument("--versions", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        t = time.perf_counter()
        make_repo(repo, args.commits, args.versions)
        print(f"synthetic repository: {args.commits} commits in {time.perf_counter() - t:.1f} s")
        policy_file = repo / POLICY
        h = history.read_history([policy_file], "main")
        revs = h.revisions[POLICY]
        policies = loader.load_all(repo / "content")
        hist = versions.read_all(policies, today=None)["privacy-policy"]
        print(f"  first-parent commits touching the policy: {len(revs)}, distinct blobs: {len(h.blobs)}, "
              f"published versions: {len(hist.versions)}")
        assert len(hist.versions) == args.versions, len(hist.versions)

        t_bare = best(lambda: bare(repo), args.repeat)
        t_hist = best(lambda: history.read_history([policy_file], "main"), args.repeat)
        t_all = best(lambda: versions.read_all(policies, today=None), args.repeat)
        cache_dir = Path(tmp) / "cache"
        versions.read_all(policies, today=None, cache_dir=cache_dir)
        t_warm = best(lambda: versions.read_all(policies, today=None, cache_dir=cache_dir), args.repeat)
        print("(a) history extraction")
        print(f"  bare git log | git cat-file --batch : {t_bare * 1000:8.1f} ms")
        print(f"  history.read_history                : {t_hist * 1000:8.1f} ms   ratio {t_hist / t_bare:.2f}x"
              "  (target <= 2x)")
        print(f"  versions.read_all, cold (parse all) : {t_all * 1000:8.1f} ms   ratio {t_all / t_bare:.2f}x"
              f"  ({len(h.blobs)} YAML blobs parsed)")
        print(f"  versions.read_all, warm cache       : {t_warm * 1000:8.1f} ms   ratio {t_warm / t_bare:.2f}x"
              "  (no YAML parsed; only version blobs read)")

        # (b) the same pages, built by MkDocs with and without the plugin.
        env = _env()
        full_site, plain_site = Path(tmp) / "site-full", Path(tmp) / "site-plain"
        settings = Settings(root=repo, content_dir=repo / "content", site_name="bench", pdf=False,
                            cache_dir=Path(tmp) / "gather-cache")
        gathered = gather(settings)
        plain = Path(tmp) / "plain"
        docs = plain / "docs"
        for page in gathered.pages:
            target = docs / page.src_uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page.markdown, encoding="utf-8")
        shutil.copytree(ROOT / "theme", plain / "theme")
        cfg = (repo / "mkdocs.yml").read_text()
        head, _, tail = cfg.partition("plugins:")
        rest = tail.split("\n\n", 1)[1] if "\n\n" in tail else ""
        # The same pages out of the navigation as the plugin keeps out (archived
        # versions): the navigation is drawn on every page, so it dominates the cost.
        hidden = "".join(f"  /{p.src_uri}\n" for p in gathered.pages if not p.in_nav)
        (plain / "mkdocs.yml").write_text(head.replace("docs_dir: content", "docs_dir: docs")
                                          + "plugins:\n  - search\n\n" + rest
                                          + (f"\nnot_in_nav: |\n{hidden}" if hidden else ""))
        print(f"(b) mkdocs build of {len(gathered.pages)} pages")
        shutil.rmtree(repo / ".cache", ignore_errors=True)
        t_cold = best(lambda: build(repo / "mkdocs.yml", full_site, env), 1)
        t_plain, t_full = interleaved(lambda: build(plain / "mkdocs.yml", plain_site, env),
                                      lambda: build(repo / "mkdocs.yml", full_site, env), args.repeat)
        print(f"  plain mkdocs build (no plugin)      : {t_plain:8.2f} s")
        print(f"  full build, cold history cache      : {t_cold:8.2f} s   ratio {t_cold / t_plain:.2f}x")
        print(f"  full build (plugin, no PDFs), warm  : {t_full:8.2f} s   ratio {t_full / t_plain:.2f}x"
              "  (target <= 1.3x)")

        # (c) the same once `policy publish` has started the ledger: versions, dates and texts
        # come from it, and git only says whether main still holds each posted commit.
        subprocess.run([str(ROOT / ".venv" / "bin" / "policy"), "publish"], cwd=repo, env=env, check=True,
                       capture_output=True)
        t_ledger = best(lambda: versions.read_all(policies, today=None, ledger_branch="policy-ledger"),
                        args.repeat)
        print("(c) with the publication ledger")
        print(f"  versions.read_all from the ledger   : {t_ledger * 1000:8.1f} ms   ratio {t_ledger / t_bare:.2f}x"
              f"  (was {t_warm / t_bare:.2f}x from the history, warm)")
        was = t_full / t_plain
        t_plain, t_ledger_build = interleaved(lambda: build(plain / "mkdocs.yml", plain_site, env),
                                              lambda: build(repo / "mkdocs.yml", full_site, env), args.repeat)
        print(f"  plain mkdocs build (no plugin)      : {t_plain:8.2f} s")
        print(f"  full build from the ledger, warm    : {t_ledger_build:8.2f} s   ratio "
              f"{t_ledger_build / t_plain:.2f}x  (was {was:.2f}x from the history)")


if __name__ == "__main__":
    main()
