"""The loader and validator: the real content loads, and every kind of bad input gets its own path:line message."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.content import yamlsource
from generator.errors import ContentError, ContentErrors, PolicyError
from generator.content.loader import load_policy, policy_from_doc

BAD = Path(__file__).resolve().parents[2] / "fixtures" / "bad"
POLICY = Path(__file__).resolve().parents[3] / "content" / "privacy-policy.yaml"


def errors_of(path: Path) -> list[ContentError]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    e = info.value
    return e.errors if isinstance(e, ContentErrors) else [e]


def test_embedded_policy_loads_with_source_lines():
    policy = load_policy(POLICY)
    assert policy.id == "privacy-policy"
    assert policy.organisation == "Lead Management Limited"
    assert policy.language == "en-NZ"
    ids = [c.id for _, c, _ in policy.walk()]
    assert ids == ["personal-information", "collection", "call-recording", "purposes",
                   "security", "disclosure", "access", "complaints", "changes"]
    lines = POLICY.read_text(encoding="utf-8").splitlines()
    for _, clause, _ in policy.walk():
        assert clause.source.path.endswith("privacy-policy.yaml")
        assert lines[clause.source.line - 1].strip() == f"- id: {clause.id}"
    assert policy.contact.postal_address == (
        "Lead Management Limited", "4 Oxford Street", "Tawa", "Wellington 5028")
    assert policy.contact.email == "info@leadmanagement.co.nz"


def test_models_are_frozen():
    policy = load_policy(POLICY)
    with pytest.raises(AttributeError):
        policy.title = "Something else"  # type: ignore[misc]


CASES = [
    # fixture, line, words the message must contain
    ("syntax.yaml", 2, ["YAML syntax error", "quoted scalar"]),
    ("tab.yaml", 4, ["tab character used for indentation"]),
    ("empty.yaml", 1, ["file is empty"]),
    ("not-mapping.yaml", 1, ["top level must be a mapping", "not a list"]),
    ("missing-field.yaml", 10, ["missing required field 'title' in 'collection'"]),
    ("wrong-type.yaml", 11, ["'title' must be text, not a list"]),
    ("unknown-key.yaml", 11, ["unknown key 'tittle'", "did you mean 'title'?"]),
    ("duplicate-id.yaml", 16, ["duplicate clause id 'collection'", "first used on line 10"]),
    ("duplicate-key.yaml", 12, ["duplicate key 'title'", "first given on line 11"]),
    ("invalid-id.yaml", 10, ["invalid id 'Personal Info'", "lower-case letters"]),
    ("empty-body.yaml", 12, ["'body' is empty"]),
    ("invalid-utf8.yaml", 3, ["not valid UTF-8", "0xe9"]),
    ("python-tag.yaml", 11, ["tag '!!python/object/apply:os.system' is not allowed"]),
    ("alias-bomb.yaml", 1, ["alias bomb"]),
    ("control-char.yaml", 11, ["control character U+000B", "not allowed in text"]),
]


@pytest.mark.parametrize("name,line,words", CASES, ids=[c[0] for c in CASES])
def test_bad_content_gets_one_located_message(name, line, words):
    errors = errors_of(BAD / name)
    assert len(errors) == 1, [str(e) for e in errors]
    err = errors[0]
    assert err.line == line
    text = str(err)
    first = text.splitlines()[0]
    assert first.startswith(f"{BAD / name}:{line}: ") or first.startswith(f"tests/fixtures/bad/{name}:{line}: ")
    for w in words:
        assert w in first, first
    if name not in ("empty.yaml",):
        # The offending line is shown under the message.
        raw = (BAD / name).read_bytes().splitlines()[line - 1].decode("utf-8", "replace").rstrip()
        assert text.splitlines()[1].endswith(raw)


def test_python_tag_never_executes(tmp_path):
    marker = Path("/tmp/policy-site-pwned")
    marker.unlink(missing_ok=True)
    errors_of(BAD / "python-tag.yaml")
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly_in_bounded_memory():
    # In a child process so its peak memory is its own.
    code = (
        "import resource, time; from generator.content.loader import load_policy\n"
        "from generator.errors import PolicyError\n"
        "t = time.perf_counter()\n"
        "try: load_policy(%r)\n"
        "except PolicyError as e: print('refused')\n"
        "print(time.perf_counter() - t)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n" % str(BAD / "alias-bomb.yaml")
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "refused"
    assert float(out[1]) < 1.0
    assert int(out[2]) < 200 * 1024  # KiB: a real expansion would take gigabytes


def test_file_over_the_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("id: x\n" + "# padding\n" * (yamlsource.MAX_BYTES // 10 + 1), encoding="utf-8")
    [err] = errors_of(big)
    assert str(err).startswith(f"{big}:1: file is 1,0")
    assert "the limit is 1,048,576 bytes" in str(err)


def test_all_problems_are_reported_together(tmp_path):
    text = (BAD / "unknown-key.yaml").read_text() + (
        "  - id: Bad Id\n    title: x\n    body: y\n  - id: use\n    title: [1]\n    body: z\n")
    doc = yamlsource.parse(text, str(tmp_path / "many.yaml"))
    with pytest.raises(ContentErrors) as info:
        policy_from_doc(doc)
    lines = [e.line for e in info.value.errors]
    assert lines == [11, 13, 17]


def test_question_answers_must_be_among_choices(tmp_path):
    text = (BAD / "missing-field.yaml").read_text().replace(
        "    body: We collect what we need.\n",
        "    title: Collection\n    body: We collect what we need.\n"
        "    training:\n      questions:\n        - id: q1\n          type: single\n"
        "          prompt: Which?\n          choices:\n            - {id: a, text: A}\n"
        "            - {id: b, text: B}\n          answer: c\n          explanation: Because.\n")
    doc = yamlsource.parse(text, str(tmp_path / "quiz.yaml"))
    with pytest.raises(ContentErrors) as info:
        policy_from_doc(doc)
    [err] = info.value.errors
    assert "answer 'c' of question 'q1' is not among its choices (a, b)" in str(err)
    assert err.line == 21


def test_canonical_text_ignores_comments_layout_key_order_and_training(tmp_path):
    base = load_policy(POLICY)
    text = POLICY.read_text(encoding="utf-8")
    # Every clause carries training now (issue 5): edit it rather than add the key.
    edited = ("# a new comment\n" + text).replace(
        "  - id: changes\n    title: Changes to this policy\n",
        "  - title: Changes to this policy\n    id: changes\n").replace(
        "Answer customers from the version in force", "Answer customers only from the version in force")
    assert edited.count("Answer customers only from") == 1
    other = policy_from_doc(yamlsource.parse(edited, str(tmp_path / "p.yaml")))
    assert other.canonical_text() == base.canonical_text()
    changed = policy_from_doc(yamlsource.parse(text.replace("reserves the right", "reserves the full right"), "p.yaml"))
    assert changed.text_sha256() != base.text_sha256()


def test_policy_check_reports_every_problem_of_every_file(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.yaml").write_bytes((BAD / "unknown-key.yaml").read_bytes())
    (content / "b.yaml").write_bytes((BAD / "invalid-id.yaml").read_bytes())
    policy = Path(__file__).resolve().parents[3] / ".venv" / "bin" / "policy"
    result = subprocess.run([str(policy), "check"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "content/a.yaml:11: unknown key 'tittle' (did you mean 'title'?)",
        "    11 |     tittle: Collection",
        "content/b.yaml:10: invalid id 'Personal Info': use lower-case letters, digits and single hyphens "
        "(e.g. 'data-access')",
        "    10 |   - id: Personal Info",
        "2 problems found.",
    ]
