"""What a learner is told: the day's task (for /today and the daily nudge alike), and the
reply to each learning use case's result. The one place this copy lives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.core.answers import Citation
from bot.core.messages import Attachment, Bullets, Button, Paragraph, Reply
from bot.learning import usecases as uc
from bot.learning.curriculum import DAY_FULL_NAMES, Task
from bot.learning.models import Learner
from bot.learning.planner import (
    DayPlan,
    LearnerState,
    Pace,
    estimate_finish,
    left_out,
    stage_finished_on,
    track_months,
)
from bot.learning.progress_chart import progress_png
from bot.learning.service import (
    FORGET_CONFIRM_MINUTES,
    LINK_CODE_MINUTES,
    LearningService,
    local_now,
)
from bot.learning.validate import format_days, format_minute, zone_warning
from bot.textutil import joined, plural

TASK_BUTTONS = (
    Button("✅ Done", "/done"),
    Button("⏭ Skip", "/skip"),
    Button("⏰ Snooze 1h", "/snooze"),
)
TODAY_BUTTON = (Button("📘 Today's task", "/today"),)
NEXT_STEPS = (
    "Polish two or three portfolio projects and write a short README for each.",
    "Enter a Kaggle competition and compare your score with the public notebooks.",
    "Contribute a fix or example to an open-source ML library.",
    "Practise interviews: explain your projects out loud, and review data structures and algorithms.",
    "Apply for internships and junior roles; ask the study group to review your CV.",
)


def task_citations(task: Task) -> tuple[Citation, ...]:
    return tuple(Citation(n, r.title, r.heading, r.source) for n, r in enumerate(task.sections, 1))


def not_enrolled() -> Reply:
    return Reply.text(
        "You haven't picked a study plan yet. Send /start to choose one; it takes a minute.",
        kind="error",
    )


def track_buttons(svc: LearningService) -> tuple[Button, ...]:
    return tuple(Button(t.name, f"/start {t.id}") for t in svc.curriculum.tracks.values())


# -- the day's item ------------------------------------------------------------------------
def describe_plan(
    svc: LearningService, plan: DayPlan, learner: Learner, excerpt: bool = True
) -> Reply:
    """The day's item as a reply: used by /today and by the daily nudge."""
    if plan.kind == "finished":
        name = svc.curriculum.tracks[learner.track].name
        return Reply(
            (
                Paragraph(
                    f"🎓 You've finished the {name} track. "
                    "Congratulations, that is a real achievement!"
                ),
                Paragraph("Next steps:"),
                Bullets(NEXT_STEPS),
            ),
        )
    if plan.kind in ("rest", "complete"):
        return _no_task_today(plan, learner)
    if plan.kind == "review" and plan.review:
        return _review_day(svc, plan, learner)
    return _task_day(svc, plan, excerpt)


def _no_task_today(plan: DayPlan, learner: Learner) -> Reply:
    head = (
        "Today is a rest day in your plan. Enjoy it!"
        if plan.kind == "rest"
        else "✅ You've finished today's study. Great work!"
    )
    nxt = _next_line(plan, learner)
    return Reply((Paragraph(head), *((nxt,) if nxt else ())))


def _next_line(plan: DayPlan, learner: Learner) -> Paragraph | None:
    """What comes at the next study session: the same wording for /today and /done."""
    nxt = plan.next_task
    if nxt is None:
        return None
    if nxt.id == learner.current_task:
        return Paragraph(f"Next time: you continue \u201c{nxt.title}\u201d.")
    return Paragraph(f"Next up: {nxt.title} (about {nxt.minutes} min).")


def _welcome(plan: DayPlan) -> list:
    if plan.welcome_back:
        return [Paragraph("👋 Welcome back! Let's ease in and pick up where you left off.")]
    return []


def _review_day(svc: LearningService, plan: DayPlan, learner: Learner) -> Reply:
    stage = plan.review.stage  # type: ignore[union-attr]
    done = [t.title for t in svc.curriculum.stage_tasks(learner.track, stage.id)][:4]
    blocks = [
        *_welcome(plan),
        Paragraph(
            f"🔁 Review day: {stage.title}. Spend 30-45 minutes recalling it from memory, "
            "then check your notes:"
        ),
        Bullets(tuple(done)),
        Paragraph("Redo the exercise you found hardest. Tap Done when you've reviewed."),
    ]
    return Reply(tuple(blocks), buttons=TASK_BUTTONS)


