"""Learning plans as the core sees them: enrol, today's task, done/skip/snooze, settings,
identity linking, export and deletion. Every change is committed before the reply that
reports it is returned, so a learner is never told something was saved that was not.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.learning import privacy
from bot.learning.clock import Clock
from bot.learning.curriculum import Curriculum, SectionRef
from bot.learning.db import Database
from bot.learning.models import (
    GroupMember,
    Identity,
    Learner,
    LinkCode,
    NudgeSent,
    TaskEvent,
)
from bot.learning.planner import DayPlan, LearnerState, plan_day
from bot.learning.validate import days_from_mask

MAX_NOTE_CHARS = 500
LINK_CODE_MINUTES = 10
FORGET_CONFIRM_MINUTES = 10
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

ExcerptSource = Callable[[SectionRef], str | None]


def local_now(learner_tz: str, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(learner_tz))


@dataclass(frozen=True)
class Who:
    platform: str
    user_id: str
    name: str | None = None


def _by_identity(stmt, platform: str, user_id: str):  # type: ignore[no-untyped-def]
    """A select over learners narrowed to the one behind a platform account."""
    return stmt.join(Identity, Identity.learner_id == Learner.id).where(
        Identity.platform == platform, Identity.platform_user_id == user_id
    )


class LearningService:
    def __init__(
        self,
        db: Database,
        curriculum: Curriculum,
        clock: Clock,
        excerpt: ExcerptSource | None = None,
    ) -> None:
        self.db = db
        self.curriculum = curriculum
        self.clock = clock
        self.excerpt = excerpt or (lambda ref: None)

    # -- identities --------------------------------------------------------------------
    async def find_learner(self, s: AsyncSession, who: Who) -> Learner | None:
        row = await s.execute(_by_identity(select(Learner), who.platform, who.user_id))
        learner = row.scalar_one_or_none()
        if learner is not None:
            await s.execute(
                update(Identity)
                .where(Identity.platform == who.platform, Identity.platform_user_id == who.user_id)
                .values(last_seen_at=self.clock.now())
            )
        return learner

    async def is_enrolled(self, platform: str, user_id: str) -> bool:
        """Whether this person follows a plan (reads only; used to tailor answers)."""
        return bool(await self.current_track(platform, user_id))

    async def current_track(self, platform: str, user_id: str) -> str | None:
        """The plan this person follows, if any (reads only)."""
        async with self.db.sessions() as s:
            row = await s.execute(_by_identity(select(Learner.track), platform, user_id))
            return row.scalar_one_or_none() or None

    async def get_or_create(self, s: AsyncSession, who: Who) -> tuple[Learner, bool]:
        learner = await self.find_learner(s, who)
        if learner is not None:
            return learner, False
        now = self.clock.now()
        learner = Learner(
            created_at=now,
            display_name=(who.name or "")[:100] or None,
            tz="UTC",
            nudge_minute=18 * 60,
            active_days=0b1111111,
            nudges_paused=False,
            sessions_done=0,
            streak_current=0,
            streak_best=0,
        )
        s.add(learner)
        await s.flush()
        s.add(
            Identity(
                learner_id=learner.id,
                platform=who.platform,
                platform_user_id=who.user_id,
                display_name=(who.name or "")[:100] or None,
                created_at=now,
                last_seen_at=now,
            )
        )
        await s.flush()
        return learner, True

    async def take_notice(self, who: Who) -> str | None:
        """A pending one-time message for this learner, cleared as it is read.

        Runs before every command, so it only reads unless a notice is actually waiting.
        """
        async with self.db.sessions() as s:
            row = await s.execute(
                _by_identity(select(Learner), who.platform, who.user_id).where(
                    Learner.notice.is_not(None), Learner.notice != ""
                )
            )
            learner = row.scalar_one_or_none()
            if learner is None:
                return None
            notice, learner.notice = learner.notice, None
            await s.commit()
            return notice

    # -- state -------------------------------------------------------------------------
    def today(self, learner: Learner) -> date:
        return local_now(learner.tz, self.clock.now()).date()

    async def state(self, s: AsyncSession, learner: Learner) -> LearnerState:
        rows = (
            await s.execute(
                select(TaskEvent.task_id, TaskEvent.kind, TaskEvent.local_date)
                .where(TaskEvent.learner_id == learner.id, TaskEvent.group_id.is_(None))
                .order_by(TaskEvent.at, TaskEvent.id)
            )
        ).all()
        done: dict[str, date] = {}
        reviews: dict[str, date] = {}
        skipped: list[str] = []
        dropped: set[str] = set()
        completed: set[date] = set()
        last: date | None = None
        for task_id, kind, day in rows:
            last = max(last, day) if last else day
            if kind == "done":
                done[task_id] = day
                completed.add(day)
            elif kind == "session":
                completed.add(day)
            elif kind == "review":
                reviews[task_id] = day
                completed.add(day)
            elif kind == "skip":
                skipped.append(task_id)
            elif kind == "drop":
                dropped.add(task_id)
        postponed = tuple(t for t in dict.fromkeys(skipped) if t not in done and t not in dropped)
        return LearnerState(
            track=learner.track or next(iter(self.curriculum.tracks)),
            active_days=days_from_mask(learner.active_days),
            daily_minutes=learner.daily_minutes,
            done=done,
            dropped=frozenset(dropped),
            postponed=postponed,
            current_task=learner.current_task,
            sessions_done=learner.sessions_done,
            reviews_done=reviews,
            last_active=last,
            completed_on=frozenset(completed),
        )

    async def plan(self, s: AsyncSession, learner: Learner) -> tuple[LearnerState, DayPlan]:
        state = await self.state(s, learner)
        return state, plan_day(self.curriculum, state, self.today(learner))

    # -- progress events ---------------------------------------------------------------
    async def record(
        self,
        s: AsyncSession,
        learner: Learner,
        task_id: str,
        kind: str,
        note: str | None = None,
        group_id: int | None = None,
    ) -> date:
        now = self.clock.now()
        day = local_now(learner.tz, now).date()
        s.add(
            TaskEvent(
                learner_id=learner.id,
                task_id=task_id,
                kind=kind,
                at=now,
                local_date=day,
                note=note,
                group_id=group_id,
            )
        )
        if kind in ("done", "session", "review", "group"):
            self._bump_streak(learner, day)
        await s.flush()
        return day

    async def add_note(self, s: AsyncSession, learner: Learner, note: str) -> bool:
        """A note sent after today's study was marked done joins that day's record (a second
        "/done read chapter 2" must not be lost); False when there is none today."""
        today = self.today(learner)
        event = (
            await s.execute(
                select(TaskEvent)
                .where(
                    TaskEvent.learner_id == learner.id,
                    TaskEvent.local_date == today,
                    TaskEvent.kind.in_(("done", "session")),
                )
                .order_by(TaskEvent.at.desc(), TaskEvent.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if event is None:
            return False
        event.note = f"{event.note}\n{note}" if event.note else note
        await s.flush()
        return True

    def _bump_streak(self, learner: Learner, day: date) -> None:
        last = learner.streak_last
        if last == day:
            return
        active = days_from_mask(learner.active_days) or frozenset(range(7))
        prev = day - timedelta(days=1)
        while prev.weekday() not in active and (day - prev).days < 8:
            prev -= timedelta(days=1)
        learner.streak_current = learner.streak_current + 1 if last == prev else 1
        learner.streak_best = max(learner.streak_best, learner.streak_current)
        learner.streak_last = day

    def streak_now(self, learner: Learner) -> int:
        """The streak as of today: broken if the last study day is before the previous active day."""
        if learner.streak_last is None:
            return 0
        today = self.today(learner)
        if learner.streak_last == today:
            return learner.streak_current
        active = days_from_mask(learner.active_days) or frozenset(range(7))
        prev = today - timedelta(days=1)
        while prev.weekday() not in active and (today - prev).days < 8:
            prev -= timedelta(days=1)
        return learner.streak_current if learner.streak_last >= prev else 0

    # -- linking -----------------------------------------------------------------------
    async def new_link_code(self, s: AsyncSession, learner: Learner) -> tuple[str, datetime]:
        now = self.clock.now()
        await s.execute(delete(LinkCode).where(LinkCode.learner_id == learner.id))
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        expires = now + timedelta(minutes=LINK_CODE_MINUTES)
        s.add(LinkCode(code=code, learner_id=learner.id, expires_at=expires))
        await s.flush()
        return code, expires

    async def redeem_link_code(
        self, s: AsyncSession, code: str, who: Who
    ) -> tuple[str, Learner | None]:
        """('ok'|'unknown'|'expired'|'same', merged learner)."""
        row = await s.get(LinkCode, code.strip().upper())
        if row is None:
            return "unknown", None
        if aware(row.expires_at) < self.clock.now():
            await s.delete(row)
            return "expired", None
        target = await s.get(Learner, row.learner_id)
        mine = await self.find_learner(s, who)
        if target is None:
            return "unknown", None
        if mine is not None and mine.id == target.id:
            return "same", target
        await s.delete(row)
        if mine is None:
            now = self.clock.now()
            s.add(
                Identity(
                    learner_id=target.id,
                    platform=who.platform,
                    platform_user_id=who.user_id,
                    display_name=who.name,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        else:
            await self._merge(s, source=mine, into=target)
        await s.flush()
        return "ok", target

    async def _merge(self, s: AsyncSession, source: Learner, into: Learner) -> None:
        """Move everything of `source` to `into`; both histories are kept."""
        await s.execute(
            update(Identity).where(Identity.learner_id == source.id).values(learner_id=into.id)
        )
        await s.execute(
            update(TaskEvent).where(TaskEvent.learner_id == source.id).values(learner_id=into.id)
        )
        taken = select(NudgeSent.local_date).where(NudgeSent.learner_id == into.id)
        await s.execute(
            update(NudgeSent)
            .where(NudgeSent.learner_id == source.id, NudgeSent.local_date.not_in(taken))
            .values(learner_id=into.id)
        )
        my_groups = select(GroupMember.group_id).where(GroupMember.learner_id == into.id)
        await s.execute(
            update(GroupMember)
            .where(GroupMember.learner_id == source.id, GroupMember.group_id.not_in(my_groups))
            .values(learner_id=into.id)
        )
        into.streak_best = max(into.streak_best, source.streak_best)
        if (source.streak_last or date.min) > (into.streak_last or date.min):
            into.streak_current, into.streak_last = source.streak_current, source.streak_last
        if into.track is None and source.track is not None:
            into.track, into.enrolled_on = source.track, source.enrolled_on
        await s.flush()
        await s.delete(source)

    # -- export and deletion -----------------------------------------------------------
    async def export(self, s: AsyncSession, who: Who) -> bytes | None:
        """Everything stored about the person behind this account and every account they
        linked, as JSON; None when nothing is stored."""
        learner = await self.find_learner(s, who)
        accounts = await privacy.accounts_of(s, learner, (who.platform, who.user_id))
        tables = await privacy.collect(s, learner, accounts)
        if not tables:
            return None
        learners = tables.pop(Learner.__tablename__, [])
        data = {
            "exported_at": self.clock.now().isoformat(),
            "learner": learners[0] if learners else None,
            **tables,
        }
        return json.dumps(data, indent=2, ensure_ascii=False).encode()

    async def forget(self, s: AsyncSession, who: Who, learner: Learner | None) -> int:
        """Delete everything about the person behind `who` (their learner record, if any, as
        the caller found it) on every linked account; the caller commits."""
        accounts = await privacy.accounts_of(s, learner, (who.platform, who.user_id))
        return await privacy.erase(s, learner, accounts)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
