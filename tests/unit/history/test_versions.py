"""generator.versions on real git histories: numbers, posting and effective dates, statuses."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from generator.content import loader
from generator.history import cache, migrate, rules, versions
from generator.errors import ContentError, ContentErrors, HistoryError
from generator.content.schema import SCHEMA_VERSION
from policy_texts import OLD_SCHEMA_BLOB, TEXT_A, TEXT_B, TEXT_C
from gitrepo import POLICY_FILE, GitRepo, policy_yaml

def history_of(repo: GitRepo, today: str, **kw) -> versions.PolicyHistory:
    policies = loader.load_all(repo.path / "content")
    return versions.read_all(policies, today=date.fromisoformat(today), **kw)["privacy-policy"]


def published(repo: GitRepo) -> GitRepo:
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Publish the policy", "2026-03-01T10:00:00+13:00")
    return repo


def summary(h: versions.PolicyHistory) -> list[tuple]:
    return [(v.number, v.status, v.effective_date.isoformat(),
             v.superseded_on.isoformat() if v.superseded_on else None) for v in h.versions]


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    return published(GitRepo(tmp_path / "repo"))


def test_merge_commit_posts_at_merge_time(repo):
    repo.branch("edit")
    repo.write_policy(policy_yaml(TEXT_B))
    side = repo.commit("Encrypt", "2026-03-02T09:00:00+13:00")
    repo.checkout("main")
    repo.write("README.md", "unrelated\n")
    repo.commit("Readme", "2026-03-03T09:00:00+13:00")
    merge = repo.merge("edit", "2026-03-05T16:30:00+13:00")
    h = history_of(repo, "2026-03-06")
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-03-05"),
                          (2, "in-force", "2026-03-05", None)]
    v2 = h.version(2)
    assert v2.commit == merge != side
    assert v2.posted_at == datetime.fromisoformat("2026-03-05T16:30:00+13:00")
    assert "encrypted" in v2.policy.clause("security").body
    assert "encrypted" not in h.version(1).policy.clause("security").body
    assert h.draft is None


def test_squash_posts_once_at_committer_time_not_author_time(repo):
    repo.branch("edit")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-03-02T09:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_C))
    repo.commit("Any time", "2026-03-03T09:00:00+13:00")
    repo.checkout("main")
    squash = repo.squash_merge("edit", "2026-03-09T11:00:00+13:00", author_date="2026-03-02T09:00:00+13:00")
    h = history_of(repo, "2026-03-09")
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-03-09"), (2, "in-force", "2026-03-09", None)]
    assert h.version(2).commit == squash
    assert h.version(2).posted_at.isoformat() == "2026-03-09T11:00:00+13:00"
    assert h.version(2).policy.clause("access").body.endswith("at any time.")


def test_rebase_of_two_commits_makes_two_versions_at_their_committer_times(repo):
    repo.branch("edit")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-02-20T09:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_C))
    repo.commit("Any time", "2026-02-21T09:00:00+13:00")
    repo.checkout("main")
    first, second = repo.rebase_merge("edit", ["2026-03-10T10:00:00+13:00", "2026-03-10T10:00:05+13:00"])
    h = history_of(repo, "2026-03-10")
    # Each replayed commit is a first-parent commit with its own text: two versions, the
    # first superseded on the day it took effect. Author dates (February) are ignored.
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-03-10"),
                          (2, "superseded", "2026-03-10", "2026-03-10"),
                          (3, "in-force", "2026-03-10", None)]
    assert [h.version(2).commit, h.version(3).commit] == [first, second]


def test_comment_whitespace_key_order_and_training_edits_make_no_version(repo):
    text = policy_yaml(TEXT_A, comment="Reviewed by legal in March.")
    repo.write_policy(text)
    repo.commit("Comment", "2026-03-02T10:00:00+13:00")
    # Same public text with other key order and trailing whitespace in a body.
    reordered = text.replace("id: privacy-policy\ntitle: Privacy Policy", "title: Privacy Policy\nid: privacy-policy")
    assert reordered != text
    repo.write_policy(reordered.replace("body: We keep your information safe.",
                                        "body: 'We keep your information safe.   '"))
    repo.commit("Whitespace", "2026-03-03T10:00:00+13:00")
    trained = {**TEXT_A, "security": {"body": "We keep your information safe.",
                                      "training": {"guidance": "Lock your screen when you leave your desk."}}}
    repo.write_policy(policy_yaml(trained))
    repo.commit("Training only", "2026-03-04T10:00:00+13:00")
    h = history_of(repo, "2026-03-05")
    assert summary(h) == [(1, "in-force", "2026-03-01", None)]
    assert h.draft is None
    assert h.version(1).posted_at.isoformat() == "2026-03-01T10:00:00+13:00"


def test_revert_is_a_new_version_with_a_new_date(repo):
    repo.write_policy(policy_yaml(TEXT_B))
    change = repo.commit("Encrypt", "2026-03-02T10:00:00+13:00")
    repo.revert(change, "2026-03-20T10:00:00+13:00")
    h = history_of(repo, "2026-03-21")
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-03-02"),
                          (2, "superseded", "2026-03-02", "2026-03-20"),
                          (3, "in-force", "2026-03-20", None)]
    assert h.version(3).text_sha256 == h.version(1).text_sha256
    assert h.version(3).commit != h.version(1).commit


def test_effective_date_is_the_auckland_day_not_the_utc_day(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write_policy(policy_yaml(TEXT_A))
    # 11:30 UTC on 1 March is 00:30 on 2 March in Auckland (NZDT, +13:00).
    repo.commit("Publish", "2026-03-01T11:30:00+00:00")
    h = history_of(repo, "2026-03-02")
    assert h.version(1).effective_date == date(2026, 3, 2)
    assert h.version(1).posted_at.isoformat() == "2026-03-01T11:30:00+00:00"
    assert history_of(repo, "2026-03-02", timezone="UTC").version(1).effective_date == date(2026, 3, 1)
    # The day before the Auckland date, the only version is still scheduled.
    assert summary(history_of(repo, "2026-03-01")) == [(1, "scheduled", "2026-03-02", None)]


def test_notice_days_schedule_a_version_until_its_date(repo):
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-03-05T10:00:00+13:00")
    before = history_of(repo, "2026-03-18", notice_days=14)
    assert summary(before) == [(1, "in-force", "2026-03-15", None), (2, "scheduled", "2026-03-19", None)]
    assert before.in_force.number == 1 and [v.number for v in before.scheduled] == [2]
    after = history_of(repo, "2026-03-19", notice_days=14)
    assert summary(after) == [(1, "superseded", "2026-03-15", "2026-03-19"), (2, "in-force", "2026-03-19", None)]


def test_today_from_the_environment(monkeypatch):
    monkeypatch.setenv("POLICY_TODAY", "2026-04-01")
    assert rules.build_day(None, "Pacific/Auckland") == date(2026, 4, 1)
    monkeypatch.setenv("POLICY_TODAY", "1 April")
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        rules.build_day(None, "Pacific/Auckland")


def test_uncommitted_edit_is_a_draft_and_never_published(repo):
    repo.write_policy(policy_yaml(TEXT_B))
    h = history_of(repo, "2026-03-05")
    assert summary(h) == [(1, "in-force", "2026-03-01", None)]
    assert h.draft is not None and h.draft.status == "draft" and h.draft.commit is None
    assert h.draft.number == 2 and h.draft.effective_date is None
    assert "encrypted" in h.draft.policy.clause("security").body
    # A comment-only edit is not a draft.
    repo.write_policy(policy_yaml(TEXT_A, comment="just a note"))
    assert history_of(repo, "2026-03-05").draft is None


def test_branch_text_differs_from_main_is_a_draft(repo):
    repo.branch("pr")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-03-02T10:00:00+13:00")
    h = history_of(repo, "2026-03-05")
    assert [v.number for v in h.versions] == [1]
    assert h.draft is not None


def test_archived_text_comes_from_the_blob_not_the_working_tree(repo):
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-03-02T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_C))  # uncommitted
    h = history_of(repo, "2026-03-05")
    assert h.version(1).policy.clause("security").body == "We keep your information safe."
    assert h.version(2).policy.clause("access").body == "You may ask for a copy of your information."
    assert h.draft.policy.clause("access").body.endswith("at any time.")


def test_renamed_file_keeps_its_versions(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write_policy(policy_yaml(TEXT_A), "content/privacy.yaml")
    repo.commit("Publish", "2026-03-01T10:00:00+13:00")
    repo.git("mv", "content/privacy.yaml", POLICY_FILE)
    repo.commit("Rename", "2026-03-03T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-03-04T10:00:00+13:00")
    h = history_of(repo, "2026-03-05")
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-03-04"), (2, "in-force", "2026-03-04", None)]


def test_a_file_never_committed_fails_with_the_fix(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write("README.md", "x\n")
    repo.commit("Start", "2026-03-01T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_A))
    with pytest.raises(HistoryError) as e:
        history_of(repo, "2026-03-05")
    assert "content/privacy-policy.yaml: this file has no history on 'main'" in str(e.value)
    assert "fetch-depth: 0" in str(e.value)


def test_a_new_policy_on_a_branch_is_a_draft_without_versions(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write("README.md", "x\n")
    repo.commit("Start", "2026-03-01T10:00:00+13:00")
    repo.branch("new-policy")
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Add the policy", "2026-03-02T10:00:00+13:00")
    h = history_of(repo, "2026-03-05")
    assert h.versions == () and h.draft.number == 1


def test_an_unreadable_blob_on_main_is_skipped_not_published(repo):
    repo.write_policy("id: privacy-policy\nclauses: [\n")
    repo.commit("Broken", "2026-03-02T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Fixed", "2026-03-03T10:00:00+13:00")
    h = history_of(repo, "2026-03-05")
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-03-03"), (2, "in-force", "2026-03-03", None)]
    assert len(h.warnings) == 1 and "YAML syntax error" in h.warnings[0]



@pytest.mark.parametrize("field,value", [
    ("clause", "security onclick=alert(1)"),  # would become an attribute through attr_list
    ("policy", "../../outside"),  # would place the version's PDF outside the site
])
def test_a_blob_on_main_with_an_invalid_id_is_skipped_not_published(repo, field, value):
    """The tolerant historic reader still refuses ids that are not slugs: they become markup and paths."""
    text = policy_yaml(TEXT_B)
    if field == "clause":
        text = text.replace("id: security", f"id: '{value}'")
    else:
        text = text.replace("id: privacy-policy", f"id: '{value}'", 1)
    assert value in text
    repo.write_policy(text)
    repo.commit("Bad id", "2026-03-02T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_C))
    repo.commit("Fixed", "2026-03-03T10:00:00+13:00")
    h = history_of(repo, "2026-03-05")
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-03-03"), (2, "in-force", "2026-03-03", None)]
    assert len(h.warnings) == 1 and f"invalid {field} id" in h.warnings[0]


# -- schema changes ----------------------------------------------------------------



def test_blob_in_an_older_schema_still_makes_its_version(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write_policy(OLD_SCHEMA_BLOB)
    repo.commit("Publish (old schema)", "2025-06-01T10:00:00+12:00")
    # Today's schema rejects that file…
    with pytest.raises(ContentErrors):
        loader.load_policy(repo.path / POLICY_FILE)
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Move to the current schema and add a clause", "2026-03-01T10:00:00+13:00")
    h = history_of(repo, "2026-03-05")
    # …but history reads it: its public text is version 1, as published.
    assert summary(h) == [(1, "superseded", "2025-06-01", "2026-03-01"), (2, "in-force", "2026-03-01", None)]
    old = h.version(1).policy
    assert [c.id for c in old.clauses] == ["collection", "security"]
    assert old.clause("security").body == "We keep your information safe."


def test_migrations_bring_an_old_blob_to_the_current_schema():
    # A future schema 2 renames clause `body` to `text`: the step from 1 to 2 is registered,
    # and a schema-1 blob still reads as the same public text.
    def one_to_two(data):
        def walk(clauses):
            for c in clauses:
                if "body" in c:
                    c["text"] = c.pop("body")
                walk(c.get("clauses", []))
        walk(data["clauses"])
        return data

    v1_blob = policy_yaml(TEXT_A, schema_version=1).encode()
    upgraded = migrate.upgrade(migrate.load_data(v1_blob, "p.yaml"), "p.yaml",
                               migrations={1: one_to_two}, target=2)
    assert upgraded["schema_version"] == 2
    assert upgraded["clauses"][0]["text"] == TEXT_A["collection"] and "body" not in upgraded["clauses"][0]

    with pytest.raises(ContentError, match="no migration from schema 1 to 2"):
        migrate.read_policy(v1_blob, "p.yaml", migrations={}, target=2)
    with pytest.raises(ContentError, match="reads up to schema"):
        migrate.read_policy(policy_yaml(TEXT_A, schema_version=SCHEMA_VERSION + 1).encode(), "p.yaml")


def test_historic_reader_and_loader_agree_on_the_real_policy(project_root):
    path = project_root / "content" / "privacy-policy.yaml"
    strict = loader.load_policy(path)
    historic = migrate.read_policy(path.read_bytes(), "content/privacy-policy.yaml@HEAD")
    assert historic.canonical_text() == strict.canonical_text()


# -- the history cache ---------------------------------------------------------------

def test_warm_cache_reads_only_the_blobs_that_start_a_version(repo, tmp_path):
    from generator.history import git as history

    for i in range(5):  # comment-only edits: blobs that make no version
        repo.write_policy(policy_yaml(TEXT_A, comment=f"note {i}"))
        repo.commit(f"Note {i}", f"2026-03-0{i + 2}T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-03-08T10:00:00+13:00")
    cache_dir = tmp_path / "cache"
    cold = history_of(repo, "2026-03-09", cache_dir=cache_dir)
    assert (cache_dir / "history.json").is_file()

    policy = loader.load_all(repo.path / "content")[0]
    h = history.read_history([repo.path / POLICY_FILE], "main", prefetch=False)
    revs = h.revisions[POLICY_FILE]
    assert len(revs) == 7
    warm = versions.build_versions(policy, revs, h.blobs, today=date(2026, 3, 9),
                                   cache=cache.BlobCache.in_dir(cache_dir))
    h.blobs.close()
    assert len(h.blobs) == 2  # the two version blobs, for their source text; nothing else
    assert summary(warm) == summary(cold) == [(1, "superseded", "2026-03-01", "2026-03-08"),
                                              (2, "in-force", "2026-03-08", None)]
    assert [v.policy.canonical_text() for v in warm.versions] == [v.policy.canonical_text() for v in cold.versions]
    assert [v.source_text for v in warm.versions] == [v.source_text for v in cold.versions]


def test_damaged_cache_is_only_slower(repo, tmp_path):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "history.json").write_text("{not json")
    assert summary(history_of(repo, "2026-03-02", cache_dir=cache_dir)) == [(1, "in-force", "2026-03-01", None)]
    (cache_dir / "history.json").write_text('{"format": 1, "schema": 1, "blobs": {}, "texts": 3}')
    assert summary(history_of(repo, "2026-03-02", cache_dir=cache_dir)) == [(1, "in-force", "2026-03-01", None)]


TRICKY_BLOBS = {
    "merge key": "id: p\ntitle: T\nbase: &b {title: Shared}\nclauses:\n  - <<: *b\n    id: a\n    body: Text.\n",
    "alias": "id: p\ntitle: &t Title\nclauses:\n  - id: a\n    title: *t\n    body: Text.\n",
    "repeated key": "id: p\ntitle: First\ntitle: Second\nclauses:\n  - {id: a, body: Text.}\n",
    "typed scalars": "id: p\ntitle: 2024\nlanguage: yes\nclauses:\n  - {id: a, title: 1.5, body: null, contact: true}\n",
    "quoted keys and folded text": "'id': p\n\"title\": T\nclauses:\n  - id: a\n    body: >-\n      one\n      two\n\n      three\n",
    "training left out": "id: p\ntitle: T\nclauses:\n  - id: a\n    body: Text.\n    training:\n      guidance: Staff only.\n",
    "older schema field": "schema_version: 1\nid: p\ntitle: T\nowner: legal\nclauses:\n  - {id: a, body: Text., notes: x}\n",
}


@pytest.mark.parametrize("name", list(TRICKY_BLOBS))
def test_fast_public_reader_equals_loading_everything(name):
    raw = TRICKY_BLOBS[name].encode()
    full = migrate.policy_from_data(migrate.upgrade(migrate.load_data(raw, "p.yaml"), "p.yaml"), "p.yaml")
    assert migrate.read_policy(raw, "p.yaml") == full


def test_fast_public_reader_on_the_real_policy(project_root):
    raw = (project_root / "content" / "privacy-policy.yaml").read_bytes()
    full = migrate.policy_from_data(migrate.upgrade(migrate.load_data(raw, "p"), "p"), "p")
    assert migrate.read_policy(raw, "p") == full
    assert full.clause("collection").training is None


def test_recursive_alias_is_refused_not_looped():
    raw = b"id: p\ntitle: T\nclauses: &c\n  - id: a\n    clauses: *c\n"
    with pytest.raises(ContentError):
        migrate.read_policy(raw, "p.yaml")
    # The same loop behind a merge key goes through the full reader, and is refused there too.
    raw = b"id: p\ntitle: T\nb: &b {title: X}\nclauses: &c\n  - <<: *b\n    id: a\n    clauses: *c\n"
    with pytest.raises(ContentError):
        migrate.read_policy(raw, "p.yaml")


def test_invalid_scalar_in_a_historic_blob_is_a_content_error():
    for raw in (b"id: p\ntitle: 2024-13-45\nclauses: [{id: a}]\n",
                b"id: p\nx: 2024-13-45\nb: &b {}\nclauses: [{<<: *b, id: a}]\n"):
        with pytest.raises(ContentError, match="invalid value"):
            migrate.read_policy(raw, "p.yaml")


def _config(notice_days: int, timezone: str = "Pacific/Auckland") -> str:
    return ("site_name: Policies\nplugins:\n  - policy:\n"
            f"      timezone: {timezone}\n      notice_days: {notice_days}\n")


def test_a_later_notice_period_never_moves_a_published_date(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write("mkdocs.yml", _config(0))
    repo.write_policy(policy_yaml(TEXT_A))
    repo.commit("Publish the policy", "2026-03-01T10:00:00+13:00")
    # Legal agrees a 14-day notice period, then posts a change under it.
    repo.write("mkdocs.yml", _config(14))
    repo.commit("Give 14 days' notice from now on", "2026-03-10T10:00:00+13:00")
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt", "2026-04-01T10:00:00+13:00")
    # Then shortens it to 7 days; a third version is posted under that.
    repo.write("mkdocs.yml", _config(7))
    repo.write_policy(policy_yaml(TEXT_C))
    repo.commit("Any time, with 7 days' notice", "2026-05-01T10:00:00+13:00")

    config = repo.path / "mkdocs.yml"
    h = history_of(repo, "2026-06-01", notice_days=7, config_file=config)
    assert summary(h) == [(1, "superseded", "2026-03-01", "2026-04-15"),
                          (2, "superseded", "2026-04-15", "2026-05-08"),
                          (3, "in-force", "2026-05-08", None)]
    # Without the history of mkdocs.yml, today's 7 days would have moved version 1 too.
    flat = history_of(repo, "2026-06-01", notice_days=7)
    assert flat.version(1).effective_date == date(2026, 3, 8)


def test_time_zone_is_the_one_a_version_was_posted_under(tmp_path):
    repo = GitRepo(tmp_path / "repo")
    repo.write("mkdocs.yml", _config(0, "UTC"))
    repo.write_policy(policy_yaml(TEXT_A))
    # 08:30 on 10 March in Auckland is still 9 March in UTC.
    repo.commit("Publish the policy", "2026-03-10T08:30:00+13:00")
    repo.write("mkdocs.yml", _config(0, "Pacific/Auckland"))
    repo.write_policy(policy_yaml(TEXT_B))
    repo.commit("Encrypt, now dated in Auckland", "2026-03-20T08:30:00+13:00")
    h = history_of(repo, "2026-04-01", timezone="Pacific/Auckland", config_file=repo.path / "mkdocs.yml")
    assert [v.effective_date for v in h.versions] == [date(2026, 3, 9), date(2026, 3, 20)]