def _task_day(svc: LearningService, plan: DayPlan, excerpt: bool) -> Reply:
    task = plan.task
    assert task is not None
    stage = svc.curriculum.stages[task.stage]
    session = f" (day {plan.session} of {plan.sessions})" if plan.sessions > 1 else ""
    blocks = _welcome(plan)
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
    text = svc.excerpt(task.sections[0]) if excerpt and task.sections else None
    if cites:  # every source listed is named in the text; the excerpt only opens the first
        named = joined([f"[{c.n}]" for c in cites])
        opens = f" {'The first' if len(cites) > 1 else 'It'} begins:" if text else ""
        blocks.append(Paragraph(f"📖 Read {named} in the roadmap (listed under Sources).{opens}"))
    if text:
        blocks.append(Bullets((text,), (1,)))
    return Reply(tuple(blocks), citations=cites, buttons=TASK_BUTTONS)


# -- /start --------------------------------------------------------------------------------
def enrolment(svc: LearningService, result: uc.Enrolment) -> Reply:
    tracks = svc.curriculum.tracks
    if result.status == "unknown_track":
        return Reply(
            (
                Paragraph(
                    f"I don't have a plan called \u201c{result.typed}\u201d. Choose one of: "
                    + ", ".join(tracks)
                    + "."
                ),
            ),
            buttons=track_buttons(svc),
            kind="error",
        )
    if result.status == "invalid":
        return Reply.text(result.error, kind="error")
    learner = result.learner
    assert learner is not None
    if result.status == "menu":
        return _start_menu(svc, learner)
    name = tracks[learner.track].name
    msg = (
        f"Switched to {name}; everything you've done still counts."
        if result.status == "switched"
        else f"🎉 You're enrolled in {name}."
    )
    if not result.zone_given and learner.tz == "UTC":
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
            buttons=TODAY_BUTTON,
        )
    when = f"Daily nudge at {format_minute(learner.nudge_minute)} ({learner.tz}), "
    return Reply(
        (
            Paragraph(msg),
            Paragraph(f"{when}{format_days(learner.active_days)}. Send /today for your task."),
        ),
        buttons=TODAY_BUTTON,
    )


def track_line(svc: LearningService, track_id: str, today: date) -> str:
    """A track in /start: what it is, how long it takes at its pace, and what it leaves out."""
    cur = svc.curriculum
    track = cur.tracks[track_id]
    months = round(track_months(cur, track_id, today) * 2) / 2
    line = f"{track.name}: {track.description} Planned length: about {months:g} months."
    if missing := left_out(cur, track_id):
        names = joined(missing)
        optional = ", and the optional tasks of the stages it keeps" if track.core_only else ""
        line += f" Compared with full-time it leaves out {names}{optional}."
    return line


def _start_menu(svc: LearningService, learner: Learner) -> Reply:
    tracks = svc.curriculum.tracks
    if learner.track:
        return Reply(
            (
                Paragraph(
                    f"You're on the {tracks[learner.track].name} track and your "
                    "progress is safe. Send /today for today's task, /plan for the big "
                    "picture, or pick another track below (your progress comes with you)."
                ),
            ),
            buttons=track_buttons(svc),
        )
    lines = tuple(track_line(svc, t.id, svc.today(learner)) for t in tracks.values())
    return Reply(
        (
            Paragraph(
                "👋 Welcome! I'll help you become a machine-learning engineer with a "
                "daily study task, a reminder at your time, and answers to your "
                "questions. First, pick a plan:"
            ),
            Bullets(lines),
            Paragraph("Choose one, for example /start part-time."),
        ),
        buttons=track_buttons(svc),
    )


# -- /done, /skip, /snooze -------------------------------------------------------------------
NOTHING_TO_MARK = {
    "complete": "You've already finished today's study. 🎉",
    "rest": "Today is a rest day, so there's no task to mark done.",
    "finished": "You've finished your whole track. There's nothing left to mark done!",
}


