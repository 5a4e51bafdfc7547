"""A learner's use cases: enrol, today, done, skip, snooze, overview, settings, link.

Each takes the service (curriculum, clock, queries) and a unit of work (an AsyncSession),
commits what it changed before returning, and returns a result dataclass; what the learner
is told is built from the result in bot/replies, so nothing here knows about chat platforms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.learning.curriculum import Task
from bot.learning.models import Learner
from bot.learning.planner import DayPlan, LearnerState, Pace, estimate_finish, pace
from bot.learning.service import FORGET_CONFIRM_MINUTES, LearningService, Who, aware
from bot.learning.validate import (
    InvalidSetting,
    parse_day_mask,
    parse_digest_day,
    parse_pace,
    parse_time,
    parse_zone,
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
ZONE_KEYS = ("tz", "zone", "timezone", "time-zone")
SNOOZE_RANGE = (5, 720)


def track_id(svc: LearningService, typed: str) -> str | None:
    """The track a learner means (full name or a common short form), or None."""
    key = typed.lower().replace("_", "-")
    found = TRACK_ALIASES.get(key, key)
    return found if found in svc.curriculum.tracks else None


@dataclass(frozen=True)
class Enrolment:
    """/start: `menu` (nothing chosen yet, or already enrolled), `enrolled`, `switched`,
    `unknown_track` (typed shown back) or `invalid` (a bad zone or time: error)."""

    status: Literal["menu", "enrolled", "switched", "unknown_track", "invalid"]
    learner: Learner | None = None
    typed: str = ""
    error: str = ""
    zone_given: bool = False


async def enrol(
    svc: LearningService, uow: AsyncSession, who: Who, track: str, zone: str, at: str
) -> Enrolment:
    learner, _ = await svc.get_or_create(uow, who)
    if not track:
        await uow.commit()
        return Enrolment("menu", learner)
    chosen = track_id(svc, track)
    if chosen is None:
        await uow.rollback()
        return Enrolment("unknown_track", typed=track[:30])
    try:
        tz = parse_zone(zone) if zone else None
        minute = parse_time(at) if at else None
    except InvalidSetting as exc:
        await uow.rollback()
        return Enrolment("invalid", error=str(exc))
    switched = learner.track not in (None, chosen)
    if learner.track != chosen:  # a new plan brings its study days (five for full-time)
        learner.active_days = sum(1 << d for d in svc.curriculum.tracks[chosen].active_days)
    learner.track = chosen
    learner.enrolled_on = learner.enrolled_on or svc.today(learner)
    if tz:
        learner.tz = tz
    if minute is not None:
        learner.nudge_minute = minute
    state = await svc.state(uow, learner)
    learner.target_finish = estimate_finish(svc.curriculum, state, svc.today(learner))
    learner.pace_told_for = None
    await uow.commit()
    return Enrolment("switched" if switched else "enrolled", learner, zone_given=tz is not None)


async def enrolled_learner(svc: LearningService, uow: AsyncSession, who: Who) -> Learner | None:
    learner = await svc.find_learner(uow, who)
    return learner if learner is not None and learner.track else None


@dataclass(frozen=True)
class Today:
    learner: Learner
    plan: DayPlan
    pace: Pace | None = None  # behind or ahead of the agreed finish, said once per target


async def today(svc: LearningService, uow: AsyncSession, who: Who) -> Today | None:
    """Today's item; starting a new task resets its session count. None: not enrolled."""
    learner = await enrolled_learner(svc, uow, who)
    if learner is None:
        return None
    state, plan = await svc.plan(uow, learner)
    if plan.kind == "task" and plan.task and learner.current_task != plan.task.id:
        learner.current_task, learner.sessions_done = plan.task.id, 0
    news = pace_news(svc, learner, state)
    await uow.commit()
    return Today(learner, plan, news)


def pace_news(svc: LearningService, learner: Learner, state: LearnerState) -> Pace | None:
    """The pace to tell the learner about now, once per agreed finish date, or None (the
    caller commits: telling is recorded so it is not said again)."""
    today = svc.today(learner)
    if learner.target_finish is None:  # enrolled before finish dates were kept
        learner.target_finish = estimate_finish(svc.curriculum, state, today)
        return None
    if learner.pace_told_for == learner.target_finish:
        return None  # already told: no need to plan again (this runs for every nudge)
    status = pace(svc.curriculum, state, today, learner.target_finish)
    if status.kind == "on_track":
        return None
    learner.pace_told_for = learner.target_finish
    return status


@dataclass(frozen=True)
class Repaced:
    """/pace: `status` (just shown), `kept` (more minutes a day), `moved` (a new finish
    date), or `cannot_keep` (the date cannot be kept at any pace up to 12 hours)."""

    kind: Literal["status", "kept", "moved", "cannot_keep"]
    learner: Learner
    pace: Pace | None
    asked: str = ""  # what was asked when only the status is shown ("" for plain /pace)


