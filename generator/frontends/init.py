"""``policy init``: an organisation starts its own site from this repository.

Replacing the content of a clone published the embedded company's policy as the new
organisation's version 1, and redlined their text against it. ``policy init``:

* writes one skeleton policy for the organisation, and removes the embedded policies and
  the checklists that train on them (their text stays in git, never on the new site);
* sets the site's name, address, time zone and language in ``mkdocs.yml``;
* sets ``history_start`` to the current commit, so nothing posted before it is this site's
  history, and a ledger branch of the organisation's own.

Nothing is committed: the organisation reviews, commits and merges, and that merge is its
version 1.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..content.schema import LANGUAGE_PATTERN, SLUG_PATTERN
from ..errors import PolicyError
from ..settings import is_time_zone



@dataclass(frozen=True)
class Organisation:
    name: str
    site_url: str
    timezone: str
    language: str
    policy_id: str
    policy_title: str
    contact_email: str
    jurisdiction: str

    def check(self) -> None:
        if not self.name.strip():
            raise PolicyError("--organisation: give the organisation's name")
        if not re.match(r"^https://[^/\s]+/(?:\S*/)?$", self.site_url):
            raise PolicyError(f"--site-url: {self.site_url!r} is not an https:// address ending in /")
        if not is_time_zone(self.timezone):
            raise PolicyError(f"--timezone: {self.timezone!r} is not an IANA time zone "
                              "(like Pacific/Auckland or Europe/London)")
        # The same rules as the policy file's: what init writes, policy check accepts.
        if not re.match(LANGUAGE_PATTERN, self.language):
            raise PolicyError(f"--language: {self.language!r} is not a language tag (like en-NZ or mi)")
        if not re.match(SLUG_PATTERN, self.policy_id):
            raise PolicyError(f"--policy-id: {self.policy_id!r} must be lowercase words joined by hyphens")
        if "@" not in self.contact_email:
            raise PolicyError(f"--contact-email: {self.contact_email!r} is not an email address")


def skeleton(org: Organisation) -> str:
    """A valid policy file with one clause, for the organisation to write."""
    doc = {
        "schema_version": 1, "id": org.policy_id, "title": org.policy_title, "organisation": org.name,
        "jurisdiction": org.jurisdiction, "language": org.language,
        "contact": {"role": "Privacy Officer", "email": org.contact_email},
        "clauses": [{
            "id": "about", "title": "About this policy",
            "body": f"This policy explains how {org.name} handles personal information. "
                    "Replace this text with your own before you publish it.\n",
            "contact": True,
        }],
    }
    head = "# yaml-language-server: $schema=policy.schema.json\n"
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _set_top(text: str, key: str, value: str) -> str:
    dumped = yaml.safe_dump(value, default_style=None, width=1000, allow_unicode=True)
    line = f"{key}: {dumped.strip().removesuffix('...').strip()}"
    pattern = re.compile(rf"^{re.escape(key)}:.*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda _: line, text, count=1)
    return f"{line}\n{text}"


def _set_plugin(text: str, key: str, value: str) -> str:
    """Set ``key`` in the ``- policy:`` plugin block of ``mkdocs.yml``, keeping its comments."""
    m = re.search(r"^(\s*)- policy:\s*\n((?:\1    .*\n|\s*\n)*)", text, re.MULTILINE)
    if not m:
        raise PolicyError("mkdocs.yml: no '- policy:' plugin block to set the site's options in")
    indent = m.group(1) + "    "
    block = m.group(2)
    line = f"{indent}{key}: {value}\n"
    pattern = re.compile(rf"^{re.escape(indent)}{re.escape(key)}:.*\n", re.MULTILINE)
    block = pattern.sub(lambda _: line, block, count=1) if pattern.search(block) else block + line
    return text[:m.start(2)] + block + text[m.end(2):]


def init(root: Path, org: Organisation) -> list[str]:
    """Start ``root``'s site for ``org``; returns what was done, a line each."""
    org.check()
    config = root / "mkdocs.yml"
    if not config.is_file():
        raise PolicyError(f"{config}: no such file (run policy init in the project folder)")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True)
    if head.returncode != 0:
        raise PolicyError(f"{root}: not a git repository with a commit (clone this repository first)")
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True).stdout
    if dirty.strip():
        raise PolicyError(f"{root}: there are uncommitted changes; commit or stash them before policy init")
    done = []
    content = root / "content"
    content.mkdir(exist_ok=True)
    for old in sorted([*content.glob("*.yaml"), *content.glob("*.yml")]):
        old.unlink()
        done.append(f"removed {old.relative_to(root)}")
    checklists = root / "checklists"
    for old in sorted([*checklists.glob("*.yaml"), *checklists.glob("*.yml")]) if checklists.is_dir() else []:
        old.unlink()
        done.append(f"removed {old.relative_to(root)} (it trained staff on the removed policy)")
    new = content / f"{org.policy_id}.yaml"
    new.write_text(skeleton(org), encoding="utf-8")
    done.append(f"wrote {new.relative_to(root)}: one clause to replace with your text")
    text = config.read_text(encoding="utf-8")
    text = _set_top(text, "site_name", f"{org.name} policies")
    text = _set_top(text, "site_description", f"The policies of {org.name}, every version, with what changed.")
    text = _set_top(text, "site_url", org.site_url)
    text = _set_top(text, "copyright", org.name)
    # The site's language: its home page's (Material keeps its own English words where it has none).
    text = re.sub(r"^(\s+language:\s*)\S+", lambda m: m.group(1) + org.language.split("-")[0], text,
                  count=1, flags=re.MULTILINE)
    text = _set_plugin(text, "timezone", org.timezone)
    text = _set_plugin(text, "history_start", head.stdout.strip())
    text = _set_plugin(text, "ledger_branch", f"{org.policy_id}-ledger")
    config.write_text(text, encoding="utf-8")
    done.append(f"set mkdocs.yml: site name, address, time zone, language; history starts after "
                f"{head.stdout.strip()[:12]}; ledger branch {org.policy_id}-ledger")
    return done
