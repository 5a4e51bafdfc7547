"""The planner: what a learner studies on a given local date. A pure function, no I/O.

Rules, in order:
- a finished track ends with congratulations and next steps;
- on an inactive day nothing is assigned (the next task is shown as optional);
- a spaced review of a finished stage is due 7 and 30 days after the stage ends; a missed round
  is folded into the latest due one, so a learner returning after weeks gets one review, not a
  pile; on tracks with long study days the review is a 30-minute warm-up before the day's task,
  on short days it takes the day (and then never two days running);
- otherwise the next task in track order whose stage prerequisites are all finished; a task
  skipped once moves to the end of its stage, skipped twice it is dropped;
- a task longer than the daily budget spans several days (sessions);
- each day has one slot: once it is finished the day is complete, the next task waits;
- progress, not the calendar, decides the next task, so missed days never pile up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from bot.learning.curriculum import Curriculum, Stage, Task

REVIEW_OFFSETS = (7, 30)
# With a long study day a review is a warm-up inside the day's slot; with a short one it
# takes the slot itself (otherwise a 60-minute day would be half review).
WARMUP_MIN_DAILY_MINUTES = 180
WELCOME_BACK_DAYS = 5


@dataclass(frozen=True)
class LearnerState:
    track: str
    active_days: frozenset[int] = frozenset(range(7))
    daily_minutes: int | None = None  # pace; None = the track's default
    done: Mapping[str, date] = field(default_factory=dict)  # task id -> local date finished
    dropped: frozenset[str] = frozenset()
    postponed: tuple[str, ...] = ()  # skipped once, in skip order
    current_task: str | None = None
    sessions_done: int = 0  # sessions finished on current_task
    reviews_done: Mapping[str, date] = field(default_factory=dict)  # review id -> date
    last_active: date | None = None
    completed_on: frozenset[date] = frozenset()  # local dates with a finished slot


@dataclass(frozen=True)
class Review:
    id: str  # "<stage>@<round>"
    stage: Stage
    round: int
    due: date


@dataclass(frozen=True)
class DayPlan:
    kind: Literal["task", "review", "rest", "finished", "complete"]
    date: date
    task: Task | None = None
    session: int = 1
    sessions: int = 1
    review: Review | None = None
    warmup: Review | None = None  # a short review before the task, on long study days
    next_task: Task | None = None  # on rest days: what comes next, optional
    welcome_back: bool = False
    done_count: int = 0
    total_count: int = 0

    @property
    def slot_item(self) -> str | None:
        """What occupies this day's one slot (task id or review id)."""
        if self.kind == "task" and self.task:
            return self.task.id
        if self.kind == "review" and self.review:
            return self.review.id
        return None


def daily_minutes(cur: Curriculum, state: LearnerState) -> int:
    return state.daily_minutes or cur.tracks[state.track].daily_minutes


def sessions_for(task: Task, minutes_per_day: int) -> int:
    return max(1, math.ceil(task.minutes / max(1, minutes_per_day)))


def ordered_tasks(cur: Curriculum, state: LearnerState) -> list[Task]:
    """Track order, with postponed tasks moved to the end of their stage and dropped ones out."""
    out: list[Task] = []
    for sid in cur.tracks[state.track].stages:
        tasks = [t for t in cur.stage_tasks(state.track, sid) if t.id not in state.dropped]
        later = [t for t in tasks if t.id in state.postponed]
        later.sort(key=lambda t: state.postponed.index(t.id))
        out.extend([t for t in tasks if t.id not in state.postponed] + later)
    return out


def stage_finished_on(cur: Curriculum, state: LearnerState, stage_id: str) -> date | None:
    """The date a stage was finished (all its track tasks done or dropped), else None."""
    tasks = cur.stage_tasks(state.track, stage_id)
    dates = []
    for t in tasks:
        if t.id in state.done:
            dates.append(state.done[t.id])
        elif t.id not in state.dropped:
            return None
    return max(dates) if dates else None


def due_review(
    cur: Curriculum, state: LearnerState, today: date, spacing: bool = True
) -> Review | None:
    if spacing and any(d >= today - timedelta(days=1) for d in state.reviews_done.values()):
        return None  # no review days two days running
    candidates: list[Review] = []
    for sid in cur.tracks[state.track].stages:
        finished = stage_finished_on(cur, state, sid)
        if finished is None:
            continue
        latest: Review | None = None
        for rnd, offset in enumerate(REVIEW_OFFSETS, start=1):
            due = finished + timedelta(days=offset)
            rid = f"{sid}@{rnd}"
            if due > today:
                break
            later_done = any(
                f"{sid}@{r}" in state.reviews_done for r in range(rnd, len(REVIEW_OFFSETS) + 1)
            )
            if not later_done:
                latest = Review(rid, cur.stages[sid], rnd, due)
        if latest is not None:
            candidates.append(latest)
    if not candidates:
        return None
    return min(candidates, key=lambda r: (r.due, r.id))


