"""Security headers on everything the records service sends: the page's own policy as a header."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from ..site.csp import header_policy, page_policy

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_PAGE = 8 * 1024 * 1024
"""A page bigger than this is sent without reading its policy (the ``<meta>`` still holds)."""


class SecurityHeaders:
    """ASGI middleware: ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy on every response.

    An HTML page's header repeats the policy its ``<meta>`` carries (its script hashes
    included) and adds ``frame-ancestors 'none'``, which only a header can say; any other
    response gets ``frame-ancestors 'none'`` alone.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        state = {"html": False, "size": 0}

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"content-security-policy", b"x-content-type-options")]
                kind = dict((k.lower(), v) for k, v in headers).get(b"content-type", b"")
                message = {**message, "headers": headers + [(b"x-content-type-options", b"nosniff")]}
                if kind.startswith(b"text/html"):
                    state["html"] = True
                    held.append(message)
                    return
                message["headers"].append((b"content-security-policy", header_policy(None).encode()))
                await send(message)
                return
            if not state["html"]:
                await send(message)
                return
            held.append(message)
            state["size"] += len(message.get("body", b""))
            if message.get("more_body", False) and state["size"] <= MAX_PAGE:
                return
            body = b"".join(m.get("body", b"") for m in held[1:])
            start = held[0]
            start["headers"].append((b"content-security-policy", header_policy(page_policy(body)).encode()))
            await send(start)
            for m in held[1:]:
                await send(m)
            held.clear()
            state["html"] = False

        await self.app(scope, receive, wrapped)
