"""Quiz review with spaced repetition: each learner's deck of questions, scheduled by FSRS
(the `fsrs` package, the scheduler Anki adopted). A question joins the deck when the learner
finishes a task that links its section; a right answer schedules it further out, a wrong one
brings it back within the hour. Each use case takes a unit of work and commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.learning.models import Learner, QuizAnswer, QuizCard
from bot.learning.planner import LearnerState
from bot.learning.quizbank import Question, QuizBank
from bot.learning.service import LearningService, Who, aware, local_now
from bot.learning.usecases import enrolled_learner

RELEARN = timedelta(minutes=30)
STALE_MINUTES = 60  # a typed answer this soon after the last one is that one again


def default_scheduler(fuzz: bool = True) -> Scheduler:
    """One short step for a new or forgotten card; then FSRS's own intervals (days)."""
    return Scheduler(learning_steps=(RELEARN,), relearning_steps=(RELEARN,), enable_fuzzing=fuzz)


@dataclass(frozen=True)
class Asked:
    question: Question
    reps: int  # carried by the answer buttons: an answer to an older ask counts once
    due: int  # questions due now, this one included


@dataclass(frozen=True)
class NothingDue:
    deck: int
    next_due: datetime | None
    tz: str


@dataclass(frozen=True)
class Answered:
    """`right`/`wrong` (recorded), `stale` (already answered), `retired` (no such question),
    `none` (a typed answer with no question asked: nothing due and none answered lately)."""

    status: Literal["right", "wrong", "stale", "retired", "none"]
    question: Question | None = None
    chosen: int = 0
    next_due: datetime | None = None
    due_left: int = 0
    tz: str = "UTC"


async def right_and_answered(
    s: AsyncSession, whose: ColumnElement[bool], since: datetime | None = None
) -> tuple[int, int]:
    """(right, answered) among the quiz answers `whose` selects (a learner, a group's
    members), since a time (all time when None)."""
    q = select(func.count()).where(whose)
    if since is not None:
        q = q.where(QuizAnswer.at >= since)
    total = (await s.execute(q)).scalar_one()
    right = (await s.execute(q.where(QuizAnswer.correct.is_(True)))).scalar_one()
    return int(right), int(total)