def done(svc: LearningService, result: uc.Done) -> Reply:
    plan, learner = result.plan, result.learner
    streak = f"Streak: {plural(learner.streak_current, 'day')}."
    if result.kind == "review":
        title = plan.review.stage.title  # type: ignore[union-attr]
        return Reply.text(f"🔁 Review of {title} done. {streak} See you tomorrow!")
    if result.kind == "nothing":
        reason = NOTHING_TO_MARK.get(plan.kind, "There's no task to mark done right now.")
        nxt = _next_line(plan, learner) if plan.kind == "complete" else None
        if result.noted:
            reason = f"📝 Added your note to today's study. {reason}"
        kind = "info" if result.noted else "error"
        return Reply((Paragraph(reason), *((nxt,) if nxt else ())), kind=kind)
    task = plan.task
    assert task is not None
    if result.kind == "session":
        return Reply.text(
            f"✅ Day {plan.session} of {plan.sessions} on \u201c{task.title}\u201d done. "
            f"{streak} Same task continues tomorrow."
        )
    text = f"✅ Done: {task.title}. That's {plan.done_count + 1} of {plan.total_count}. {streak}"
    after = result.after
    if after is not None and after.kind == "finished":
        return Reply((Paragraph(text), *describe_plan(svc, after, learner).blocks))
    nxt = after.next_task if after is not None else None
    return Reply.text(text + (f" Next up: {nxt.title}." if nxt else ""))


def skipped(result: uc.Skipped) -> Reply:
    if result.kind == "review":
        return Reply.text("Review skipped. Send /today for your next task.")
    if result.kind == "nothing" or result.task is None:
        return Reply.text("There's no task to skip right now.", kind="error")
    if result.kind == "dropped":
        return Reply.text(
            f"Skipped \u201c{result.task.title}\u201d a second time, so I've dropped it "
            "from your plan. Send /today for the next task."
        )
    return Reply.text(
        f"Okay, \u201c{result.task.title}\u201d moves to the end of this stage. "
        "Send /today for the next task."
    )


def snoozed(result: uc.Snoozed) -> Reply:
    learner, plan = result.learner, result.plan
    if result.until is None:
        head = {
            "complete": "You've finished today's study, so there's nothing to remind you of.",
            "rest": "Today is a rest day, so there's nothing to remind you of.",
        }.get(plan.kind, "There's nothing left to study, so there's nothing to remind you of.")
        nxt = _next_line(plan, learner)
        return Reply((Paragraph(head), *((nxt,) if nxt else ())))
    at = local_now(learner.tz, result.until).strftime("%H:%M")
    what = plan.task.title if plan.task else "today's review"
    return Reply.text(f"⏰ Okay, I'll remind you about \u201c{what}\u201d at {at} ({learner.tz}).")


# -- /plan, /progress, /streak ----------------------------------------------------------------
def plan_overview(svc: LearningService, view: uc.Overview) -> Reply:
    cur, state, plan, learner = svc.curriculum, view.state, view.plan, view.learner
    track = cur.tracks[learner.track]
    current = plan.task or plan.next_task
    lines = []
    for sid in track.stages:
        tasks = cur.stage_tasks(track.id, sid)
        n_done = sum(1 for t in tasks if t.id in state.done or t.id in state.dropped)
        finished = stage_finished_on(cur, state, sid)
        mark = "✅ " if finished else "▶️ " if current and sid == current.stage else ""
        lines.append(f"{mark}{cur.stages[sid].title}: {n_done}/{len(tasks)}")
    eta = estimate_finish(cur, state, svc.today(learner))
    summary = f"{track.name}: {plan.done_count} of {plan.total_count} tasks done." + (
        f" At this pace you'll finish around {eta:%d %b %Y}." if eta else ""
    )
    if state.postponed:
        summary += f" Postponed: {len(state.postponed)}."
    return Reply((Paragraph(summary), Bullets(tuple(lines))))


def stage_rows(
    svc: LearningService, state: LearnerState, track_id: str
) -> list[tuple[str, int, int]]:
    rows = []
    for sid in svc.curriculum.tracks[track_id].stages:
        tasks = svc.curriculum.stage_tasks(track_id, sid)
        done_here = sum(1 for t in tasks if t.id in state.done)
        rows.append((svc.curriculum.stages[sid].title, done_here, len(tasks)))
    return rows


def progress(svc: LearningService, view: uc.Overview) -> Reply:
    """Totals and the chart; the stage-by-stage list is /plan's (the chart shows it here)."""
    learner, state, plan = view.learner, view.state, view.plan
    rows = stage_rows(svc, state, learner.track)
    track = svc.curriculum.tracks[learner.track]
    current = plan.task or plan.next_task
    index = list(track.stages).index(current.stage) if current else None
    png = progress_png(rows, title=track.name, current=index)
    pct = 100 * plan.done_count / max(1, plan.total_count)
    text = (
        f"You've done {plan.done_count} of {plan.total_count} tasks ({pct:.0f}%) and "
        f"{plural(len(state.reviews_done), 'stage review day')}. Streak: "
        f"{plural(svc.streak_now(learner), 'day')}, best {learner.streak_best}."
    )
    blocks = [Paragraph(text)]
    if index is not None:
        name, done, total = rows[index]
        blocks.append(Paragraph(f"Now: {name}, {done} of {total} done. /plan lists every stage."))
    return Reply(tuple(blocks), attachments=(Attachment("progress.png", png, "image/png"),))


