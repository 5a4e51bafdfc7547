"""Learning commands in the core registry: /start, /today, /done, /skip, /snooze, /plan,
/progress, /streak, /settings, /link, /export, /forget. Written once; every adapter gets them.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.answers import Citation
from bot.core.messages import Attachment, Bullets, Button, Paragraph, Reply, Request
from bot.core.registry import CommandRegistry
from bot.learning.curriculum import Task
from bot.learning.groups import GroupService, group_done
from bot.learning.models import Learner
from bot.learning.planner import (
    DayPlan,
    LearnerState,
    estimate_finish,
    stage_finished_on,
)
from bot.learning.progress_chart import progress_png
from bot.learning.service import (
    FORGET_CONFIRM_MINUTES,
    LINK_CODE_MINUTES,
    MAX_NOTE_CHARS,
    LearningService,
    Who,
    _aware,
    local_now,
)
from bot.learning.validate import (
    InvalidSetting,
    format_days,
    format_minute,
    parse_day_mask,
    parse_pace,
    parse_time,
    parse_zone,
)

TASK_BUTTONS = (
    Button("✅ Done", "/done"),
    Button("⏭ Skip", "/skip"),
    Button("⏰ Snooze 1h", "/snooze"),
)
NEXT_STEPS = (
    "Polish two or three portfolio projects and write a short README for each.",
    "Enter a Kaggle competition and compare your score with the public notebooks.",
    "Contribute a fix or example to an open-source ML library.",
    "Practise interviews: explain your projects out loud, and review data structures and algorithms.",
    "Apply for internships and junior roles; ask the study group to review your CV.",
)
TRACK_ALIASES = {
    "full": "full-time",
    "fulltime": "full-time",
    "fast": "fast-track",
    "fasttrack": "fast-track",
    "junior": "fast-track",
    "part": "part-time",
    "parttime": "part-time",
}


def who_of(req: Request) -> Who:
    return Who(req.platform, req.user_id, req.user_name)


def task_citations(task: Task) -> tuple[Citation, ...]:
    return tuple(Citation(n, r.title, r.heading, r.source) for n, r in enumerate(task.sections, 1))


def not_enrolled() -> Reply:
    return Reply.text(
        "You haven't picked a study plan yet. Send /start to choose one; it takes a minute.",
        kind="error",
    )


def describe_plan(
    svc: LearningService, plan: DayPlan, learner: Learner, excerpt: bool = True
) -> Reply:
    """The day's item as a reply: used by /today and by the daily nudge."""
    cur = svc.curriculum
    if plan.kind == "finished":
        return Reply(
            (
                Paragraph(
                    f"🎓 You've finished the {cur.tracks[learner.track].name} track. "
                    "Congratulations, that is a real achievement!"
                ),
                Paragraph("Next steps:"),
                Bullets(NEXT_STEPS),
            ),
        )
    if plan.kind in ("rest", "complete"):
        head = (
            "Today is a rest day in your plan. Enjoy it!"
            if plan.kind == "rest"
            else "✅ You've finished today's study. Great work!"
        )
        nxt = plan.next_task
        blocks = [Paragraph(head)]
        if nxt is not None and nxt.id == learner.current_task:
            blocks.append(Paragraph(f"Next time: you continue \u201c{nxt.title}\u201d."))
        elif nxt is not None:
            blocks.append(Paragraph(f"Next up: {nxt.title} (about {nxt.minutes} min)."))
        return Reply(tuple(blocks))
    blocks: list = []
    if plan.welcome_back:
        blocks.append(Paragraph("👋 Welcome back! Let's ease in and pick up where you left off."))
    if plan.kind == "review" and plan.review:
        stage = plan.review.stage
        done = [t.title for t in cur.stage_tasks(learner.track, stage.id)][:4]
        blocks += [
            Paragraph(
                f"🔁 Review day: {stage.title}. Spend 30-45 minutes recalling it from memory, "
                "then check your notes:"
            ),
            Bullets(tuple(done)),
            Paragraph("Redo the exercise you found hardest. Tap Done when you've reviewed."),
        ]
        return Reply(tuple(blocks), buttons=TASK_BUTTONS)
    task = plan.task
    assert task is not None
    stage = cur.stages[task.stage]
    session = f" (day {plan.session} of {plan.sessions})" if plan.sessions > 1 else ""
    if plan.warmup is not None:
        blocks.append(
            Paragraph(
                f"🔁 Warm-up (about 30 min): review {plan.warmup.stage.title} from "
                "memory, then redo the exercise you found hardest."
            )
        )
    blocks.append(Paragraph(f"📘 Today's task{session}: {task.title}"))
    blocks.append(
        Paragraph(
            f"{task.details} About {task.minutes} min in all · {task.kind} · "
            f"stage: {stage.title} · task {plan.done_count + 1} of {plan.total_count}."
        )
    )
    cites = task_citations(task)
    if excerpt and task.sections:
        text = svc.excerpt(task.sections[0])
        if text:
            blocks.append(Bullets((text,), (1,)))
    return Reply(tuple(blocks), citations=cites, buttons=TASK_BUTTONS)


