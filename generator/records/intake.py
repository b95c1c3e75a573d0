"""Reading a request: its body, size and depth checked, and the fields of a completion."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .identity import email_problem, refused_character
from .limits import MAX_JSON_DEPTH, json_depth

MAX_BODY = 64 * 1024
"""Largest request body accepted: a checklist's answers fit many times over."""


class ApiError(Exception):
    """Ends a request with ``status`` and a JSON body ``{"message": ..., **extra}``.

    ``final`` says that sending the same body again cannot succeed: the training page drops a
    queued submission only on a success or on such an answer, and keeps it on any other.
    """

    def __init__(self, status: int, message: str, *, final: bool = False,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        self.extra = dict(extra, final=True) if final else extra


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object; 415, 413 or 400 (final) for anything else."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        # A form on another site can post text/plain without asking; JSON needs a CORS
        # preflight, which is refused: behind SSO that stops forged completions (CSRF).
        raise ApiError(415, "send the completion as JSON (Content-Type: application/json)", final=True)
    body = await _read_body(request)
    if json_depth(body) > MAX_JSON_DEPTH:
        raise ApiError(400, f"the body is nested more than {MAX_JSON_DEPTH} levels deep", final=True)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as e:
        raise ApiError(400, f"the body is not valid JSON: {e}", final=True) from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object", final=True)
    return data


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY:
                raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KB", final=True)
        except ValueError:
            raise ApiError(400, "the Content-Length header is not a number", final=True) from None
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            # A chunked body has no Content-Length: stop reading as soon as it is too big.
            if size > MAX_BODY:
                raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KB", final=True)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "the client went away before sending the whole body") from None
    return b"".join(chunks)


def field(data: dict[str, Any], name: str, kind: type, *, required: bool = True, limit: int = 0) -> Any:
    """``data[name]`` checked to be of ``kind``; strings stripped, checked and at most ``limit`` long."""
    if name not in data or data[name] is None:
        if required:
            raise ApiError(400, f"missing field '{name}'", field=name, final=True)
        return None
    value = data[name]
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        want = {str: "a string", int: "a whole number", dict: "an object", list: "a list"}[kind]
        raise ApiError(400, f"field '{name}' must be {want}", field=name, final=True)
    if kind is str:
        value = value.strip()
        if not value and required:
            raise ApiError(400, f"field '{name}' is empty", field=name, final=True)
        if limit and len(value) > limit:
            raise ApiError(400, f"field '{name}' is longer than {limit} characters", field=name, final=True)
        check_text(value, name)
    return value


def check_text(value: str, where: str) -> None:
    bad = refused_character(value)
    if bad:
        raise ApiError(400, f"field '{where}' contains the character {bad}, which is not allowed",
                       field=where, final=True)


def check_email(value: str, where: str) -> None:
    problem = email_problem(value)
    if problem:
        raise ApiError(400, f"field '{where}': {problem}", field=where, final=True)


def string_list(data: dict[str, Any], name: str) -> list[str]:
    values = field(data, name, list)
    if not all(isinstance(a, str) for a in values):
        raise ApiError(400, f"field '{name}' must be a list of item ids", field=name, final=True)
    for a in values:
        check_text(a, name)
    return values


def answers(raw: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for qid, chosen in raw.items():
        check_text(qid, "answers")
        where = f"answers.{qid}"
        if isinstance(chosen, str):
            chosen = [chosen]
        if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
            raise ApiError(400, f"field '{where}' must be a list of choice ids", field=where, final=True)
        for c in chosen:
            check_text(c, where)
        out[str(qid)] = chosen
    return out
