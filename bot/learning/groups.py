"""Study groups: a chat (Telegram group, Discord channel) that follows one plan together.

The group has its own track, time zone, time and days. Each active day the nudge engine posts
the group's next task (`due_posts` writes the post rows); each member's Done is recorded; a
leaderboard and a weekly digest (part of the week's first post: last week's leaderboard and
the members' quiz accuracy) keep the group going. Platform
permission checks happen in the adapter, which reports the result as Request.chat_admin.
Each use case takes a unit of work, commits what it changed and returns a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.learning.curriculum import Task
from bot.learning.due import due_now, week_of
from bot.learning.models import (
    GroupDone,
    GroupMember,
    GroupPost,
    Learner,
    QuizAnswer,
    StudyGroup,
)
from bot.learning.review import right_and_answered
from bot.learning.service import LearningService, Who
from bot.learning.validate import InvalidSetting, parse_time, parse_zone

Board = list[tuple[str, int]]


@dataclass(frozen=True)
class SetUp:
    """/group setup: `ok`, `unknown_track` (typed shown back) or `invalid` (error)."""

    status: Literal["ok", "unknown_track", "invalid"]
    group: StudyGroup | None = None
    typed: str = ""
    error: str = ""


@dataclass(frozen=True)
class Status:
    group: StudyGroup
    posted: int
    members: int


@dataclass(frozen=True)
class Marked:
    """A member's Done: `no_group`, `not_posted`, `already` or `done` (with the count)."""

    status: Literal["no_group", "not_posted", "already", "done"]
    group: StudyGroup | None = None
    task_title: str = ""
    count: int = 0


@dataclass(frozen=True)
class GroupWeek:
    """The last seven days in a group: its leaderboard and its members' quiz answers."""

    board: Board
    right: int
    answered: int


@dataclass(frozen=True)
class DuePost:
    """A group post written (pending) and ready to send; number counts from 1."""

    group: StudyGroup
    post_id: int
    task: Task
    number: int
    weekly: GroupWeek | None  # on the week's first post


