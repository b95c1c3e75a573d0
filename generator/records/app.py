"""The records service: the built site at ``/`` and the completions API under ``/api/``."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hmac
import io
import logging
import os
import re
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

from ..errors import PolicyError
from .db import Records, public
from .headers import SecurityHeaders
from .identity import LOOPBACK, Proxies, identity_key
from .intake import ApiError, answers, check_email, field, read_json, string_list
from .limits import MIN_ADMIN_TOKEN, Rate, RateLimiter
from .marker import Marker
from .oidc import OidcSettings, SignIn
from .report import csv_cell
from .scoring import Checklist, PublishedSite, SubmissionError, answer_hash, score
from .snapshot import LiveSite, SiteFiles
from .writer import DatabaseGone

TOKEN_ENV = "POLICY_RECORDS_ADMIN_TOKEN"

log = logging.getLogger("generator.records")

CSV_FIELDS = ("id", "created_at", "checklist", "policy", "version", "versions", "name", "email", "identity_source",
              "quiz_checked", "score", "passed", "correct", "total", "training_hash", "user_agent", "address")

IDENTITY_RATE = Rate(20, 3600)
"""Submissions for one person an hour: a few failed attempts and retries fit many times over."""
ADDRESS_RATE = Rate(600, 60)
"""Submissions from one address a minute: a whole office behind one NAT address fits."""
CHECK_RATE = Rate(1200, 60)
"""Answers checked from one address a minute: an office of people working through a quiz."""
ADMIN_FAILURES = Rate(10, 60)
"""Wrong admin tokens from one address a minute before every admin request waits."""


def _current(published: PublishedSite, checklist_id: str, version: int, training_hash: str) -> Checklist:
    """The checklist a page names, if it is still the one published (422 or 409 otherwise)."""
    try:
        checklist = published.checklist(checklist_id)
        known = published.known_versions(checklist) if checklist else set()
    except PolicyError as e:
        raise ApiError(503, f"the site's training data cannot be read: {e}") from None
    if checklist is None:
        raise ApiError(422, f"unknown checklist '{checklist_id}'", field="checklist", final=True)
    if version not in known:
        raise ApiError(422, f"unknown version {version} of policy '{checklist.policy}'", field="version",
                       final=True)
    if version != checklist.version or training_hash != checklist.training_hash:
        raise ApiError(409, "this training has changed since the page was loaded: reload the page "
                            "and work through the changed items again",
                       current_version=checklist.version, final=True)
    return checklist


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    merged = {"Cache-Control": "no-store"}
    merged.update(headers or {})
    return JSONResponse(body, status_code=status, headers=merged)


def _limit(limiter: RateLimiter, key: str, what: str) -> None:
    """Count one event for ``key``; 429 with ``Retry-After`` when over the limiter's rate."""
    wait = limiter.hit(key)
    if wait:
        raise _too_many(wait, what)


def _too_many(wait: int, what: str) -> ApiError:
    return ApiError(429, f"too many {what}: try again in {wait} seconds",
                    headers={"Retry-After": str(wait)})


def _page_fields(data: dict[str, Any]) -> tuple[str, int, str]:
    """The checklist, version and training hash a page sends with what it asks."""
    return (field(data, "checklist", str, limit=64), field(data, "version", int),
            field(data, "training_hash", str, limit=128))