async def repace(svc: LearningService, uow: AsyncSession, who: Who, choice: str) -> Repaced | None:
    learner = await enrolled_learner(svc, uow, who)
    if learner is None:
        return None
    state, _ = await svc.plan(uow, learner)
    today = svc.today(learner)
    target = learner.target_finish or estimate_finish(svc.curriculum, state, today) or today
    status = pace(svc.curriculum, state, today, target)
    # Keeping the date is for a plan that fell behind; moving it, for one behind or ahead
    # (the "ahead" news offers the earlier date). Anything else only shows where it stands.
    acts = choice == "keep" and status.kind == "behind"
    if not (acts or choice == "move" and status.kind != "on_track"):
        return Repaced("status", learner, status, asked=choice)
    if choice == "keep":
        if status.minutes is None:
            return Repaced("cannot_keep", learner, status)
        learner.daily_minutes = max(status.minutes, learner.daily_minutes or 0)
        kind = "kept"
    elif choice == "move":
        learner.target_finish = status.finish
        kind = "moved"
    else:
        return Repaced("status", learner, status)
    learner.pace_told_for = None
    await uow.commit()
    state, _ = await svc.plan(uow, learner)
    return Repaced(
        kind, learner, pace(svc.curriculum, state, today, learner.target_finish or today)
    )


@dataclass(frozen=True)
class Done:
    """`review` (a review day done), `nothing` (no task today: see plan.kind), `session` (one
    day of a multi-day task) or `done` (the task finished; `after` is the next plan)."""

    kind: Literal["review", "nothing", "session", "done"]
    learner: Learner
    plan: DayPlan
    after: DayPlan | None = None
    noted: bool = False  # "nothing": the note joined today's study, already marked done


async def done(svc: LearningService, uow: AsyncSession, who: Who, note: str | None) -> Done | None:
    learner = await enrolled_learner(svc, uow, who)
    if learner is None:
        return None
    _, plan = await svc.plan(uow, learner)
    if plan.kind == "review" and plan.review:
        await svc.record(uow, learner, plan.review.id, "review", note)
        await uow.commit()
        return Done("review", learner, plan)
    if plan.kind != "task" or plan.task is None:
        noted = bool(note) and plan.kind == "complete" and await svc.add_note(uow, learner, note)
        await uow.commit()
        return Done("nothing", learner, plan, noted=noted)
    task = plan.task
    if learner.current_task != task.id:
        learner.current_task, learner.sessions_done = task.id, 0
    if plan.warmup is not None:
        await svc.record(uow, learner, plan.warmup.id, "review")
    if plan.session < plan.sessions:
        await svc.record(uow, learner, task.id, "session", note)
        learner.sessions_done += 1
        await uow.commit()
        return Done("session", learner, plan)
    await svc.record(uow, learner, task.id, "done", note)
    learner.current_task, learner.sessions_done = None, 0
    await uow.commit()
    _, after = await svc.plan(uow, learner)
    return Done("done", learner, plan, after)


@dataclass(frozen=True)
class Skipped:
    kind: Literal["review", "nothing", "skipped", "dropped"]
    task: Task | None = None


async def skip(svc: LearningService, uow: AsyncSession, who: Who) -> Skipped | None:
    """A first skip moves the task to the end of its stage; a second drops it."""
    learner = await enrolled_learner(svc, uow, who)
    if learner is None:
        return None
    state, plan = await svc.plan(uow, learner)
    if plan.kind == "review" and plan.review:
        await svc.record(uow, learner, plan.review.id, "review", "skipped")
        await uow.commit()
        return Skipped("review")
    if plan.kind != "task" or plan.task is None:
        return Skipped("nothing")
    dropping = plan.task.id in state.postponed
    await svc.record(uow, learner, plan.task.id, "drop" if dropping else "skip")
    learner.current_task, learner.sessions_done = None, 0
    await uow.commit()
    return Skipped("dropped" if dropping else "skipped", plan.task)


@dataclass(frozen=True)
class Snoozed:
    """A reminder set for `until`; or, when there is nothing left to study today (`plan`
    is not a task or review), none: a reminder would have nothing to remind of."""

    learner: Learner
    until: datetime | None
    plan: DayPlan


async def snooze(svc: LearningService, uow: AsyncSession, who: Who, minutes: int) -> Snoozed | None:
    learner = await enrolled_learner(svc, uow, who)
    if learner is None:
        return None
    _, plan = await svc.plan(uow, learner)
    if plan.kind not in ("task", "review"):
        return Snoozed(learner, None, plan)
    learner.snoozed_until = svc.clock.now() + timedelta(minutes=minutes)
    await uow.commit()
    return Snoozed(learner, learner.snoozed_until, plan)


@dataclass(frozen=True)
class Overview:
    """Where a learner is: for /plan, /progress and /streak (reads only)."""

    learner: Learner
    state: LearnerState
    plan: DayPlan


