"""The records service: the built site at ``/`` and the completions API under ``/api/``."""

from __future__ import annotations

import contextlib
import csv
import hmac
import io
import json
import os
import re
from pathlib import Path
from typing import Any, Sequence

import anyio
import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import PolicyError
from .db import Records, public
from .headers import SecurityHeaders
from .report import csv_cell
from .scoring import PublishedSite, SubmissionError, score

MAX_BODY = 64 * 1024
"""Largest request body accepted: a checklist's answers fit many times over."""

TOKEN_ENV = "POLICY_RECORDS_ADMIN_TOKEN"

EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")

UNSAFE_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Control characters, bidi overrides and lone surrogates: no name, email or id needs them, and
they break the store (PostgreSQL refuses NUL; UTF-8 cannot encode a lone surrogate, so the page
would resend forever) or forge lines in the text report."""

CSV_FIELDS = ("id", "created_at", "checklist", "policy", "version", "name", "email", "identity_source",
              "score", "passed", "correct", "total", "training_hash", "user_agent", "address")


class ApiError(Exception):
    """Ends a request with ``status`` and a JSON body ``{"message": ..., **extra}``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    merged = {"Cache-Control": "no-store"}
    merged.update(headers or {})
    return JSONResponse(body, status_code=status, headers=merged)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY:
                raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KB")
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number") from None
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            # A chunked body has no Content-Length: stop reading as soon as it is too big.
            if size > MAX_BODY:
                raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KB")
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "the client went away before sending the whole body") from None
    return b"".join(chunks)


def _field(data: dict[str, Any], name: str, kind: type, *, required: bool = True, limit: int = 0) -> Any:
    if name not in data or data[name] is None:
        if required:
            raise ApiError(400, f"missing field '{name}'", field=name)
        return None
    value = data[name]
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        want = {str: "a string", int: "a whole number", dict: "an object", list: "a list"}[kind]
        raise ApiError(400, f"field '{name}' must be {want}", field=name)
    if kind is str:
        value = value.strip()
        if not value and required:
            raise ApiError(400, f"field '{name}' is empty", field=name)
        if limit and len(value) > limit:
            raise ApiError(400, f"field '{name}' is longer than {limit} characters", field=name)
    return value


def _check_text(value: str, where: str) -> None:
    bad = UNSAFE_TEXT.search(value)
    if bad:
        raise ApiError(400, f"field '{where}' contains the character U+{ord(bad.group()):04X}, "
                            "which is not allowed", field=where)


