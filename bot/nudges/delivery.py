"""Delivery of nudges through platform adapters, within each platform's rate limits.

Adapters implement `Deliverer.send` and translate their library's errors into the three
below; the queue does the rest (pacing, retry_after, backoff, pausing blocked learners), so
this logic exists once for every platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.core.messages import Reply
from bot.ops.metrics import NUDGES as DELIVERIES

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    pass


class RetryAfter(DeliveryError):
    """The platform asked us to wait (HTTP 429 with retry_after)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = float(seconds)


class Blocked(DeliveryError):
    """The user blocked the bot or closed DMs: stop nudging them."""


class TransientError(DeliveryError):
    """A network hiccup or 5xx: retry with backoff."""


@dataclass(frozen=True)
class Target:
    platform: str
    chat_id: str  # a user id for DMs, a channel/chat id for groups
    kind: Literal["dm", "group"] = "dm"


SendPart = Callable[[], Awaitable[None]]


class Deliverer(Protocol):
    """Turns a reply into the platform calls that send it, one per message or file, so the
    queue can retry a failed part without sending the parts before it again."""

    platform: str

    def parts(self, target: Target, reply: Reply) -> Sequence[SendPart]: ...


@dataclass(frozen=True)
class Limits:
    per_second: float = 30.0  # overall
    per_chat_interval: float = 1.0  # seconds between messages to one chat
    per_group_per_minute: int = 20


@dataclass
class SendJob:
    target: Target
    reply: Reply
    learner_id: int | None = None
    nudge_id: int | None = None
    group_post_id: int | None = None
    digest_id: int | None = None
    attempts: int = 0
    parts: Sequence[SendPart] | None = None  # made on the first attempt
    parts_sent: int = 0


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retry_after: int = 0
    first_send: float | None = None
    last_send: float | None = None
    waits: list[float] = field(default_factory=list)


class RateLimiter:
    """Overall pacing plus per-chat spacing and a per-group minute window."""

    def __init__(
        self,
        limits: Limits,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._next_global = 0.0
        self._next_chat: dict[str, float] = {}
        self._group_window: dict[str, deque[float]] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, target: Target) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                at = max(
                    self._next_global, self._paused_until, self._next_chat.get(target.chat_id, 0.0)
                )
                if target.kind == "group":
                    window = self._group_window.setdefault(target.chat_id, deque())
                    while window and window[0] <= now - 60:
                        window.popleft()
                    if len(window) >= self.limits.per_group_per_minute:
                        at = max(at, window[0] + 60)
                if at <= now:
                    break
                await self._sleep(at - now)
            now = self._clock()
            self._next_global = max(self._next_global, now) + 1.0 / self.limits.per_second
            self._next_chat[target.chat_id] = now + self.limits.per_chat_interval
            if target.kind == "group":
                self._group_window[target.chat_id].append(now)


ResultHook = Callable[[SendJob, str, str | None], Awaitable[None]]


class DeliveryQueue:
    """One queue and worker per platform; `join()` waits until everything queued is handled."""

    MAX_ATTEMPTS = 5

    def __init__(
        self,
        deliverers: dict[str, Deliverer],
        limits: dict[str, Limits] | None = None,
        on_result: ResultHook | None = None,
        before_send: Callable[[SendJob], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.deliverers: dict[str, Deliverer] = {}
        self._sleep = sleep
        self._limits = dict(limits or {})
        self._queues: dict[str, asyncio.Queue[SendJob]] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self.on_result = on_result
        self.before_send = before_send
        self._workers: list[asyncio.Task] = []
        self._inflight: set[asyncio.Future] = set()
        self.stats: dict[str, DeliveryStats] = {}
        for platform, deliverer in deliverers.items():
            self.add_deliverer(platform, deliverer)

    def add_deliverer(
        self, platform: str, deliverer: Deliverer, limits: Limits | None = None
    ) -> None:
        """Register (or replace) a platform; adapters start after the queue is built."""
        self.deliverers[platform] = deliverer
        if limits is not None:
            self._limits[platform] = limits
        if platform not in self._limiters or limits is not None:
            self._limiters[platform] = RateLimiter(
                self._limits.get(platform, Limits()), sleep=self._sleep
            )
        self.stats.setdefault(platform, DeliveryStats())

    def can_deliver(self, platform: str) -> bool:
        return platform in self.deliverers

    def depth(self) -> int:
        return sum(q.qsize() for q in self._queues.values())

    def start(self) -> None:
        for platform in self.deliverers:
            if platform not in self._queues:
                self._queues[platform] = asyncio.Queue()
                self._workers.append(
                    asyncio.create_task(self._work(platform), name=f"deliver-{platform}")
                )

    async def put(self, job: SendJob) -> None:
        if job.target.platform not in self.deliverers:
            raise ValueError(f"no deliverer for {job.target.platform}")
        self.start()
        await self._queues[job.target.platform].put(job)

    async def join(self) -> None:
        for q in self._queues.values():
            await q.join()

    async def stop(self) -> None:
        for w in self._workers:
            w.cancel()
        for w in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await w
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()

    async def _report(self, job: SendJob, status: str, error: str | None) -> None:
        DELIVERIES.labels(platform=job.target.platform, status=status).inc()
        if self.on_result is not None:
            try:
                await self.on_result(job, status, error)
            except Exception:
                log.exception("recording a delivery result failed")

    async def _work(self, platform: str) -> None:
        queue = self._queues[platform]
        limiter = self._limiters[platform]
        while True:
            job = await queue.get()
            try:
                while True:
                    await limiter.acquire(job.target)  # waiting is cancellable
                    # Once handed to the platform, the attempt and its bookkeeping finish even
                    # if the worker is stopped: a request that left cannot be called back.
                    attempt = asyncio.ensure_future(self._attempt(platform, job))
                    self._inflight.add(attempt)
                    attempt.add_done_callback(self._inflight.discard)
                    retry_in = await asyncio.shield(attempt)
                    if retry_in is None:
                        break
                    if retry_in > 0:
                        await self._sleep(retry_in)
            finally:
                queue.task_done()

    async def _attempt(self, platform: str, job: SendJob) -> float | None:
        """One send; None when the job is finished, else seconds to wait before retrying."""
        stats = self.stats[platform]
        job.attempts += 1
        if self.before_send is not None and job.attempts == 1:
            await self.before_send(job)
        if job.parts is None:
            job.parts = self.deliverers[platform].parts(job.target, job.reply)
        try:
            while job.parts_sent < len(job.parts):
                await job.parts[job.parts_sent]()
                job.parts_sent += 1  # a retry resumes after the last part that arrived
        except RetryAfter as exc:
            stats.retry_after += 1
            self._limiters[platform].pause(exc.seconds)  # the limit is per bot: hold every send
            return 0.0
        except Blocked as exc:
            stats.blocked += 1
            await self._report(job, "blocked", str(exc)[:300])
            return None
        except (TimeoutError, TransientError, OSError) as exc:
            if job.attempts >= self.MAX_ATTEMPTS:
                stats.failed += 1
                await self._report(job, "failed", str(exc)[:300])
                return None
            return min(30.0, 0.5 * 2 ** (job.attempts - 1))
        except Exception as exc:  # a bug in an adapter must not kill the worker
            log.exception("delivery to %s failed", platform)
            stats.failed += 1
            await self._report(job, "failed", f"{type(exc).__name__}: {exc}"[:300])
            return None
        now = time.monotonic()
        stats.sent += 1
        stats.first_send = stats.first_send or now
        stats.last_send = now
        await self._report(job, "sent", None)
        return None
