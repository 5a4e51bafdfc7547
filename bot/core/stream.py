"""Streamed replies: generated text shown while it arrives. Chat platforms limit how often a
message may be edited (about once a second per chat), so every adapter shows partial text
through the same throttle; the final reply then replaces it."""

from __future__ import annotations

import time
from collections.abc import Callable

EDIT_INTERVAL = 1.0  # seconds between two updates of a streamed message


class Throttle:
    def __init__(
        self, interval: float = EDIT_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.last = float("-inf")

    def ready(self) -> bool:
        """True (and the time is taken) when an update may go out now."""
        now = self.clock()
        if now - self.last < self.interval:
            return False
        self.last = now
        return True

    def wait(self) -> float:
        """Seconds until the next update may go out (for the final one, which must not be dropped)."""
        return max(0.0, self.interval - (self.clock() - self.last))