def next_task(cur: Curriculum, state: LearnerState) -> Task | None:
    finished_stages = {
        sid
        for sid in cur.tracks[state.track].stages
        if stage_finished_on(cur, state, sid) is not None
    }
    for task in ordered_tasks(cur, state):
        if task.id in state.done:
            continue
        requires = cur.stages[task.stage].requires
        if all(r in finished_stages or r not in cur.tracks[state.track].stages for r in requires):
            return task
        return None  # prerequisites unfinished: nothing later may jump the queue
    return None


def plan_day(cur: Curriculum, state: LearnerState, today: date) -> DayPlan:
    tasks = ordered_tasks(cur, state)
    done_count = sum(1 for t in tasks if t.id in state.done)
    counts = {"done_count": done_count, "total_count": len(tasks)}
    task = next_task(cur, state)
    if task is None:
        return DayPlan("finished", today, **counts)
    if today in state.completed_on:
        return DayPlan("complete", today, next_task=task, **counts)  # one slot per day
    if today.weekday() not in state.active_days:
        return DayPlan("rest", today, next_task=task, **counts)
    away = state.last_active is not None and (today - state.last_active).days >= WELCOME_BACK_DAYS
    per_day = daily_minutes(cur, state)
    long_days = per_day >= WARMUP_MIN_DAILY_MINUTES
    review = due_review(cur, state, today, spacing=not long_days)
    # A task already in progress is finished before a review day interrupts it.
    in_progress = state.current_task == task.id and state.sessions_done > 0
    if review is not None and not long_days and not in_progress:
        return DayPlan("review", today, review=review, next_task=task, welcome_back=away, **counts)
    sessions = sessions_for(task, per_day)
    session = state.sessions_done + 1 if state.current_task == task.id else 1
    return DayPlan(
        "task",
        today,
        task=task,
        session=min(session, sessions),
        sessions=sessions,
        warmup=review if long_days else None,
        welcome_back=away,
        **counts,
    )


def estimate_finish(cur: Curriculum, state: LearnerState, today: date) -> date | None:
    """When the track ends at the current pace and active days (reviews included)."""
    remaining = [t for t in ordered_tasks(cur, state) if t.id not in state.done]
    if not remaining:
        return None
    per_day = daily_minutes(cur, state)
    days = sum(sessions_for(t, per_day) for t in remaining) - (
        state.sessions_done if state.current_task == remaining[0].id else 0
    )
    if per_day < WARMUP_MIN_DAILY_MINUTES:
        days += len({t.stage for t in remaining}) * len(REVIEW_OFFSETS)
    active = sorted(state.active_days) or list(range(7))
    d = today
    while days > 0:
        if d.weekday() in active:
            days -= 1
        if days > 0:
            d += timedelta(days=1)
    return d


def track_months(cur: Curriculum, track_id: str, today: date) -> float:
    """How long the track takes a new learner at its own pace and days, in months (the same
    plan /plan's finish date comes from)."""
    track = cur.tracks[track_id]
    state = LearnerState(track=track_id, active_days=track.active_days)
    finish = estimate_finish(cur, state, today)
    return ((finish - today).days + 1) / 30.44 if finish else 0.0


def left_out(cur: Curriculum, track_id: str, than: str = "full-time") -> list[str]:
    """Stage titles another track covers that this one does not."""
    if than not in cur.tracks or track_id == than:
        return []
    mine = set(cur.tracks[track_id].stages)
    return [cur.stages[s].title for s in cur.tracks[than].stages if s not in mine]


@dataclass(frozen=True)
class Pace:
    """Where the plan stands against the finish date the learner agreed to: `behind` (the
    plan now ends later), `ahead` (a week or more earlier) or `on_track`. `minutes` is what a
    day would need to keep the agreed date (None when it cannot be kept)."""

    kind: Literal["on_track", "behind", "ahead"]
    finish: date | None
    target: date
    minutes: int | None = None


BEHIND_DAYS, AHEAD_DAYS, MAX_MINUTES = 3, 7, 720


def pace(cur: Curriculum, state: LearnerState, today: date, target: date) -> Pace:
    finish = estimate_finish(cur, state, today)
    if finish is None:
        return Pace("on_track", None, target)
    if (finish - target).days >= BEHIND_DAYS:
        return Pace("behind", finish, target, _minutes_to_keep(cur, state, today, target))
    if (target - finish).days >= AHEAD_DAYS:
        return Pace("ahead", finish, target)
    return Pace("on_track", finish, target)


def _minutes_to_keep(cur: Curriculum, state: LearnerState, today: date, target: date) -> int | None:
    """The smallest daily pace (in 15-minute steps, up to 12 hours) at which the plan ends by
    the target, found by planning at each pace; None when no pace does (a task a day at most:
    more minutes cannot bring a full-time plan forward)."""
    start = -(-daily_minutes(cur, state) // 15) * 15 + 15
    for minutes in range(start, MAX_MINUTES + 1, 15):
        finish = estimate_finish(cur, replace(state, daily_minutes=minutes), today)
        if finish is not None and finish <= target:
            return minutes
    return None