def streak(svc: LearningService, learner: Learner) -> Reply:
    today = svc.today(learner)
    tip = " Keep it going today!" if learner.streak_last != today else " Done for today."
    return Reply.text(
        f"🔥 Streak: {plural(svc.streak_now(learner), 'study day')} in a row (best: "
        f"{learner.streak_best}). Rest days in your plan don't break it.{tip}"
    )


# -- /settings, /link ------------------------------------------------------------------------
def paused_state(reason: str | None) -> str:
    """'paused by you', or 'paused: the bot can't message you (...)'."""
    if not reason:
        return "paused"
    return reason if reason.startswith("paused") else f"paused: {reason}"


def settings(svc: LearningService, result: uc.Settings) -> Reply:
    if result.unknown:
        return Reply.text(
            f"I don't have a setting called \u201c{result.key[:20]}\u201d. Try /settings tz "
            "Europe/Berlin, /settings time 19:00, /settings days mon-fri, "
            "/settings pace 60, /settings digest off, /settings pause or /settings resume.",
            kind="error",
        )
    if result.error:
        return Reply.text(f"{result.error} Nothing was changed.", kind="error")
    learner = result.learner
    assert learner is not None
    tracks = svc.curriculum.tracks
    pace = learner.daily_minutes or (tracks[learner.track].daily_minutes if learner.track else 60)
    state = paused_state(learner.pause_reason) if learner.nudges_paused else "on"
    plan = tracks[learner.track].name if learner.track else "not chosen yet (/start)"
    lines = (
        f"Time zone: {learner.tz}",
        f"Daily nudge: {format_minute(learner.nudge_minute)} ({state})",
        f"Study days: {format_days(learner.active_days)}",
        f"Pace: {pace} minutes a day",
        f"Weekly digest: {digest_when(learner)}",
        f"Plan: {plan}",
    )
    extra: tuple[Paragraph, ...] = ()
    if result.key in ("pace", "days") and learner.track and learner.target_finish:
        # The agreed finish moved with the change: say where it is now.
        extra = (Paragraph(f"📅 At this pace you'll finish around {_day(learner.target_finish)}."),)
    if result.key in uc.ZONE_KEYS:
        warning = zone_warning(learner.tz)
        extra = (Paragraph(f"⚠️ {warning}"),) if warning else ()
        if learner.track:
            extra += (Paragraph("Send /today to see today's task."),)
    head = "Saved. " if result.key else ""
    return Reply((Paragraph(head + "Your settings:"), Bullets(lines), *extra))


def digest_when(learner: Learner) -> str:
    if learner.digest_day is None:
        return "off"
    when = f"{DAY_FULL_NAMES[learner.digest_day]}s at {format_minute(learner.nudge_minute)}"
    return f"{when} (paused with your nudges)" if learner.nudges_paused else when


LINK_REPLIES = {
    "ok": "🔗 Linked! Your progress, streak and settings now follow you on both accounts.",
    "unknown": "I don't know that code. Check it, or send /link on your other account for a new one.",
    "expired": "That code has expired. Send /link on your other account for a new one.",
    "same": "That code belongs to this same account, so there is nothing to link.",
    "malformed": "That doesn't look like a link code. Codes are 8 letters and digits.",
}


def linked(result: uc.Linked) -> Reply:
    if result.status == "code":
        return Reply.text(
            f"🔗 Your link code is {result.code}. Within {LINK_CODE_MINUTES} minutes, send "
            f"/link {result.code} to me from your other account (Discord or Telegram). "
            "Both histories will be kept."
        )
    return Reply.text(
        LINK_REPLIES[result.status], kind="info" if result.status == "ok" else "error"
    )


# -- /export, /forget ------------------------------------------------------------------------
def exported(data: bytes | None) -> Reply:
    if data is None:
        return Reply.text("I don't have any data about you yet.")
    return Reply(
        (Paragraph("Here is everything I store about you, on every account you linked."),),
        attachments=(Attachment("mlbot-export.json", data, "application/json"),),
    )


