"""90 simulated days of a full-time learner who finishes a task a day and answers every due
review question, 80% of them right: FSRS keeps the daily load small and spaces cards out.
Prints the figures (reviews per day, accuracy, intervals) for the report."""

from __future__ import annotations

import random

from sqlalchemy import select

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.learning import usecases as uc
from bot.learning.models import QuizCard
from bot.learning.quizbank import load_quiz_bank
from bot.learning.review import Asked, QuizService, default_scheduler
from bot.learning.service import Who

ANN = Who("telegram", "1", "Ann")
DAYS = 90


async def test_ninety_days_of_reviews_at_80_percent_right(svc, curriculum):
    bank, problems = load_quiz_bank(
        DEFAULT_KNOWLEDGE_DIR / "quizzes.yaml", DEFAULT_KNOWLEDGE_DIR, curriculum
    )
    assert problems == [] and len(bank.questions) >= 4 * len(curriculum.stages)
    quiz = QuizService(svc, lambda: bank, default_scheduler(fuzz=False))
    rng = random.Random(7)
    per_day: list[int] = []
    async with svc.db.sessions() as uow:
        await uc.enrol(svc, uow, ANN, "full-time", "UTC", "")
    for _ in range(DAYS):
        async with svc.db.sessions() as uow:
            await uc.done(svc, uow, ANN, None)
            answered = 0
            while isinstance(asked := await quiz.next(uow, ANN), Asked) and answered < 200:
                right = rng.random() < 0.8
                wrong = (asked.question.answer + 1) % len(asked.question.options)
                await quiz.answer_current(uow, ANN, asked.question.answer if right else wrong)
                answered += 1
            per_day.append(answered)
        svc.clock.advance(days=1)
    async with svc.db.sessions() as uow:
        learner = await svc.find_learner(uow, ANN)
        right, total = await quiz.accuracy(uow, learner)
        cards = (await uow.execute(select(QuizCard))).scalars().all()
    now = svc.clock.now()
    ahead = sorted((c.due.replace(tzinfo=now.tzinfo) - now).days for c in cards)
    months = [sum(per_day[i : i + 30]) / 30 for i in range(0, DAYS, 30)]
    print(
        f"\n90-day FSRS simulation: {len(cards)} cards, {total} answers ({right / total:.0%} right); "
        f"reviews per day: mean {total / DAYS:.1f}, max {max(per_day)}, "
        f"by month {', '.join(f'{m:.1f}' for m in months)}; "
        f"days until next review: median {ahead[len(ahead) // 2]}, max {ahead[-1]}"
    )
    assert 0.7 < right / total < 0.9
    assert max(per_day) <= 40  # never a wall of reviews
    assert ahead[len(ahead) // 2] >= 3  # most cards are spaced days out, not re-asked daily
    assert total < len(cards) * 8  # spacing, not drilling
