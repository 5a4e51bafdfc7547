"""Drives the nudge engine on a fake clock, as the bot would over days, weeks or a year:
ticks, restarts with a new engine and queue, and what the platform received (daily nudges
and weekly digests told apart)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.learning.models import Identity, Learner, NudgeSent, WeeklyDigest
from bot.learning.service import Who
from bot.nudges.delivery import Limits
from tests.doubles import MemoryDeliverer

FAST = Limits(per_second=100_000, per_chat_interval=0.0, per_group_per_minute=100_000)


async def add_learner(
    app,
    user: str,
    tz: str,
    at: str,
    track="full-time",
    days=0b1111111,
    platform="telegram",
    digest_day: int | None = 6,
) -> int:
    hh, mm = map(int, at.split(":"))
    async with app.db.sessions() as s:
        learner, _ = await app.learning.get_or_create(s, Who(platform, user))
        learner.track, learner.tz, learner.nudge_minute, learner.active_days = (
            track,
            tz,
            hh * 60 + mm,
            days,
        )
        learner.digest_day = digest_day
        await s.commit()
        return learner.id


class Run:
    """Drives ticks on the fake clock and records when (in fake time) each nudge went out."""

    def __init__(self, app, clock, deliverer: MemoryDeliverer) -> None:
        self.app, self.clock, self.deliverer = app, clock, deliverer
        self.engine = app.engine
        self.queue = app.queue
        self.sent_at: list[tuple[str, datetime]] = []  # daily nudges and reminders
        self.digests_at: list[tuple[str, datetime]] = []

    def collect(self, before: int) -> None:
        """Record what the platform received since `before` messages, nudge or digest."""
        for target, reply in self.deliverer.sent[before:]:
            digest = any(a.filename == "weekly.png" for a in reply.attachments)
            (self.digests_at if digest else self.sent_at).append((target.chat_id, self.clock.now()))

    async def tick(self) -> None:
        before = len(self.deliverer.sent)
        await self.engine.tick()
        await self.queue.join()
        self.collect(before)

    async def until(self, end: datetime, step: timedelta) -> None:
        while self.clock.now() < end:
            await self.tick()
            self.clock.set(self.clock.now() + step)

    async def restart(self) -> None:
        """A new engine and queue over the same database, as after a process restart."""
        from bot.bootstrap import build_nudges

        await self.queue.stop()
        _, self.queue, self.engine = build_nudges(
            self.app.learning,
            {"telegram": self.deliverer},
            {"telegram": FAST},
            self.app.settings.nudge_grace_hours,
        )
        before = len(self.deliverer.sent)
        await self.engine.recover()
        await self.queue.join()
        self.collect(before)


async def sent_rows(app) -> list[tuple[str, date, str, datetime]]:
    """(user, local date, status, written at) for every nudge row."""

    async with app.db.sessions() as s:
        rows = await s.execute(
            select(
                Identity.platform_user_id,
                NudgeSent.local_date,
                NudgeSent.status,
                NudgeSent.created_at,
            ).join(Identity, Identity.learner_id == NudgeSent.learner_id)
        )
        return [(u, d, st, c if c.tzinfo else c.replace(tzinfo=UTC)) for u, d, st, c in rows]


async def per_local_day(run: Run, user: str) -> Counter:
    """Nudges delivered per local date, checked against what the platform received."""
    rows = [r for r in await sent_rows(run.app) if r[0] == user and r[2] == "sent"]
    delivered = sum(1 for chat, _ in run.sent_at if chat == user)
    assert delivered == len(rows), (user, delivered, len(rows))  # no send without its row
    return Counter(d for _, d, _, _ in rows)


async def per_local_week(run: Run, user: str) -> dict[date, list[date]]:
    """Weekly digests sent, by the Monday of their local week: the local dates they were
    written on, checked against what the platform received."""
    async with run.app.db.sessions() as s:
        rows = (
            await s.execute(
                select(WeeklyDigest.week_of, WeeklyDigest.created_at, Learner.tz)
                .join(Identity, Identity.learner_id == WeeklyDigest.learner_id)
                .join(Learner, Learner.id == WeeklyDigest.learner_id)
                .where(Identity.platform_user_id == user, WeeklyDigest.status == "sent")
            )
        ).all()
    delivered = sum(1 for chat, _ in run.digests_at if chat == user)
    assert delivered == len(rows), (user, delivered, len(rows))  # no send without its row
    weeks: dict[date, list[date]] = {}
    for monday, created, tz in rows:
        at = created if created.tzinfo else created.replace(tzinfo=UTC)
        weeks.setdefault(monday, []).append(at.astimezone(ZoneInfo(tz)).date())
    return weeks