def forgotten(result: uc.Forgotten) -> Reply:
    minutes = FORGET_CONFIRM_MINUTES
    if result.status == "nothing":
        return Reply.text("I don't have any data about you, so there's nothing to delete.")
    if result.status == "questions":
        return Reply.text("🗑 Done. I've deleted the questions you asked me and your ratings.")
    if result.status == "confirm_first":
        return Reply.text(
            f"Send /forget first; then confirm within {minutes} minutes.", kind="error"
        )
    if result.status == "deleted":
        return Reply.text(
            "🗑 Done. I've deleted all your data on every account you linked: progress, "
            "settings, history, questions and ratings. Send /start any time to begin again."
        )
    return Reply(
        (
            Paragraph(
                "This deletes everything I store about you, on every account you linked: "
                "progress, streaks, settings, notes, questions and ratings. It cannot be "
                f"undone. To confirm, send /forget confirm within {minutes} minutes."
            ),
        ),
        buttons=(Button("Yes, delete everything", "/forget confirm"),),
    )


# -- pacing ---------------------------------------------------------------------------------
def _day(d: date) -> str:
    return f"{d:%a %d %b %Y}"


def pace_news(p: Pace) -> tuple[Paragraph, tuple[Button, ...]]:
    """Said once when the plan's finish moves away from the agreed date, with the choices."""
    if p.kind == "ahead":
        return (
            Paragraph(
                f"🚀 You're ahead of plan: at this pace you'll finish around {_day(p.finish)}, "
                f"before the {_day(p.target)} you planned. Want the earlier date as your goal?"
            ),
            (Button(f"Finish {p.finish:%d %b}", "/pace move"),),
        )
    head = (
        f"📅 A few study days were missed, so at your pace you'd now finish around "
        f"{_day(p.finish)} instead of {_day(p.target)}. That's fine; plans bend."
    )
    move = Button(f"Move to {p.finish:%d %b}", "/pace move")
    if p.minutes is None:
        tip = (
            " More minutes a day would not bring the old date back, so I suggest the new "
            "one (or add study days with /settings days)."
        )
        return Paragraph(head + tip), (move,)
    keep = Button(f"Keep {p.target:%d %b}: {p.minutes} min/day", "/pace keep")
    choice = (
        f" Keep {_day(p.target)} with {p.minutes} minutes a day, or keep your pace and "
        f"move the finish to {_day(p.finish)}?"
    )
    return Paragraph(head + choice), (keep, move)


def today(svc: LearningService, result: uc.Today) -> Reply:
    reply = describe_plan(svc, result.plan, result.learner)
    if result.pace is None:
        return reply
    news, buttons = pace_news(result.pace)
    return replace(reply, blocks=(news, *reply.blocks), buttons=(*buttons, *reply.buttons))


def repaced(result: uc.Repaced) -> Reply:
    p, learner = result.pace, result.learner
    finish = f"around {_day(p.finish)}" if p and p.finish else "when your last task is done"
    if result.kind == "cannot_keep":
        return Reply.text(
            "More minutes a day would not bring that date back (or would take over 12 hours). "
            f"Send /pace move to take the new date ({finish}), or add study days with "
            "/settings days.",
            kind="error",
        )
    if result.kind == "kept":
        return Reply.text(
            f"💪 Done: {learner.daily_minutes} minutes a day from now on, so you finish {finish}. "
            "Change it any time with /settings pace."
        )
    if result.kind == "moved":
        return Reply.text(f"📅 Done: your new goal is to finish {finish}, at your usual pace.")
    if p is None or learner.target_finish is None:
        return Reply.text(f"You'll finish {finish}.")
    states = {"behind": "behind", "ahead": "ahead of", "on_track": "on track for"}
    where = (
        f"At your pace you'll finish {finish}; you are {states[p.kind]} your goal of "
        f"{_day(learner.target_finish)}."
    )
    if result.asked in ("keep", "move"):  # nothing to keep or move: on track (or ahead)
        return Reply.text(f"{where} Nothing needs changing.")
    if p.kind == "on_track":
        tip = " /settings pace changes how many minutes a day you study."
    else:
        tip = " /pace keep or /pace move changes it."
    if result.asked:
        tip = f" I know /pace, /pace keep and /pace move.{tip}"
    return Reply.text(where + tip, kind="error" if result.asked else "info")
