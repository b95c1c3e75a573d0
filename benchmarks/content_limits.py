"""Where the renderers slow down, against the limits ``policy check`` enforces (content/limits.py).

Run: ``.venv/bin/python benchmarks/content_limits.py``

For each shape of text that hung or crashed a build, it times Python-Markdown (through the
site's converter, sanitiser included) and the word redline at growing sizes, up to the
point where they fail or pass a second, and prints where each limit sits. Then it prints
the whole ``policy check`` of a 1 MiB file of each shape as a ratio to checking the
embedded policy (the unavoidable work: reading and validating a policy file).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import markdown  # noqa: E402

from generator.content import limits, loader  # noqa: E402
from generator.errors import ContentErrors  # noqa: E402
from generator.redline.words import _line_diff  # noqa: E402  (the redline without its guard)
from hostile import policy_file  # noqa: E402

EXTENSIONS = ["toc", "attr_list", "md_in_html", "admonition", "def_list", "tables"]


def timed(fn) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        fn()
        outcome = "ok"
    except RecursionError:
        outcome = "RecursionError"
    return time.perf_counter() - start, outcome


def markdown_time(text: str) -> tuple[float, str]:
    md = markdown.Markdown(extensions=EXTENSIONS)  # the raw renderer: no limits in front of it
    return timed(lambda: md.convert(text))


SHAPES = {
    "unclosed [ in a paragraph": (lambda n: "[" * n, "markdown", limits.MAX_BRACKETS_PER_BLOCK),
    "list nesting depth": (lambda n: "\n".join("    " * i + "- x" for i in range(n)), "markdown",
                           limits.MAX_NESTING),
    "punctuation on one changed line": (lambda n: "‹" * n, "redline", limits.MAX_MARKS_PER_LINE),
}


def main() -> None:
    print("Renderer time by size (the limit is where policy check refuses the text):")
    for name, (make, renderer, limit) in SHAPES.items():
        n = max(limit // 2, 4)
        while True:
            text = make(n)
            if renderer == "markdown":
                spent, outcome = markdown_time(text)
            else:
                spent, outcome = timed(lambda: _line_diff(text, text[:-1] + "x", True))
            print(f"  {name:34} n={n:>7,}  {spent:8.3f} s  {outcome:15} limit {limit:,} "
                  f"({n / limit:.0f}× the limit)")
            if outcome != "ok" or spent > 1.0 or n > 64 * limit:
                break
            n *= 2
    print()
    seed = ROOT / "content" / "privacy-policy.yaml"

    def check(path: Path) -> float:
        start = time.perf_counter()
        try:
            loader.load_policy(path)
        except ContentErrors:
            pass
        return time.perf_counter() - start

    base = min(check(seed) for _ in range(5))
    print(f"policy check of the embedded policy ({seed.stat().st_size:,} bytes): {base * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        bodies = {
            "200,000 [": "[" * 200_000,
            "200,000 ‹": "‹" * 200_000,
            "15,000 <div> lines": "<div>\n" * 15_000,
            "list 600 deep": "\n".join("    " * i + "- x" for i in range(600)),
            "1 MiB of prose lines": ("We keep your information safe. " * 30 + "\n\n") * 1100,
        }
        for name, body in bodies.items():
            path, _ = policy_file(Path(tmp), "bench", "body", body)
            spent = min(check(path) for _ in range(3))
            print(f"  {name:22} {path.stat().st_size:>9,} bytes  {spent * 1000:8.1f} ms  "
                  f"{spent / base:6.1f}× the embedded policy")


if __name__ == "__main__":
    main()
