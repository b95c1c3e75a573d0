"""Issue 14, item 4: a completion of a checklist across policies is current only while none of its clauses changed."""

from __future__ import annotations

from generator.records.report import _classify
from generator.training.contract import checklist_from_json


def contract(conduct_hash: str, versions: dict | None) -> object:
    data = {
        "checklist": "front-desk", "title": "Front desk", "policy": "privacy-policy", "version": 1,
        "effective_date": "2026-03-02", "training_hash": "t", "pass_mark": 100,
        "items": [{"id": "collecting", "kind": "read", "clauses": ["collect"]},
                  {"id": "behaviour", "kind": "read", "clauses": ["terms-of-use#conduct"]}],
        "questions": [],
        "clause_text_sha256": {"collect": "a", "terms-of-use#conduct": conduct_hash},
    }
    if versions:
        data["versions"] = versions
    return checklist_from_json(data)


RECORD = {"name": "Aroha", "email": "aroha@example.org", "identity": "aroha@example.org", "version": 1,
          "created_at": "2026-03-10T10:00:00+13:00", "passed": True, "score": 100,
          "clause_hashes": {"collect": "a", "terms-of-use#conduct": "b"}}


def test_a_change_to_the_second_policy_asks_for_its_items_again():
    """The first policy is still at version 1, but the terms of use moved on: the record is not current."""
    now = contract("c", {"privacy-policy": 1, "terms-of-use": 2})
    line = _classify(now, 1, [RECORD])
    assert line.status == "must-redo"
    assert line.redo == ["behaviour (read: terms-of-use#conduct)"]


def test_while_nothing_changed_the_record_is_current():
    same = contract("b", {"privacy-policy": 1, "terms-of-use": 1})
    assert _classify(same, 1, [RECORD]).status == "completed"
