"""Learning commands in the core registry: /start, /today, /done, /skip, /snooze, /plan,
/progress, /streak, /settings, /link, /export, /forget. Each handler parses its arguments,
runs one use case in a unit of work, and turns the result into a reply."""

from __future__ import annotations

from bot.core.messages import Reply, Request
from bot.core.registry import CommandRegistry, Param
from bot.learning import usecases as uc
from bot.learning.groups import GroupService
from bot.learning.service import MAX_NOTE_CHARS, LearningService, Who
from bot.replies import learning as say
from bot.replies.groups import group_done_reply


def who_of(req: Request) -> Who:
    return Who(req.platform, req.user_id, req.user_name)


class LearningCommands:
    """One method per command; `groups` answers /done in a group chat."""

    def __init__(self, svc: LearningService, groups: GroupService) -> None:
        self.svc = svc
        self.groups = groups
        self.sessions = svc.db.sessions

    async def start(self, req: Request, args: str) -> Reply:
        track, zone, at = (args.split(maxsplit=2) + ["", "", ""])[:3]
        async with self.sessions() as uow:
            result = await uc.enrol(self.svc, uow, who_of(req), track, zone, at)
        return say.enrolment(self.svc, result)

    async def today(self, req: Request, args: str) -> Reply:
        async with self.sessions() as uow:
            result = await uc.today(self.svc, uow, who_of(req))
        return say.today(self.svc, result) if result else say.not_enrolled()

    async def pace(self, req: Request, args: str) -> Reply:
        choice = args.strip().lower()
        async with self.sessions() as uow:
            result = await uc.repace(self.svc, uow, who_of(req), choice)
        return say.repaced(result) if result else say.not_enrolled()

    async def done(self, req: Request, args: str) -> Reply:
        if req.where == "group":
            async with self.sessions() as uow:
                where = (req.platform, req.channel_id or "")
                marked = await self.groups.done(uow, who_of(req), *where)
            return group_done_reply(marked, req.user_name)
        note = args.strip() or None
        if note and len(note) > MAX_NOTE_CHARS:
            return Reply.text(
                f"That note is {len(note):,} characters; notes can be up to {MAX_NOTE_CHARS}. "
                "Nothing was saved: please send a shorter note.",
                kind="error",
            )
        async with self.sessions() as uow:
            result = await uc.done(self.svc, uow, who_of(req), note)
        return say.done(self.svc, result) if result else say.not_enrolled()

    async def skip(self, req: Request, args: str) -> Reply:
        async with self.sessions() as uow:
            result = await uc.skip(self.svc, uow, who_of(req))
        return say.skipped(result) if result else say.not_enrolled()

    async def snooze(self, req: Request, args: str) -> Reply:
        try:
            minutes = int(args.strip() or 60)
        except ValueError:
            return Reply.text("Give the snooze in minutes, like /snooze 90.", kind="error")
        low, high = uc.SNOOZE_RANGE
        if not low <= minutes <= high:
            return Reply.text(f"Snooze for {low} to {high} minutes, like /snooze 90.", kind="error")
        async with self.sessions() as uow:
            result = await uc.snooze(self.svc, uow, who_of(req), minutes)
        return say.snoozed(result) if result else say.not_enrolled()

    async def plan(self, req: Request, args: str) -> Reply:
        async with self.sessions() as uow:
            view = await uc.overview(self.svc, uow, who_of(req))
        return say.plan_overview(self.svc, view) if view else say.not_enrolled()

    async def progress(self, req: Request, args: str) -> Reply:
        async with self.sessions() as uow:
            view = await uc.overview(self.svc, uow, who_of(req))
        return say.progress(self.svc, view) if view else say.not_enrolled()

    async def streak(self, req: Request, args: str) -> Reply:
        async with self.sessions() as uow:
            learner = await self.svc.find_learner(uow, who_of(req))
        # Group study counts too, so a member with no plan of their own may have a streak;
        # with neither, it would only be "0 days, keep it going".
        if learner is None or not (learner.track or learner.streak_best):
            return say.not_enrolled()
        return say.streak(self.svc, learner)

    async def settings(self, req: Request, args: str) -> Reply:
        key, _, value = args.strip().partition(" ")
        async with self.sessions() as uow:
            who = who_of(req)
            result = await uc.change_setting(self.svc, uow, who, key.lower(), value.strip())
        return say.settings(self.svc, result)

    async def link(self, req: Request, args: str) -> Reply:
        async with self.sessions() as uow:
            result = await uc.link(self.svc, uow, who_of(req), args.strip())
        return say.linked(result)

    async def export(self, req: Request, args: str) -> Reply:
        async with self.sessions() as uow:
            data = await uc.export_data(self.svc, uow, who_of(req))
        return say.exported(data)

    async def forget(self, req: Request, args: str) -> Reply:
        confirm = args.strip().lower() == "confirm"
        async with self.sessions() as uow:
            result = await uc.forget(self.svc, uow, who_of(req), confirm)
        return say.forgotten(result)


SETTING_KEYS = ("tz", "time", "days", "pace", "digest", "pause", "resume")


def register_learning_commands(
    reg: CommandRegistry, svc: LearningService, groups: GroupService
) -> None:
    c = LearningCommands(svc, groups)
    low, high = uc.SNOOZE_RANGE
    track = Param("track", "your plan", choices=lambda: tuple(svc.curriculum.tracks))
    zone = Param("timezone", "e.g. Europe/Berlin", complete="zones")
    time = Param("time", "daily nudge, HH:MM")
    for name, summary, handler, usage, params in (
        ("start", "choose a study plan (and time zone, nudge time)", c.start,
         "[TRACK] [ZONE] [HH:MM]", (track, zone, time)),
        ("today", "today's study task", c.today, "", ()),
        ("done", "mark today's task done (optionally with a note)", c.done, "[NOTE]",
         (Param("note", f"optional note, up to {MAX_NOTE_CHARS} characters"),)),
        ("skip", "skip today's task (moved to the end of its stage; twice drops it)", c.skip, "", ()),
        ("snooze", "remind me again later (default 60 minutes)", c.snooze, "[MINUTES]",
         (Param("minutes", f"{low} to {high}, default 60", "int", low=low, high=high, default=60),)),
        ("plan", "where you are on the roadmap", c.plan, "", ()),
        ("pace", "your finish date: keep it (more minutes a day) or move it", c.pace,
         "[keep | move]", (Param("choice", "keep the date or move it", choices=("keep", "move")),)),
        ("progress", "progress per stage, with a chart", c.progress, "", ()),
        ("streak", "your study streak", c.streak, "", ()),
        ("settings", "time zone, nudge time, days, pace, weekly digest, pause/resume", c.settings,
         "[tz ZONE | time HH:MM | days mon-fri | pace MINUTES | digest off|DAY | pause | resume]",
         (Param("setting", "what to change", choices=SETTING_KEYS),
          Param("value", "the new value (time zone, HH:MM, mon-fri, minutes, a day or off)",
                complete="zones", complete_when=("setting", "tz")))),
        ("link", "join your Discord and Telegram accounts into one learner", c.link, "[CODE]",
         (Param("code", "the code from /link on your other account (leave empty to get one)"),)),
        ("export", "all your data as a JSON file", c.export, "", ()),
        ("forget", "delete all your data (asks to confirm)", c.forget, "[confirm]",
         (Param("confirm", "yes, delete everything", "bool", flag="confirm"),)),
    ):  # fmt: skip
        reg.add(name, summary, handler, usage=usage, params=params)
