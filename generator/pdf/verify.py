"""Say whether a PDF is a genuine version of a policy: against a built versions.json, or git history."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..content.loader import load_all
from ..errors import PolicyError
from ..history.versions import read_for
from ..render.templates import long_date
from ..render.urls import version_url
from ..settings import Settings
from ..site.versions_json import VersionRecord, VersionsFile, read_site
from .render import render_versions

_CANONICAL = re.compile(r"^(?P<pid>[a-z0-9][a-z0-9-]*)-v(?P<n>[0-9]{1,9})\.json\Z")
"""An attachment named like ``privacy-policy-v3.json``; longer numbers are no version this site made
(and Python refuses to convert an integer of over 4,300 digits)."""
MAX_PARSED_BYTES = 32 * 1024 * 1024
"""Bigger files are hashed but not opened as PDFs: a policy PDF is tens of kilobytes, and pypdf
holds a file in memory several times over (a 1.5 GB file took a minute and 4.6 GB)."""


@dataclass(frozen=True)
class Claim:
    """What a PDF says it is, read from the canonical text it carries."""

    policy_id: str
    number: int
    text_sha256: str
    title: str = ""


@dataclass(frozen=True)
class Verdict:
    genuine: bool
    message: str
    """Lines to print: the first says genuine or not, the rest why."""


def read_claim(data: bytes) -> Claim | None:
    """The policy and version a PDF claims to be, from its embedded canonical text (``None`` if none)."""
    from pypdf import PdfReader

    # pypdf logs what it repairs ("EOF marker not found") to stderr, above the verdict.
    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        files = PdfReader(io.BytesIO(data)).attachments
        for name in sorted(files):
            m = _CANONICAL.match(name)
            if m and files[name]:
                text = files[name][0]
                return Claim(m["pid"], int(m["n"]), hashlib.sha256(text).hexdigest(), _title(text))
    except Exception:  # any unreadable or foreign file simply carries no claim
        return None
    finally:
        quiet.setLevel(level)
    return None


def _title(text: bytes) -> str:
    """The policy title in the attached canonical text, or ``""`` if it has none that is text."""
    try:
        title = json.loads(text.decode("utf-8")).get("title", "")
    except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, nested too deep
        return ""
    return title if isinstance(title, str) else ""


def _genuine(path: str, title: str, pid: str, number: int, effective: str, status: str, url: str,
             source: str = "") -> Verdict:
    when = effective
    try:
        when = f"{long_date(date.fromisoformat(effective))} ({effective})"
    except (TypeError, ValueError):
        pass
    lines = [f"{path}: genuine",
             f"  {title or pid} ({pid}), version {number}",
             f"  effective {when}" + (f", {status.replace('-', ' ')}" if status else "")]
    if url:
        lines.append(f"  {url}")
    if source:
        lines.append(f"  its SHA-256 is the one {source}" if "ledger head" not in source
                     else f"  its SHA-256 is listed in {source}")
    return Verdict(True, "\n".join(lines))


def _not_genuine(path: str, why: str) -> Verdict:
    return Verdict(False, f"{path}: NOT GENUINE\n  {why}")


def _says(claim: Claim) -> str:
    return f"it says it is {claim.title or claim.policy_id} ({claim.policy_id}) version {claim.number}"


def _not_that_version(path: str, claim: Claim, text_sha256: str | None, published_sha: str,
                      actual_sha: str) -> Verdict:
    """``claim`` names a published version (whose text hashes to ``text_sha256``) and the file is not its PDF."""
    if text_sha256 and text_sha256 != claim.text_sha256:
        return _not_genuine(path, f"{_says(claim)}, but the text it carries is not the text of that version")
    return _not_genuine(path, (f"{_says(claim)}, but its bytes differ from that version's published PDF\n"
                               f"  sha256 {actual_sha}, published {published_sha}"))


def _unpublished(path: str, claim: Claim | None, names: str) -> Verdict:
    """The file is no published version of the policies ``names``, whatever it claims."""
    why = f"it is not the PDF of any published version of {names}"
    if claim is not None:
        why = f"{_says(claim)}, but no such version has been published; {why}"
    return _not_genuine(path, why)


# ---------------------------------------------------------------- from a built site


def load_site_records(site_dir: Path) -> list[tuple[VersionsFile, VersionRecord]]:
    """Every version entry of every ``<policy>/versions.json`` under ``site_dir``, with its file."""
    records = [(f, r) for f in read_site(site_dir) for r in f.versions]
    if not records:
        raise PolicyError(f"{site_dir}: no <policy>/versions.json found; build the site first "
                          "(`mkdocs build`) or verify from git history instead")
    return records


def verify_against_site(path: Path, site_dir: Path | None = None, *, saved: Path | None = None) -> Verdict:
    """Compare with the SHA-256 in a built site's ``versions.json`` files, or in one ``saved`` copy."""
    sha, claim = _examine(path)
    if saved is not None:
        kept = VersionsFile.read(saved)
        records = [(kept, r) for r in kept.versions]
    else:
        records = load_site_records(site_dir)
    for f, r in records:
        if r.pdf_sha256 == sha:
            source = f"{saved.name}, as saved (ledger head {f.ledger_head[:16]})" if saved and f.ledger_head else ""
            return _genuine(str(path), f.title, f.policy, r.version, r.effective_date, r.status, r.url or "",
                            source)
    if claim is not None:
        for f, r in records:
            if f.policy == claim.policy_id and r.version == claim.number:
                return _not_that_version(str(path), claim, r.text_sha256, r.pdf_sha256 or "?", sha)
    return _unpublished(str(path), claim, ", ".join(sorted({f.policy for f, _ in records})))


