"""Connecting to a chat platform that may not be reachable yet (network down at boot, a
platform outage): retry with exponential backoff and one log line per attempt, until it
connects or the process is asked to stop. An error that retrying cannot fix (a revoked token)
ends the run with a plain message instead."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

log = logging.getLogger("mlbot.connect")

FIRST_DELAY = 2.0
MAX_DELAY = 300.0


class Connectable(Protocol):
    async def start(self) -> None: ...

    async def reset(self) -> None:
        """Undo a half-made connection so start() can be called again."""

    def fatal(self, exc: BaseException) -> str | None:
        """A plain explanation when retrying cannot help (e.g. the token is wrong)."""


class CannotConnect(Exception):
    """The platform refused us for a reason a retry will not fix."""


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


async def connect(
    adapter: Connectable,
    name: str,
    stop: asyncio.Event,
    *,
    first_delay: float = FIRST_DELAY,
    max_delay: float = MAX_DELAY,
    sleep: Callable[[asyncio.Event, float], Awaitable[None]] | None = None,
) -> bool:
    """Start the adapter, retrying; True once connected, False if `stop` was set first."""
    wait = sleep or _wait
    delay, attempt = first_delay, 1
    while not stop.is_set():
        try:
            await adapter.start()
        except Exception as exc:  # every failure is retried or explained
            reason = adapter.fatal(exc)
            if reason is not None:
                raise CannotConnect(f"{name}: {reason}") from exc
            log.warning(
                "%s is unreachable (attempt %d: %s); retrying in %.0f s",
                name,
                attempt,
                describe(exc),
                delay,
            )
            with contextlib.suppress(Exception):
                await adapter.reset()
            await wait(stop, delay)
            delay, attempt = min(delay * 2, max_delay), attempt + 1
            continue
        if attempt > 1:
            log.warning("%s connected after %d attempts", name, attempt)
        return True
    return False


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def connect_all(adapters: list, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """Connect every adapter at once (one platform's outage does not hold up the other);
    True when all are connected. A fatal error stops the others' retries and is raised."""

    async def one(adapter) -> bool:  # type: ignore[no-untyped-def]
        try:
            return await connect(adapter, adapter.name, stop)
        except CannotConnect:
            stop.set()
            raise

    results = await asyncio.gather(*(one(a) for a in adapters), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return all(results)