class Service:
    """The request handlers, sharing one database, one published site and the settings."""

    def __init__(self, records: Records, site: LiveSite, identity_header: str | None,
                 admin_token: str | None, proxies: Proxies, address_rate: Rate = ADDRESS_RATE,
                 identity_rate: Rate = IDENTITY_RATE) -> None:
        self.records = records
        self.site = site
        self.identity_header = identity_header
        self.admin_token = admin_token
        self.proxies = proxies
        self.by_address = RateLimiter(address_rate)
        self.by_identity = RateLimiter(identity_rate)
        self.admin_failures = RateLimiter(ADMIN_FAILURES)
        self.checks = RateLimiter(CHECK_RATE)
        self.marker: Marker | None = None
        self.sign_in: SignIn | None = None

    @property
    def identity_source(self) -> str:
        return "oidc" if self.sign_in else "proxy" if self.identity_header else "typed"

    def address(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        return self.proxies.client_address(peer, request.headers.getlist("x-forwarded-for"))[:64]

    def _identity(self, request: Request, data: dict[str, Any]) -> str:
        """The person's email: from the sign-in session, the sign-in proxy's header, or as typed."""
        if self.sign_in is not None:
            person, why = self.sign_in.person(request)
            if person is None:
                # Not final: the page keeps the submission and sends it again once signed in.
                raise ApiError(401, f"{why}: sign in with your company account to record this",
                               login="api/login")
            return person["email"]
        if not self.identity_header:
            email = field(data, "email", str, limit=254)
            check_email(email, "email")
            return email
        header = self.identity_header
        values = request.headers.getlist(header)
        if values and not self.proxies.trusts(request.client.host if request.client else None):
            raise ApiError(403, f"the {header} header is accepted only from a trusted proxy "
                                "(--trusted-proxy); this request came from elsewhere", final=True)
        if not values:
            raise ApiError(401, f"no identity: the {header} header from the sign-in proxy is missing")
        if len(values) > 1:
            # A proxy that appends rather than replaces would let the client choose.
            raise ApiError(400, f"the {header} header came more than once; the sign-in proxy must "
                                "replace it, not add to it", final=True)
        try:
            # Starlette reads header bytes as Latin-1; a proxy sends UTF-8.
            email = values[0].encode("latin-1").decode("utf-8").strip()
        except UnicodeError:
            raise ApiError(400, f"the {header} header is not UTF-8 text", final=True) from None
        check_email(email, header)
        return email

    async def submit(self, request: Request) -> Response:
        address = self.address(request)
        _limit(self.by_address, address, "submissions from this address")
        data = await read_json(request)
        page = _page_fields(data)
        name = field(data, "name", str, limit=200)
        email = self._identity(request, data)
        chosen = answers(field(data, "answers", dict))
        acknowledged = string_list(data, "acknowledged")
        submission_id = field(data, "submission_id", str, required=False, limit=64) or None
        identity = identity_key(email)
        _limit(self.by_identity, identity, "submissions for this person")

        snapshot = self.site.get()
        checklist = _current(snapshot.published, *page)
        try:
            result = score(checklist, chosen, acknowledged)
        except SubmissionError as e:
            raise ApiError(400, e.message, field=e.field, final=True) from None

        values = {
            "submission_id": submission_id, "checklist": checklist.id, "policy": checklist.policy,
            "version": checklist.version, "versions": checklist.versions_key,
            "training_hash": checklist.training_hash, "name": name,
            "email": email, "identity": identity, "identity_source": self.identity_source,
            "score": result.score, "correct": result.correct, "total": result.total,
            "passed": result.passed, "answers": chosen, "acknowledged": sorted(set(acknowledged)),
            "clause_hashes": dict(checklist.clause_hashes),
            "user_agent": (request.headers.get("user-agent") or "")[:512],
            "address": address,
            # The page this came from had no answer keys only if this service served it.
            "quiz_checked": "server" if snapshot.explanations is not None and
                            data.get("quiz_checked") == "server" else "page",
        }
        try:
            stored = await asyncio.wrap_future(self.records.submit(values))
        except DatabaseGone as e:
            raise ApiError(503, f"the records database is not available: {e}; your completion is "
                                "kept in your browser and will be sent again") from None
        except SQLAlchemyError:
            # The page keeps the submission and sends it again: say so rather than "500".
            raise ApiError(503, "the records database is not available just now; "
                                "your completion will be sent again") from None
        if not stored.created and not stored.same_submission:
            # Someone else's record, perhaps: say only that one exists, and since when.
            day = stored.record["created_at"][:10]
            return _json(200, {"message": f"Already recorded on {day}.", "recorded_on": day,
                               "passed": True})
        out = public(stored.record)
        out["pass_mark"] = checklist.pass_mark
        if stored.created and self.marker is not None:
            try:
                self.marker.note_record(self.records)
            except PolicyError as e:
                log.error("%s", e)
        if stored.created:
            out.update(correct=result.correct, total=result.total, wrong=list(result.wrong),
                       missing_acknowledgements=list(result.missing_acknowledgements))
            out["message"] = (f"Recorded: you passed with {result.score}%." if result.passed else
                              f"Recorded: {result.score}% is below the pass mark of {checklist.pass_mark}%.")
            return _json(201, out)
        out["message"] = "Already recorded: this completion was kept before."
        return _json(200, out)

    async def check(self, request: Request) -> Response:
        """Mark one question and hand out its explanation: the page has neither key nor explanation."""
        _limit(self.checks, self.address(request), "answers checked from this address")
        data = await read_json(request)
        page = _page_fields(data)
        qid = field(data, "question", str, limit=128)
        chosen = answers({qid: field(data, "answer", list)})[qid]
        snapshot = self.site.get()
        if snapshot.explanations is None:
            raise ApiError(404, "this site's pages check answers themselves", final=True)
        checklist = _current(snapshot.published, *page)
        key = checklist.questions.get(qid)
        if key is None or qid not in checklist.quiz_questions:
            raise ApiError(400, f"'{qid}' is not a question of checklist '{checklist.id}'", field="question",
                           final=True)
        unknown = [c for c in chosen if c not in key.choices]
        if unknown or not chosen:
            raise ApiError(400, f"choose one or more of the choices of question '{qid}'", field="answer",
                           final=True)
        return _json(200, {"question": qid, "correct": answer_hash(key.salt, qid, chosen) == key.answer_hash,
                           "explanation_html": snapshot.explanations.get(checklist.id, {}).get(qid, "")})

    def _authorise(self, request: Request) -> None:
        challenge = {"WWW-Authenticate": 'Bearer realm="policy records"'}
        if not self.admin_token:
            raise ApiError(401, f"admin access is off: set {TOKEN_ENV} where the service runs",
                           headers=challenge)
        address = self.address(request)
        wait = self.admin_failures.over(address)
        if wait:
            raise _too_many(wait, "wrong admin tokens from this address")
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode("utf-8"), self.admin_token.encode("utf-8")):
            self.admin_failures.hit(address)
            raise ApiError(401, "an admin token is needed: send 'Authorization: Bearer <token>'",
                           headers=challenge)

    async def _listing(self, request: Request) -> list[dict[str, Any]]:
        self._authorise(request)
        version = request.query_params.get("version")
        # ASCII digits only ("²".isdigit() is true but int() refuses it), and few enough to fit
        # the database's integer column.
        if version is not None and not re.fullmatch(r"[0-9]{1,9}", version):
            raise ApiError(400, "'version' must be a whole number", field="version")
        return await run_in_threadpool(self.records.all, request.query_params.get("checklist"),
                                       int(version) if version else None)

    async def list_json(self, request: Request) -> Response:
        rows = await self._listing(request)
        return _json(200, {"count": len(rows), "records": rows})

    async def list_csv(self, request: Request) -> Response:
        rows = await self._listing(request)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_FIELDS)
        for r in rows:
            writer.writerow([csv_cell(r.get(k)) for k in CSV_FIELDS])
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Cache-Control": "no-store",
                                 "Content-Disposition": 'attachment; filename="completions.csv"'})

    async def health(self, request: Request) -> Response:
        """Tells the training page that a records service is here, and how it knows people.

        It is 503 once the database went away, so that a monitor sees what the pages see.
        """
        try:
            await run_in_threadpool(self.records.check_files)
        except DatabaseGone as e:
            return _json(503, {"ok": False, "records": True, "message": str(e)})
        out = {"ok": True, "records": True, "identity": self.identity_source}
        if self.sign_in is not None:
            person, _ = self.sign_in.person(request)
            out.update(signed_in=person is not None, login="api/login", logout="api/logout")
            if person is not None:
                out.update(email=person["email"], name=person["name"])
        return _json(200, out)

    async def not_found(self, request: Request) -> Response:
        if request.url.path in ("/api/completions", "/api/completions.csv", "/api/health", "/api/check"):
            raise ApiError(405, f"{request.method} is not allowed on {request.url.path}")
        raise ApiError(404, f"no such API endpoint: {request.method} {request.url.path}")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _json(exc.status, {"message": exc.message, **exc.extra}, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return _json(exc.status_code, {"message": str(exc.detail)}, dict(exc.headers or {}))
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    # Never a traceback to the browser; the log has it.
    return _json(500, {"message": "the records service failed to handle this request; try again"})


def create_app(site_dir: str | Path, records: Records | str, *, identity_header: str | None = None,
               admin_token: str | None = None, cors_origins: Sequence[str] = (),
               trusted_proxies: Sequence[str] = LOOPBACK, address_rate: Rate = ADDRESS_RATE,
               identity_rate: Rate = IDENTITY_RATE, marker: Marker | None = None,
               oidc: OidcSettings | None = None) -> Starlette:
    """Build the ASGI app.

    Args:
        site_dir: the built site (``mkdocs build`` output) to serve at ``/``.
        records: an open :class:`Records` or a database URL.
        identity_header: a header set by a sign-in proxy that names the person, e.g.
            ``X-Forwarded-Email``; the typed email is then ignored.
        admin_token: the token for the listing endpoints; by default read from
            ``POLICY_RECORDS_ADMIN_TOKEN``.
        cors_origins: other origins allowed to call the API from a browser (none by default).
        trusted_proxies: addresses or networks of the sign-in proxy: only requests from them
            may carry the identity header or an ``X-Forwarded-For`` that is believed.
        address_rate, identity_rate: how many submissions one address, and one person, may make.
        marker: the database marker, checked already; told when the first record is kept.
        oidc: sign-in with the company's identity provider; the email then comes from the
            verified ID token, and neither a typed email nor the identity header is used.

    Returns:
        The Starlette application; its lifespan creates or upgrades the schema.
    """
    site = Path(site_dir)
    if not site.is_dir():
        raise PolicyError(f"{site}: no such folder (build the site first: mkdocs build)")
    db = records if isinstance(records, Records) else Records(records)
    token = admin_token if admin_token is not None else os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < MIN_ADMIN_TOKEN:
        raise PolicyError(f"{TOKEN_ENV}: the admin token has {len(token)} characters; it needs at least "
                          f"{MIN_ADMIN_TOKEN} characters (make one with: python3 -c 'import secrets; "
                          "print(secrets.token_urlsafe(32))')")
    try:
        proxies = Proxies.parse(trusted_proxies)
    except ValueError as e:
        raise PolicyError(str(e)) from None
    live = LiveSite(site)
    svc = Service(db, live, identity_header, token, proxies, address_rate, identity_rate)
    svc.marker = marker
    if oidc is not None:
        if identity_header:
            raise PolicyError("sign in with --oidc-issuer or take --identity-header from a proxy, not both")
        svc.sign_in = SignIn(oidc)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await run_in_threadpool(db.start)
        yield
        db.close()
        live.close()

    middleware = [Middleware(SecurityHeaders)]
    if svc.sign_in is not None:
        middleware.append(svc.sign_in.middleware())
    if cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(cors_origins),
                                     allow_methods=["GET", "POST"],
                                     allow_headers=["Authorization", "Content-Type"]))
    routes = [
        Route("/api/completions", svc.submit, methods=["POST"]),
        Route("/api/completions", svc.list_json, methods=["GET"]),
        Route("/api/completions.csv", svc.list_csv, methods=["GET"]),
        Route("/api/health", svc.health, methods=["GET"]),
        Route("/api/check", svc.check, methods=["POST"]),
        *(svc.sign_in.routes() if svc.sign_in is not None else ()),
        Route("/api/{rest:path}", svc.not_found,
              methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        Mount("/", app=SiteFiles(live)),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={ApiError: _api_error, HTTPException: _http_error,
                                        Exception: _server_error})
    app.state.records = db
    app.state.service = svc
    return app
