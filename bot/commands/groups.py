"""/group (setup, status, leaderboard, pause, resume, leave) and its /leaderboard short form:
parse, run the group use case in a unit of work, reply."""

from __future__ import annotations

from bot.core.messages import Reply, Request
from bot.core.registry import CommandRegistry, Param, Sub
from bot.learning.groups import GroupService
from bot.learning.service import Who
from bot.replies import groups as say


def register_group_commands(reg: CommandRegistry, groups: GroupService) -> None:
    sessions = groups.svc.db.sessions

    setup = (
        Param("track", "the group's plan", required=True, choices=lambda: tuple(groups.cur.tracks)),
        Param("timezone", "e.g. Europe/Berlin", required=True, complete="zones"),
        Param("time", "daily post, HH:MM", required=True),
    )
    subs = (
        Sub("setup", "Bind this channel to a plan (needs Manage Channels)", setup, True),
        Sub("status", "This channel's plan"),
        Sub("leaderboard", "Who has done the most tasks"),
        Sub("pause", "Pause the daily post (needs Manage Channels)", chat_admin=True),
        Sub("resume", "Resume the daily post (needs Manage Channels)", chat_admin=True),
        Sub("leave", "Leave this channel's plan"),
    )

    @reg.command(
        "group",
        "study group: setup, status, leaderboard, pause, resume, leave",
        usage="[setup TRACK ZONE HH:MM | status | leaderboard | pause | resume | leave]",
        subs=subs,
    )
    async def group(req: Request, args: str) -> Reply:
        if req.where != "group" or not req.channel_id:
            return Reply.text(
                "Group commands work in a group chat or server channel, not here.", kind="error"
            )
        sub, _, rest = args.strip().partition(" ")
        sub = sub.lower() or "status"
        if any(s.chat_admin and s.name == sub for s in subs) and not req.chat_admin:
            return Reply.text(
                "Only the chat's admins (people who can manage this channel) can "
                f"use /group {sub}. Ask one of them!",
                kind="error",
            )
        who = Who(req.platform, req.user_id, req.user_name)
        where = (req.platform, req.channel_id)
        async with sessions() as uow:
            if sub == "setup":
                if len(rest.split()) < 3:
                    return say.setup_usage(groups)
                return say.set_up(groups, await groups.setup(uow, who, where, rest.split()))
            grp = await groups.get(uow, *where)
            if grp is None:
                return Reply.text(say.NO_PLAN, kind="error")
            if sub == "status":
                return say.status(groups, await groups.status(uow, grp))
            if sub == "leaderboard":
                return say.leaderboard(await groups.leaderboard(uow, grp))
            if sub in ("pause", "resume"):
                await groups.set_paused(uow, grp, sub == "pause")
                return say.paused(sub == "pause")
            if sub == "leave":
                return say.left(await groups.leave(uow, grp, who))
        return Reply.text(
            f"I don't know /group {sub[:20]}. Try setup, status, leaderboard, pause, "
            "resume or leave.",
            kind="error",
        )

    @reg.command("leaderboard", "who in this group has done the most tasks")
    async def leaderboard(req: Request, args: str) -> Reply:
        return await group(req, "leaderboard")
