"""A small in-process sliding-window limiter for the public portal endpoint.

Per process: with N API processes the effective limit is up to N times higher, so in
production put a shared limit at the load balancer as well (README). Memory is bounded by
evicting idle keys.
"""

from __future__ import annotations

import math
import time
from collections import deque

MAX_TRACKED_KEYS = 100_000


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float | None = None) -> int | None:
        """Counts a hit for `key`; None if allowed, else seconds until the next is allowed."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= MAX_TRACKED_KEYS:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(self.window - (now - hits[0])))
        hits.append(now)
        return None

    def _evict(self, now: float) -> None:
        stale = [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]
        for key in stale:
            del self._hits[key]
        if len(self._hits) >= MAX_TRACKED_KEYS:  # all busy: drop the oldest tracked half
            for key in list(self._hits)[: MAX_TRACKED_KEYS // 2]:
                del self._hits[key]
