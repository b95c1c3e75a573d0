"""Issue 14, item 8: `policy init` starts an organisation's own site; nothing of the embedded company is theirs."""

from __future__ import annotations

import json

from gitrepo import POLICY_FILE, GitRepo, mkdocs_build, policy_cli

V1 = "2026-03-02T10:00:00+13:00"
V2 = "2026-06-01T10:00:00+12:00"
OURS = "2026-09-14T11:30:00+12:00"


def test_init_then_merge_publishes_only_the_new_organisations_version_1(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", pdf=False)
    repo.commit("The embedded company's policy", V1)
    repo.write_policy(repo.read(POLICY_FILE).replace("Note that we generally", "Note that we usually", 1))
    repo.commit("Its version 2", V2)

    result = policy_cli(repo.path, "init", "--organisation", "Kiwi Rentals Limited",
                        "--site-url", "https://kiwirentals.example/policies/", "--timezone", "Pacific/Auckland",
                        "--language", "en-NZ", "--contact-email", "privacy@kiwirentals.example")
    assert result.returncode == 0, result.stderr
    # The same file name as the embedded policy's: the usual case, and the one that published
    # the embedded company's versions as the new organisation's.
    assert "wrote content/privacy-policy.yaml" in result.stdout
    assert "Kiwi Rentals Limited" in (repo.path / POLICY_FILE).read_text()
    check = policy_cli(repo.path, "check")
    assert check.returncode == 0, check.stderr
    repo.git("add", "-A")
    repo.commit("Start Kiwi Rentals' policies", OURS)

    site = tmp_path / "site"
    built = mkdocs_build(repo.path, site, today="2026-09-20")
    assert built.returncode == 0, built.stderr
    listed = json.loads((site / "privacy-policy" / "versions.json").read_text())
    # Was: the embedded policy published as version 1, and the new text redlined against it.
    assert [(v["version"], v["effective_date"]) for v in listed["versions"]] == [(1, "2026-09-14")]
    html = (site / "privacy-policy" / "index.html").read_text(encoding="utf-8")
    assert "Kiwi Rentals Limited" in html and "Lead Management" not in html
    everything = " ".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*.html"))
    assert "Lead Management" not in everything and "leadmanagement" not in everything
    assert "https://kiwirentals.example/policies/" in (site / "sitemap.xml").read_text()


def test_init_refuses_bad_options_and_a_dirty_tree_in_one_line(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", pdf=False)
    repo.commit("The embedded company's policy", V1)
    base = ["init", "--organisation", "X Ltd", "--site-url", "https://x.example/", "--timezone", "Pacific/Auckland",
            "--contact-email", "a@x.example"]
    for swap, says in ((("--timezone", "Mars/Olympus"), "is not an IANA time zone"),
                       (("--site-url", "http://x.example"), "is not an https:// address"),
                       (("--contact-email", "nobody"), "is not an email address")):
        args = list(base)
        args[args.index(swap[0]) + 1] = swap[1]
        r = policy_cli(repo.path, *args)
        assert r.returncode == 1 and says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    (repo.path / "content" / "privacy-policy.yaml").write_text("changed: true\n")
    r = policy_cli(repo.path, *base)
    assert r.returncode == 1 and "uncommitted changes" in r.stderr


def test_a_te_reo_organisation_gets_a_te_reo_site_its_name_written_as_it_is(tmp_path):
    repo = GitRepo.project(tmp_path / "proj", pdf=False)
    repo.commit("The embedded company's policy", V1)
    result = policy_cli(repo.path, "init", "--organisation", "Te Rōpū Tauira",
                        "--site-url", "https://example.govt.nz/kaupapa/", "--timezone", "Pacific/Auckland",
                        "--language", "mi", "--contact-email", "tumataiti@example.govt.nz",
                        "--policy-id", "kaupapa-here-tumataiti", "--title", "Kaupapa Here Tūmataiti")
    assert result.returncode == 0, result.stderr
    config = (repo.path / "mkdocs.yml").read_text(encoding="utf-8")
    assert "site_name: Te Rōpū Tauira policies" in config and "\\u" not in config
    assert "  language: mi\n" in config
    repo.git("add", "-A")
    repo.commit("Start our policies", OURS)
    site = tmp_path / "site"
    built = mkdocs_build(repo.path, site, today="2026-09-20")
    assert built.returncode == 0, built.stderr
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="mi"' in home and "Putanga 1, e mana ana mai i te 14 Hepetema 2026." in home
