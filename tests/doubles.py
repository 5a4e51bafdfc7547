"""Test doubles for the parts that talk to the outside world: a clock that moves only when
told, and an in-memory platform for the delivery queue (which can rate-limit and fail on cue).
Used by tests and benchmarks; nothing in bot/ imports this."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.core.messages import Reply
from bot.nudges.delivery import Blocked, DeliveryError, RetryAfter, SendPart, Target


class FakeClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class MemoryDeliverer:
    """An in-memory platform for tests and benchmarks; can enforce a rate and fail on cue."""

    def __init__(
        self,
        platform: str = "test",
        max_per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform = platform
        self.sent: list[tuple[Target, Reply]] = []
        self.blocked: set[str] = set()
        self.fail_next: list[DeliveryError] = []
        self.max_per_second = max_per_second
        self.rejected_429 = 0
        self._clock = clock
        self._window: deque[float] = deque()

    def parts(self, target: Target, reply: Reply) -> list[SendPart]:
        return [lambda: self.send(target, reply)]

    async def send(self, target: Target, reply: Reply) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        if target.chat_id in self.blocked:
            raise Blocked("Forbidden: bot was blocked by the user")
        if self.max_per_second:
            now = self._clock()
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.max_per_second:
                self.rejected_429 += 1
                raise RetryAfter(1.0)
            self._window.append(now)
        self.sent.append((target, reply))
