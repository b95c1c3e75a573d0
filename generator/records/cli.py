"""The ``policy records`` commands: serve the site with the completions API, and report on it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from ..errors import PolicyError

DEFAULT_DB = "sqlite:///records.db"


def _fail(error: PolicyError) -> NoReturn:
    error.show()
    sys.exit(1)


@click.group()
def records() -> None:
    """Keep and report who completed which training checklist, on which policy version."""


@records.command()
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("site"),
              show_default=True, help="The built site to serve at /.")
@click.option("--db", default=DEFAULT_DB, show_default=True, envvar="POLICY_RECORDS_DB",
              help="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://user@host/db.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--identity-header", metavar="HEADER", default=None,
              help="Take the person's identity from this header set by a sign-in proxy "
                   "(e.g. X-Forwarded-Email) and ignore the typed email. It is believed only "
                   "from the --trusted-proxy addresses.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="Address or network (10.0.0.5, 10.0.0.0/24) of the sign-in proxy: only it may send "
                   "the identity header and X-Forwarded-For (repeatable; default: loopback only).")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Another origin allowed to call the API from a browser (repeatable; none by default).")
@click.option("--address-rate", default="600/60", show_default=True, metavar="N/SECONDS",
              help="Submissions one client address may make in SECONDS.")
@click.option("--marker", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File that remembers the database last recorded into [default: next to a SQLite "
                   "file, else ./records-database.marker].")
@click.option("--new-database", is_flag=True,
              help="Start on a database other than the one the marker remembers (an empty one, say).")
@click.option("--oidc-issuer", metavar="URL", default=None,
              help="Staff sign in with this OpenID Connect provider (its issuer URL); the client secret "
                   "comes from POLICY_RECORDS_OIDC_CLIENT_SECRET.")
@click.option("--oidc-client-id", metavar="ID", default=None, help="This service's client id at the provider.")
@click.option("--session-lifetime", default=8 * 3600, show_default=True, type=click.IntRange(1, 7 * 86400),
              help="Seconds a sign-in lasts.")
@click.option("--public-url", metavar="URL", default=None,
              help="The service's address as staff reach it (for the sign-in callback behind a proxy).")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(0.5, 300),
              help="Seconds a connection has to send its request headers.")
@click.option("--max-connections", default=1000, show_default=True, type=click.IntRange(8, 100000),
              help="Open connections at most (kept below the open-files limit); a new one closes "
                   "the longest-idle one.")
def serve(site_dir: Path, db: str, host: str, port: int, identity_header: str | None,
          trusted_proxies: tuple[str, ...], cors_origins: tuple[str, ...], address_rate: str,
          marker: Path | None, new_database: bool, oidc_issuer: str | None, oidc_client_id: str | None,
          session_lifetime: int, public_url: str | None, header_timeout: float, max_connections: int) -> None:
    """Serve the built site and the completions API on one origin.

    The admin listing (GET /api/completions, /api/completions.csv) needs
    POLICY_RECORDS_ADMIN_TOKEN in the environment.
    """
    try:
        from .app import create_app
        from .db import Records
        from .identity import LOOPBACK, listens_beyond_loopback
        from .marker import Marker, default_path
        from .oidc import OidcSettings
        from .server import run
    except ImportError as e:
        _fail(PolicyError(f"the records service needs the 'records' extra ({e.name} is missing): "
                          "pip install 'policy-site[records]'"))
    try:
        if identity_header and not trusted_proxies and listens_beyond_loopback(host):
            raise PolicyError(f"--identity-header with --host {host}: other machines could send the header "
                              "and claim to be anyone; name the sign-in proxy with --trusted-proxy ADDRESS")
        rate = _rate(address_rate)
        oidc = (OidcSettings.from_options(oidc_issuer, oidc_client_id, session_lifetime, public_url)
                if oidc_issuer else None)
        if not site_dir.is_dir():
            raise PolicyError(f"{site_dir}: no such folder (build the site first: mkdocs build)")
        store = Records(db)
        mark = Marker(marker or default_path(store.url))
        mark.check_file(store, new_database)
        store.start()  # fail here, with one line, rather than inside the server
        try:
            mark.check(store, new_database)
        except PolicyError:
            store.close()
            raise
        app = create_app(site_dir, store, identity_header=identity_header, cors_origins=cors_origins,
                         trusted_proxies=trusted_proxies or LOOPBACK, address_rate=rate, marker=mark,
                         oidc=oidc)
    except PolicyError as e:
        _fail(e)
    click.echo(f"Serving {site_dir} with completion records in {store.describe()} "
               f"at http://{host}:{port}/", err=True)
    run(app, host, port, max_connections=max_connections, header_timeout=header_timeout)


def _rate(text: str):
    from .limits import Rate

    count, _, per = text.partition("/")
    try:
        rate = Rate(int(count), float(per))
    except ValueError:
        raise PolicyError(f"--address-rate: {text!r} is not N/SECONDS (e.g. 600/60)") from None
    if rate.count < 1 or rate.per <= 0:
        raise PolicyError(f"--address-rate: {text!r} must allow at least one submission")
    return rate


@records.command()
@click.option("--site", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("site"),
              show_default=True, help="The built site: its checklists and versions.json.")
@click.option("--db", default=DEFAULT_DB, show_default=True, envvar="POLICY_RECORDS_DB",
              help="SQLAlchemy URL of the records database.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV of staff (columns email, name, optional checklists) to list who has not started.")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV for an auditor instead of text.")
def report(site_dir: Path, db: str, roster: Path | None, as_csv: bool) -> None:
    """For the version in force of each checklist: who completed, who must redo what, who has not started."""
    try:
        from . import report as rep
        from .db import Records
        from .scoring import PublishedSite
    except ImportError as e:
        _fail(PolicyError(f"the records report needs the 'records' extra ({e.name} is missing): "
                          "pip install 'policy-site[records]'"))
    try:
        if not site_dir.is_dir():
            raise PolicyError(f"{site_dir}: no such folder (build the site first: mkdocs build)")
        site = PublishedSite(site_dir)
        if not site.checklists():
            raise PolicyError(f"{site_dir}: no training checklists published "
                              f"(no {site_dir}/training/*/checklist.json)")
        people = rep.read_roster(roster) if roster is not None else None
        if db.startswith("sqlite:///") and not Path(db[len("sqlite:///"):]).is_file():
            raise PolicyError(f"{db}: no such database (run 'policy records serve' first, or pass --db)")
        store = Records(db)
        try:
            store.start()
            rows = store.all()
        finally:
            store.close()
        sections = rep.build(site, rows, people)
    except PolicyError as e:
        _fail(e)
    click.echo(rep.render_csv(sections) if as_csv else rep.render_text(sections, people is not None),
               nl=False)