class QuizService:
    def __init__(
        self,
        svc: LearningService,
        bank: Callable[[], QuizBank],
        scheduler: Scheduler | None = None,
        daily_max: int = 5,
    ) -> None:
        self.svc = svc
        self.bank = bank  # read live: a re-ingest can reload it
        self.scheduler = scheduler or default_scheduler()
        self.daily_max = daily_max  # reviews offered in a day's nudge, at most

    async def sync_deck(
        self, s: AsyncSession, learner: Learner, state: LearnerState | None = None
    ) -> int:
        """Add the questions of every section the learner has studied; returns how many.
        `state`: the learner's state when the caller already has it (the nudge does)."""
        state = state or await self.svc.state(s, learner)
        tasks = self.svc.curriculum.tasks
        studied = {
            (ref.doc, ref.heading)
            for tid in state.done
            if tid in tasks
            for ref in tasks[tid].sections
        }
        have = set(
            (await s.execute(select(QuizCard.question_id).where(QuizCard.learner_id == learner.id)))
            .scalars()
            .all()
        )
        now = self.svc.clock.now()
        new = [q for q in self.bank().for_sections(studied) if q.id not in have]
        for q in new:
            card = Card()
            s.add(
                QuizCard(
                    learner_id=learner.id,
                    question_id=q.id,
                    fsrs=card.to_json(),
                    due=now,
                    reps=0,
                    created_at=now,
                )
            )
        await s.flush()
        return len(new)

    async def _due(self, s: AsyncSession, learner: Learner) -> list[QuizCard]:
        bank = self.bank().questions
        rows = await s.execute(
            select(QuizCard)
            .where(QuizCard.learner_id == learner.id, QuizCard.due <= self.svc.clock.now())
            .order_by(QuizCard.due, QuizCard.question_id)
        )
        return [c for c in rows.scalars() if c.question_id in bank]

    async def to_offer(
        self, s: AsyncSession, learner: Learner, state: LearnerState | None = None
    ) -> int:
        """Reviews to offer in today's nudge: the due ones, but never more than the daily
        maximum minus what the learner has answered since their local midnight."""
        await self.sync_deck(s, learner, state)
        due = len(await self._due(s, learner))
        local = local_now(learner.tz, self.svc.clock.now())
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        _, answered = await self.accuracy(s, learner, since=midnight)
        return max(0, min(due, self.daily_max - answered))

    async def next(self, s: AsyncSession, who: Who) -> Asked | NothingDue | None:
        """The next due question (None: not enrolled)."""
        learner = await enrolled_learner(self.svc, s, who)
        if learner is None:
            return None
        await self.sync_deck(s, learner)
        due = await self._due(s, learner)
        await s.commit()
        if not due:
            return await self._nothing_due(s, learner)
        card = due[0]
        return Asked(self.bank().questions[card.question_id], card.reps, len(due))

    async def _nothing_due(self, s: AsyncSession, learner: Learner) -> NothingDue:
        bank = self.bank().questions
        rows = await s.execute(
            select(QuizCard.question_id, QuizCard.due).where(QuizCard.learner_id == learner.id)
        )
        dues = [aware(d) for qid, d in rows if qid in bank]
        return NothingDue(len(dues), min(dues) if dues else None, learner.tz)

    async def answer_current(self, s: AsyncSession, who: Who, chosen: int) -> Answered | None:
        """An answer typed as "/quiz 2": to the question /quiz shows now (the first due)."""
        learner = await enrolled_learner(self.svc, s, who)
        if learner is None:
            return None
        due = await self._due(s, learner)
        if not due:
            return Answered("stale" if await self._answered_lately(s, learner) else "none")
        return await self._answer(s, learner, due[0].question_id, due[0].reps, chosen)

    async def _answered_lately(self, s: AsyncSession, learner: Learner) -> bool:
        """An answer in the last STALE_MINUTES: a second "/quiz 2" is that one again."""
        since = self.svc.clock.now() - timedelta(minutes=STALE_MINUTES)
        q = select(func.count()).where(QuizAnswer.learner_id == learner.id, QuizAnswer.at >= since)
        return bool((await s.execute(q)).scalar_one())

    async def answer(
        self, s: AsyncSession, who: Who, question_id: str, reps: int, chosen: int
    ) -> Answered | None:
        """An answer from a button, which names the question and the ask (its review count)."""
        learner = await enrolled_learner(self.svc, s, who)
        if learner is None:
            return None
        return await self._answer(s, learner, question_id, reps, chosen)

    async def _answer(
        self, s: AsyncSession, learner: Learner, question_id: str, reps: int, chosen: int
    ) -> Answered:
        question = self.bank().questions.get(question_id)
        card = await s.get(QuizCard, (learner.id, question_id))
        if question is None or card is None:
            return Answered("retired")
        if card.reps != reps:
            return Answered("stale", question, tz=learner.tz)
        now = self.svc.clock.now()
        right = chosen == question.answer
        rated, _ = self.scheduler.review_card(
            Card.from_json(card.fsrs), Rating.Good if right else Rating.Again, now
        )
        card.fsrs, card.due, card.reps = rated.to_json(), rated.due, card.reps + 1
        s.add(
            QuizAnswer(
                learner_id=learner.id, question_id=question_id, chosen=chosen, correct=right, at=now
            )
        )
        await s.flush()
        left = len(await self._due(s, learner))
        await s.commit()
        status = "right" if right else "wrong"
        return Answered(status, question, chosen, rated.due, left, learner.tz)

    async def accuracy(
        self, s: AsyncSession, learner: Learner, since: datetime | None = None
    ) -> tuple[int, int]:
        """(right, answered) since a time (all time when None)."""
        return await right_and_answered(s, QuizAnswer.learner_id == learner.id, since)

    async def answers_since(
        self, s: AsyncSession, learner: Learner, since: datetime
    ) -> list[tuple[datetime, bool]]:
        """(when, right) of every answer since a time, oldest first: the weekly digest's chart."""
        rows = await s.execute(
            select(QuizAnswer.at, QuizAnswer.correct)
            .where(QuizAnswer.learner_id == learner.id, QuizAnswer.at >= since)
            .order_by(QuizAnswer.at)
        )
        return [(aware(at), bool(right)) for at, right in rows]

    async def deck_counts(
        self, s: AsyncSession, learner: Learner, since: datetime
    ) -> tuple[int, int, int]:
        """(learned, in the deck, added since): a card is learned once FSRS has moved it out
        of its learning steps into review (answered right, and not forgotten since)."""
        rows = (
            await s.execute(
                select(QuizCard.fsrs, QuizCard.created_at).where(QuizCard.learner_id == learner.id)
            )
        ).all()
        learned = sum(Card.from_json(raw).state == State.Review for raw, _ in rows)
        new = sum(aware(created) >= since for _, created in rows)
        return learned, len(rows), new