# ---------------------------------------------------------------- from git history


def verify_against_history(path: Path, settings: Settings) -> Verdict:
    """Rebuild the PDF the version it claims to be would have (bytes are reproducible) and compare."""
    sha, claim = _examine(path)
    # The build's own reading of the history (the ledger when there is one, withdrawn
    # policies included): each version's dates are on its PDF's cover.
    histories = read_for(settings, load_all(settings.content_dir))
    # The ledger recorded each PDF's SHA-256 when it was posted: no rendering needed.
    for h in histories.values():
        for v in h.versions:
            if _posted_pdf(h, v) == sha:
                return _genuine(str(path), v.policy.title, v.policy.id, v.number, v.effective_date.isoformat(),
                                _status(h, v), version_url(settings.site_url, v),
                                "the publication ledger recorded when it was posted")
    claimed = []
    if claim is not None and claim.policy_id in histories:
        claimed = [v for v in histories[claim.policy_id].versions if v.number == claim.number]
    # Without a claim that names a published version, compare with every one (the cache makes it cheap).
    candidates = claimed or [v for h in histories.values() for v in h.versions]
    rendered = render_versions(candidates, settings)
    for v in candidates:
        if rendered[(v.policy.id, v.number)].sha256 == sha:
            return _genuine(str(path), v.policy.title, v.policy.id, v.number,
                            v.effective_date.isoformat() if v.effective_date else "",
                            _status(histories[v.policy.id], v), version_url(settings.site_url, v))
    if claimed:
        v = claimed[0]
        return _not_that_version(str(path), claim, v.text_sha256, rendered[(v.policy.id, v.number)].sha256, sha)
    return _unpublished(str(path), claim, ", ".join(sorted(histories)) or "no policy")


def _status(history, v) -> str:
    """``superseded``, ``in-force``…; ``withdrawn`` for the last version of a withdrawn policy."""
    if history.withdrawn_on is not None and v.number == len(history.versions):
        return f"withdrawn on {long_date(history.withdrawn_on)}"
    return v.status


def _posted_pdf(history, v) -> str | None:
    """The PDF SHA-256 the ledger recorded for ``v`` (``None`` without a ledger or PDFs)."""
    hashes = history.pdf_sha256s
    return hashes[v.number - 1] if 0 < v.number <= len(hashes) else None


def _examine(path: Path) -> tuple[str, Claim | None]:
    """The SHA-256 of the file at ``path`` and what it claims to be (read in chunks, so any size will do)."""
    digest = hashlib.sha256()
    head = bytearray()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                if len(head) <= MAX_PARSED_BYTES:
                    head += chunk
    except OSError as e:
        raise PolicyError(f"{path}: cannot read it: {e.strerror or e}") from e
    return digest.hexdigest(), (read_claim(bytes(head)) if len(head) <= MAX_PARSED_BYTES else None)