async def overview(svc: LearningService, uow: AsyncSession, who: Who) -> Overview | None:
    learner = await enrolled_learner(svc, uow, who)
    if learner is None:
        return None
    state, plan = await svc.plan(uow, learner)
    return Overview(learner, state, plan)


@dataclass(frozen=True)
class Settings:
    """The learner's settings after a change (`key` empty: just shown). `error` is set and
    nothing saved for a bad value; `unknown` for a setting that does not exist."""

    learner: Learner | None
    key: str = ""
    error: str = ""
    unknown: bool = False


_SETTERS = {
    **{k: lambda learner, v: setattr(learner, "tz", parse_zone(v)) for k in ZONE_KEYS},
    "time": lambda learner, v: setattr(learner, "nudge_minute", parse_time(v)),
    "nudge": lambda learner, v: setattr(learner, "nudge_minute", parse_time(v)),
    "days": lambda learner, v: setattr(learner, "active_days", parse_day_mask(v)),
    "pace": lambda learner, v: setattr(learner, "daily_minutes", parse_pace(v)),
    "digest": lambda learner, v: setattr(
        learner, "digest_day", parse_digest_day(v, learner.digest_day)
    ),
    "pause": lambda learner, v: _set_paused(learner, True),
    "resume": lambda learner, v: _set_paused(learner, False),
}


def _set_paused(learner: Learner, paused: bool) -> None:
    learner.nudges_paused, learner.pause_reason = paused, ("paused by you" if paused else None)


async def change_setting(
    svc: LearningService, uow: AsyncSession, who: Who, key: str, value: str
) -> Settings:
    learner, _ = await svc.get_or_create(uow, who)
    if key and key not in _SETTERS:
        await uow.rollback()
        return Settings(None, key, unknown=True)
    try:
        if key:
            _SETTERS[key](learner, value)
    except InvalidSetting as exc:
        await uow.rollback()
        return Settings(None, key, error=str(exc))
    if key in _REPLANS and learner.track:
        await _agree_new_finish(svc, uow, learner)
    await uow.commit()
    return Settings(learner, key)


# A new pace or new study days is the learner's own choice of how fast to go: the finish date
# they agree to moves with it, so the plan is not later said to be behind for missed days.
_REPLANS = frozenset(["pace", "days"])


async def _agree_new_finish(svc: LearningService, uow: AsyncSession, learner: Learner) -> None:
    state, _ = await svc.plan(uow, learner)
    learner.target_finish = estimate_finish(svc.curriculum, state, svc.today(learner))
    learner.pace_told_for = None


@dataclass(frozen=True)
class Linked:
    """/link: `code` (a new code to type on the other account), or the result of redeeming
    one: `ok`, `unknown`, `expired`, `same` or `malformed`."""

    status: Literal["code", "ok", "unknown", "expired", "same", "malformed"]
    code: str = ""


async def link(svc: LearningService, uow: AsyncSession, who: Who, code: str) -> Linked:
    if not code:
        learner, _ = await svc.get_or_create(uow, who)
        new_code, _expires = await svc.new_link_code(uow, learner)
        await uow.commit()
        return Linked("code", new_code)
    if len(code) > 16 or not code.isalnum():
        return Linked("malformed")
    status, _ = await svc.redeem_link_code(uow, code, who)
    await uow.commit()  # on success the merge; an expired code is removed
    return Linked(status)  # type: ignore[arg-type]


async def export_data(svc: LearningService, uow: AsyncSession, who: Who) -> bytes | None:
    """Everything stored about the person on every linked account, as JSON (None: nothing)."""
    data = await svc.export(uow, who)
    await uow.commit()
    return data


@dataclass(frozen=True)
class Forgotten:
    """/forget: `nothing` stored; `questions` (only questions were stored, now deleted at
    once); `asked` (confirmation requested); `confirm_first` (a confirm with no recent
    request); `deleted` (everything, on every linked account)."""

    status: Literal["nothing", "questions", "asked", "confirm_first", "deleted"]


async def forget(svc: LearningService, uow: AsyncSession, who: Who, confirm: bool) -> Forgotten:
    learner = await svc.find_learner(uow, who)
    if learner is None:
        # No progress or settings to lose, so no confirmation: only questions asked.
        removed = await svc.forget(uow, who, None)
        await uow.commit()
        return Forgotten("questions" if removed else "nothing")
    now, asked = svc.clock.now(), learner.forget_requested_at
    if confirm:
        window = timedelta(minutes=FORGET_CONFIRM_MINUTES)
        if asked is None or now - aware(asked) > window:
            return Forgotten("confirm_first")
        await svc.forget(uow, who, learner)
        await uow.commit()
        return Forgotten("deleted")
    learner.forget_requested_at = now
    await uow.commit()
    return Forgotten("asked")
