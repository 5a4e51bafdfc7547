"""Study groups: a chat (Telegram group, Discord channel) that follows one plan together.

The group has its own track, time zone, time and days. Each active day the engine posts the
group's next task; each member's Done is recorded; a leaderboard and a weekly summary (part of
Monday's post) keep the group going. Platform permission checks happen in the adapter, which
reports the result as Request.chat_admin; every decision is made here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.answers import Citation
from bot.core.messages import Bullets, Button, Paragraph, Reply, Request
from bot.core.registry import CommandRegistry
from bot.learning.curriculum import Task
from bot.learning.models import GroupDone, GroupMember, GroupPost, Learner, StudyGroup
from bot.learning.service import LearningService, Who
from bot.learning.validate import (
    InvalidSetting,
    format_days,
    format_minute,
    parse_time,
    parse_zone,
)
from bot.nudges.delivery import DeliveryQueue, SendJob, Target
from bot.nudges.due import windows, zone_buckets

DONE_BUTTON = (Button("✅ Done", "/done"),)


class GroupService:
    def __init__(self, svc: LearningService) -> None:
        self.svc = svc

    @property
    def cur(self):  # type: ignore[no-untyped-def]
        """Read live: an admin re-ingest can reload the curriculum while the bot runs."""
        return self.svc.curriculum

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

    async def join(self, s: AsyncSession, group: StudyGroup, learner: Learner) -> None:
        exists_ = await s.get(GroupMember, (group.id, learner.id))
        if exists_ is None:
            s.add(
                GroupMember(
                    group_id=group.id, learner_id=learner.id, joined_at=self.svc.clock.now()
                )
            )
            await s.flush()

    async def leaderboard(
        self, s: AsyncSession, group: StudyGroup, since: datetime | None = None, limit: int = 10
    ) -> list[tuple[str, int]]:
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

    def post_reply(
        self, group: StudyGroup, task: Task, number: int, weekly: list[tuple[str, int]] | None
    ) -> Reply:
        blocks: list = []
        if weekly is not None:
            lines = tuple(f"{name}: {n} task(s)" for name, n in weekly) or (
                "No tasks marked done last week.",
            )
            blocks += [Paragraph("📊 Last week in this group:"), Bullets(lines)]
        blocks += [
            Paragraph(f"📣 Group task {number}: {task.title}"),
            Paragraph(
                f"{task.details} About {task.minutes} min. Tap Done when you've finished it."
            ),
        ]
        cites = tuple(
            Citation(n, r.title, r.heading, r.source) for n, r in enumerate(task.sections, 1)
        )
        return Reply(tuple(blocks), citations=cites, buttons=DONE_BUTTON)

    # -- the engine's part -------------------------------------------------------------
    async def tick(self, now: datetime, queue: DeliveryQueue, grace_minutes: int) -> int:
        """Queue today's post for every group whose local time has come; returns how many."""
        queued = 0
        async with self.svc.db.sessions() as s:
            zones = list(
                (
                    await s.execute(
                        select(StudyGroup.tz).where(StudyGroup.paused.is_(False)).distinct()
                    )
                ).scalars()
            )
            due: list[tuple[int, date]] = []
            for (day, minute), bucket in zone_buckets(zones, now).items():
                for wday, lo, hi in windows(day, minute, grace_minutes):
                    posted = select(GroupPost.group_id).where(GroupPost.local_date == wday)
                    rows = await s.execute(
                        select(StudyGroup.id).where(
                            StudyGroup.tz.in_(bucket),
                            StudyGroup.paused.is_(False),
                            StudyGroup.nudge_minute.between(lo, hi),
                            StudyGroup.active_days.op("&")(1 << wday.weekday()) != 0,
                            StudyGroup.id.not_in(posted),
                        )
                    )
                    due.extend((gid, wday) for (gid,) in rows)
            for gid, wday in due:
                group = await s.get(StudyGroup, gid)
                if group is None or not queue.can_deliver(group.platform):
                    continue
                posts = await self.posted(s, group)
                task = self.next_task(group, {p.task_id for p in posts})
                if task is None:
                    continue
                row = GroupPost(
                    group_id=gid, local_date=wday, task_id=task.id, created_at=now, status="pending"
                )
                s.add(row)
                try:
                    await s.commit()  # one post per group and local date, written before sending
                except IntegrityError:
                    await s.rollback()
                    continue
                weekly = None
                if wday.weekday() == 0 and posts:
                    weekly = await self.leaderboard(s, group, since=now - timedelta(days=7))
                reply = self.post_reply(group, task, len(posts) + 1, weekly)
                await queue.put(
                    SendJob(
                        Target(group.platform, group.channel_id, "group"),
                        reply,
                        group_post_id=row.id,
                    )
                )
                queued += 1
        return queued


