"""Running the records service: uvicorn with a header deadline, a connection cap and quiet logs.

Measured before: 2,000 connections that sent nothing stayed open for 30 seconds (uvicorn
waits for a first request without a deadline); at the file-descriptor limit the event loop
logged every failed accept, 64 MB in 25 seconds, and health probes failed.

Now a connection must send its request headers within ``header_timeout`` seconds, connections
are capped below the descriptor limit (a new one closes the longest-waiting connection that
has not sent a request, so a probe always gets in), and log lines are rate-limited.
"""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .limits import limit_logging

HEADER_TIMEOUT = 10.0
MAX_CONNECTIONS = 1000
RESERVED_DESCRIPTORS = 100
"""Kept for the database, the site's files and the log, whatever the clients do."""


def raise_descriptor_limit() -> int:
    """Raise the soft limit on open files to the hard one; return the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def guarded_protocol(max_connections: int, header_timeout: float) -> type[HttpToolsProtocol]:
    """A uvicorn HTTP protocol class with a header deadline and a cap on connections."""
    waiting: OrderedDict[Any, None] = OrderedDict()
    """Connections with no request under way, longest-waiting first."""

    class Guarded(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._wait_for_request()
            if len(self.connections) > max_connections:
                for other in waiting:
                    if other is not self:
                        other._close()
                        break
                else:
                    self._close()

        def _wait_for_request(self) -> None:
            waiting[self] = None
            waiting.move_to_end(self)
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(header_timeout, self._close)

        def _stop_waiting(self) -> None:
            waiting.pop(self, None)
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _close(self) -> None:
            self._stop_waiting()
            if not self.transport.is_closing():
                self.transport.close()

        def on_headers_complete(self) -> None:
            self._stop_waiting()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._wait_for_request()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

    return Guarded


def run(app, host: str, port: int, *, max_connections: int = MAX_CONNECTIONS,
        header_timeout: float = HEADER_TIMEOUT) -> None:
    """Serve ``app`` until interrupted."""
    limit = raise_descriptor_limit()
    cap = max(8, min(max_connections, limit - RESERVED_DESCRIPTORS))
    config = uvicorn.Config(app, host=host, port=port, http=guarded_protocol(cap, header_timeout),
                            proxy_headers=False, server_header=False, log_level="warning",
                            access_log=False, timeout_keep_alive=5, backlog=min(2048, cap * 2))
    limit_logging()  # after uvicorn set up its loggers
    uvicorn.Server(config).run()
