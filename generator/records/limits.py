"""What one client may ask of the records service: request rates, JSON depth, log volume."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_JSON_DEPTH = 16
"""A completion is three levels deep; Python's parser fails with RecursionError near 1,000."""

MIN_ADMIN_TOKEN = 32
"""Characters an admin token needs: a short one is guessed."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(raw: bytes) -> int:
    """How deeply ``raw`` nests arrays and objects, ignoring brackets inside strings."""
    depth = deepest = 0
    for ch in _STRING.sub(b'""', raw):
        if ch in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in b"]}":
            depth -= 1
    return deepest


@dataclass(frozen=True)
class Rate:
    """At most ``count`` events in ``per`` seconds."""

    count: int
    per: float


class RateLimiter:
    """Sliding-window counts of events by key, with a bounded memory of keys.

    ``hit`` records one event and returns 0 when it is allowed, or the whole seconds to wait
    (for ``Retry-After``) when the key is over its rate.
    """

    def __init__(self, rate: Rate, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._events: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def over(self, key: str, now: float | None = None) -> int:
        """Like :meth:`hit`, without recording an event."""
        now = time.monotonic() if now is None else now
        start = now - self.rate.per
        with self._lock:
            times = [t for t in self._events.get(key, ()) if t > start]
        return max(1, math.ceil(times[0] - start)) if len(times) >= self.rate.count else 0

    def hit(self, key: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        start = now - self.rate.per
        with self._lock:
            times = self._events.pop(key, [])
            times = [t for t in times if t > start]
            if len(times) >= self.rate.count:
                self._events[key] = times
                return max(1, math.ceil(times[0] - start))
            times.append(now)
            self._events[key] = times
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
            return 0


class LogRateFilter(logging.Filter):
    """Lets through at most ``per_second`` records a second, then one line saying how many went.

    At the file-descriptor limit the server logged every failed accept: 64 MB in 25 seconds.
    """

    def __init__(self, per_second: int = 20) -> None:
        super().__init__()
        self.per_second = per_second
        self._second = 0
        self._count = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = int(time.monotonic())
        with self._lock:
            if now != self._second:
                dropped, self._dropped = self._dropped, 0
                self._second, self._count = now, 0
                if dropped:
                    record.msg = f"({dropped} log lines like the ones above were dropped) " + str(record.msg)
            self._count += 1
            if self._count > self.per_second:
                self._dropped += 1
                return False
            return True


def limit_logging(per_second: int = 20) -> LogRateFilter:
    """Put one shared rate filter on the handlers of the service's loggers."""
    flt = LogRateFilter(per_second)
    for name in ("", "asyncio", "uvicorn", "uvicorn.error", "uvicorn.access", "generator"):
        logger = logging.getLogger(name)
        logger.addFilter(flt)
        for handler in logger.handlers:
            handler.addFilter(flt)
    return flt
