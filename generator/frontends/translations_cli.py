"""``policy translations mark``: record which source text each clause of a translation translates."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ContentErrors, PolicyError


@click.group()
def translations() -> None:
    """Translations of a policy (``translation_of``) and whether they are up to date."""


@translations.command("mark")
@click.argument("policy_ids", nargs=-1, metavar="[POLICY_ID]...")
@click.option("--clause", "clause_ids", multiple=True, metavar="ID",
              help="Mark only this clause (repeatable) [default: every clause].")
@click.option("--content", "content_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("content"), show_default=True, help="Folder of policy YAML files.")
def mark_command(policy_ids: tuple[str, ...], clause_ids: tuple[str, ...], content_dir: Path) -> None:
    """Say that each clause of a translation now says what its source clause says.

    Run it once a translator has brought the clauses up to date: it writes, on each
    clause, the fingerprint of the source clause's current text (``translates:``), so
    that a later change to the source makes the clause stale again. Without POLICY_ID,
    every translation in the content folder is marked.
    """
    from ..content import loader, translations as tr

    try:
        policies = loader.load_all(content_dir)
        by_id = {p.id: p for p in policies}
        unknown = [i for i in policy_ids if i not in by_id or by_id[i].translation_of is None]
        if unknown:
            raise PolicyError(f"{', '.join(unknown)}: not a translation in {content_dir} "
                              "(a translation has 'translation_of: <policy id>')")
        chosen = [by_id[i] for i in policy_ids] or [p for p in policies if p.translation_of]
        if not chosen:
            raise PolicyError(f"{content_dir}: no policy is a translation (none has 'translation_of')")
        for policy in chosen:
            path = Path(policy.source.path)
            source = by_id[policy.translation_of]
            missing = [c for c in clause_ids if source.clause(c) is None or policy.clause(c) is None]
            if missing:
                raise PolicyError(f"{path}: no clause {', '.join(missing)} in both {policy.id} and {source.id}")
            before = path.read_text(encoding="utf-8")
            text, marked = tr.mark(before, str(path), policy, source, clause_ids or None)
            path.write_text(text, encoding="utf-8")
            try:
                loader.load_policy(path)
            except ContentErrors:
                path.write_text(before, encoding="utf-8")  # never leave a file the checks refuse
                raise
            click.echo(f"{path}: marked {len(marked)} clause{'s' if len(marked) != 1 else ''} as translating "
                       f"the current text of {source.id}")
    except PolicyError as e:
        e.show()  # as every command prints a content error
        sys.exit(1)
