"""Training pages and data from real builds: the published contract, hashes, drafts, no-JS reading."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gitrepo import POLICY_FILE, ROOT, GitRepo, mkdocs_build

from generator.content import checklists as checklist_loader
from generator.content import loader

V1 = "2026-03-02T10:00:00+13:00"
TRAINING_EDIT = "2026-04-01T10:00:00+13:00"
CONTRACT_KEYS = {"checklist", "title", "policy", "version", "effective_date", "training_hash", "pass_mark",
                 "items", "questions", "clause_text_sha256"}


def build(repo: GitRepo, site: Path, today: str) -> Path:
    result = mkdocs_build(repo.path, site, today=today)
    assert result.returncode == 0, result.stderr
    return site


def read_json(site: Path, rel: str) -> dict:
    return json.loads((site / rel).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """One history, four builds: v1 twice, after a training-only commit, and with a draft."""
    tmp = tmp_path_factory.mktemp("training")
    repo = GitRepo.project(tmp / "project", pdf=False)
    repo.commit("Publish", V1)
    out = {"v1": build(repo, tmp / "v1", "2026-03-10"), "v1-again": build(repo, tmp / "v1-again", "2026-03-11")}
    text = repo.read(POLICY_FILE)
    old = "Two business days from Monday is\n            Wednesday."
    assert text.count(old) == 1
    repo.write_policy(text.replace(old, "Monday plus two business days is\n            Wednesday."))
    repo.commit("Reword an explanation (training only)", TRAINING_EDIT)
    out["training-edit"] = build(repo, tmp / "training-edit", "2026-04-02")
    text = repo.read(POLICY_FILE)
    body = "Lead Management reserves the right to update this Privacy Policy from\n      time to time."
    assert text.count(body) == 1
    repo.write_policy(text.replace(body, body.replace("from\n      time to time", "at any time")))
    out["draft"] = build(repo, tmp / "draft", "2026-04-02")
    return out


@pytest.fixture(scope="module")
def policy():
    return loader.load_policy(ROOT / POLICY_FILE)


def canonical_sha(clause) -> str:
    text = json.dumps(clause.public(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("checklist", ["all-staff", "outbound-calling"])
def test_checklist_json_is_the_published_contract(builds, policy, checklist):
    data = read_json(builds["v1"], f"training/{checklist}/checklist.json")
    source = {c.id: c for c in checklist_loader.load_all(ROOT / "checklists", [policy])}[checklist]
    assert set(data) == CONTRACT_KEYS
    assert data["checklist"] == checklist and data["title"] == source.title
    assert data["policy"] == "privacy-policy" and data["version"] == 1
    assert data["effective_date"] == "2026-03-02"
    assert re.fullmatch(r"[0-9a-f]{64}", data["training_hash"])
    assert data["pass_mark"] == source.pass_mark == 80
    assert [i["id"] for i in data["items"]] == [i.id for i in source.items]
    for item, src in zip(data["items"], source.items):
        assert item["kind"] == src.kind and item["clauses"] == list(src.clauses)
        expected = {"id", "kind", "clauses"} | ({"questions"} if src.kind == "quiz" else set()) | (
            {"statement"} if src.kind == "acknowledge" else set())
        assert set(item) == expected
        if src.kind == "acknowledge":
            assert item["statement"] == src.statement
    quiz_questions = [q for i in data["items"] if i["kind"] == "quiz" for q in i["questions"]]
    assert [q["id"] for q in data["questions"]] == quiz_questions
    key = {q.id: (c.id, q) for c, q in policy.training_questions()}
    for q in data["questions"]:
        clause_id, truth = key[q["id"]]
        assert set(q) == {"id", "clause", "type", "choices", "salt", "answer_hash"}
        assert q["clause"] == clause_id and q["type"] == truth.type
        assert q["choices"] == [c.id for c in truth.choices]
        assert q["salt"] == hashlib.sha256((data["training_hash"] + q["id"]).encode()).hexdigest()[:32]
        chosen = ",".join(sorted(truth.answer))
        assert q["answer_hash"] == hashlib.sha256(f"{q['salt']}:{q['id']}:{chosen}".encode()).hexdigest()
    assert data["clause_text_sha256"] == {c.id: canonical_sha(c) for _, c, _ in policy.walk()}


def test_index_json_lists_the_checklists(builds):
    index = read_json(builds["v1"], "training/index.json")
    ids = [c["checklist"] for c in index["checklists"]]
    assert ids == ["all-staff", "outbound-calling"]
    for entry in index["checklists"]:
        data = read_json(builds["v1"], entry["data"])
        assert entry["training_hash"] == data["training_hash"] and entry["version"] == 1
        assert (builds["v1"] / entry["url"] / "index.html").is_file()


def test_builds_are_reproducible(builds):
    for rel in ("training/index.json", "training/all-staff/checklist.json", "training/all-staff/index.html",
                "training/outbound-calling/checklist.json", "training/index.html"):
        assert (builds["v1"] / rel).read_bytes() == (builds["v1-again"] / rel).read_bytes(), rel


def test_a_training_only_edit_changes_the_training_hash_not_the_version(builds):
    before = read_json(builds["v1"], "training/all-staff/checklist.json")
    after = read_json(builds["training-edit"], "training/all-staff/checklist.json")
    assert after["version"] == 1 and after["effective_date"] == "2026-03-02"
    assert after["training_hash"] != before["training_hash"]
    assert after["clause_text_sha256"] == before["clause_text_sha256"]
    # New salts, so an old answer hash cannot be replayed against new training.
    assert all(a["salt"] != b["salt"] for a, b in zip(after["questions"], before["questions"]))
    # The outbound checklist asks the reworded question too, so its hash changes as well.
    outbound_before = read_json(builds["v1"], "training/outbound-calling/checklist.json")
    outbound_after = read_json(builds["training-edit"], "training/outbound-calling/checklist.json")
    assert "complaints-acknowledge" in [q["id"] for q in outbound_after["questions"]]
    assert outbound_after["training_hash"] != outbound_before["training_hash"]


def test_a_draft_build_trains_on_the_draft(builds):
    data = read_json(builds["draft"], "training/all-staff/checklist.json")
    before = read_json(builds["training-edit"], "training/all-staff/checklist.json")
    assert data["version"] == 2 and data["effective_date"] is None
    changed = {c for c in data["clause_text_sha256"] if data["clause_text_sha256"][c] != before["clause_text_sha256"][c]}
    assert changed == {"changes"}
    html = (builds["draft"] / "training/all-staff/index.html").read_text(encoding="utf-8")
    assert "the draft of version 2 (not yet published)" in html
    assert "at any time" in html  # the draft's text is what staff read


class _Form(HTMLParser):
    """Collects fieldsets with their legends, inputs and labels, and visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.fieldsets: list[dict] = []
        self.labels: dict[str, str] = {}
        self._label: str | None = None
        self._legend = False
        self._in_fieldset = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "fieldset":
            self._in_fieldset = True
            self.fieldsets.append({"legend": "", "inputs": []})
        elif tag == "legend":
            self._legend = True
        elif tag == "input" and self._in_fieldset and a.get("type") in ("radio", "checkbox"):
            self.fieldsets[-1]["inputs"].append(a["id"])
        elif tag == "label":
            self._label = a.get("for")
            self.labels[self._label] = ""

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._in_fieldset = False
        elif tag == "legend":
            self._legend = False
        elif tag == "label":
            self._label = None

    def handle_data(self, data):
        if self._legend:
            self.fieldsets[-1]["legend"] += data
        if self._label:
            self.labels[self._label] += data
        self.text.append(data)


