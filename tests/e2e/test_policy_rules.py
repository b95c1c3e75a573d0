"""Issue 14, item 5: each policy its own time zone and notice period, each version keeping its own."""

from __future__ import annotations

import json

from gitrepo import GitRepo, mkdocs_build, policy_cli, policy_yaml

# 23:30 in London on 2 March is 12:30 on 3 March in Auckland: one instant, two dates.
POSTED = "2026-03-02T23:30:00+00:00"


def versions(site, pid):
    return [(v["version"], v["effective_date"], v["posted_at"])
            for v in json.loads((site / pid / "versions.json").read_text())["versions"]]


def test_a_uk_and_an_nz_policy_posted_together_take_effect_on_their_own_dates(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", content=False, checklists=False, pdf=False)
    repo.write("content/uk-privacy.yaml", policy_yaml({"one": "UK text."}, policy_id="uk-privacy", title="UK Privacy",
                                                      extra_top="timezone: Europe/London\nnotice_days: 30"))
    repo.write("content/nz-privacy.yaml", policy_yaml({"one": "NZ text."}, policy_id="nz-privacy", title="NZ Privacy"))
    repo.commit("Both policies", POSTED)
    site = tmp_path / "site"
    built = mkdocs_build(repo.path, site, today="2026-04-10")
    assert built.returncode == 0, built.stderr
    # Was: both dated in the site's zone (Pacific/Auckland) with the site's notice (0 days).
    assert versions(site, "uk-privacy") == [(1, "2026-04-01", "2026-03-02T23:30:00+00:00")]
    assert versions(site, "nz-privacy") == [(1, "2026-03-03", "2026-03-03T12:30:00+13:00")]
    uk = (site / "uk-privacy" / "versions" / "index.html").read_text(encoding="utf-8")
    assert "2 March 2026, 23:30 GMT" in uk

    # The UK policy moves to New Zealand's rules later: version 1 keeps the rules it was posted under.
    text = (repo.path / "content" / "uk-privacy.yaml").read_text()
    repo.write("content/uk-privacy.yaml", text.replace("timezone: Europe/London\nnotice_days: 30\n", "")
               .replace("UK text.", "UK text, revised."))
    repo.commit("UK policy revised", "2026-05-04T23:30:00+00:00")
    built = mkdocs_build(repo.path, site, today="2026-06-10")
    assert built.returncode == 0, built.stderr
    assert [(n, d) for n, d, _ in versions(site, "uk-privacy")] == [(1, "2026-04-01"), (2, "2026-05-05")]


def test_a_bad_zone_in_a_policy_is_reported_at_its_line(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", content=False, checklists=False, pdf=False)
    repo.write("content/uk-privacy.yaml", policy_yaml({"one": "UK text."}, policy_id="uk-privacy", title="UK",
                                                      extra_top="timezone: Europe/Lundun"))
    r = policy_cli(repo.path, "check")
    assert r.returncode == 1 and "'Europe/Lundun' is not an IANA time zone" in r.stderr
    assert "uk-privacy.yaml:" in r.stderr and "Traceback" not in r.stderr
