"""The ``policy`` command: check content, print the schema, and (later) versions, diff, verify."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import ContentErrors, PolicyError


def fail(error: PolicyError) -> "NoReturn":  # noqa: F821
    """Print ``error`` the way every content error is printed and exit 1."""
    click.echo(str(error), err=True)
    if isinstance(error, ContentErrors) and len(error.errors) > 1:
        click.echo(f"{len(error.errors)} problems found.", err=True)
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
    from . import loader

    if not content_dir.is_dir():
        fail(PolicyError(f"{content_dir}: no such folder"))
    try:
        policies = loader.load_all(content_dir)
    except PolicyError as e:
        fail(e)
    for p in policies:
        clauses = sum(1 for _ in p.walk())
        click.echo(f"{p.source.path}: ok ({p.title}, {clauses} clauses)")


@main.command()
def schema() -> None:
    """Print the JSON Schema of policy files (also at content/policy.schema.json)."""
    from .schema import json_schema_text

    click.echo(json_schema_text(), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
