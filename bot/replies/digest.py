"""What the weekly digest says: the week in numbers, a chart of the last 8 weeks (PNG) and
next week's focus, with how to move or stop it."""

from __future__ import annotations

from datetime import date

from bot.core.messages import Attachment, Bullets, Button, Paragraph, Reply
from bot.learning.curriculum import DAY_FULL_NAMES, DAY_NAMES
from bot.learning.digest import Digest, Week
from bot.learning.progress_chart import weeks_png
from bot.learning.validate import format_minute
from bot.textutil import joined, plural


def short(day: date) -> str:
    return f"{day.day} {day:%b}"


def digest(d: Digest) -> Reply:
    week = d.week
    lines = [
        _tasks_line(week),
        _streak_line(d),
    ]
    if d.deck:
        lines.append(_quiz_line(d))
    pct = 100 * d.done_count / max(1, d.total_count)
    lines.append(f"Roadmap: {d.done_count} of {d.total_count} tasks done ({pct:.0f}%)")
    blocks = [
        Paragraph(f"📅 Your week, {short(week.start)} – {short(week.end)}"),
        Bullets(tuple(lines)),
    ]
    if not week.tasks and not week.study_days:
        blocks.append(Paragraph("A quiet week. One small task gets you going again: /today."))
    blocks.append(Paragraph(_focus(d)))
    learner = d.learner
    day = DAY_FULL_NAMES[learner.digest_day if learner.digest_day is not None else 6]
    blocks.append(
        Paragraph(
            f"You get this every {day} at {format_minute(learner.nudge_minute)}. "
            f"/settings digest off stops it; /settings digest {DAY_NAMES[4]} moves it."
        )
    )
    chart = weeks_png(
        [(short(w.start), w.tasks if w.enrolled else None, w.answered, w.right) for w in d.weeks],
        title="Your last 8 weeks",
    )
    return Reply(
        tuple(blocks),
        buttons=(Button("📋 Today's task", "/today"),),
        attachments=(Attachment("weekly.png", chart, "image/png"),),
    )


def _streak_line(d: Digest) -> str:
    if d.streak:
        return f"Streak: {plural(d.streak, 'day')} (best {plural(d.best, 'day')})"
    if d.best:
        return f"Streak: ended; your best is {plural(d.best, 'day')}"
    return "Streak: starts with your first study day"


def _tasks_line(week: Week) -> str:
    text = f"Tasks done: {week.tasks}"
    if week.study_days:
        text += f", on {plural(week.study_days, 'study day')}"
    return text


def _quiz_line(d: Digest) -> str:
    week = d.week
    if week.answered:
        pct = 100 * week.right / week.answered
        quiz = f"Quiz: {week.right} of {week.answered} right ({pct:.0f}%)"
    else:
        quiz = "Quiz: no answers this week (/quiz asks one)"
    cards = f"{d.learned} of {plural(d.deck, 'card')} learned"
    if d.new_cards:
        cards += f", {d.new_cards} new this week"
    return f"{quiz}; {cards}"


def _focus(d: Digest) -> str:
    if d.focus_stage is None or not d.focus:
        if d.done_count and d.done_count == d.total_count:
            return "🎓 You've finished the roadmap. /plan shows what comes next."
        return "🎯 Next week: /today shows what's next."
    titles = joined([f"\u201c{t.title}\u201d" for t in d.focus])
    return f"🎯 Next week's focus: {d.focus_stage.title}: {titles}."
