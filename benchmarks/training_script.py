"""Size of the training script minified, against its 10 KB budget (issue 5).

Run: ``.venv/bin/python benchmarks/training_script.py``

Minifies ``theme/assets/javascripts/training.js`` with terser (``-c -m``, fetched by
``npx`` from the npm registry into npm's cache; nothing is added to the project) and
prints the size of the whole script, of the quiz code alone and of the records-service
block (between its ``>>>``/``<<<`` markers), each against 10,240 bytes, plus gzip sizes.
Exits 1 when the whole script is over budget.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "theme" / "assets" / "javascripts" / "training.js"
TERSER = "terser@5.51.4"
BUDGET = 10 * 1024
START, END = "// ---- Records service (issue 7) >>>", "// <<< Records service (issue 7)"


def minify(source: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.js"
        path.write_text(source, encoding="utf-8")
        out = subprocess.run(["npx", "--yes", TERSER, str(path), "-c", "-m"], capture_output=True, check=True)
        return out.stdout


def main() -> int:
    if shutil.which("npx") is None:
        print("npx not found: install Node.js (Debian: nodejs npm) to measure the minified size")
        return 2
    source = SCRIPT.read_text(encoding="utf-8")
    parts = {"whole script": source}
    if START in source and END in source:
        a, b = source.index(START), source.index(END)
        parts["quiz code alone"] = source[:a] + "function submitCompletion(r) { return r; }\n" + source[b:]
        parts["records block alone"] = "(function(){" + source[a:b] + "})();"
    whole = 0
    for name, text in parts.items():
        small = minify(text)
        size = len(small)
        whole = whole or size
        print(f"{name:20s} {size:6,d} bytes minified ({size / BUDGET:5.1%} of 10 KB), "
              f"{len(gzip.compress(small, 9)):5,d} gzipped")
    return 0 if whole <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
