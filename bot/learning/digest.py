"""The weekly digest: a learner's week in numbers (tasks, study days, streak, quiz accuracy,
cards learned), the last 8 weeks for a chart, and next week's focus. Built from the same
state the planner reads; what the learner is told is made in bot/replies/digest.py, and when
it is sent (exactly once per local week) is the nudge engine's job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.learning.curriculum import Stage, Task
from bot.learning.models import Learner
from bot.learning.planner import LearnerState, daily_minutes, next_task, ordered_tasks
from bot.learning.review import QuizService
from bot.learning.service import LearningService

WEEKS_CHARTED = 8
FOCUS_MAX = 3


@dataclass(frozen=True)
class Week:
    """Seven local days ending on `end`, inclusive."""

    end: date
    enrolled: bool = True  # False: the learner had not started yet (charted as such, not 0)
    tasks: int = 0
    study_days: int = 0
    answered: int = 0
    right: int = 0

    @property
    def start(self) -> date:
        return self.end - timedelta(days=6)


@dataclass(frozen=True)
class Digest:
    learner: Learner
    weeks: tuple[Week, ...]  # oldest first; the last is the week just ended
    streak: int
    best: int
    learned: int  # quiz cards learned (in review), of `deck`
    deck: int
    new_cards: int  # cards that joined the deck this week
    focus_stage: Stage | None
    focus: tuple[Task, ...]  # next week's tasks, as many as next week's study time allows
    done_count: int
    total_count: int

    @property
    def week(self) -> Week:
        return self.weeks[-1]


class DigestService:
    def __init__(self, svc: LearningService, quiz: QuizService | None = None) -> None:
        self.svc = svc
        self.quiz = quiz

    async def build(self, s: AsyncSession, learner: Learner, day: date) -> Digest:
        """The digest for the week ending on the learner's local date `day`."""
        state = await self.svc.state(s, learner)
        ends = [day - timedelta(weeks=n) for n in range(WEEKS_CHARTED - 1, -1, -1)]
        zone = ZoneInfo(learner.tz)
        since = datetime.combine(ends[0] - timedelta(days=6), time(0), zone)
        answers = await self.quiz.answers_since(s, learner, since) if self.quiz else []
        local_answers = [(at.astimezone(zone).date(), right) for at, right in answers]
        started = learner.enrolled_on or day
        weeks = tuple(_week(end, state, local_answers, end >= started) for end in ends)
        week_start = datetime.combine(weeks[-1].start, time(0), zone)
        counts = (0, 0, 0)
        if self.quiz is not None:
            await self.quiz.sync_deck(s, learner, state)
            counts = await self.quiz.deck_counts(s, learner, week_start)
        tasks = ordered_tasks(self.svc.curriculum, state)
        stage, focus = self._focus(state, tasks)
        return Digest(
            learner,
            weeks,
            self.svc.streak_now(learner),
            learner.streak_best,
            *counts,
            stage,
            focus,
            sum(1 for t in tasks if t.id in state.done),
            len(tasks),
        )

    def _focus(
        self, state: LearnerState, tasks: list[Task]
    ) -> tuple[Stage | None, tuple[Task, ...]]:
        """The next tasks (of the track's `tasks`, in order) that fit into next week's study
        time (at least one)."""
        cur = self.svc.curriculum
        first = next_task(cur, state)
        if first is None:
            return None, ()
        budget = daily_minutes(cur, state) * max(1, len(state.active_days))
        pending = [t for t in tasks if t.id not in state.done]
        start = pending.index(first)
        focus: list[Task] = []
        for task in pending[start:]:
            if focus and (task.minutes > budget or len(focus) == FOCUS_MAX):
                break
            focus.append(task)
            budget -= task.minutes
        return cur.stages.get(first.stage), tuple(focus)


def _week(end: date, state: LearnerState, answers: list[tuple[date, bool]], enrolled: bool) -> Week:
    start = end - timedelta(days=6)
    within = [right for day, right in answers if start <= day <= end]
    return Week(
        end,
        enrolled,
        tasks=sum(1 for d in state.done.values() if start <= d <= end),
        study_days=sum(1 for d in state.completed_on if start <= d <= end),
        answered=len(within),
        right=sum(within),
    )
