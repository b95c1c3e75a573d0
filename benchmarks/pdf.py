"""PDF stage cost: one version against a bare WeasyPrint render, and a warm 100-version rebuild against a cold one.

Run: ``.venv/bin/python benchmarks/pdf.py [--versions 100] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import build as site  # noqa: E402
from generator.content import loader  # noqa: E402
from generator.history import versions  # noqa: E402
from generator.pdf import document as pdf_document  # noqa: E402
from generator.pdf import render as pdf  # noqa: E402
from generator.settings import Settings  # noqa: E402
from generator.model import PolicyVersion  # noqa: E402
from generator.frontends.mkdocs_yml import settings_from_config_file  # noqa: E402
from generator.site.structure import PdfStats  # noqa: E402

POLICY_FILE = ROOT / "content" / "privacy-policy.yaml"


def one_version(settings, repeat: int) -> None:
    """The PDF stage for one version (cold cache) against ``HTML(string).write_pdf()`` of the same HTML."""
    import weasyprint

    policy = loader.load_policy(POLICY_FILE)
    posted = datetime(2026, 3, 12, 1, 5, tzinfo=timezone.utc)
    version = PolicyVersion(3, policy, "1" * 40, posted, date(2026, 3, 12), "in-force",
                            text_sha256=policy.text_sha256(), source_text=POLICY_FILE.read_text("utf-8"))
    job = pdf_document.make_job(version, settings)
    options = {"pdf_variant": settings.pdf_variant, "pdf_tags": True}
    weasyprint.HTML(string=job.html, base_url=".").write_pdf(**options)  # warm both up alike

    bare, ours = [], []
    for i in range(repeat):
        t = time.perf_counter()
        weasyprint.HTML(string=job.html, base_url=".").write_pdf(**options)
        bare.append(time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as cache:
            s = Settings(**{**settings.__dict__, "cache_dir": Path(cache)})
            t = time.perf_counter()
            result = pdf.render_versions([version], s)
            ours.append(time.perf_counter() - t)
            assert not result[(policy.id, 3)].cached
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"one version ({repeat} runs, median):")
    print(f"  bare weasyprint.HTML(...).write_pdf(): {b * 1000:7.0f} ms")
    print(f"  PDF stage (key, HTML, layout, PDF/A, cache write): {o * 1000:7.0f} ms")
    print(f"  ratio: {o / b:.2f}x  (target <= 1.2x)")


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME="Legal",
               GIT_AUTHOR_EMAIL="legal@example.org", GIT_COMMITTER_NAME="Legal",
               GIT_COMMITTER_EMAIL="legal@example.org")
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def hundred_versions(count: int) -> None:
    """A git history of ``count`` versions: every PDF rendered (cold), then all from the cache (warm)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "project"
        (repo / "content").mkdir(parents=True)
        (repo / "theme").symlink_to(ROOT / "theme")
        (repo / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text("utf-8"), "utf-8")
        git(repo, "init", "-q", "-b", "main")
        text = POLICY_FILE.read_text("utf-8")
        start = datetime(2020, 1, 1, 10, 0, tzinfo=timezone.utc)
        for i in range(count):
            body = text.replace("posted on our website.", f"posted on our website (revision {i + 1}).")
            (repo / "content" / "privacy-policy.yaml").write_text(body, "utf-8")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", f"v{i + 1}", when=(start + timedelta(days=7 * i)).isoformat())
        settings = settings_from_config_file(repo / "mkdocs.yml", today=date(2026, 1, 1))
        histories = versions.read_all(loader.load_all(settings.content_dir), branch="main",
                                      timezone=settings.timezone, today=settings.today)
        all_versions = [v for h in histories.values() for v in h.versions]
        assert len(all_versions) == count, len(all_versions)

        t = time.perf_counter()
        cold = pdf.render_versions(all_versions, settings)
        cold_s = time.perf_counter() - t
        assert sum(not r.cached for r in cold.values()) == count
        t = time.perf_counter()
        warm = pdf.render_versions(all_versions, settings)
        warm_s = time.perf_counter() - t
        assert all(r.cached for r in warm.values())
        assert all(warm[k].data == cold[k].data for k in cold)

        t = time.perf_counter()
        gathered = site.gather(settings)
        build_s = time.perf_counter() - t
        assert gathered.pdf_stats == PdfStats(rendered=0, cached=count)
        workers = min(count, os.cpu_count() or 1)
        print(f"{count}-version history ({workers} worker processes on {os.cpu_count()} cores):")
        print(f"  cold PDF stage (render all): {cold_s:7.2f} s  ({cold_s / count * 1000:.0f} ms per version)")
        print(f"  warm PDF stage (all cached): {warm_s:7.2f} s  ({warm_s / count * 1000:.1f} ms per version)")
        print(f"  warm/cold: {warm_s / cold_s:.3f}  (cold is {cold_s / warm_s:.0f}x slower)")
        print(f"  whole warm gather() (history, pages, PDFs): {build_s:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = settings_from_config_file(ROOT / "mkdocs.yml")
    one_version(settings, args.repeat)
    hundred_versions(args.versions)


if __name__ == "__main__":
    main()