class GroupService:
    def __init__(self, svc: LearningService) -> None:
        self.svc = svc

    @property
    def cur(self):  # type: ignore[no-untyped-def]
        """Read live: an admin re-ingest can reload the curriculum while the bot runs."""
        return self.svc.curriculum

    # -- queries -----------------------------------------------------------------------
    async def get(self, s: AsyncSession, platform: str, channel_id: str) -> StudyGroup | None:
        row = await s.execute(
            select(StudyGroup).where(
                StudyGroup.platform == platform, StudyGroup.channel_id == channel_id
            )
        )
        return row.scalar_one_or_none()

    async def posted(self, s: AsyncSession, group: StudyGroup) -> list[GroupPost]:
        rows = await s.execute(
            select(GroupPost).where(GroupPost.group_id == group.id).order_by(GroupPost.local_date)
        )
        return list(rows.scalars())

    def next_task(self, group: StudyGroup, posted_ids: set[str]) -> Task | None:
        return next((t for t in self.cur.track_tasks(group.track) if t.id not in posted_ids), None)

    def task_title(self, task_id: str) -> str:
        task = self.cur.tasks.get(task_id)
        return task.title if task else task_id

    async def join(self, s: AsyncSession, group: StudyGroup, learner: Learner) -> None:
        if await s.get(GroupMember, (group.id, learner.id)) is None:
            now = self.svc.clock.now()
            s.add(GroupMember(group_id=group.id, learner_id=learner.id, joined_at=now))
            await s.flush()

    async def leaderboard(
        self, s: AsyncSession, group: StudyGroup, since: datetime | None = None, limit: int = 10
    ) -> Board:
        q = (
            select(Learner.display_name, Learner.id, func.count(GroupDone.task_id))
            .join(GroupDone, GroupDone.learner_id == Learner.id)
            .where(GroupDone.group_id == group.id)
            .group_by(Learner.id, Learner.display_name)
            .order_by(func.count(GroupDone.task_id).desc(), Learner.id)
            .limit(limit)
        )
        if since is not None:
            q = q.where(GroupDone.at >= since)
        return [(name or f"learner {lid}", n) for name, lid, n in await s.execute(q)]

    async def week(self, s: AsyncSession, group: StudyGroup, since: datetime) -> GroupWeek:
        board = await self.leaderboard(s, group, since=since)
        members = select(GroupMember.learner_id).where(GroupMember.group_id == group.id)
        right, answered = await right_and_answered(s, QuizAnswer.learner_id.in_(members), since)
        return GroupWeek(board, right, answered)

    async def status(self, s: AsyncSession, group: StudyGroup) -> Status:
        posts = await self.posted(s, group)
        count = select(func.count()).where(GroupMember.group_id == group.id)
        return Status(group, len(posts), (await s.execute(count)).scalar_one())

    # -- use cases -----------------------------------------------------------------------
    async def setup(
        self, s: AsyncSession, who: Who, where: tuple[str, str], args: list[str]
    ) -> SetUp:
        """Start (or change) the group's plan: TRACK ZONE HH:MM; the admin joins it."""
        track = args[0].lower()
        if track not in self.cur.tracks:
            return SetUp("unknown_track", typed=args[0][:30])
        try:
            zone, minute = parse_zone(args[1]), parse_time(" ".join(args[2:]))
        except InvalidSetting as exc:
            return SetUp("invalid", error=str(exc))
        admin, _ = await self.svc.get_or_create(s, who)
        group = await self.get(s, *where)
        if group is None:
            group = StudyGroup(
                platform=where[0],
                channel_id=where[1],
                track=track,
                tz=zone,
                nudge_minute=minute,
                active_days=0b1111111,
                paused=False,
                created_at=self.svc.clock.now(),
                created_by=admin.id,
            )
            s.add(group)
            await s.flush()
        else:
            group.track, group.tz, group.nudge_minute, group.paused = track, zone, minute, False
        await self.join(s, group, admin)
        await s.commit()
        return SetUp("ok", group)

    async def set_paused(self, s: AsyncSession, group: StudyGroup, paused: bool) -> None:
        group.paused = paused
        await s.commit()

    async def leave(self, s: AsyncSession, group: StudyGroup, who: Who) -> bool:
        """False when they were not a member."""
        learner = await self.svc.find_learner(s, who)
        member = await s.get(GroupMember, (group.id, learner.id)) if learner else None
        if member is None:
            return False
        await s.delete(member)
        await s.commit()
        return True

    async def done(self, s: AsyncSession, who: Who, platform: str, channel_id: str) -> Marked:
        """A member's Done on the group's latest task; it counts for their streak too."""
        group = await self.get(s, platform, channel_id)
        if group is None:
            return Marked("no_group")
        posts = await self.posted(s, group)
        if not posts:
            return Marked("not_posted", group)
        task_id = posts[-1].task_id
        learner, _ = await self.svc.get_or_create(s, who)
        await self.join(s, group, learner)
        title = self.task_title(task_id)
        if await s.get(GroupDone, (group.id, learner.id, task_id)) is not None:
            return Marked("already", group, title)  # nothing changes
        now = self.svc.clock.now()
        s.add(GroupDone(group_id=group.id, learner_id=learner.id, task_id=task_id, at=now))
        await self.svc.record(s, learner, task_id, "group", group_id=group.id)
        await s.commit()
        count = select(func.count()).where(
            GroupDone.group_id == group.id, GroupDone.task_id == task_id
        )
        return Marked("done", group, title, (await s.execute(count)).scalar_one())

    # -- the nudge engine's part -----------------------------------------------------------
    async def due_posts(
        self, now: datetime, grace_minutes: int, can_deliver: Callable[[str], bool]
    ) -> list[DuePost]:
        """Write today's post row for every group whose local time has come (one per group
        and local date, committed before anything is sent) and return what to send."""
        out: list[DuePost] = []
        async with self.svc.db.sessions() as s:
            for gid, wday in await self._due_groups(s, now, grace_minutes):
                group = await s.get(StudyGroup, gid)
                if group is not None and can_deliver(group.platform):
                    post = await self._write_post(s, group, wday, now)
                    if post is not None:
                        out.append(post)
        return out

    async def _due_groups(
        self, s: AsyncSession, now: datetime, grace_minutes: int
    ) -> list[tuple[int, date]]:
        def on_day(wday: date):  # type: ignore[no-untyped-def]
            posted = select(GroupPost.group_id).where(GroupPost.local_date == wday)
            return and_(
                StudyGroup.active_days.op("&")(1 << wday.weekday()) != 0,
                StudyGroup.id.not_in(posted),
            )

        rows = await due_now(
            s,
            now,
            grace_minutes,
            key=StudyGroup.id,
            tz=StudyGroup.tz,
            minute=StudyGroup.nudge_minute,
            active=StudyGroup.paused.is_(False),
            on_day=on_day,
        )
        return [(gid, day) for gid, day, _ in rows]

    async def _write_post(
        self, s: AsyncSession, group: StudyGroup, wday: date, now: datetime
    ) -> DuePost | None:
        posts = await self.posted(s, group)
        task = self.next_task(group, {p.task_id for p in posts})
        if task is None:
            return None
        row = GroupPost(
            group_id=group.id, local_date=wday, task_id=task.id, created_at=now, status="pending"
        )
        s.add(row)
        try:
            await s.commit()  # one post per group and local date, written before sending
        except IntegrityError:
            await s.rollback()
            return None
        weekly = None
        if posts and week_of(posts[-1].local_date) < week_of(wday):
            weekly = await self.week(s, group, since=now - timedelta(days=7))
        return DuePost(group, row.id, task, len(posts) + 1, weekly)
