"""What a study group is told: the daily group post (the week's first carries the weekly
digest), and the
replies to /group and to a member's Done."""

from __future__ import annotations

from bot.core.messages import Bullets, Button, Paragraph, Reply
from bot.learning.groups import Board, DuePost, GroupService, GroupWeek, Marked, SetUp, Status
from bot.learning.validate import format_days, format_minute
from bot.replies.learning import task_citations
from bot.textutil import plural

DONE_BUTTON = (Button("✅ Done", "/done"),)
MEDALS = ("🥇", "🥈", "🥉")
NO_PLAN = (
    "This chat has no study plan yet. An admin can start one with /group setup TRACK ZONE HH:MM."
)
SETUP_USAGE = (
    "Usage: /group setup TRACK ZONE HH:MM, for example /group setup part-time Europe/Berlin "
    "19:00. Tracks: "
)


def post(item: DuePost) -> Reply:
    """The group's daily task post."""
    blocks: list = []
    if item.weekly is not None:
        blocks += weekly(item.weekly)
    task = item.task
    blocks += [
        Paragraph(f"📣 Group task {item.number}: {task.title}"),
        Paragraph(f"{task.details} About {task.minutes} min. Tap Done when you've finished it."),
    ]
    return Reply(tuple(blocks), citations=task_citations(task), buttons=DONE_BUTTON)


def rank(i: int) -> str:
    return MEDALS[i] if i < len(MEDALS) else f"{i + 1}."


def weekly(week: GroupWeek) -> list:
    """The group's weekly digest: the leaderboard of the last seven days and quiz accuracy."""
    lines = [f"{rank(i)} {name}: {plural(n, 'task')}" for i, (name, n) in enumerate(week.board)]
    lines = lines or ["No tasks marked done last week."]
    if week.answered:
        pct = 100 * week.right / week.answered
        lines.append(
            f"Quiz: members answered {week.right} of {plural(week.answered, 'review question')}"
            f" right ({pct:.0f}%)"
        )
    return [Paragraph("📊 Last week in this group:"), Bullets(tuple(lines))]


def set_up(groups: GroupService, result: SetUp) -> Reply:
    tracks = groups.cur.tracks
    if result.status == "unknown_track":
        return Reply.text(
            f"I don't have a plan called \u201c{result.typed}\u201d. Choose one of: "
            + ", ".join(tracks)
            + ".",
            kind="error",
        )
    if result.status == "invalid":
        return Reply.text(f"{result.error} Nothing was changed.", kind="error")
    group = result.group
    assert group is not None
    return Reply.text(
        f"📚 This chat now follows {tracks[group.track].name}. I'll post the "
        f"group's task at {format_minute(group.nudge_minute)} ({group.tz}), "
        f"{format_days(group.active_days)}. Everyone taps Done when finished; "
        "/group leaderboard shows who's keeping up."
    )


def setup_usage(groups: GroupService) -> Reply:
    return Reply.text(SETUP_USAGE + ", ".join(groups.cur.tracks) + ".", kind="error")


def status(groups: GroupService, st: Status) -> Reply:
    g = st.group
    state = "paused" if g.paused else "on"
    return Reply.text(
        f"This group follows {groups.cur.tracks[g.track].name}: {plural(st.posted, 'task')} posted, "
        f"{plural(st.members, 'member')}, daily post at {format_minute(g.nudge_minute)} "
        f"({g.tz}), {format_days(g.active_days)} ({state})."
    )


def leaderboard(board: Board) -> Reply:
    if not board:
        return Reply.text("No one has marked a group task done yet. Be the first!")
    lines = tuple(f"{rank(i)} {name}: {n}" for i, (name, n) in enumerate(board))
    return Reply((Paragraph("🏆 Group tasks done:"), Bullets(lines)))


def paused(is_paused: bool) -> Reply:
    return Reply.text(
        "⏸ Daily group posts paused. /group resume to restart them."
        if is_paused
        else "▶️ Daily group posts are back on."
    )


def left(was_member: bool) -> Reply:
    if not was_member:
        return Reply.text("You're not a member of this group's plan.")
    return Reply.text("You've left this group's plan. Your own progress is untouched.")


def group_done_reply(marked: Marked, name: str | None) -> Reply:
    """A member's Done in a group chat (/done there)."""
    if marked.status == "no_group":
        return Reply.text(NO_PLAN, kind="error")
    if marked.status == "not_posted":
        g = marked.group
        assert g is not None
        return Reply.text(
            "The group's first task hasn't been posted yet; it comes at "
            f"{format_minute(g.nudge_minute)} ({g.tz}).",
            kind="error",
        )
    if marked.status == "already":
        return Reply.text(f"You've already marked \u201c{marked.task_title}\u201d done. 👍")
    return Reply.text(
        f"✅ {name or 'You'} finished \u201c{marked.task_title}\u201d. "
        f"{plural(marked.count, 'member')} done so far today."
    )