def register_group_commands(reg: CommandRegistry, groups: GroupService) -> None:
    svc = groups.svc

    def where_error(req: Request) -> Reply | None:
        if req.where != "group" or not req.channel_id:
            return Reply.text(
                "Group commands work in a group chat or server channel, not here.", kind="error"
            )
        return None

    @reg.command(
        "group",
        "study group: setup, status, leaderboard, pause, resume, leave",
        usage="[setup TRACK ZONE HH:MM | status | leaderboard | pause | resume | leave]",
    )
    async def group(req: Request, args: str) -> Reply:
        if (err := where_error(req)) is not None:
            return err
        sub, _, rest = args.strip().partition(" ")
        sub = sub.lower() or "status"
        who = Who(req.platform, req.user_id, req.user_name)
        async with svc.db.sessions() as s:
            grp = await groups.get(s, req.platform, req.channel_id or "")
            if sub in ("setup", "pause", "resume") and not req.chat_admin:
                return Reply.text(
                    "Only the chat's admins (people who can manage this channel) can "
                    f"use /group {sub}. Ask one of them!",
                    kind="error",
                )
            if sub == "setup":
                parts = rest.split()
                if len(parts) < 3:
                    return Reply.text(
                        "Usage: /group setup TRACK ZONE HH:MM, for example "
                        "/group setup part-time Europe/Berlin 19:00. Tracks: "
                        + ", ".join(groups.cur.tracks)
                        + ".",
                        kind="error",
                    )
                track = parts[0].lower()
                if track not in groups.cur.tracks:
                    return Reply.text(
                        f"I don't have a plan called \u201c{parts[0][:30]}\u201d. Choose one of: "
                        + ", ".join(groups.cur.tracks)
                        + ".",
                        kind="error",
                    )
                try:
                    zone, minute = parse_zone(parts[1]), parse_time(" ".join(parts[2:]))
                except InvalidSetting as exc:
                    return Reply.text(f"{exc} Nothing was changed.", kind="error")
                admin, _ = await svc.get_or_create(s, who)
                if grp is None:
                    grp = StudyGroup(
                        platform=req.platform,
                        channel_id=req.channel_id,
                        track=track,
                        tz=zone,
                        nudge_minute=minute,
                        active_days=0b1111111,
                        paused=False,
                        created_at=svc.clock.now(),
                        created_by=admin.id,
                    )
                    s.add(grp)
                    await s.flush()
                else:
                    grp.track, grp.tz, grp.nudge_minute, grp.paused = track, zone, minute, False
                await groups.join(s, grp, admin)
                await s.commit()
                return Reply.text(
                    f"📚 This chat now follows {groups.cur.tracks[track].name}. I'll post the "
                    f"group's task at {format_minute(minute)} ({zone}), "
                    f"{format_days(grp.active_days)}. Everyone taps Done when finished; "
                    "/group leaderboard shows who's keeping up."
                )
            if grp is None:
                return Reply.text(
                    "This chat has no study plan yet. An admin can start one with "
                    "/group setup TRACK ZONE HH:MM.",
                    kind="error",
                )
            if sub == "status":
                posts = await groups.posted(s, grp)
                members = (
                    await s.execute(select(func.count()).where(GroupMember.group_id == grp.id))
                ).scalar_one()
                state = "paused" if grp.paused else "on"
                return Reply.text(
                    f"This group follows {groups.cur.tracks[grp.track].name}: {len(posts)} task(s) posted, "
                    f"{members} member(s), daily post at {format_minute(grp.nudge_minute)} "
                    f"({grp.tz}), {format_days(grp.active_days)} ({state})."
                )
            if sub == "leaderboard":
                board = await groups.leaderboard(s, grp)
                if not board:
                    return Reply.text("No one has marked a group task done yet. Be the first!")
                medals = ["🥇", "🥈", "🥉"]
                lines = tuple(
                    f"{medals[i] if i < 3 else f'{i + 1}.'} {name}: {n}"
                    for i, (name, n) in enumerate(board)
                )
                return Reply((Paragraph("🏆 Group tasks done:"), Bullets(lines)))
            if sub in ("pause", "resume"):
                grp.paused = sub == "pause"
                await s.commit()
                return Reply.text(
                    "⏸ Daily group posts paused. /group resume to restart them."
                    if grp.paused
                    else "▶️ Daily group posts are back on."
                )
            if sub == "leave":
                learner = await svc.find_learner(s, who)
                member = await s.get(GroupMember, (grp.id, learner.id)) if learner else None
                if member is None:
                    return Reply.text("You're not a member of this group's plan.")
                await s.delete(member)
                await s.commit()
                return Reply.text("You've left this group's plan. Your own progress is untouched.")
            return Reply.text(
                f"I don't know /group {sub[:20]}. Try setup, status, leaderboard, pause, "
                "resume or leave.",
                kind="error",
            )


