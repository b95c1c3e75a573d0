"""``<policy>/versions.json``: the one place that writes it and reads it back (verify, records)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import PolicyError
from ..model import PolicyVersion

FILE_NAME = "versions.json"


@dataclass(frozen=True)
class VersionRecord:
    """One version's entry, exactly the fields DESIGN.md lists, in that order."""

    version: int
    status: str
    posted_at: str
    """ISO 8601 with the offset of the policy's time zone."""
    effective_date: str
    superseded_on: str | None
    commit: str | None
    text_sha256: str
    url: str | None
    changes_url: str | None
    pdf: str | None
    pdf_sha256: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version, "status": self.status, "posted_at": self.posted_at,
            "effective_date": self.effective_date, "superseded_on": self.superseded_on,
            "commit": self.commit, "text_sha256": self.text_sha256, "url": self.url,
            "changes_url": self.changes_url, "pdf": self.pdf, "pdf_sha256": self.pdf_sha256,
        }

    @classmethod
    def from_json(cls, data: Any) -> "VersionRecord | None":
        """A record from a parsed entry, or ``None`` when it has no whole version number.

        A file edited by hand (or by someone else) may hold anything: a field of the wrong
        type reads as missing rather than failing.
        """
        if not isinstance(data, dict) or not isinstance(data.get("version"), int) \
                or isinstance(data.get("version"), bool):
            return None

        def text(name: str, default: Any = None) -> Any:
            value = data.get(name)
            return value if isinstance(value, str) else default

        return cls(data["version"], text("status", ""), text("posted_at", ""), text("effective_date", ""),
                   text("superseded_on"), text("commit"), text("text_sha256", ""), text("url"),
                   text("changes_url"), text("pdf"), text("pdf_sha256"))


@dataclass(frozen=True)
class VersionsFile:
    """A whole ``versions.json``: the policy and every published version."""

    policy: str
    title: str
    versions: tuple[VersionRecord, ...]
    ledger_head: str = ""
    """SHA-256 of the publication ledger's last entry when the site was built ("" without a ledger)."""
    withdrawn_on: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policy, "title": self.title}
        if self.ledger_head:
            out["ledger_head"] = self.ledger_head
        if self.withdrawn_on:
            out["withdrawn_on"] = self.withdrawn_on
        out["versions"] = [v.to_json() for v in self.versions]
        return out

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: Any, policy_id: str) -> "VersionsFile":
        """Read a parsed file: an object with ``versions``, or a bare list of entries.

        ``policy_id`` (the folder's name) stands in when the file does not name its policy as text.
        """
        title, head, withdrawn = "", "", None
        if isinstance(data, dict):
            head = data.get("ledger_head", "") if isinstance(data.get("ledger_head"), str) else ""
            withdrawn = data.get("withdrawn_on") if isinstance(data.get("withdrawn_on"), str) else None
            entries = data.get("versions", [])
            named = data.get("policy", data.get("id", policy_id))
            title = data.get("title", "")
            if isinstance(named, dict):  # {"policy": {"id": …, "title": …}}
                title = named.get("title", title)
                named = named.get("id", policy_id)
            policy_id = named if isinstance(named, str) else policy_id
        else:
            entries = data
        records = [VersionRecord.from_json(e) for e in (entries if isinstance(entries, list) else [])]
        return cls(policy_id, title if isinstance(title, str) else "",
                   tuple(r for r in records if r is not None), head, withdrawn)

    @classmethod
    def read(cls, path: Path) -> "VersionsFile":
        """Read ``<policy>/versions.json``. Raises :class:`PolicyError` when it is not JSON."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as e:
            raise PolicyError(f"{path}: cannot read it as JSON: {e}") from e
        return cls.from_json(data, Path(path).parent.name)


def record(version: PolicyVersion, *, timezone: str, page: str | None, changes: str | None,
           pdf: str | None, pdf_sha256: str | None) -> VersionRecord:
    """The entry of a published ``version``; URLs already absolute, times in ``timezone`` (checked by the history stage)."""
    return VersionRecord(
        version=version.number,
        status=version.status,
        posted_at=version.posted_at.astimezone(ZoneInfo(timezone)).isoformat(),
        effective_date=version.effective_date.isoformat(),
        superseded_on=version.superseded_on.isoformat() if version.superseded_on else None,
        commit=version.commit,
        text_sha256=version.text_sha256,
        url=page, changes_url=changes, pdf=pdf, pdf_sha256=pdf_sha256,
    )


def read_site(site_dir: Path) -> list[VersionsFile]:
    """Every ``<policy>/versions.json`` of a built site, in folder order."""
    return [VersionsFile.read(f) for f in sorted(Path(site_dir).glob(f"*/{FILE_NAME}"))]