def _answers(raw: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for qid, chosen in raw.items():
        _check_text(qid, "answers")
        where = f"answers.{qid}"
        if isinstance(chosen, str):
            chosen = [chosen]
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            raise ApiError(400, f"field '{where}' must be a list of choice ids", field=where)
        for c in chosen:
            _check_text(c, where)
        out[str(qid)] = chosen
    return out


class Service:
    """The request handlers, sharing one database, one published site and the settings."""

    def __init__(self, records: Records, site: PublishedSite, identity_header: str | None,
                 admin_token: str | None) -> None:
        self.records = records
        self.site = site
        self.identity_header = identity_header
        self.admin_token = admin_token
        # A few writer threads are enough (SQLite takes one writer at a time); forty threads
        # fighting over the GIL would starve the event loop and stretch the latency tail.
        self.writers = anyio.CapacityLimiter(2 if records.is_sqlite else 8)

    async def submit(self, request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            # A form on another site can post text/plain without asking; JSON needs a CORS
            # preflight, which is refused: behind SSO that stops forged completions (CSRF).
            raise ApiError(415, "send the completion as JSON (Content-Type: application/json)")
        body = await _read_body(request)
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, f"the body is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object")
        checklist_id = _field(data, "checklist", str, limit=64)
        version = _field(data, "version", int)
        training_hash = _field(data, "training_hash", str, limit=128)
        name = _field(data, "name", str, limit=200)
        _check_text(name, "name")
        if self.identity_header:
            # Behind single sign-on the proxy vouches for who this is; a typed email could be anyone's.
            email = (request.headers.get(self.identity_header) or "").strip()
            if not email:
                raise ApiError(401, f"no identity: the {self.identity_header} header from the "
                                    "sign-in proxy is missing")
            if len(email) > 254:
                raise ApiError(400, f"the {self.identity_header} header is too long")
            source = "header"
        else:
            email = _field(data, "email", str, limit=254)
            _check_text(email, "email")
            if not EMAIL.match(email):
                raise ApiError(400, f"field 'email': {email!r} is not an email address", field="email")
            source = "typed"
        answers = _answers(_field(data, "answers", dict))
        acknowledged = _field(data, "acknowledged", list)
        if not all(isinstance(a, str) for a in acknowledged):
            raise ApiError(400, "field 'acknowledged' must be a list of item ids", field="acknowledged")
        for a in acknowledged:
            _check_text(a, "acknowledged")
        submission_id = _field(data, "submission_id", str, required=False, limit=64) or None
        if submission_id:
            _check_text(submission_id, "submission_id")

        try:
            checklist = self.site.checklist(checklist_id)
            known = self.site.known_versions(checklist) if checklist else set()
        except PolicyError as e:
            raise ApiError(503, f"the site's training data cannot be read: {e}") from None
        if checklist is None:
            raise ApiError(422, f"unknown checklist '{checklist_id}'", field="checklist")
        if version not in known:
            raise ApiError(422, f"unknown version {version} of policy '{checklist.policy}'", field="version")
        if version != checklist.version or training_hash != checklist.training_hash:
            raise ApiError(409, "this training has changed since the page was loaded: reload the page "
                                "and work through the changed items again",
                           current_version=checklist.version)
        try:
            result = score(checklist, answers, acknowledged)
        except SubmissionError as e:
            raise ApiError(400, e.message, field=e.field) from None

        values = {
            "submission_id": submission_id, "checklist": checklist.id, "policy": checklist.policy,
            "version": checklist.version, "training_hash": checklist.training_hash, "name": name,
            "email": email, "identity": email.lower(), "identity_source": source,
            "score": result.score, "correct": result.correct, "total": result.total,
            "passed": result.passed, "answers": answers, "acknowledged": sorted(set(acknowledged)),
            "clause_hashes": dict(checklist.clause_hashes),
            "user_agent": (request.headers.get("user-agent") or "")[:512],
            "address": (request.client.host if request.client else "")[:64],
        }
        try:
            stored = await anyio.to_thread.run_sync(self.records.store, values, limiter=self.writers)
        except SQLAlchemyError:
            # The page keeps the submission and sends it again: say so rather than "500".
            raise ApiError(503, "the records database is not available just now; "
                                "your completion will be sent again") from None
        out = public(stored.record)
        out["pass_mark"] = checklist.pass_mark
        if stored.created:
            out.update(correct=result.correct, total=result.total, wrong=list(result.wrong),
                       missing_acknowledgements=list(result.missing_acknowledgements))
            out["message"] = (f"Recorded: you passed with {result.score}%." if result.passed else
                              f"Recorded: {result.score}% is below the pass mark of {checklist.pass_mark}%.")
            return _json(201, out)
        out["message"] = "Already recorded: this completion was kept before."
        return _json(200, out)

    def _authorise(self, request: Request) -> None:
        challenge = {"WWW-Authenticate": 'Bearer realm="policy records"'}
        if not self.admin_token:
            raise ApiError(401, f"admin access is off: set {TOKEN_ENV} where the service runs",
                           headers=challenge)
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode("utf-8"), self.admin_token.encode("utf-8")):
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
        """Tells the training page that a records service is here, and how it knows people."""
        return _json(200, {"ok": True, "records": True,
                           "identity": "header" if self.identity_header else "typed"})

    async def not_found(self, request: Request) -> Response:
        if request.url.path in ("/api/completions", "/api/completions.csv", "/api/health"):
            raise ApiError(405, f"{request.method} is not allowed on {request.url.path}")
        raise ApiError(404, f"no such API endpoint: {request.method} {request.url.path}")


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    headers = exc.extra.pop("headers", None)
    return _json(exc.status, {"message": exc.message, **exc.extra}, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        return _json(exc.status_code, {"message": str(exc.detail)}, dict(exc.headers or {}))
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    # Never a traceback to the browser; the log has it.
    return _json(500, {"message": "the records service failed to handle this request; try again"})


def create_app(site_dir: str | Path, records: Records | str, *, identity_header: str | None = None,
               admin_token: str | None = None, cors_origins: Sequence[str] = ()) -> Starlette:
    """Build the ASGI app.

    Args:
        site_dir: the built site (``mkdocs build`` output) to serve at ``/``.
        records: an open :class:`Records` or a database URL.
        identity_header: a header set by a sign-in proxy that names the person, e.g.
            ``X-Forwarded-Email``; the typed email is then ignored.
        admin_token: the token for the listing endpoints; by default read from
            ``POLICY_RECORDS_ADMIN_TOKEN``.
        cors_origins: other origins allowed to call the API from a browser (none by default).

    Returns:
        The Starlette application; its lifespan creates or upgrades the schema.
    """
    site = Path(site_dir)
    if not site.is_dir():
        raise PolicyError(f"{site}: no such folder (build the site first: mkdocs build)")
    db = records if isinstance(records, Records) else Records(records)
    token = admin_token if admin_token is not None else os.environ.get(TOKEN_ENV) or None
    svc = Service(db, PublishedSite(site), identity_header, token)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await run_in_threadpool(db.start)
        yield
        db.close()

    middleware = [Middleware(SecurityHeaders)]
    if cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(cors_origins),
                                     allow_methods=["GET", "POST"],
                                     allow_headers=["Authorization", "Content-Type"]))
    routes = [
        Route("/api/completions", svc.submit, methods=["POST"]),
        Route("/api/completions", svc.list_json, methods=["GET"]),
        Route("/api/completions.csv", svc.list_csv, methods=["GET"]),
        Route("/api/health", svc.health, methods=["GET"]),
        Route("/api/{rest:path}", svc.not_found,
              methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
        Mount("/", app=StaticFiles(directory=site, html=True)),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={ApiError: _api_error, HTTPException: _http_error,
                                        Exception: _server_error})
    app.state.records = db
    app.state.service = svc
    return app
