"""A per-client rate limit: a token bucket for each client address.

Each client may take up to ``burst`` tokens at once; tokens come back at
``per_minute`` a minute.  :meth:`RateLimiter.take` either takes them and
answers ``0.0``, or takes none and answers how many seconds to wait (the
``Retry-After`` of a 429 answer).  The table of clients is bounded: past
``max_clients`` the least recently seen client is forgotten (it then starts
with a full bucket, which errs on the side of answering).  Safe to use from
the threads of a threading server.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Token buckets by client address."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        *,
        max_clients: int = 10000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.per_second = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, count: int = 1) -> float:
        """Take ``count`` tokens for ``client``: ``0.0``, or the seconds until there are enough."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.per_second)
            if tokens >= count:
                tokens -= count
                wait = 0.0
            else:
                wait = (min(count, self.burst) - tokens) / self.per_second
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait

    @staticmethod
    def retry_after(wait: float) -> str:
        """``wait`` as a ``Retry-After`` value: whole seconds, at least 1."""
        return str(max(1, math.ceil(wait)))
