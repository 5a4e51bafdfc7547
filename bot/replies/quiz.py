"""What /quiz says: a question with numbered options and one button per option; the verdict
with its explanation and the section that teaches it; when the next review is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.core.answers import Citation
from bot.core.messages import Bullets, Button, Paragraph, Reply
from bot.learning.quizbank import Question
from bot.learning.review import Answered, Asked, NothingDue
from bot.learning.service import local_now
from bot.textutil import plural

NEXT = Button("➡️ Next question", "/quiz")


def _cite(q: Question) -> tuple[Citation, ...]:
    return (Citation(1, q.section.title, q.section.heading, q.section.source),)


def when(due: datetime, tz: str) -> str:
    return local_now(tz, due).strftime("%a %d %b at %H:%M")


def asked(a: Asked) -> Reply:
    q = a.question
    head = f"🧠 Review ({plural(a.due, 'question')} due): {q.text}"
    numbered = tuple(f"{n}. {option}" for n, option in enumerate(q.options, 1))
    buttons = tuple(
        Button(str(n), f"/quiz answer {q.id} {a.reps} {n}", typed=f"/quiz {n}")
        for n in range(1, len(q.options) + 1)
    )
    hint = Paragraph(f"Tap a number, or type /quiz 1 to /quiz {len(q.options)}.")
    options = Paragraph("\n".join(numbered))  # numbered lines, not bullets before numbers
    return Reply((Paragraph(head), options, hint), buttons=buttons)


def nothing_due(n: NothingDue) -> Reply:
    if n.deck == 0:
        return Reply.text(
            "Your review deck is empty for now. A task's questions join it when you finish "
            "the task (a task of several days, on its last day). /today shows where you are."
        )
    nxt = f" The next one is due {when(n.next_due, n.tz)} ({n.tz})." if n.next_due else ""
    return Reply.text(f"✅ No reviews due: all {plural(n.deck, 'card')} are scheduled.{nxt}")


def answered(a: Answered) -> Reply:
    if a.status == "retired":
        return Reply.text(
            "That question is no longer in the quiz (its section changed). Send /quiz for the "
            "next one.",
            kind="error",
        )
    if a.status == "none":
        return Reply.text(
            "No quiz question is waiting for an answer. Send /quiz to get one.", kind="info"
        )
    q = a.question
    if a.status == "stale" or q is None:
        return Reply.text("You've already answered that one; it counted once. 👍", kind="info")
    if a.status == "right":
        verdict = "✅ Right!"
    else:
        verdict = f"❌ Not quite: the answer is {q.answer + 1}. {q.options[q.answer]}"
    blocks: list = [Paragraph(verdict), Bullets((q.explanation,), (1,))]
    if a.next_due:
        blocks.append(Paragraph(f"I'll ask it again {when(a.next_due, a.tz)}."))
    if a.due_left:
        blocks.append(Paragraph(f"{plural(a.due_left, 'more question')} due now."))
    buttons = (NEXT,) if a.due_left else ()
    return Reply(tuple(blocks), citations=_cite(q), buttons=buttons)


def with_reviews(reply: Reply, offered: int) -> Reply:
    """The daily nudge with its review offer ("2 quick review questions"), if any."""
    if offered <= 0:
        return reply
    offer = Paragraph(
        f"🧠 Also: {plural(offered, 'quick review question')} on what you've studied."
    )
    button = Button(f"🧠 Review ({offered})", "/quiz")
    return replace(reply, blocks=(*reply.blocks, offer), buttons=(*reply.buttons, button))
