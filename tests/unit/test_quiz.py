"""/quiz on its own: the bank's links are validated at load, cards join a deck when the task
that teaches their section is done, FSRS schedules right answers out and wrong ones back
soon, and a second answer to the same ask counts once."""

from __future__ import annotations

from datetime import timedelta

import yaml

from bot.adapters.plain import render_plain
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.learning import usecases as uc
from bot.learning.models import QuizAnswer
from bot.learning.quizbank import load_quiz_bank
from bot.learning.review import Answered, Asked, NothingDue, QuizService, default_scheduler
from bot.learning.service import Who
from bot.replies import quiz as say

ANN = Who("telegram", "1", "Ann")
WHY_PYTHON = "06-programming-and-tools#Why Python comes first"  # taught by task py-setup


def question(qid: str, **kw) -> dict:
    base = {
        "id": qid,
        "stage": "python",
        "section": WHY_PYTHON,
        "question": "Why learn Python first?",
        "options": ["Its ML libraries", "It is the fastest language", "Browsers run it"],
        "answer": 0,
        "explanation": "Nearly every ML library is used from Python.",
    }
    return {**base, **kw}


def write_bank(tmp_path, items: list[dict]):  # type: ignore[no-untyped-def]
    path = tmp_path / "quizzes.yaml"
    path.write_text(yaml.safe_dump({"questions": items}), encoding="utf-8")
    return path


def test_the_bank_keeps_good_questions_and_reports_the_rest(tmp_path, curriculum):
    path = write_bank(
        tmp_path,
        [
            question("why-python"),
            question("Bad ID!"),
            question("no-stage", stage="cooking"),
            question("gone", section="06-programming-and-tools#A heading that is not there"),
            question("two-options", options=["a", "b"]),
            question("wrong-answer", answer=3),
            question("why-python"),
        ],
    )
    bank, problems = load_quiz_bank(path, DEFAULT_KNOWLEDGE_DIR, curriculum)
    assert list(bank.questions) == ["why-python"]
    assert len(problems) == 6 and any("not in the knowledge folder" in p for p in problems)
    assert any("duplicate id" in p for p in problems)


async def test_cards_join_when_the_task_is_done_and_fsrs_spaces_them(svc, tmp_path, curriculum):
    bank, _ = load_quiz_bank(
        write_bank(tmp_path, [question("why-python")]), DEFAULT_KNOWLEDGE_DIR, curriculum
    )
    quiz = QuizService(svc, lambda: bank, default_scheduler(fuzz=False))
    async with svc.db.sessions() as uow:
        assert await quiz.next(uow, ANN) is None  # not enrolled
        await uc.enrol(svc, uow, ANN, "full-time", "UTC", "")
        empty = await quiz.next(uow, ANN)
    assert isinstance(empty, NothingDue) and empty.deck == 0
    shown = render_plain(say.nothing_due(empty))
    # It told a learner midway through a multi-day task to "send /today to get going".
    assert "deck is empty" in shown and "when you finish the task" in shown
    async with svc.db.sessions() as uow:
        await uc.done(svc, uow, ANN, None)  # py-setup links WHY_PYTHON
        asked = await quiz.next(uow, ANN)
    assert isinstance(asked, Asked) and asked.question.id == "why-python" and asked.due == 1
    shown = render_plain(say.asked(asked))
    assert "\n1. Its ML libraries\n2. It is the fastest" in shown and "• 1." not in shown
    assert "Reply with: /quiz 1 (1)  /quiz 2 (2)" in shown  # typed forms where no buttons
    assert [b.action for b in say.asked(asked).buttons][0] == "/quiz answer why-python 0 1"

    async with svc.db.sessions() as uow:
        right = await quiz.answer(uow, ANN, "why-python", 0, 0)
        again = await quiz.answer(uow, ANN, "why-python", 0, 0)  # a double tap
    assert right.status == "right" and right.next_due - svc.clock.now() >= timedelta(days=1)
    verdict = render_plain(say.answered(right))
    assert "✅ Right!" in verdict and "Nearly every ML library" in verdict
    assert "Why Python comes first" in verdict  # the section that teaches it
    assert again.status == "stale"
    async with svc.db.sessions() as uow:
        later = await quiz.next(uow, ANN)
        assert isinstance(later, NothingDue) and later.next_due == right.next_due
        answers = (await uow.execute(QuizAnswer.__table__.select())).all()
    assert len(answers) == 1  # counted once

    svc.clock.set(right.next_due + timedelta(minutes=1))
    async with svc.db.sessions() as uow:
        asked = await quiz.next(uow, ANN)
        wrong = await quiz.answer(uow, ANN, "why-python", asked.reps, 1)
        learner = await svc.find_learner(uow, ANN)
        accuracy = await quiz.accuracy(uow, learner)
    assert isinstance(wrong, Answered) and wrong.status == "wrong"
    assert wrong.next_due - svc.clock.now() <= timedelta(hours=1)  # back soon
    assert "the answer is 1. Its ML libraries" in render_plain(say.answered(wrong))
    assert accuracy == (1, 2)


