"""APScheduler 3 in the bot process: one interval job runs the nudge tick every minute.

The job has a fixed id with replace_existing, max_instances=1 and coalesce, so a restart or a
slow tick never runs two ticks at once; "once per learner per day" itself is enforced by the
database, not by the scheduler.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.nudges.engine import NudgeEngine

log = logging.getLogger(__name__)


async def _safe_tick(engine: NudgeEngine) -> None:
    try:
        report = await engine.tick()
        if report.queued or report.snoozes:
            log.info("nudge tick: %d queued, %d snoozes", report.queued, report.snoozes)
    except Exception:
        log.exception("nudge tick failed; the next one will retry")


async def start_scheduler(engine: NudgeEngine, interval_seconds: int = 60):  # type: ignore[no-untyped-def]
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    await engine.recover()
    sched = AsyncIOScheduler(timezone="UTC")
    sched.add_job(
        _safe_tick,
        "interval",
        args=[engine],
        seconds=interval_seconds,
        id="nudge-tick",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=interval_seconds,
        next_run_time=datetime.now(UTC),
    )
    sched.start()
    return sched