def register_learning_commands(
    reg: CommandRegistry, svc: LearningService, groups: GroupService | None = None
) -> None:  # noqa: C901

    def track_buttons() -> tuple[Button, ...]:
        return tuple(Button(t.name, f"/start {t.id}") for t in svc.curriculum.tracks.values())

    async def enrolled(s, req: Request) -> Learner | None:  # type: ignore[no-untyped-def]
        learner = await svc.find_learner(s, who_of(req))
        return learner if learner is not None and learner.track else None

    # -- /start ------------------------------------------------------------------------
    @reg.command(
        "start", "choose a study plan (and time zone, nudge time)", usage="[TRACK] [ZONE] [HH:MM]"
    )
    async def start(req: Request, args: str) -> Reply:
        parts = args.split()
        async with svc.db.sessions() as s:
            learner, created = await svc.get_or_create(s, who_of(req))
            if not parts:
                await s.commit()
                if learner.track:
                    return Reply(
                        (
                            Paragraph(
                                f"You're on the {svc.curriculum.tracks[learner.track].name} track and your "
                                "progress is safe. Send /today for today's task, /plan for the big "
                                "picture, or pick another track below (your progress comes with you)."
                            ),
                        ),
                        buttons=track_buttons(),
                    )
                lines = tuple(f"{t.name}: {t.description}" for t in svc.curriculum.tracks.values())
                return Reply(
                    (
                        Paragraph(
                            "👋 Welcome! I'll help you become a machine-learning engineer with a "
                            "daily study task, a reminder at your time, and answers to your "
                            "questions. First, pick a plan:"
                        ),
                        Bullets(lines),
                        Paragraph("Tap one below or type, for example, /start part-time."),
                    ),
                    buttons=track_buttons(),
                )
            track_id = TRACK_ALIASES.get(parts[0].lower().replace("_", "-"), parts[0].lower())
            if track_id not in svc.curriculum.tracks:
                await s.rollback()
                return Reply(
                    (
                        Paragraph(
                            f"I don't have a plan called \u201c{parts[0][:30]}\u201d. Choose one of: "
                            + ", ".join(svc.curriculum.tracks)
                            + "."
                        ),
                    ),
                    buttons=track_buttons(),
                    kind="error",
                )
            try:
                zone = parse_zone(parts[1]) if len(parts) > 1 else None
                minute = parse_time(" ".join(parts[2:])) if len(parts) > 2 else None
            except InvalidSetting as exc:
                await s.rollback()
                return Reply.text(str(exc), kind="error")
            switched = learner.track not in (None, track_id)
            learner.track = track_id
            learner.enrolled_on = learner.enrolled_on or svc.today(learner)
            if zone:
                learner.tz = zone
            if minute is not None:
                learner.nudge_minute = minute
            await s.commit()
            track = svc.curriculum.tracks[track_id]
            msg = (
                f"Switched to {track.name}; everything you've done still counts."
                if switched
                else f"🎉 You're enrolled in {track.name}."
            )
            if zone is None and learner.tz == "UTC":
                return Reply(
                    (
                        Paragraph(msg),
                        Paragraph(
                            f"I'll send your daily task at {format_minute(learner.nudge_minute)} "
                            "your time. Which time zone are you in? Reply with, for example, "
                            "/settings tz Europe/Berlin (or America/New_York, Asia/Kolkata...)."
                        ),
                        Paragraph(
                            "You can change the time with /settings time 07:30. "
                            "Send /today to see your first task now."
                        ),
                    ),
                    buttons=(Button("📘 Today's task", "/today"),),
                )
            return Reply(
                (
                    Paragraph(msg),
                    Paragraph(
                        f"Daily nudge at {format_minute(learner.nudge_minute)} ({learner.tz}), "
                        f"{format_days(learner.active_days)}. Send /today for your task."
                    ),
                ),
                buttons=(Button("📘 Today's task", "/today"),),
            )

    # -- /today ------------------------------------------------------------------------
    @reg.command("today", "today's study task")
    async def today(req: Request, args: str) -> Reply:
        async with svc.db.sessions() as s:
            learner = await enrolled(s, req)
            if learner is None:
                return not_enrolled()
            _, plan = await svc.plan(s, learner)
            if plan.kind == "task" and plan.task and learner.current_task != plan.task.id:
                learner.current_task, learner.sessions_done = plan.task.id, 0
            await s.commit()
            return describe_plan(svc, plan, learner)

    # -- /done -------------------------------------------------------------------------
    @reg.command("done", "mark today's task done (optionally with a note)", usage="[NOTE]")
    async def done(req: Request, args: str) -> Reply:
        if req.where == "group" and groups is not None:
            return await group_done(groups, req)
        note = args.strip() or None
        if note and len(note) > MAX_NOTE_CHARS:
            return Reply.text(
                f"That note is {len(note):,} characters; notes can be up to {MAX_NOTE_CHARS}. "
                "Nothing was saved: please send a shorter note.",
                kind="error",
            )
        async with svc.db.sessions() as s:
            learner = await enrolled(s, req)
            if learner is None:
                return not_enrolled()
            _, plan = await svc.plan(s, learner)
            if plan.kind == "review" and plan.review:
                await svc.record(s, learner, plan.review.id, "review", note)
                await s.commit()
                return Reply.text(
                    f"🔁 Review of {plan.review.stage.title} done. "
                    f"Streak: {learner.streak_current} day(s). See you tomorrow!"
                )
            if plan.kind != "task" or plan.task is None:
                reason = {
                    "complete": "You've already finished today's study. 🎉 Tomorrow brings the next task.",
                    "rest": "Today is a rest day, so there's no task to mark done.",
                    "finished": "You've finished your whole track. There's nothing left to mark done!",
                }
                return Reply.text(
                    reason.get(plan.kind, "There's no task to mark done right now."), kind="error"
                )
            task = plan.task
            if learner.current_task != task.id:
                learner.current_task, learner.sessions_done = task.id, 0
            if plan.warmup is not None:
                await svc.record(s, learner, plan.warmup.id, "review")
            if plan.session < plan.sessions:
                await svc.record(s, learner, task.id, "session", note)
                learner.sessions_done += 1
                await s.commit()
                return Reply.text(
                    f"✅ Day {plan.session} of {plan.sessions} on \u201c{task.title}\u201d done. "
                    f"Streak: {learner.streak_current} day(s). Same task continues tomorrow."
                )
            await svc.record(s, learner, task.id, "done", note)
            learner.current_task, learner.sessions_done = None, 0
            await s.commit()
            state, after = await svc.plan(s, learner)
            finished = after.kind == "finished"
            text = (
                f"✅ Done: {task.title}. That's {plan.done_count + 1} of {plan.total_count}. "
                f"Streak: {learner.streak_current} day(s)."
            )
            if finished:
                return Reply((Paragraph(text), *describe_plan(svc, after, learner).blocks))
            nxt = after.next_task
            return Reply.text(text + (f" Next up: {nxt.title}." if nxt else ""))

    # -- /skip -------------------------------------------------------------------------
    @reg.command("skip", "skip today's task (moved to the end of its stage; twice drops it)")
    async def skip(req: Request, args: str) -> Reply:
        async with svc.db.sessions() as s:
            learner = await enrolled(s, req)
            if learner is None:
                return not_enrolled()
            state, plan = await svc.plan(s, learner)
            if plan.kind == "review" and plan.review:
                await svc.record(s, learner, plan.review.id, "review", "skipped")
                await s.commit()
                return Reply.text("Review skipped. Send /today for your next task.")
            if plan.kind != "task" or plan.task is None:
                return Reply.text("There's no task to skip right now.", kind="error")
            task = plan.task
            dropping = task.id in state.postponed
            await svc.record(s, learner, task.id, "drop" if dropping else "skip")
            learner.current_task, learner.sessions_done = None, 0
            await s.commit()
            if dropping:
                return Reply.text(
                    f"Skipped \u201c{task.title}\u201d a second time, so I've dropped it "
                    "from your plan. Send /today for the next task."
                )
            return Reply.text(
                f"Okay, \u201c{task.title}\u201d moves to the end of this stage. "
                "Send /today for the next task."
            )

    # -- /snooze -----------------------------------------------------------------------
    @reg.command("snooze", "remind me again later (default 60 minutes)", usage="[MINUTES]")
    async def snooze(req: Request, args: str) -> Reply:
        try:
            minutes = int(args.strip() or 60)
        except ValueError:
            return Reply.text("Give the snooze in minutes, like /snooze 90.", kind="error")
        if not 5 <= minutes <= 720:
            return Reply.text("Snooze for 5 to 720 minutes, like /snooze 90.", kind="error")
        async with svc.db.sessions() as s:
            learner = await enrolled(s, req)
            if learner is None:
                return not_enrolled()
            learner.snoozed_until = svc.clock.now() + timedelta(minutes=minutes)
            await s.commit()
            at = local_now(learner.tz, learner.snoozed_until).strftime("%H:%M")
            return Reply.text(f"⏰ Okay, I'll remind you at {at} ({learner.tz}).")

    # -- /plan -------------------------------------------------------------------------
    @reg.command("plan", "where you are on the roadmap")
    async def plan_cmd(req: Request, args: str) -> Reply:
        async with svc.db.sessions() as s:
            learner = await enrolled(s, req)
            if learner is None:
                return not_enrolled()
            state, plan = await svc.plan(s, learner)
            track = svc.curriculum.tracks[learner.track]
            lines = []
            current_stage = (
                plan.task.stage if plan.task else (plan.next_task.stage if plan.next_task else None)
            )
            for sid in track.stages:
                tasks = svc.curriculum.stage_tasks(track.id, sid)
                n_done = sum(1 for t in tasks if t.id in state.done or t.id in state.dropped)
                mark = (
                    "✅"
                    if stage_finished_on(svc.curriculum, state, sid)
                    else "▶️"
                    if sid == current_stage
                    else "·"
                )
                lines.append(f"{mark} {svc.curriculum.stages[sid].title}: {n_done}/{len(tasks)}")
            eta = estimate_finish(svc.curriculum, state, svc.today(learner))
            summary = f"{track.name}: {plan.done_count} of {plan.total_count} tasks done." + (
                f" At this pace you'll finish around {eta:%d %b %Y}." if eta else ""
            )
            if state.postponed:
                summary += f" Postponed: {len(state.postponed)}."
            return Reply((Paragraph(summary), Bullets(tuple(lines))))

    # -- /progress ---------------------------------------------------------------------
    @reg.command("progress", "progress per stage, with a chart")
    async def progress(req: Request, args: str) -> Reply:
        async with svc.db.sessions() as s:
            learner = await enrolled(s, req)
            if learner is None:
                return not_enrolled()
            state, plan = await svc.plan(s, learner)
            rows = stage_rows(state, learner.track)
            png = progress_png(rows, title=svc.curriculum.tracks[learner.track].name)
            pct = 100 * plan.done_count / max(1, plan.total_count)
            text = (
                f"You've done {plan.done_count} of {plan.total_count} tasks ({pct:.0f}%), "
                f"{len(state.reviews_done)} review(s). Streak: {svc.streak_now(learner)} day(s), "
                f"best {learner.streak_best}."
            )
            return Reply(
                (Paragraph(text), Bullets(tuple(f"{t}: {d}/{n}" for t, d, n in rows))),
                attachments=(Attachment("progress.png", png, "image/png"),),
            )

    def stage_rows(state: LearnerState, track_id: str) -> list[tuple[str, int, int]]:
        rows = []
        for sid in svc.curriculum.tracks[track_id].stages:
            tasks = svc.curriculum.stage_tasks(track_id, sid)
            rows.append(
                (
                    svc.curriculum.stages[sid].title,
                    sum(1 for t in tasks if t.id in state.done),
                    len(tasks),
                )
            )
        return rows

    # -- /streak -----------------------------------------------------------------------
    @reg.command("streak", "your study streak")
    async def streak(req: Request, args: str) -> Reply:
        async with svc.db.sessions() as s:
            learner = await svc.find_learner(s, who_of(req))
            if learner is None:
                return not_enrolled()
            now = svc.streak_now(learner)
            tip = (
                " Keep it going today!"
                if learner.streak_last != svc.today(learner)
                else " Done for today. 🔥"
            )
            return Reply.text(
                f"🔥 Streak: {now} study day(s) in a row (best: {learner.streak_best}). "
                f"Rest days in your plan don't break it.{tip}"
            )

    # -- /settings ---------------------------------------------------------------------
    @reg.command(
        "settings",
        "time zone, nudge time, days, pace, pause/resume",
        usage="[tz ZONE | time HH:MM | days mon-fri | pace MINUTES | pause | resume]",
    )
    async def settings(req: Request, args: str) -> Reply:
        key, _, value = args.strip().partition(" ")
        key, value = key.lower(), value.strip()
        async with svc.db.sessions() as s:
            learner, _ = await svc.get_or_create(s, who_of(req))
            try:
                if key in ("tz", "zone", "timezone", "time-zone"):
                    learner.tz = parse_zone(value)
                elif key in ("time", "nudge"):
                    learner.nudge_minute = parse_time(value)
                elif key == "days":
                    learner.active_days = parse_day_mask(value)
                elif key == "pace":
                    learner.daily_minutes = parse_pace(value)
                elif key == "pause":
                    learner.nudges_paused, learner.pause_reason = True, "paused by you"
                elif key == "resume":
                    learner.nudges_paused, learner.pause_reason = False, None
                elif key:
                    await s.rollback()
                    return Reply.text(
                        f"I don't have a setting called \u201c{key[:20]}\u201d. Try /settings tz "
                        "Europe/Berlin, /settings time 19:00, /settings days mon-fri, "
                        "/settings pace 60, /settings pause or /settings resume.",
                        kind="error",
                    )
            except InvalidSetting as exc:
                await s.rollback()
                return Reply.text(f"{exc} Nothing was changed.", kind="error")
            await s.commit()
            pace = learner.daily_minutes or (
                svc.curriculum.tracks[learner.track].daily_minutes if learner.track else 60
            )
            state = (
                "paused" + (f" ({learner.pause_reason})" if learner.pause_reason else "")
                if learner.nudges_paused
                else "on"
            )
            head = "Saved. " if key else ""
            lines = (
                f"Time zone: {learner.tz}",
                f"Daily nudge: {format_minute(learner.nudge_minute)} ({state})",
                f"Study days: {format_days(learner.active_days)}",
                f"Pace: {pace} minutes a day",
                "Plan: "
                + (
                    svc.curriculum.tracks[learner.track].name
                    if learner.track
                    else "not chosen yet (/start)"
                ),
            )
            extra = ()
            if key in ("tz", "zone", "timezone", "time-zone") and learner.track:
                extra = (Paragraph("Send /today to see today's task."),)
            return Reply((Paragraph(head + "Your settings:"), Bullets(lines), *extra))

    # -- /link -------------------------------------------------------------------------
    @reg.command("link", "join your Discord and Telegram accounts into one learner", usage="[CODE]")
    async def link(req: Request, args: str) -> Reply:
        code = args.strip()
        async with svc.db.sessions() as s:
            if not code:
                learner, _ = await svc.get_or_create(s, who_of(req))
                code, _expires = await svc.new_link_code(s, learner)
                await s.commit()
                return Reply.text(
                    f"🔗 Your link code is {code}. Within {LINK_CODE_MINUTES} minutes, send "
                    f"/link {code} to me from your other account (Discord or Telegram). "
                    "Both histories will be kept."
                )
            if len(code) > 16 or not code.isalnum():
                return Reply.text(
                    "That doesn't look like a link code. Codes are 8 letters and digits.",
                    kind="error",
                )
            status, learner = await svc.redeem_link_code(s, code, who_of(req))
            if status == "ok":
                await s.commit()
                return Reply.text(
                    "🔗 Linked! Your progress, streak and settings now follow you on both accounts."
                )
            await s.commit()  # an expired code is removed
            messages = {
                "unknown": "I don't know that code. Check it, or send /link on your other account for a new one.",
                "expired": "That code has expired. Send /link on your other account for a new one.",
                "same": "That code belongs to this same account, so there is nothing to link.",
            }
            return Reply.text(messages[status], kind="error")

    # -- /export -----------------------------------------------------------------------
    @reg.command("export", "all your data as a JSON file")
    async def export(req: Request, args: str) -> Reply:
        async with svc.db.sessions() as s:
            data = await svc.export(s, who_of(req))
            await s.commit()
        if data is None:
            return Reply.text("I don't have any data about you yet.")
        return Reply(
            (Paragraph("Here is everything I store about you, on every account you linked."),),
            attachments=(Attachment("mlbot-export.json", data, "application/json"),),
        )

    # -- /forget -----------------------------------------------------------------------
    @reg.command("forget", "delete all your data (asks to confirm)", usage="[confirm]")
    async def forget(req: Request, args: str) -> Reply:
        async with svc.db.sessions() as s:
            learner = await svc.find_learner(s, who_of(req))
            if learner is None:
                # No progress or settings to lose, so no confirmation: only questions asked.
                removed = await svc.forget(s, who_of(req))
                await s.commit()
                if not removed:
                    return Reply.text(
                        "I don't have any data about you, so there's nothing to delete."
                    )
                return Reply.text(
                    "🗑 Done. I've deleted the questions you asked me and your ratings."
                )
            now = svc.clock.now()
            asked = learner.forget_requested_at
            if args.strip().lower() == "confirm":
                if asked is None or now - _aware(asked) > timedelta(minutes=FORGET_CONFIRM_MINUTES):
                    return Reply.text(
                        "Send /forget first; then confirm within "
                        f"{FORGET_CONFIRM_MINUTES} minutes.",
                        kind="error",
                    )
                await svc.forget(s, who_of(req))
                await s.commit()
                return Reply.text(
                    "🗑 Done. I've deleted all your data on every account you linked: progress, "
                    "settings, history, questions and ratings. Send /start any time to begin again."
                )
            learner.forget_requested_at = now
            await s.commit()
            return Reply(
                (
                    Paragraph(
                        "This deletes everything I store about you, on every account you linked: "
                        "progress, streaks, settings, notes, questions and ratings. It cannot be "
                        "undone. To confirm, send "
                        f"/forget confirm within {FORGET_CONFIRM_MINUTES} minutes."
                    ),
                ),
                buttons=(Button("Yes, delete everything", "/forget confirm"),),
            )