async def test_an_answer_to_a_question_no_longer_in_the_bank(svc, tmp_path, curriculum):
    bank, _ = load_quiz_bank(
        write_bank(tmp_path, [question("why-python")]), DEFAULT_KNOWLEDGE_DIR, curriculum
    )
    quiz = QuizService(svc, lambda: bank, default_scheduler(fuzz=False))
    async with svc.db.sessions() as uow:
        await uc.enrol(svc, uow, ANN, "full-time", "UTC", "")
        gone = await quiz.answer(uow, ANN, "no-such-question", 0, 0)
    assert gone.status == "retired" and "no longer in the quiz" in render_plain(say.answered(gone))


async def test_typing_the_option_number_answers_the_question_on_screen(svc, tmp_path, curriculum):
    bank, _ = load_quiz_bank(
        write_bank(tmp_path, [question("why-python")]), DEFAULT_KNOWLEDGE_DIR, curriculum
    )
    quiz = QuizService(svc, lambda: bank, default_scheduler(fuzz=False))
    async with svc.db.sessions() as uow:
        await uc.enrol(svc, uow, ANN, "full-time", "UTC", "")
        never_asked = await quiz.answer_current(uow, ANN, 1)  # found by a new user: it said
        await uc.done(svc, uow, ANN, None)  # "You've already answered that one"
        assert isinstance(await quiz.next(uow, ANN), Asked)
        typed = await quiz.answer_current(uow, ANN, 0)
        nothing = await quiz.answer_current(uow, ANN, 0)
    assert typed.status == "right" and nothing.status == "stale"
    assert never_asked.status == "none"
    assert "No quiz question is waiting" in render_plain(say.answered(never_asked))


async def test_reviews_offered_in_a_day_never_exceed_the_daily_maximum(svc, tmp_path, curriculum):
    items = [question("why-python"), question("why-python-2"), question("why-python-3")]
    bank, _ = load_quiz_bank(write_bank(tmp_path, items), DEFAULT_KNOWLEDGE_DIR, curriculum)
    quiz = QuizService(svc, lambda: bank, default_scheduler(fuzz=False), daily_max=2)
    async with svc.db.sessions() as uow:
        await uc.enrol(svc, uow, ANN, "full-time", "UTC", "")
        await uc.done(svc, uow, ANN, None)
        learner = await svc.find_learner(uow, ANN)
        assert await quiz.to_offer(uow, learner) == 2  # 3 due, at most 2 a day
        await quiz.answer_current(uow, ANN, 0)
        assert await quiz.to_offer(uow, learner) == 1  # one answered today
        svc.clock.advance(days=1)
        assert await quiz.to_offer(uow, learner) == 2  # a new day: the 2 still due