def test_the_checklist_page_reads_without_javascript(builds, policy):
    html = (builds["v1"] / "training/all-staff/index.html").read_text(encoding="utf-8")
    article = html[html.index("<article"):html.index("</article>")]
    form = _Form()
    form.feed(article)
    text = re.sub(r"\s+", " ", "".join(form.text))
    assert "Trains on: Privacy Policy, version 1, in force from 2 March 2026." in text
    assert '<p class="training-noscript" data-nojs><strong>JavaScript is off.</strong>' in article
    questions = {q.id: q for _, q in policy.training_questions()}
    assert len(form.fieldsets) == len(questions) == 17
    for fs in form.fieldsets:
        q = next(q for q in questions.values() if q.prompt in re.sub(r"\s+", " ", fs["legend"]))
        assert len(fs["inputs"]) == len(q.choices)
        for choice, input_id in zip(q.choices, fs["inputs"]):
            assert form.labels[input_id] == choice.text  # every input has its label
    for _, clause, _ in policy.walk():
        if clause.id == "personal-information":
            continue  # a heading over its sub-clauses, which the items cover one by one
        assert clause.title in text
        first = re.sub(r"\s+", " ", clause.training.guidance).split("\n")[0]
        words = re.sub(r"[*`\"“”]", "", first.lstrip("- "))[:40]
        assert words in text.replace("“", "").replace("”", "").replace('"', ""), (clause.id, words)
    # The acknowledgements are readable too.
    assert "I will look at personal information only when my work needs it" in text


