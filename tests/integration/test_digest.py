"""The weekly digest: what it reports, once per local week on the chosen day, the settings
that move or stop it, a restart between writing and sending, and the group's weekly digest."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.adapters.plain import render_plain
from bot.core.messages import Reply, Request
from bot.learning.models import Learner, WeeklyDigest
from tests.integration.nudge_run import Run
from tests.integration.test_groups import in_group

PNG = b"\x89PNG\r\n\x1a\n"


def talk(app, user: str = "dee"):  # type: ignore[no-untyped-def]
    async def say(text: str) -> str:
        req = Request(platform="telegram", user_id=user, text=text, user_name=user.title())
        return render_plain(await app.core.handle(req))

    return say


def digests(run: Run) -> list[Reply]:
    return [
        r for _, r in run.deliverer.sent if any(a.filename == "weekly.png" for a in r.attachments)
    ]


async def study_week(app, clock, say) -> None:  # type: ignore[no-untyped-def]
    """Monday 2 March to Friday: a task done each day and every due quiz question answered
    (the first option, so some right and some wrong)."""
    for day in range(5):
        clock.set(datetime(2026, 3, 2, 10, 0, tzinfo=UTC) + timedelta(days=day))
        await say("/today")
        await say("/done")
        for _ in range(5):
            if "Review" not in await say("/quiz"):
                break
            await say("/quiz 1")


async def test_the_digest_reports_the_week_once_on_sunday_with_a_chart_and_next_focus(
    app, clock, tmp_path
):
    say = talk(app)
    await say("/start full-time Europe/Berlin 19:00")
    await study_week(app, clock, say)
    run = Run(app, clock, app.queue.deliverers["telegram"])
    clock.set(datetime(2026, 3, 7, 18, 5, tzinfo=UTC))  # Saturday 19:05 in Berlin
    await run.tick()
    assert digests(run) == []
    clock.set(datetime(2026, 3, 8, 18, 1, tzinfo=UTC))  # Sunday 19:01
    await run.tick()
    await run.tick()
    clock.set(clock.now() + timedelta(hours=3))
    await run.tick()
    [digest] = digests(run)
    text = render_plain(digest)
    (tmp_path / "weekly.png").write_bytes(digest.attachments[0].data)
    print("\n" + text)
    assert "Your week, 2 Mar – 8 Mar" in text
    assert "Tasks done: 5, on 5 study days" in text
    assert "Streak: 5 days (best 5 days)" in text
    quiz = re.search(r"Quiz: (\d+) of (\d+) right \((\d+)%\); (\d+) of (\d+) cards learned", text)
    assert quiz is not None, text
    right, answered, _, learned, deck = map(int, quiz.groups())
    assert answered > 0 and right <= answered and learned <= deck and deck > 0
    assert "Next week's focus:" in text and "/settings digest off" in text
    assert digest.attachments[0].data.startswith(PNG) and len(digest.attachments[0].data) > 5000
    # The next Sunday brings the next one; a quiet week says so.
    clock.set(datetime(2026, 3, 15, 18, 1, tzinfo=UTC))
    await run.tick()
    assert len(digests(run)) == 2
    quiet = render_plain(digests(run)[-1])
    assert "Tasks done: 0" in quiet and "A quiet week" in quiet and "no answers this week" in quiet


async def test_settings_move_or_stop_the_digest(app, clock):
    say = talk(app)
    await say("/start part-time UTC 08:00")
    assert "Weekly digest: Sundays at 08:00" in await say("/settings")
    assert "Weekly digest: Wednesdays at 08:00" in await say("/settings digest wednesday")
    assert "isn't a day I know" in await say("/settings digest someday")
    run = Run(app, clock, app.queue.deliverers["telegram"])
    for day in range(7):  # Monday 2 March to Sunday 8 March, 08:30 UTC
        clock.set(datetime(2026, 3, 2, 8, 30, tzinfo=UTC) + timedelta(days=day))
        await run.tick()
    [digest] = digests(run)
    assert "Wednesday" in render_plain(digest)
    assert "Weekly digest: off" in await say("/settings digest off")
    for day in range(7, 14):
        clock.set(datetime(2026, 3, 2, 8, 30, tzinfo=UTC) + timedelta(days=day))
        await run.tick()
    assert len(digests(run)) == 1
    assert "Weekly digest: Sundays" in await say("/settings digest on")


async def test_a_digest_written_before_a_crash_is_sent_at_start_and_an_inflight_one_is_not(
    app, clock
):
    say, other = talk(app), talk(app, "eve")
    await say("/start part-time UTC 08:00")
    await other("/start part-time UTC 08:00")
    clock.set(datetime(2026, 3, 8, 8, 10, tzinfo=UTC))  # a Sunday
    async with app.db.sessions() as s:
        ids = list((await s.execute(select(Learner.id).order_by(Learner.id))).scalars())
        s.add(WeeklyDigest(learner_id=ids[0], week_of=datetime(2026, 3, 2).date(),
                           created_at=clock.now(), status="pending"))  # fmt: skip
        s.add(WeeklyDigest(learner_id=ids[1], week_of=datetime(2026, 3, 2).date(),
                           created_at=clock.now(), status="sending"))  # fmt: skip
        await s.commit()
    run = Run(app, clock, app.queue.deliverers["telegram"])
    await run.restart()
    await run.tick()
    assert [t.chat_id for t, r in run.deliverer.sent if r in digests(run)] == ["dee"]
    async with app.db.sessions() as s:
        statuses = dict(
            (await s.execute(select(WeeklyDigest.learner_id, WeeklyDigest.status))).all()
        )
    assert statuses == {ids[0]: "sent", ids[1]: "uncertain"}


async def test_the_groups_first_post_of_the_week_carries_its_weekly_digest(app, clock):
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # a Wednesday
    await in_group(app, "ann", "/group setup part-time UTC 19:00", admin=True)
    bob = talk(app, "bob")
    await bob("/start part-time UTC 07:00")
    run = Run(app, clock, app.queue.deliverers["telegram"])
    clock.set(datetime(2026, 3, 4, 19, 1, tzinfo=UTC))
    await run.tick()
    await in_group(app, "bob", "/done", name="Bob")
    for day in range(1, 6):  # Thursday to Monday; Bob studies his own plan and quizzes
        clock.set(datetime(2026, 3, 4, 19, 1, tzinfo=UTC) + timedelta(days=day))
        await bob("/done")
        for _ in range(3):
            if "Review" in await bob("/quiz"):
                await bob("/quiz 2")
        await run.tick()
    posts = [render_plain(r) for t, r in run.deliverer.sent if t.kind == "group"]
    assert len(posts) == 6 and sum("Last week in this group" in p for p in posts) == 1
    monday = posts[-1]
    assert "Last week in this group" in monday and "🥇 Bob: 1 task" in monday
    assert re.search(r"Quiz: members answered \d+ of \d+ review questions? right", monday), monday
