"""APScheduler 3 in the bot process: one interval job runs the nudge tick every minute.

The job has a fixed id with replace_existing, max_instances=1 and coalesce, so a restart or a
slow tick never runs two ticks at once; "once per learner per day" itself is enforced by the
database, not by the scheduler. Stopping waits for a tick in progress to finish, so a SIGTERM
never cuts one in half.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from bot.learning.retention import Housekeeping
from bot.nudges.engine import NudgeEngine
from bot.nudges.leader import Leadership

log = logging.getLogger(__name__)
HOUSEKEEPING_HOUR = 3  # UTC; purges old question logs and event digests


class NudgeScheduler:
    def __init__(
        self,
        engine: NudgeEngine,
        interval_seconds: int = 60,
        reingester=None,  # type: ignore[no-untyped-def]
        reingest_time: str | None = None,
        leadership: Leadership | None = None,
        housekeeping: Housekeeping | None = None,
    ) -> None:
        self.engine = engine
        self.housekeeping = housekeeping
        self.interval_seconds = interval_seconds
        self.reingester = reingester
        self.reingest_time = reingest_time  # "HH:MM" UTC, optional
        self.leadership = leadership  # None: this process is the only one
        self._leading = False
        self._sched = None
        self._running: set[asyncio.Task] = set()

    @contextlib.contextmanager
    def _job(self):  # type: ignore[no-untyped-def]
        """Marks the running job, so stop() lets it finish instead of cancelling it midway."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._running.discard(task)

    async def _tick(self) -> None:
        with self._job():
            try:
                if not await self.lead():
                    return
                report = await self.engine.tick()
                if report.queued or report.snoozes or report.group_posts or report.digests:
                    log.info(
                        "nudge tick: %d queued, %d snoozes, %d group posts, %d weekly digests",
                        report.queued,
                        report.snoozes,
                        report.group_posts,
                        report.digests,
                    )
            except Exception:
                log.exception("nudge tick failed; the next one will retry")

    async def lead(self) -> bool:
        """Whether this replica runs the ticks; a new leader first recovers unsent nudges."""
        if self.leadership is None:
            leading = True
        else:
            leading = await self.leadership.acquire()
        if leading and not self._leading:
            await self.engine.recover()
        self._leading = leading
        return leading

    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._sched = AsyncIOScheduler(timezone="UTC")
        self._sched.add_job(
            self._tick,
            "interval",
            seconds=self.interval_seconds,
            id="nudge-tick",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=self.interval_seconds,
            next_run_time=datetime.now(UTC),
        )
        if self.reingester is not None and self.reingest_time:
            hour, minute = (int(x) for x in self.reingest_time.split(":"))
            self._sched.add_job(
                self._reingest,
                "cron",
                hour=hour,
                minute=minute,
                id="reingest",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
            )
        if self.housekeeping is not None:
            self._sched.add_job(
                self._housekeeping,
                "cron",
                hour=HOUSEKEEPING_HOUR,
                minute=17,
                id="housekeeping",
                replace_existing=True,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),  # and once at start
            )
        self._sched.start()

    async def _housekeeping(self) -> None:
        with self._job():
            try:
                if await self.lead():
                    await self.housekeeping.run()
            except Exception:
                log.exception("housekeeping failed; it runs again tomorrow")

    async def _reingest(self) -> None:
        if not await self.lead():
            return
        started, job = await self.reingester.start("the daily schedule", None)
        if not started:
            log.info("scheduled re-ingest skipped: one started by %s is running", job.started_by)

    def job_ids(self) -> list[str]:
        return [job.id for job in self._sched.get_jobs()] if self._sched is not None else []

    async def stop(self, timeout: float = 30.0) -> None:
        """No new jobs; let a running tick or housekeeping finish (APScheduler's shutdown
        would cancel it, and log its traceback)."""
        if self._sched is None:
            return
        self._sched.pause()
        if self._running:
            done, pending = await asyncio.wait(set(self._running), timeout=timeout)
            for task in pending:
                log.warning(
                    "a scheduled job did not finish within %.0f s of stopping; cancelling it",
                    timeout,
                )
                task.cancel()
        self._sched.shutdown(wait=False)
        self._sched = None
        if self.leadership is not None:
            await self.leadership.release()


async def start_scheduler(
    engine: NudgeEngine,
    interval_seconds: int = 60,
    reingester=None,  # type: ignore[no-untyped-def]
    reingest_time: str | None = None,
    leadership: Leadership | None = None,
    housekeeping: Housekeeping | None = None,
) -> NudgeScheduler:
    sched = NudgeScheduler(
        engine, interval_seconds, reingester, reingest_time, leadership, housekeeping
    )
    await sched.start()
    return sched
