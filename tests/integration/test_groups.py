"""Study groups in the core: admin setup, daily group post, members' Done, leaderboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.adapters.plain import render_plain
from bot.core.messages import Request
from bot.learning.models import GroupDone, StudyGroup


async def in_group(app, user: str, text: str, admin: bool = False, name: str | None = None) -> str:
    req = Request(
        platform="telegram",
        user_id=user,
        text=text,
        where="group",
        channel_id="-100",
        user_name=name or user,
        chat_admin=admin,
    )
    return render_plain(await app.core.handle(req))


async def groups_count(app) -> int:
    async with app.db.sessions() as s:
        return (await s.execute(select(func.count(StudyGroup.id)))).scalar_one()


async def test_non_admin_is_refused_politely_and_nothing_changes(app):
    reply = await in_group(app, "bob", "/group setup part-time Europe/Berlin 19:00")
    assert "Only the chat's admins" in reply
    assert await groups_count(app) == 0


async def test_setup_validates_input(app):
    assert "isn't a time zone" in await in_group(
        app, "ann", "/group setup part-time Mars/Base 19:00", admin=True
    )
    assert "isn't a valid time" in await in_group(
        app, "ann", "/group setup part-time UTC 25:99", admin=True
    )
    assert "Usage: /group setup" in await in_group(app, "ann", "/group setup", admin=True)
    assert await groups_count(app) == 0


async def test_group_commands_outside_a_group(app):
    reply = render_plain(
        await app.core.handle(Request(platform="telegram", user_id="x", text="/group status"))
    )
    assert "work in a group chat" in reply


async def test_daily_post_members_done_leaderboard_and_weekly_summary(app, clock):
    clock.set(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))  # a Wednesday
    setup = await in_group(app, "ann", "/group setup fast-track Europe/Berlin 19:00", admin=True)
    assert "I'll post the group's task at 19:00 (Europe/Berlin)" in setup
    assert "first task hasn't been posted" in await in_group(app, "bob", "/done")
    deliverer = app.queue.deliverers["telegram"]
    await app.engine.tick()
    await app.queue.join()
    assert deliverer.sent == []  # 13:00 in Berlin: not yet
    clock.set(datetime(2026, 3, 4, 18, 1, tzinfo=UTC))  # 19:01 Berlin
    await app.engine.tick()
    await app.engine.tick()
    await app.queue.join()
    assert len(deliverer.sent) == 1
    target, reply = deliverer.sent[0]
    assert target.kind == "group" and target.chat_id == "-100"
    text = render_plain(reply)
    assert "Group task 1:" in text and "/done" in text and "Sources:" in text
    assert "Bob finished" in await in_group(app, "bob", "/done", name="Bob")
    assert "already marked" in await in_group(app, "bob", "/done", name="Bob")
    assert "2 members done" in await in_group(app, "cy", "/done", name="Cy")
    board = await in_group(app, "ann", "/group leaderboard")
    assert "Bob: 1" in board and "Cy: 1" in board
    # Members' personal streaks count group study too.
    assert "Streak: 1" in render_plain(
        await app.core.handle(Request(platform="telegram", user_id="bob", text="/streak"))
    )
    # Next Monday's post carries last week's summary.
    for day in range(1, 6):
        clock.set(datetime(2026, 3, 4, 18, 1, tzinfo=UTC) + timedelta(days=day))
        await app.engine.tick()
        await app.queue.join()
    monday = render_plain(deliverer.sent[-1][1])
    assert "Last week in this group" in monday and "Bob: 1 task" in monday
    assert "Group task 6:" in monday
    async with app.db.sessions() as s:
        assert (await s.execute(select(func.count()).select_from(GroupDone))).scalar_one() == 2


async def test_pause_resume_and_leave(app, clock):
    clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    await in_group(app, "ann", "/group setup part-time UTC 09:00", admin=True)
    assert "Only the chat's admins" in await in_group(app, "bob", "/group pause")
    assert "paused" in await in_group(app, "ann", "/group pause", admin=True)
    clock.set(datetime(2026, 3, 4, 9, 5, tzinfo=UTC))
    await app.engine.tick()
    await app.queue.join()
    assert app.queue.deliverers["telegram"].sent == []
    assert "back on" in await in_group(app, "ann", "/group resume", admin=True)
    await app.engine.tick()
    await app.queue.join()
    assert len(app.queue.deliverers["telegram"].sent) == 1
    assert "(on)" in await in_group(app, "ann", "/group status")
    assert "left this group's plan" in await in_group(app, "ann", "/group leave")
    assert "not a member" in await in_group(app, "ann", "/group leave")