def test_the_training_index_says_what_each_checklist_covers(builds):
    html = (builds["v1"] / "training/index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    text = re.sub(r"\s+", " ", text)
    assert "Outbound calling team" in text and "All staff" in text
    assert "Everyone who makes calls or sends text messages on behalf of our clients." in text
    assert text.count("Trains on: Privacy Policy, version 1, in force from 2 March 2026.") == 2
    assert "Text-message marketing" in text and "10 (10 questions; pass mark 80%)" in text


def test_the_training_content_is_complete(policy):
    """Guidance on every clause, at least 12 questions, and each checklist covers its brief."""
    assert all(c.training and c.training.guidance for _, c, _ in policy.walk())
    questions = [q for _, q in policy.training_questions()]
    assert len(questions) >= 12
    assert {q.type for q in questions} == {"single", "multiple", "true-false"}
    found = {c.id: c for c in checklist_loader.load_all(ROOT / "checklists", [policy])}
    assert found["all-staff"].title == "All staff"
    assert set(found["all-staff"].question_ids()) == {q.id for q in questions}
    outbound = found["outbound-calling"]
    assert outbound.title == "Outbound calling team"
    assert {"call-recording", "security", "purposes", "access", "complaints"} <= set(outbound.clause_ids())
    assert {"security-nz-calls", "purposes-text-message", "access-phone-copy", "complaints-on-call",
            "recording-customer-asks"} <= set(outbound.question_ids())


def test_a_scheduled_version_is_not_trained_on_until_it_is_in_force(tmp_path):
    repo = GitRepo.project(tmp_path / "project", pdf=False)
    repo.write("mkdocs.yml", repo.read("mkdocs.yml").replace("notice_days: 0", "notice_days: 30"))
    repo.commit("Publish", V1)
    text = repo.read(POLICY_FILE)
    body = "Lead Management reserves the right to update this Privacy Policy from\n      time to time."
    new_clause = ("  - id: marketing-opt-out\n    title: Opting out of marketing\n    body: Reply STOP.\n"
                  "    training:\n      guidance: Record every opt-out.\n      questions:\n"
                  "        - id: opt-out-stop\n          type: true-false\n          prompt: STOP means stop.\n"
                  "          answer: true\n          explanation: It does.\n")
    assert text.count("\n  - id: changes\n") == 1
    text = text.replace("\n  - id: changes\n", "\n" + new_clause + "  - id: changes\n")
    text = text.replace(body, body.replace("from\n      time to time", "at any time"))
    assert text.count("title: Changes to this policy\n") == 1
    repo.write_policy(text.replace("title: Changes to this policy\n", "title: Updates to this policy\n"))
    checklist = repo.read("checklists/all-staff.yaml")
    repo.write("checklists/all-staff.yaml", checklist.replace("items:\n", (
        "items:\n  - id: opt-out\n    kind: quiz\n    clauses: [marketing-opt-out]\n"
        "  - id: opt-out-read\n    kind: read\n    clauses: [marketing-opt-out, changes]\n"), 1))
    repo.commit("Change the changes clause, add one on opting out", "2026-05-01T10:00:00+12:00")
    before = build(repo, tmp_path / "before", "2026-05-10")  # version 2 takes effect on 31 May
    data = read_json(before, "training/all-staff/checklist.json")
    assert data["version"] == 1 and data["effective_date"] == "2026-04-01"
    # Version 1 has no opt-out clause: its quiz item is left out, the read item keeps the rest.
    assert [i["id"] for i in data["items"]][:2] == ["opt-out-read", "collection"]
    assert data["items"][0]["clauses"] == ["changes"]
    html = (before / "training/all-staff/index.html").read_text(encoding="utf-8")
    assert "time to time" in html and "at any time" not in html
    # The index names the untitled item by the clause title in force, as its page does.
    index = (before / "training/index.html").read_text(encoding="utf-8")
    assert "<li>Changes to this policy</li>" in index and "Updates to this policy" not in index
    assert "Updates to this policy" not in html
    assert len(data["questions"]) == 17  # the training read from version 1's own blob
    after = build(repo, tmp_path / "after", "2026-05-31")
    data = read_json(after, "training/all-staff/checklist.json")
    assert data["version"] == 2 and data["effective_date"] == "2026-05-31"
    assert [i["id"] for i in data["items"]][:2] == ["opt-out", "opt-out-read"]
    assert len(data["questions"]) == 18
    assert "at any time" in (after / "training/all-staff/index.html").read_text(encoding="utf-8")


def test_a_summary_is_text_on_the_training_page_too(tmp_path):
    repo = GitRepo.project(tmp_path / "project")
    repo.commit("Publish", V1)
    text = repo.read(POLICY_FILE)
    old = "      We may update this policy."
    assert text.count(old) == 1
    repo.write_policy(text.replace(old, "      We may <img src=x onerror=alert(1)> update & <b>change</b> this policy."))
    site = build(repo, tmp_path / "site", "2026-04-02")  # a draft: the training follows it
    page = (site / "training" / "all-staff" / "index.html").read_text(encoding="utf-8")
    assert "We may &lt;img src=x onerror=alert(1)&gt; update &amp; &lt;b&gt;change&lt;/b&gt; this policy." in page
    assert "<img src=x" not in page and "<b>change</b>" not in page
