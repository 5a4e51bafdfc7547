"""The nudge engine with a fake clock over a real database: time zones, DST, restarts."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.learning.due import week_of
from bot.learning.models import Learner, NudgeSent
from bot.nudges.delivery import RetryAfter
from tests.integration.nudge_run import Run, add_learner, per_local_day, per_local_week, sent_rows

DST_CASES = [
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("Asia/Kolkata", date(2026, 6, 1)),
    ("Pacific/Chatham", date(2026, 4, 5)),
    ("Pacific/Chatham", date(2026, 9, 27)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
]


@pytest.mark.parametrize("tz,day", DST_CASES, ids=[f"{z}-{d}" for z, d in DST_CASES])
async def test_one_nudge_per_local_day_across_dst_and_odd_offsets(app, clock, tz, day):
    if app.db.dialect != "sqlite":
        pytest.skip("time-zone arithmetic does not depend on the database; SQLite covers it")
    zone = ZoneInfo(tz)
    times = {"early": "01:45", "gap": "02:30", "morning": "09:00", "late": "23:50"}
    for user, at in times.items():
        await add_learner(app, user, tz, at)
    start = datetime.combine(day - timedelta(days=1), time(0, 0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=2), time(0, 0), zone).astimezone(UTC)
    clock.set(start)
    run = Run(app, clock, app.queue.deliverers["telegram"])
    await run.until(end, timedelta(minutes=10))
    rows = await sent_rows(app)
    for user, at in times.items():
        days = await per_local_day(run, user)
        window = Counter({day - timedelta(days=1): 1, day: 1, day + timedelta(days=1): 1})
        assert {d: n for d, n in days.items() if d in window} == window, (user, days)
        hh, mm = map(int, at.split(":"))
        for _, local_date, _, written in (r for r in rows if r[0] == user and r[1] in window):
            due = datetime.combine(local_date, time(hh, mm), zone).astimezone(UTC)
            if due.astimezone(zone).time() != time(hh, mm):
                # The time does not exist that day (DST gap): due at the first minute after it.
                due = next(
                    due + timedelta(minutes=m)
                    for m in range(-120, 120)
                    if (due + timedelta(minutes=m)).astimezone(zone).time() >= time(hh, mm)
                    and (due + timedelta(minutes=m)).astimezone(zone).date() == local_date
                )
            late = (written - due).total_seconds() / 60
            assert 0 <= late < 10, (user, local_date, late)  # within one 10-minute tick


async def test_missed_nudge_is_sent_on_start_within_grace_and_skipped_after(app, clock):
    await add_learner(app, "a", "Europe/Berlin", "18:00")
    await add_learner(app, "b", "Europe/Berlin", "08:00")
    run = Run(app, clock, app.queue.deliverers["telegram"])
    clock.set(datetime(2026, 3, 3, 19, 0, tzinfo=UTC))  # 20:00 Berlin: a is 2 h late, b 12 h
    await run.restart()
    await run.tick()
    assert [c for c, _ in run.sent_at] == ["a"]


async def test_nudge_carries_task_excerpt_and_buttons(app, clock):
    await add_learner(app, "a", "UTC", "09:00")
    run = Run(app, clock, app.queue.deliverers["telegram"])
    await run.tick()
    target, reply = run.deliverer.sent[0]
    assert target.chat_id == "a" and target.kind == "dm"
    assert [b.action for b in reply.buttons] == ["/done", "/skip", "/snooze"]
    assert reply.citations and " › " not in reply.citations[0].title
    assert any(getattr(b, "cites", ()) == (1,) for b in reply.blocks)  # one cited excerpt


async def test_the_daily_nudge_offers_due_reviews_up_to_the_daily_maximum(app, clock):
    from bot.adapters.plain import render_plain
    from bot.core.messages import Button, Request

    await add_learner(app, "q", "UTC", "09:00")
    yesterday = clock.now() - timedelta(days=1)
    clock.set(yesterday)
    await app.core.handle(Request(platform="telegram", user_id="q", text="/done"))  # 3 cards
    clock.set(yesterday + timedelta(days=1))
    app.quiz.daily_max = 2
    run = Run(app, clock, app.queue.deliverers["telegram"])
    await run.tick()
    _, reply = run.deliverer.sent[0]
    assert "2 quick review questions" in render_plain(reply)
    assert reply.buttons[-1] == Button("🧠 Review (2)", "/quiz")


async def test_the_nudge_tells_a_learner_who_fell_behind_once(app, clock):
    from bot.adapters.plain import render_plain
    from bot.core.messages import Request

    def say(text: str):  # type: ignore[no-untyped-def]
        return app.core.handle(Request(platform="telegram", user_id="p", text=text))

    await say("/start part-time UTC 09:30")
    await say("/today")
    clock.set(clock.now() + timedelta(days=10, minutes=31))  # ten days missed, 09:31
    run = Run(app, clock, app.queue.deliverers["telegram"])
    await run.tick()
    [(_, nudge)] = run.deliverer.sent
    text = render_plain(nudge)
    assert text.index("Time to study") < text.index("study days were missed")
    assert {"/pace keep", "/pace move"} <= {b.action for b in nudge.buttons}
    assert "study days were missed" not in render_plain(await say("/today"))  # told once


async def test_blocked_user_is_paused_and_not_nudged_again(app, clock):
    lid = await add_learner(app, "gone", "UTC", "09:00")
    deliverer = app.queue.deliverers["telegram"]
    deliverer.blocked.add("gone")
    run = Run(app, clock, deliverer)
    await run.tick()
    async with app.db.sessions() as s:
        learner = await s.get(Learner, lid)
        assert learner.nudges_paused and "blocked" in learner.pause_reason
        row = (await s.execute(select(NudgeSent))).scalar_one()
        assert row.status == "blocked"
    clock.advance(days=1)
    await run.tick()
    assert deliverer.sent == []


async def test_retry_after_is_honoured(app, clock):
    await add_learner(app, "a", "UTC", "09:00")
    deliverer = app.queue.deliverers["telegram"]
    deliverer.fail_next.append(RetryAfter(0.3))
    run = Run(app, clock, deliverer)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await run.tick()
    assert loop.time() - t0 >= 0.3
    assert len(deliverer.sent) == 1 and app.queue.stats["telegram"].retry_after == 1


async def test_snooze_reminds_once(app, clock):
    await add_learner(app, "console-user", "UTC", "23:00", platform="console")
    from bot.adapters.plain import render_plain
    from bot.core.messages import Request

    reply = await app.core.handle(
        Request(platform="console", user_id="console-user", text="/snooze 30")
    )
    assert "09:30" in render_plain(reply)
    console = app.queue.deliverers["console"]
    run = Run(app, clock, console)
    await run.tick()
    assert console.sent == []
    clock.advance(minutes=31)
    await run.tick()
    await run.tick()
    assert len(console.sent) == 1 and "Reminder" in render_plain(console.sent[0][1])


async def test_paused_inactive_and_finished_learners_get_no_nudge(app, clock):
    await add_learner(
        app, "weekend-only", "UTC", "09:00", days=0b1100000
    )  # Sat, Sun; today is Monday
    lid = await add_learner(app, "paused", "UTC", "09:00")
    async with app.db.sessions() as s:
        (await s.get(Learner, lid)).nudges_paused = True
        await s.commit()
    run = Run(app, clock, app.queue.deliverers["telegram"])
    await run.tick()
    assert run.deliverer.sent == []


@pytest.mark.slow
async def test_nudges_cli_prints_who_is_due(kb_settings, tmp_path, subprocess_env, curriculum):
    import subprocess
    import sys

    from bot.bootstrap import build_app

    settings = kb_settings.with_(data_dir=tmp_path / "d")
    app = await build_app(settings, curriculum=curriculum)
    await add_learner(app, "ny", "America/New_York", "19:00")
    await add_learner(app, "in", "Asia/Kolkata", "07:30")
    await app.close()
    env = {**subprocess_env, "MLBOT_KNOWLEDGE_DIR": str(kb_settings.knowledge_dir)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "nudges",
            "--due-at",
            "2026-03-09T23:05:00+00:00",
            "--data-dir",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert (
        "1 learner due" in out.stdout
        and "telegram:ny" in out.stdout
        and "local 2026-03-09 19:05" in out.stdout
    )
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "nudges",
            "--due-at",
            "tomorrow",
            "--data-dir",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert bad.returncode == 2 and "ISO date-time" in bad.stderr


@pytest.mark.slow
async def test_simulated_year_with_restarts_has_no_duplicate_and_no_missing_nudge(app, clock):
    """A year of ticks (every 5 h, inside the 6 h grace) with random restarts, some mid-tick:
    one daily nudge per local day and one weekly digest per local week, on the chosen day,
    across the DST changes of every zone (most fall on the Sunday digests)."""
    if app.db.dialect != "sqlite":
        pytest.skip(
            "the year simulation runs on SQLite; PostgreSQL runs the same engine in the other tests"
        )
    rng = random.Random(20261121)
    learners = {
        "ny": ("America/New_York", "07:15"),
        "berlin": ("Europe/Berlin", "18:00"),
        "kolkata": ("Asia/Kolkata", "21:30"),
        "chatham": ("Pacific/Chatham", "02:45"),
        "lordhowe": ("Australia/Lord_Howe", "01:40"),
        "utc": ("UTC", "00:00"),
        "la": ("America/Los_Angeles", "23:59"),
        "tokyo": ("Asia/Tokyo", "12:00"),
    }
    # Wednesday, Monday, off; Sunday for the rest. Los Angeles changes clocks on New York's
    # dates, so it does without a digest: each one draws a chart, the slowest step here.
    digest_days = {"berlin": 2, "kolkata": 0, "tokyo": None, "la": None}
    for user, (tz, at) in learners.items():
        await add_learner(app, user, tz, at, digest_day=digest_days.get(user, 6))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    clock.set(start)
    run = Run(app, clock, app.queue.deliverers["telegram"])
    restarts = in_tick = 0
    while clock.now() < end:
        if rng.random() < 0.045:
            restarts += 1
            if rng.random() < 0.5:  # die in the middle of a tick
                in_tick += 1
                before = len(run.deliverer.sent)
                task = asyncio.ensure_future(run.engine.tick())
                for _ in range(rng.randint(0, 40)):
                    await asyncio.sleep(0)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await run.queue.stop()
                run.collect(before)
            await run.restart()
        await run.tick()
        clock.set(clock.now() + timedelta(hours=5))
    duplicates = missing = 0
    for user, (tz, _) in learners.items():
        days = await per_local_day(run, user)
        first = (start.astimezone(ZoneInfo(tz)) + timedelta(days=1)).date()
        last = (end.astimezone(ZoneInfo(tz)) - timedelta(days=1)).date()
        d = first
        while d <= last:
            n = days.get(d, 0)
            duplicates += max(0, n - 1)
            missing += n == 0
            d += timedelta(days=1)
    weekly = Counter()
    for user, (tz, _) in learners.items():
        weeks = await per_local_week(run, user)
        day = digest_days.get(user, 6)
        if day is None:
            assert not weeks, user
            continue
        for monday, sent_on in weeks.items():  # on the chosen day of its own week, or just
            chosen = monday + timedelta(days=day)  # after midnight within the grace window
            assert [(d - chosen).days in (0, 1) for d in sent_on] == [True], (user, sent_on)
        local_start = start.astimezone(ZoneInfo(tz)).date()
        monday = week_of(local_start) + timedelta(weeks=1)  # the first whole local week
        while monday + timedelta(days=7) <= end.astimezone(ZoneInfo(tz)).date():
            weekly[len(weeks.get(monday, []))] += 1
            monday += timedelta(weeks=1)
    statuses = Counter(r[2] for r in await sent_rows(app))
    print(
        f"\nyear simulation: {len(run.sent_at)} nudges, {restarts} restarts ({in_tick} inside a tick), "
        f"{duplicates} duplicates, {missing} missing; row statuses {dict(statuses)}; "
        f"{len(run.digests_at)} weekly digests, local weeks by digests sent {dict(weekly)}"
    )
    assert restarts > 50 and in_tick > 20
    assert duplicates == 0 and missing == 0
    assert set(weekly) == {1} and weekly[1] >= 6 * 50  # every whole week once, none twice


async def test_learner_who_cannot_be_messaged_is_told_once_at_next_command(app, clock):
    from bot.adapters.plain import render_plain
    from bot.core.messages import Request

    await add_learner(app, "closed", "UTC", "09:00")
    deliverer = app.queue.deliverers["telegram"]
    deliverer.blocked.add("closed")
    await Run(app, clock, deliverer).tick()
    first = render_plain(
        await app.core.handle(Request(platform="telegram", user_id="closed", text="/streak"))
    )
    assert "I can't message you" in first and "paused nudges" in first and "Streak" in first
    second = render_plain(
        await app.core.handle(Request(platform="telegram", user_id="closed", text="/streak"))
    )
    assert "I can't message you" not in second