def register_group_aliases(reg: CommandRegistry) -> None:
    """Short forms platforms expect, routed to the same /group logic."""
    group = reg.get("group")
    assert group is not None

    @reg.command("leaderboard", "who in this group has done the most tasks")
    async def leaderboard(req: Request, args: str) -> Reply:
        return await group.handler(req, "leaderboard")


async def group_done(groups: GroupService, req: Request) -> Reply:
    """A member's Done on the group's latest task (used by /done in a group chat)."""
    svc = groups.svc
    async with svc.db.sessions() as s:
        grp = await groups.get(s, req.platform, req.channel_id or "")
        if grp is None:
            return Reply.text(
                "This chat has no study plan yet. An admin can start one with "
                "/group setup TRACK ZONE HH:MM.",
                kind="error",
            )
        posts = await groups.posted(s, grp)
        if not posts:
            return Reply.text(
                "The group's first task hasn't been posted yet; it comes at "
                f"{format_minute(grp.nudge_minute)} ({grp.tz}).",
                kind="error",
            )
        task_id = posts[-1].task_id
        learner, _ = await svc.get_or_create(s, Who(req.platform, req.user_id, req.user_name))
        await groups.join(s, grp, learner)
        if await s.get(GroupDone, (grp.id, learner.id, task_id)) is not None:
            return Reply.text(
                f"You've already marked \u201c{cur_title(groups, task_id)}\u201d done. 👍"
            )
        s.add(
            GroupDone(group_id=grp.id, learner_id=learner.id, task_id=task_id, at=svc.clock.now())
        )
        await svc.record(s, learner, task_id, "group", group_id=grp.id)
        await s.commit()
        count = (
            await s.execute(
                select(func.count()).where(
                    GroupDone.group_id == grp.id, GroupDone.task_id == task_id
                )
            )
        ).scalar_one()
        name = req.user_name or "You"
        return Reply.text(
            f"✅ {name} finished \u201c{cur_title(groups, task_id)}\u201d. "
            f"{count} member(s) done so far today."
        )


def cur_title(groups: GroupService, task_id: str) -> str:
    task = groups.cur.tasks.get(task_id)
    return task.title if task else task_id
