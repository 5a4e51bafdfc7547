"""/quiz: the next due review question, and its answer buttons (/quiz answer ID REPS N)."""

from __future__ import annotations

from bot.core.messages import Reply, Request
from bot.core.registry import CommandRegistry
from bot.learning.quizbank import MAX_CHOICES
from bot.learning.review import Asked, QuizService
from bot.learning.service import Who
from bot.replies import quiz as say
from bot.replies.learning import not_enrolled


def register_quiz_commands(reg: CommandRegistry, quiz: QuizService) -> None:
    sessions = quiz.svc.db.sessions

    @reg.command(
        "quiz", "a review question on what you've studied (spaced repetition)", usage="[N]"
    )
    async def quiz_cmd(req: Request, args: str) -> Reply:
        who = Who(req.platform, req.user_id, req.user_name)
        parts = args.split()
        async with sessions() as uow:
            if len(parts) == 1 and _option(parts[0]):  # typed: /quiz 2
                typed = await quiz.answer_current(uow, who, int(parts[0]) - 1)
                return say.answered(typed) if typed else not_enrolled()
            if parts[:1] == ["answer"]:
                answer = _parse_answer(parts[1:])
                if answer is None:
                    return Reply.text("Tap one of the numbered buttons to answer.", kind="error")
                result = await quiz.answer(uow, who, *answer)
                return say.answered(result) if result else not_enrolled()
            result = await quiz.next(uow, who)
        if result is None:
            return not_enrolled()
        return say.asked(result) if isinstance(result, Asked) else say.nothing_due(result)


_OPTIONS = frozenset(str(n) for n in range(1, MAX_CHOICES + 1))


def _option(text: str) -> bool:
    """An option's number as typed: "1" to "4"."""
    return text in _OPTIONS


def _parse_answer(parts: list[str]) -> tuple[str, int, int] | None:
    """(question id, reps, 0-based option) from "ID REPS N", or None."""
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[1:]):
        return None
    if len(parts[1]) > 6 or not _option(parts[2]):
        return None
    return parts[0][:40], int(parts[1]), int(parts[2]) - 1
