"""The nudge engine: each tick finds learners whose local nudge time has come and queues
exactly one nudge per learner per local date.

Exactly-once rests on a unique row (learner, local date) in `nudges_sent`, written and
committed before the send is attempted. Its status moves pending -> sending -> sent. On start,
rows still 'pending' (written, never handed to a platform) are queued again; rows left
'sending' (the process died while the platform call was in flight) are not resent, because
neither Telegram nor Discord can tell us whether that message arrived: a duplicate is worse
than a miss the learner can recover with /today.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError

from bot.core.messages import Paragraph, Reply
from bot.learning.digest import DigestService
from bot.learning.due import due_now, week_of
from bot.learning.groups import GroupService
from bot.learning.models import Identity, Learner, NudgeSent, WeeklyDigest
from bot.learning.review import QuizService
from bot.learning.service import LearningService, aware
from bot.learning.usecases import Today, pace_news
from bot.nudges.delivery import DeliveryQueue, SendJob, Target
from bot.replies import groups as group_replies
from bot.replies.digest import digest as digest_reply
from bot.replies.learning import describe_plan
from bot.replies.learning import today as today_reply
from bot.replies.quiz import with_reviews

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueNudge:
    learner_id: int
    local_date: date
    tz: str


@dataclass
class TickReport:
    due: int = 0
    queued: int = 0
    skipped: int = 0
    already: int = 0
    snoozes: int = 0
    requeued: int = 0
    group_posts: int = 0
    digests: int = 0
    details: list[str] = field(default_factory=list)


def _claim_fields(target: Target | None, now: datetime) -> dict:
    """The bookkeeping a nudge or digest row starts with: pending for a reachable account,
    skipped (with why) when the learner has none on a connected platform."""
    return {
        "created_at": now,
        "status": "pending" if target else "skipped",
        "platform": target.platform if target else None,
        "error": None if target else "no account on a connected platform",
    }


def with_lead(reply: Reply, text: str) -> Reply:
    """The same reply with a first paragraph in front (a greeting, a reminder)."""
    return replace(reply, blocks=(Paragraph(text), *reply.blocks))


class NudgeEngine:
    def __init__(
        self,
        svc: LearningService,
        queue: DeliveryQueue,
        grace_hours: float = 6.0,
        groups: GroupService | None = None,
        quiz: QuizService | None = None,
        digests: DigestService | None = None,
    ) -> None:
        self.svc = svc
        self.queue = queue
        self.grace_minutes = int(grace_hours * 60)
        self.groups = groups
        self.quiz = quiz  # due reviews are offered in the daily nudge
        self.digests = digests  # the weekly digest, on each learner's chosen day

    # -- who is due --------------------------------------------------------------------
    async def find_due(self, now: datetime) -> list[DueNudge]:
        def on_day(wday: date):  # type: ignore[no-untyped-def]
            sent = exists().where(
                and_(NudgeSent.learner_id == Learner.id, NudgeSent.local_date == wday)
            )
            return and_(Learner.active_days.op("&")(1 << wday.weekday()) != 0, ~sent)

        async with self.svc.db.sessions() as s:
            rows = await due_now(
                s,
                now,
                self.grace_minutes,
                key=Learner.id,
                tz=Learner.tz,
                minute=Learner.nudge_minute,
                active=and_(Learner.track.is_not(None), Learner.nudges_paused.is_(False)),
                on_day=on_day,
            )
        return [DueNudge(lid, day, tz) for lid, day, tz in rows]

    async def target_for(self, s, learner_id: int) -> Target | None:  # type: ignore[no-untyped-def]
        """The learner's most recently used account on a platform we can deliver to."""
        rows = await s.execute(
            select(Identity.platform, Identity.platform_user_id)
            .where(Identity.learner_id == learner_id)
            .order_by(Identity.last_seen_at.desc())
        )
        for platform, user_id in rows:
            if self.queue.can_deliver(platform):
                return Target(platform, user_id, "dm")
        return None

    # -- the tick ----------------------------------------------------------------------
    async def tick(self) -> TickReport:
        now = self.svc.clock.now()
        report = TickReport()
        for item in await self.find_due(now):
            report.due += 1
            await self._nudge(item, now, report)
        await self._snoozes(now, report)
        if self.digests is not None:
            for learner_id, day, _ in await self.find_digests(now):
                await self._digest(learner_id, day, now, report)
        if self.groups is not None:
            report.group_posts = await self._group_posts(now)
        return report

    async def _group_posts(self, now: datetime) -> int:
        """Each group's daily post, queued once its row is written (see GroupService)."""
        assert self.groups is not None
        due = await self.groups.due_posts(now, self.grace_minutes, self.queue.can_deliver)
        for item in due:
            target = Target(item.group.platform, item.group.channel_id, "group")
            job = SendJob(target, group_replies.post(item), group_post_id=item.post_id)
            await self.queue.put(job)
        return len(due)

    async def _nudge(self, item: DueNudge, now: datetime, report: TickReport) -> None:
        async with self.svc.db.sessions() as s:
            target = await self.target_for(s, item.learner_id)
            row = NudgeSent(
                learner_id=item.learner_id, local_date=item.local_date, **_claim_fields(target, now)
            )
            if await self._claim(s, row, target, report):
                await self._queue_row(s, row, target, report)  # type: ignore[arg-type]

    @staticmethod
    async def _claim(
        s, row: NudgeSent | WeeklyDigest, target: Target | None, report: TickReport
    ) -> bool:  # type: ignore[no-untyped-def]
        """Write the row before any send (the exactly-once guard); True: ours to send."""
        s.add(row)
        try:
            await s.commit()
        except IntegrityError:  # another tick or replica wrote it first
            await s.rollback()
            report.already += 1
            return False
        if target is None:
            report.skipped += 1
            return False
        return True

    async def _queue_row(self, s, row: NudgeSent, target: Target, report: TickReport) -> None:  # type: ignore[no-untyped-def]
        learner = await s.get(Learner, row.learner_id)
        if learner is None or learner.track is None:
            row.status = "skipped"
            await s.commit()
            report.skipped += 1
            return
        state, plan = await self.svc.plan(s, learner)
        if plan.kind not in ("task", "review"):
            row.status, row.error = "skipped", f"nothing to study ({plan.kind})"
            await s.commit()
            report.skipped += 1
            return
        reply = today_reply(self.svc, Today(learner, plan, pace_news(self.svc, learner, state)))
        reply = with_lead(reply, "⏰ Time to study! Here's your task for today.")
        if self.quiz is not None:
            reply = with_reviews(reply, await self.quiz.to_offer(s, learner, state))
        await s.commit()  # the pace news, if any, is told once
        await self.queue.put(SendJob(target, reply, learner_id=learner.id, nudge_id=row.id))
        report.queued += 1
        report.details.append(
            f"learner {learner.id} {target.platform}:{target.chat_id} {row.local_date}"
        )

    # -- the weekly digest ---------------------------------------------------------------
    async def find_digests(self, now: datetime) -> list[tuple[int, date, str]]:
        """Learners whose digest day and nudge time have come, with no digest this week."""

        def on_day(wday: date):  # type: ignore[no-untyped-def]
            sent = exists().where(
                and_(WeeklyDigest.learner_id == Learner.id, WeeklyDigest.week_of == week_of(wday))
            )
            return and_(Learner.digest_day == wday.weekday(), ~sent)

        async with self.svc.db.sessions() as s:
            return await due_now(
                s,
                now,
                self.grace_minutes,
                key=Learner.id,
                tz=Learner.tz,
                minute=Learner.nudge_minute,
                active=and_(
                    Learner.track.is_not(None),
                    Learner.nudges_paused.is_(False),
                    Learner.digest_day.is_not(None),
                ),
                on_day=on_day,
            )

    async def _digest(self, learner_id: int, day: date, now: datetime, report: TickReport) -> None:
        async with self.svc.db.sessions() as s:
            target = await self.target_for(s, learner_id)
            row = WeeklyDigest(
                learner_id=learner_id, week_of=week_of(day), **_claim_fields(target, now)
            )
            if await self._claim(s, row, target, report):
                await self._queue_digest(s, row, target, day)  # type: ignore[arg-type]
                report.digests += 1

    async def _queue_digest(self, s, row: WeeklyDigest, target: Target, day: date | None) -> None:  # type: ignore[no-untyped-def]
        assert self.digests is not None
        learner = await s.get(Learner, row.learner_id)
        if learner is None or learner.track is None:
            row.status = "skipped"
            await s.commit()
            return
        if day is None:  # re-queued at start: the local date now, within the digest's week
            day = min(self.svc.today(learner), row.week_of + timedelta(days=6))
        reply = digest_reply(await self.digests.build(s, learner, day))
        await s.commit()
        await self.queue.put(SendJob(target, reply, learner_id=learner.id, digest_id=row.id))

    async def _snoozes(self, now: datetime, report: TickReport) -> None:
        async with self.svc.db.sessions() as s:
            rows = (
                await s.execute(
                    select(Learner.id, Learner.snoozed_until).where(
                        Learner.snoozed_until.is_not(None), Learner.snoozed_until <= now
                    )
                )
            ).all()
            for learner_id, until in rows:
                # Clearing the snooze is the claim: only one tick (or replica) wins it.
                res = await s.execute(
                    update(Learner)
                    .where(Learner.id == learner_id, Learner.snoozed_until == until)
                    .values(snoozed_until=None)
                )
                await s.commit()
                if res.rowcount != 1:
                    continue
                target = await self.target_for(s, learner_id)
                learner = await s.get(Learner, learner_id)
                if target is None or learner is None or learner.track is None:
                    continue
                _, plan = await self.svc.plan(s, learner)
                if plan.kind not in ("task", "review"):
                    continue
                reply = with_lead(
                    describe_plan(self.svc, plan, learner, excerpt=False),
                    "⏰ Reminder, as you asked:",
                )
                await self.queue.put(SendJob(target, reply, learner_id=learner_id))
                report.snoozes += 1

    # -- start-up and results ----------------------------------------------------------
    async def recover(self) -> TickReport:
        """On start: re-queue nudges and digests written but never attempted, within the grace
        window; those in flight when the bot stopped are marked uncertain, not resent."""
        report = TickReport()
        async with self.svc.db.sessions() as s:
            for model in (NudgeSent, WeeklyDigest):
                for row in await self._pending(s, model):
                    target = await self.target_for(s, row.learner_id)
                    if target is None:
                        continue
                    if isinstance(row, NudgeSent):
                        await self._queue_row(s, row, target, report)
                    else:
                        await self._queue_digest(s, row, target, None)
                    report.requeued += 1
                stale = await s.execute(
                    update(model).where(model.status == "sending").values(status="uncertain")
                )
                await s.commit()
                if stale.rowcount:
                    log.warning(
                        "%d %s row(s) were in flight when the bot stopped; not resent",
                        stale.rowcount,
                        model.__tablename__,
                    )
        return report

    async def _pending(self, s, model: type[NudgeSent] | type[WeeklyDigest]) -> list:  # type: ignore[no-untyped-def]
        """Rows still pending; those older than the grace window are skipped instead."""
        now = self.svc.clock.now()
        rows = (await s.execute(select(model).where(model.status == "pending"))).scalars().all()
        fresh = []
        for row in rows:
            if now - aware(row.created_at) > timedelta(minutes=self.grace_minutes):
                row.status, row.error = "skipped", "bot was down past the grace window"
            else:
                fresh.append(row)
        await s.commit()
        return fresh
