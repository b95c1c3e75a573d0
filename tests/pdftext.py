"""Text of a PDF as a reader gets it: pdftotext (poppler) per page, joined across hyphenated lines."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from seed import normalise


def page_texts(data: bytes, tmp_path: Path, *, body_only: bool = False, raw: bool = False) -> list[str]:
    """Text of each page by pdftotext (poppler); ``body_only`` crops the running header and footer.

    ``raw`` reads in content order, where poppler does not join words hyphenated at a
    line end (it would turn "third-party" into "thirdparty").
    """
    file = tmp_path / f"read-{hashlib.sha256(data).hexdigest()[:12]}.pdf"
    file.write_bytes(data)
    args = ["pdftotext", "-enc", "UTF-8"] + (["-raw"] if raw else [])
    if body_only:  # A4 is 595 x 842 pt; the header and footer sit in the top 24 mm and bottom 22 mm.
        args += ["-x", "0", "-y", "66", "-W", "595", "-H", "712"]
    out = subprocess.run(args + [str(file), "-"], capture_output=True, check=True).stdout.decode("utf-8")
    return out.split("\f")[:-1]


def reading_text(pages: list[str]) -> str:
    """Pages joined as one text; a line that ends in a hyphen continues the word on the next."""
    text = "\n".join(pages)
    # List markers are painted after the page's text, so in content order they come last.
    text = re.sub(r"^\s*•\s*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"(?<=\w-)\n\s*(?=\w)", "", text)
    return normalise(text)
