"""Learning commands through the console adapter, over SQLite and PostgreSQL, fake clock."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.adapters.console import run_console
from bot.core.messages import Request
from bot.learning.models import Identity, Learner, TaskEvent


async def say(app, text: str, tmp_path=None) -> str:
    """One line typed into the console chat; returns what the console printed."""
    out = io.StringIO()
    await run_console(
        app.core,
        stdin=io.StringIO(text + "\n"),
        stdout=out,
        outbox=(tmp_path / "outbox") if tmp_path else None,
    )
    return out.getvalue().strip()


async def enrol(app, track="part-time", zone="Europe/Berlin"):
    await say(app, f"/start {track}")
    await say(app, f"/settings tz {zone}")


async def counts(app) -> tuple[int, int]:
    async with app.db.sessions() as s:
        learners = (await s.execute(select(func.count(Learner.id)))).scalar_one()
        events = (await s.execute(select(func.count(TaskEvent.id)))).scalar_one()
    return learners, events


async def test_first_three_messages_of_a_new_learner(app):
    first = await say(app, "/start")
    assert "pick a plan" in first and "/start part-time" in first
    second = await say(app, "/start part-time")
    assert "You're enrolled in Part-time" in second and "time zone" in second
    third = await say(app, "/settings tz Europe/Berlin")
    assert "Time zone: Europe/Berlin" in third and "/today" in third
    today = await say(app, "/today")
    assert "Today's task" in today and "Sources:" in today and "/done" in today


async def test_restarting_onboarding_keeps_progress(app, clock):
    await enrol(app)
    await say(app, "/today")
    await say(app, "/done")
    before = await counts(app)
    again = await say(app, "/start")
    assert "progress is safe" in again
    switched = await say(app, "/start full-time")
    assert "everything you've done still counts" in switched
    assert await counts(app) == before


async def test_done_skip_and_one_slot_per_day(app, clock):
    await enrol(app, "full-time")
    task1 = await say(app, "/today")
    assert "day 1 of" not in task1  # full-time tasks fit one day
    # The reading is named and the excerpt said to open it (it read "Read [1]... below" above
    # one line, which a new user took for a promise of more text).
    assert "in the roadmap (listed under Sources)." in task1 and "begins:" in task1
    done = await say(app, "/done learned a lot")
    total = len(app.learning.curriculum.track_tasks("full-time"))
    assert "Done:" in done and f"1 of {total}" in done
    again = await say(app, "/done")
    assert "already finished today's study" in again
    assert (await counts(app))[1] == 1
    clock.advance(days=1)
    await say(app, "/today")
    skipped = await say(app, "/skip")
    assert "moves to the end of this stage" in skipped
    nxt = await say(app, "/today")
    assert "Today's task" in nxt


async def test_part_time_task_spans_several_days_and_streak_grows(app, clock):
    await enrol(app)
    text = await say(app, "/today")
    assert "(day 1 of 2)" in text
    assert "Day 1 of 2" in await say(app, "/done")
    clock.advance(days=1)
    assert "(day 2 of 2)" in await say(app, "/today")
    done = await say(app, "/done")
    assert "Done:" in done and "Streak: 2 days." in done
    clock.advance(days=3)  # missed two days: streak resets, plan does not pile up
    streak = await say(app, "/streak")
    assert "Streak: 0" in streak and "best: 2" in streak
    today = await say(app, "/today")
    assert today.count("Today's task") == 1


@pytest.mark.parametrize(
    "command,expect",
    [
        ("/settings tz Mars/Base", "isn't a time zone I know"),
        ("/settings time 25:99", "isn't a valid time of day"),
        ("/settings days someday", "couldn't read those days"),
        ("/settings pace 5000", "between 15 minutes and 12 hours"),
        ("/settings pace 100000", "between 15 minutes and 12 hours"),
        ("/settings tz IST", "Did you mean Asia/Kolkata"),
        ("/settings volume 11", "don't have a setting called"),
        ("/snooze forever", "in minutes"),
        ("/start pirate", "don't have a plan called"),
        ("/link WRONG123", "don't know that code"),
        ("/link <b>x</b>", "doesn't look like a link code"),
        ("/done " + "n" * 10_000, "10,000 characters"),
    ],
)
async def test_bad_input_gets_a_helpful_reply_and_changes_nothing(app, command, expect):
    await enrol(app)
    async with app.db.sessions() as s:
        before = (await s.execute(select(Learner))).scalar_one()
        snapshot = {c.key: getattr(before, c.key) for c in Learner.__table__.columns}
    events_before = (await counts(app))[1]
    reply = await say(app, command)
    assert expect in reply
    assert "Traceback" not in reply
    async with app.db.sessions() as s:
        after = (await s.execute(select(Learner))).scalar_one()
        assert {c.key: getattr(after, c.key) for c in Learner.__table__.columns} == snapshot
    assert (await counts(app))[1] == events_before


async def test_done_with_no_task(app):
    assert "haven't picked a study plan" in await say(app, "/done")
    await enrol(app)
    await say(app, "/done")
    assert "already finished today's study" in await say(app, "/done")


async def test_settings_change_and_pause_resume(app):
    await enrol(app)
    reply = await say(app, "/settings time 7pm")
    assert "Daily nudge: 19:00 (on)" in reply
    reply = await say(app, "/settings days mon-fri")
    assert "Study days: Mon-Fri" in reply
    reply = await say(app, "/settings pace 2h")
    assert "Pace: 120 minutes a day" in reply
    assert "(paused" in await say(app, "/settings pause")
    assert "19:00 (on)" in await say(app, "/settings resume")


async def test_snooze_reports_local_time(app, clock):
    await enrol(app)
    reply = await say(app, "/snooze 90")
    assert "11:30 (Europe/Berlin)" in reply  # 09:00 UTC = 10:00 CET, +90 min


async def test_plan_and_progress_chart(app, tmp_path):
    await enrol(app, "fast-track")
    await say(app, "/today")
    await say(app, "/done")
    plan = await say(app, "/plan")
    total = len(app.learning.curriculum.track_tasks("fast-track"))
    assert f"1 of {total} tasks done" in plan and "you'll finish around" in plan
    progress = await say(app, "/progress", tmp_path)
    assert f"You've done 1 of {total} tasks" in progress and "Now: Python foundations" in progress
    assert "0 stage review days" in progress  # not quiz reviews, which a new user looked for
    # /plan lists the stages; /progress gives totals and the chart instead of the same list.
    stages = [line for line in plan.splitlines() if line.startswith("•")]
    assert len(stages) >= 10 and not any(x.startswith("•") for x in progress.splitlines())
    assert not any(line.startswith("• ·") for line in stages)  # read as a double bullet
    png = tmp_path / "outbox" / "progress.png"
    assert f"Saved {png.resolve()}" in progress
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_link_joins_two_accounts_and_keeps_both_histories(app, clock):
    await enrol(app)
    await say(app, "/today")
    await say(app, "/done")
    tg = Request(platform="telegram", user_id="777", text="", user_name="tg-me")

    async def tg_say(text: str) -> str:
        from bot.adapters.plain import render_plain

        return render_plain(await app.core.handle(Request(**{**tg.__dict__, "text": text})))

    await tg_say("/start full-time")
    await tg_say("/today")
    await tg_say("/done")
    code_reply = await say(app, "/link")
    code = code_reply.split("link code is ")[1].split(".")[0]
    assert "Linked!" in await tg_say(f"/link {code}")
    async with app.db.sessions() as s:
        assert (await s.execute(select(func.count(Learner.id)))).scalar_one() == 1
        assert (await s.execute(select(func.count(Identity.id)))).scalar_one() == 2
        assert (await s.execute(select(func.count(TaskEvent.id)))).scalar_one() == 2
    assert "Streak:" in await tg_say("/streak")
    assert "don't know that code" in await tg_say(f"/link {code}")  # one-time


async def test_expired_link_code(app, clock):
    await enrol(app)
    code = (await say(app, "/link")).split("link code is ")[1].split(".")[0]
    clock.advance(minutes=11)
    from bot.adapters.plain import render_plain

    reply = await app.core.handle(Request(platform="telegram", user_id="9", text=f"/link {code}"))
    assert "expired" in render_plain(reply)
    assert (await counts(app))[0] == 1


async def test_export_and_forget(app, tmp_path, clock):
    await enrol(app)
    await say(app, "/done my note")
    exported = await say(app, "/export", tmp_path)
    data = json.loads((tmp_path / "outbox" / "mlbot-export.json").read_text())
    assert data["learner"]["tz"] == "Europe/Berlin"
    assert data["task_events"][0]["note"] == "my note"
    assert data["identities"][0]["platform"] == "console"
    assert "mlbot-export.json" in exported
    assert "Send /forget first" in await say(app, "/forget confirm")
    assert "cannot be undone" in await say(app, "/forget")
    clock.advance(minutes=11)
    assert "Send /forget first" in await say(app, "/forget confirm")
    await say(app, "/forget")
    assert "deleted all your data" in await say(app, "/forget confirm")
    assert await counts(app) == (0, 0)


async def test_help_lists_learning_commands(app):
    text = await say(app, "/help")
    for name in (
        "start",
        "today",
        "done",
        "skip",
        "snooze",
        "plan",
        "progress",
        "streak",
        "settings",
        "link",
        "export",
        "forget",
    ):
        assert f"/{name}" in text


async def test_saved_state_survives_a_new_app(
    app, kb_settings, kb_retriever, curriculum, clock, db_url, tmp_path
):
    """Anything the learner is told was saved is committed: a fresh process sees it."""
    from bot.bootstrap import build_app

    await enrol(app)
    await say(app, "/done")
    other = await build_app(
        kb_settings.with_(database_url=db_url, data_dir=tmp_path / "d2"),
        clock=clock,
        curriculum=curriculum,
        retriever=kb_retriever,
    )
    try:
        reply = await say(other, "/streak")
        assert "Streak: 1" in reply
    finally:
        await other.close()
    clock.advance(days=1)
    _ = timedelta


async def test_where_to_start_points_an_enrolled_learner_at_today(app):
    before = await say(app, "where do I start?")
    assert "The recommended learning order" in before and "Send /start" in before
    await say(app, "/start part-time")
    after = await say(app, "where do I start?")
    assert "The recommended learning order" in after
    assert "send /today to see today's task" in after and "Send /start" not in after


async def test_the_console_shows_no_rating_buttons_and_marks_where_each_reply_ends(app):
    from bot.adapters.console import REPLY_END

    answer = await say(app, "what math do I need?")
    assert "linear algebra" in answer and "/feedback" not in answer  # buttons are for tapping
    out = io.StringIO()
    await run_console(app.core, stdin=io.StringIO("/help\n/start\n"), stdout=out)
    replies = out.getvalue().split(REPLY_END)
    assert len(replies) == 3 and "/quiz" in replies[0] and "pick a plan" in replies[1]
    assert "/start part-time (Part-time)" in replies[1]  # not "(Part-time (about 1 hour...))"
    assert "Tap one below" not in replies[1]


async def test_an_option_number_typed_alone_answers_the_quiz_question(app):
    """Found by a new user: the quiz says to type a number, and "1" alone went to search."""
    assert "pick a plan" in await say(app, "1")  # no plan yet: a number shows the menu
    await enrol(app, "full-time")
    assert "No quiz question is waiting" in await say(app, "2")
    await say(app, "/done")
    assert "Reply with: /quiz 1" in await say(app, "/quiz")
    verdict = await say(app, "1")
    assert "Right!" in verdict or "Not quite" in verdict, verdict
    # Other ways a third new-user trial answered: "2." and "the second one" went to search.
    for typed in ("the second one", "2."):
        reply = await say(app, typed)
        assert any(k in reply for k in ("Right!", "Not quite", "No quiz question")), reply
    assert "Sorry if that wasn't clear" in await say(app, "7")


async def test_a_note_sent_after_the_day_is_done_joins_it(app):
    """Found by a new user: a second /done with a note was answered "already finished" and
    the note was lost."""
    await enrol(app, "full-time")
    await say(app, "/done first note")
    again = await say(app, "/done read chapter 2 as well")
    assert "Added your note" in again and "already finished today's study" in again
    async with app.db.sessions() as s:
        notes = (await s.execute(select(TaskEvent.note))).scalars().all()
    assert notes == ["first note\nread chapter 2 as well"]
    assert (await counts(app))[1] == 1  # still one day done


async def test_a_plan_named_after_the_start_menu_picks_it(app):
    """Found by a new user: "part-time" typed after the /start menu went to search."""
    assert "pick a plan" in await say(app, "/start")
    assert "Part-time" in await say(app, "part time")
    async with app.db.sessions() as s:
        assert (await s.execute(select(Learner.track))).scalar_one() == "part-time"
    again = await say(app, "full-time")  # enrolled: a question again, and how to switch
    assert "Timeline" in again and "To switch to the Full-time plan, send /start full-time" in again
    assert "To switch" not in await say(app, "part-time")  # the plan they follow


async def test_a_time_zone_typed_without_the_command_is_set(app):
    """A third new-user trial typed "timezone Europe/Berlin" after /settings: it was searched."""
    await enrol(app, "part-time", zone="UTC")
    assert "Time zone: Europe/Berlin" in await say(app, "timezone Europe/Berlin")


async def test_streak_needs_a_plan_like_the_other_plan_commands(app):
    """A new user who had only changed a setting was told "Streak: 0 ... Keep it going"."""
    await say(app, "/settings tz Europe/Berlin")
    assert "haven't picked a study plan" in await say(app, "/streak")


async def test_a_question_about_study_time_points_at_the_plans_until_one_is_chosen(app):
    """A third new-user trial asked "i only have like 1 hour a day" and "is there a part time
    path" and got timeline text that never named the bot's own part-time plan."""
    asked = await say(app, "i only have like 1 hour a day, how long will it take")
    assert "/start part-time" in asked
    assert "/start part-time" not in await say(app, "what math do I need?")
    await enrol(app, "part-time")
    assert "/start part-time" not in await say(app, "how long does it take")
