"""The ``policy`` command: check, schema, versions, diff, verify, export, and the records service."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import PolicyError


def fail(error: PolicyError) -> "NoReturn":  # noqa: F821
    """Print ``error`` the way every content error is printed and exit 1."""
    error.show()
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-site")
def main() -> None:
    """Build and check a versioned policy site from YAML."""


@main.command()
@click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("content"), show_default=True, help="Folder of policy YAML files.")
@click.option("--checklists", "checklists_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of checklists [default: checklists, if present].")
def check(content_dir: Path, checklists_dir: Path | None) -> None:
    """Validate every policy (and checklist) and report every problem found."""
    from ..content import checklists, loader
    from ..render import i18n

    if not content_dir.is_dir():
        fail(PolicyError(f"{content_dir}: no such folder"))
    warnings: list[PolicyError] = []
    try:
        policies = loader.load_all(content_dir, warnings)
    except PolicyError as e:
        _warn(warnings)
        fail(e)
    for p in policies:
        clauses = sum(1 for _ in p.walk())
        click.echo(f"{p.source.path}: ok ({p.title}, {clauses} clauses)")
        if not i18n.has_labels(p.language):
            click.echo(f"warning: {i18n.no_labels_warning(p.source, p.language)}", err=True)
    _warn_withdrawals(content_dir, policies)
    # Staff checklists: checked against the policies just loaded.
    if checklists_dir is None:
        checklists_dir = Path("checklists") if Path("checklists").is_dir() else None
    elif not checklists_dir.is_dir():
        fail(PolicyError(f"{checklists_dir}: no such folder"))
    try:
        found = checklists.load_all(checklists_dir, policies, warnings)
    except PolicyError as e:
        _warn(warnings)
        fail(e)
    _warn(warnings)
    for c in found:
        questions = len(c.question_ids())
        click.echo(f"{c.source.path}: ok ({c.title}, {len(c.items)} items, {questions} questions)")


def _warn_withdrawals(content_dir: Path, policies: list) -> None:
    """A published policy whose file is gone is withdrawn once merged: say so before that happens."""
    from .. import review
    from .mkdocs_yml import settings_from_config_file

    if not Path("mkdocs.yml").is_file():
        return
    try:
        settings = settings_from_config_file(Path("mkdocs.yml"))
        gone = review.withdrawals(content_dir, policies, base=settings.branch,
                                  ledger_branch=settings.ledger_branch)
    except PolicyError:
        return  # not a clone of a published site: nothing can be withdrawn
    for pid, title in gone:
        click.echo(f"warning: {pid} ({title}) will be withdrawn when this is merged: its file is gone "
                   "(its pages stay, marked as no longer applying)", err=True)


def _warn(warnings: list) -> None:
    """Markdown traps: said on stderr, never a failure (the text builds; it may not read as meant)."""
    for w in warnings:
        click.echo(f"warning: {w}", err=True)


@main.command()
@click.option("--checklist", is_flag=True, help="Print the schema of checklist files instead.")
def schema(checklist: bool) -> None:
    """Print the JSON Schema of policy files (also at content/policy.schema.json)."""
    if checklist:  # checklists/checklist.schema.json
        from ..content.checklists import json_schema_text as checklist_schema

        click.echo(checklist_schema(), nl=False)
        return
    from ..content.schema import json_schema_text

    click.echo(json_schema_text(), nl=False)


@main.command()
@click.argument("pdf_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A built site: check against its <policy>/versions.json.")
@click.option("--versions", "saved", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A saved copy of a policy's versions.json: check against the SHA-256 it lists.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mkdocs.yml"), show_default=True,
              help="Without --site: the mkdocs.yml whose content and git history to rebuild from.")
def verify(pdf_file: Path, site_dir: Path | None, saved: Path | None, config_file: Path) -> None:
    """Say whether PDF_FILE is a genuine version of a policy (exit 0) or not (exit 1).

    With --site it is compared with the published SHA-256 in versions.json; otherwise
    the version it claims to be is rebuilt from git history (PDFs are reproducible).
    """
    from ..pdf import verify as verifier
    from .mkdocs_yml import settings_from_config_file

    try:
        if not pdf_file.is_file():
            raise PolicyError(f"{pdf_file}: no such file")
        if saved is not None:
            if not saved.is_file():
                raise PolicyError(f"{saved}: no such file")
            verdict = verifier.verify_against_site(pdf_file, saved=saved)
        elif site_dir is not None:
            if not site_dir.is_dir():
                raise PolicyError(f"{site_dir}: no such folder (build the site first)")
            verdict = verifier.verify_against_site(pdf_file, site_dir)
        else:
            if not config_file.is_file():
                raise PolicyError(f"{config_file}: no such file (pass --config, or --site with a built site)")
            verdict = verifier.verify_against_history(
                pdf_file, settings_from_config_file(config_file))
    except PolicyError as e:
        fail(e)
    click.echo(verdict.message, err=not verdict.genuine)
    sys.exit(0 if verdict.genuine else 1)


@main.command("versions")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mkdocs.yml"), show_default=True,
              help="The mkdocs.yml whose policy settings (content, branch, timezone, notice_days) apply.")
@click.option("--today", default=None, metavar="YYYY-MM-DD",
              help="Build day for the statuses [default: $POLICY_TODAY, else today].")
@click.option("--json", "as_json", is_flag=True, help="Print the versions.json records instead.")
def versions_command(config_file: Path, today: str | None, as_json: bool) -> None:
    """List every published version of each policy, and the draft if the working tree differs."""
    import dataclasses
    import json as _json
    from datetime import date as _date

    from ..content import loader
    from ..history.versions import read_for
    from ..redline.wording import change_summary
    from ..site.pages import DRAFT_LABEL, build_archive, versions_file
    from .mkdocs_yml import settings_from_config_file

    try:
        if not config_file.is_file():
            raise PolicyError(f"{config_file}: no such file (pass --config)")
        settings = settings_from_config_file(config_file)
        day = None
        if today is not None:
            try:
                day = _date.fromisoformat(today)
            except ValueError:
                raise PolicyError(f"--today {today!r}: expected a date as YYYY-MM-DD") from None
        if day is not None:
            settings = dataclasses.replace(settings, today=day)
        policies = loader.load_all(settings.content_dir)
        histories = read_for(settings, policies)
    except PolicyError as e:
        fail(e)
    out = {}
    for policy in policies:
        arch = build_archive(policy, histories[policy.id], timezone=settings.timezone,
                             site_url=settings.site_url)
        out[policy.id] = arch
    if as_json:
        data = {pid: versions_file(a).to_json()["versions"] for pid, a in out.items()}
        click.echo(_json.dumps(data, indent=2, ensure_ascii=False))
        return
    for pid, arch in out.items():
        h = arch.history
        click.echo(f"{arch.policy.title} ({h.path}), as of {h.today.isoformat()}")
        rows = [("version", "status", "effective", "posted", "commit", "changes")]
        records = {r.version: r for r in versions_file(arch).versions}
        for v in reversed(h.versions):
            status = v.status + (f" {v.superseded_on.isoformat()}" if v.superseded_on else "")
            rows.append((str(v.number), status, v.effective_date.isoformat(),
                         records[v.number].posted_at, (v.commit or "")[:12],
                         change_summary(arch.diffs[v.number])))
        if h.draft is not None:
            rows.insert(1, ("-", "draft", "-", "-", "working copy",
                            DRAFT_LABEL + ": " + change_summary(arch.diffs[0])))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for r in rows:
            click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[5])
        for warning in h.warnings:
            click.echo(f"warning: {warning}", err=True)


@main.command("diff")
@click.option("--base", default=None, metavar="REF",
              help="Branch holding the published versions, e.g. origin/main "
                   "[default: the plugin's branch in mkdocs.yml, local or origin/].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True,
              help="markdown: for a pull request comment or a CI job summary.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mkdocs.yml"), show_default=True,
              help="The mkdocs.yml whose policy settings (content, timezone, notice_days) apply.")
def diff_command(base: str | None, fmt: str, config_file: Path) -> None:
    """Show what merging the working tree would publish: redline, affected training, new version.

    Exits 0 whether or not the public text changed; 1 if the edited YAML is invalid.
    """
    from .. import review
    from .mkdocs_yml import settings_from_config_file

    try:
        if not config_file.is_file():
            raise PolicyError(f"{config_file}: no such file (pass --config)")
        settings = settings_from_config_file(config_file)
        reports = review.compare(
            settings.content_dir, base=base or settings.branch, checklists_dir=settings.checklists_dir,
            timezone=settings.timezone, notice_days=settings.notice_days, config_file=settings.config_file,
            ledger_branch=settings.ledger_branch)
        gone = review.withdrawals(settings.content_dir, [r.policy for r in reports], base=base or settings.branch,
                                  ledger_branch=settings.ledger_branch)
    except PolicyError as e:
        fail(e)
    render = review.render_markdown if fmt == "markdown" else review.render_text
    click.echo(render(reports, gone), nl=False)


@main.command("export")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mkdocs.yml"), show_default=True,
              help="The mkdocs.yml whose policy settings and theme apply.")
@click.option("--no-pdf", is_flag=True, help="Leave the PDFs out (faster previews).")
def export_command(out_dir: Path, config_file: Path, no_pdf: bool) -> None:
    """Write the whole generated site tree to OUT_DIR for any engine (e.g. `zensical build`).

    OUT_DIR gets docs/ (every page, PDF, versions.json, feed, training data, scripts and
    stylesheets), overrides/ (the theme's templates) and a mkdocs.yml without the plugin.
    """
    from .export import export
    from .mkdocs_yml import settings_from_config_file

    try:
        if not config_file.is_file():
            raise PolicyError(f"{config_file}: no such file (pass --config)")
        settings = settings_from_config_file(config_file, **({"pdf": False} if no_pdf else {}))
        site = export(settings, out_dir)
    except PolicyError as e:
        fail(e)
    for warning in site.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in site.notes:
        click.echo(note, err=True)
    click.echo(f"Exported {len(site.pages)} pages and {len(site.outputs)} files to {out_dir}/; "
               f"build it with e.g. `cd {out_dir} && zensical build`")


from ..records.cli import records as _records  # noqa: E402  (click only; the service imports lazily)
from .translations_cli import translations as _translations  # noqa: E402

main.add_command(_records)
main.add_command(_translations)

if __name__ == "__main__":  # pragma: no cover
    main()


@main.command("init")
@click.option("--organisation", required=True, help="The organisation's name, as the policies give it.")
@click.option("--site-url", required=True, help="Where the site will be published: https://example.org/policies/")
@click.option("--timezone", required=True, help="IANA time zone in which postings become effective dates.")
@click.option("--language", default="en", show_default=True, help="Language tag of the first policy (en-NZ, mi…).")
@click.option("--policy-id", default="privacy-policy", show_default=True,
              help="Id (and file name) of the first policy.")
@click.option("--title", "policy_title", default="Privacy Policy", show_default=True, help="Its title.")
@click.option("--contact-email", required=True, help="Whom readers write to about it.")
@click.option("--jurisdiction", default="New Zealand", show_default=True)
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              help="The project folder (where mkdocs.yml is).")
def init_command(organisation: str, site_url: str, timezone: str, language: str, policy_id: str,
                 policy_title: str, contact_email: str, jurisdiction: str, root: Path) -> None:
    """Start your organisation's own site from this repository: nothing of the embedded
    company's text or history is published as yours. Commit and merge the result: that
    merge is your version 1."""
    from .init import Organisation, init

    try:
        done = init(root, Organisation(organisation, site_url, timezone, language, policy_id, policy_title,
                                       contact_email, jurisdiction))
    except PolicyError as e:
        fail(e)
    for line in done:
        click.echo(line)
    click.echo("Next: write your policy, run 'make check', commit, and merge into main.")


@main.command("publish")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mkdocs.yml"), show_default=True,
              help="The mkdocs.yml whose policy settings (content, branches, timezone, notice_days) apply.")
@click.option("--push", is_flag=True, help="Push the ledger branch to origin (never forced; retried "
                                           "when another run pushed first).")
def publish_command(config_file: Path, push: bool) -> None:
    """Post the tip of the publishing branch in the publication ledger (the publish workflow runs this)."""
    from ..publish import publish
    from ..render.templates import long_date
    from .mkdocs_yml import settings_from_config_file

    try:
        if not config_file.is_file():
            raise PolicyError(f"{config_file}: no such file (pass --config)")
        settings = settings_from_config_file(config_file)
        done = publish(settings, push=push)
    except PolicyError as e:
        fail(e)
    if done.seeded:
        click.echo(f"Started the ledger ('{settings.ledger_branch}') from the git history.")
    for e in done.entries:
        what = (f"version {e.version}" if e.kind == "version" else
                f"renamed to {e.renamed_to}" if e.kind == "renamed" else "withdrawn")
        origin = " (derived from history)" if e.derived else ""
        click.echo(f"{e.policy} {what}: posted {e.posted_at.isoformat()}, effective "
                   f"{long_date(e.effective_date)}, commit {e.commit[:12]}{origin}")
        if e.note and not e.derived:
            click.echo(f"note: {e.note}")
    if not done.entries:
        click.echo("Nothing to post: every policy at the tip is already in the ledger.")
    attempt = f" (attempt {done.attempts})" if done.attempts > 1 else ""
    click.echo(f"Ledger head {done.head[:16] or '(empty)'}" + (f", pushed{attempt}." if done.pushed else "."))


@main.group("ledger")
def ledger_group() -> None:
    """The publication ledger: what was posted, when, kept for ever."""


@ledger_group.command("verify")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("mkdocs.yml"), show_default=True, help="The mkdocs.yml that names the ledger branch.")
def ledger_verify(config_file: Path) -> None:
    """Re-check the whole chain, every text's and PDF's hash, and that the publishing branch still holds each post."""
    from ..publish import verify_ledger
    from .mkdocs_yml import settings_from_config_file

    try:
        if not config_file.is_file():
            raise PolicyError(f"{config_file}: no such file (pass --config)")
        settings = settings_from_config_file(config_file)
        done = verify_ledger(settings)
    except PolicyError as e:
        fail(e)
    book = done.book
    versions = sum(1 for e in book.entries if e.kind == "version")
    click.echo(f"{book.ref}: {len(book.entries)} entries chained, {versions} versions of "
               f"{len(book.policy_ids())} policies, {done.texts} texts and {done.pdfs} PDFs match their SHA-256, "
               f"head {book.head[:16]}")
    if done.problems:
        for p in done.problems:
            click.echo(f"error: {p}", err=True)
        sys.exit(1)
    click.echo(f"Every posted commit is still on '{settings.branch}'.")
