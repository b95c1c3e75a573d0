"""The published JSON Schema matches the code and describes the real content."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from generator.content.schema import json_schema, json_schema_text

ROOT = Path(__file__).resolve().parents[3]


def test_committed_schema_is_in_sync():
    committed = (ROOT / "content" / "policy.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema_text(), (
        "content/policy.schema.json is stale: run `.venv/bin/policy schema > content/policy.schema.json`")


def test_policy_schema_command_prints_it():
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "policy"), "schema"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == json_schema()


def test_content_file_points_editors_at_the_schema():
    first = (ROOT / "content" / "privacy-policy.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=policy.schema.json"


def test_schema_forbids_unknown_keys_and_requires_the_essentials():
    schema = json_schema()
    assert schema["additionalProperties"] is False
    assert {"id", "title", "organisation", "jurisdiction", "language", "contact", "clauses"} <= set(
        schema["required"])
    clause = schema["$defs"]["ClauseIn"]
    assert clause["additionalProperties"] is False
    assert set(clause["required"]) == {"id", "title"}
    assert clause["properties"]["id"]["pattern"] == "^[a-z0-9]+(?:-[a-z0-9]+)*$"
