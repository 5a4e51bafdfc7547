"""/export shows and /forget removes everything stored about a person, on every account they
linked. The tables and columns are read from the SQLAlchemy metadata, so a table added later
is checked without anyone listing it here; the question log is purged after its retention."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.adapters.plain import render_plain
from bot.core.messages import Request
from bot.learning import privacy
from bot.learning.llm_usage import DbUsage
from bot.learning.models import AuditEntry, Base, ProcessedEvent, QuestionLog
from bot.learning.once import first_time
from bot.learning.service import Who

ME = [("console", "local"), ("telegram", "77")]
OTHER = ("telegram", "88")


async def send(app, platform: str, user: str, text: str, **kw) -> object:
    return await app.core.handle(Request(platform=platform, user_id=user, text=text, **kw))


async def say(app, platform: str, user: str, text: str, **kw) -> str:
    return render_plain(await send(app, platform, user, text, **kw))


async def in_group(app, user: str, text: str, admin: bool = False) -> str:
    return await say(
        app, "telegram", user, text, where="group", channel_id="-100", chat_admin=admin
    )


async def ask_and_rate(app, platform: str, user: str, question: str) -> None:
    reply = await send(app, platform, user, question)
    up = next(b.action for b in reply.buttons if b.action.startswith("/feedback up"))
    assert "Thanks" in await say(app, platform, user, up)


async def live_a_little(app, clock) -> None:
    """One person on two linked accounts, and a bystander, touching every kind of row."""
    clock.set(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    await say(app, "console", "local", "/start full-time")
    await say(app, "console", "local", "/settings tz Europe/Berlin")
    await say(app, "console", "local", "/settings digest wed")  # today: a weekly digest too
    await say(app, "console", "local", "/done read the intro")
    code = re.search(r"/link ([A-Z0-9]{4,})", await say(app, "console", "local", "/link"))[1]
    assert "Linked" in await say(app, "telegram", "77", f"/link {code}")
    asked = await send(app, "telegram", "77", "/quiz")  # a card on what the task taught
    assert "/quiz answer" in asked.buttons[0].action, render_plain(asked)
    assert "I'll ask it again" in await say(app, "telegram", "77", asked.buttons[0].action)
    await say(app, "console", "local", "/link")  # a code left waiting
    await ask_and_rate(app, "telegram", "77", "what math do I need?")
    await ask_and_rate(app, "console", "local", "how do I learn python?")
    today = clock.now().date()  # a generated answer's budget rows (the model is optional)
    await DbUsage(app.db).add(today, ("telegram", "77"), 1, 340)
    await DbUsage(app.db).add(today, OTHER, 1, 200)
    await say(app, "telegram", "77", "/admin status")  # refused, and audited
    await in_group(app, "77", "/group setup part-time UTC 09:00", admin=True)
    await say(app, *OTHER, "/start full-time")
    await ask_and_rate(app, *OTHER, "what is deep learning?")
    await say(app, *OTHER, "/admin status")
    clock.set(datetime(2026, 3, 4, 9, 1, tzinfo=UTC))
    await app.engine.tick()  # the group's post
    assert "finished" in await in_group(app, "77", "/done")
    assert "finished" in await in_group(app, OTHER[1], "/done")
    clock.set(datetime(2026, 3, 4, 17, 1, tzinfo=UTC))  # 18:01 in Berlin
    await app.engine.tick()  # the personal nudge and weekly digest
    await app.queue.join()


async def learner_id(app) -> int:
    async with app.db.sessions() as s:
        return (await app.learning.find_learner(s, Who("telegram", "77"))).id


async def rows_of(app, lid: int) -> dict[tuple[str, str], int]:
    """{(table, column): count} of rows that belong to the person (learner id or accounts)."""
    async with app.db.sessions() as s:
        counts = {}
        for col in privacy.learner_columns():
            n = await s.execute(select(func.count()).select_from(col.table).where(col == lid))
            counts[(col.table.name, col.key)] = n.scalar_one()
        for t in privacy.account_tables():
            mine = privacy.of_accounts(t, ME)
            n = await s.execute(select(func.count()).select_from(t.table).where(mine))
            counts[(t.table.name, t.user.key)] = n.scalar_one()
        return counts


async def table_sizes(app) -> dict[str, int]:
    async with app.db.sessions() as s:
        return {
            t.name: (await s.execute(select(func.count()).select_from(t))).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def test_every_column_that_could_name_a_person_is_covered():
    """A new column called user_id, member, author, created_by... must be covered: in a row
    deleted with the person (a foreign key to learners.id, or an account pair in the table
    info), or blanked by the table's anonymise list. Otherwise this fails."""

    def whole(table) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return {(table.name, c.key) for c in table.columns}

    covered: set[tuple[str, str]] = set()
    for col in privacy.learner_columns():
        covered |= {(col.table.name, col.key)} if col.nullable else whole(col.table)
    for t in privacy.account_tables():
        if t.anonymise:
            covered |= {(t.table.name, key) for key in (t.platform.key, *t.anonymise)}
        else:
            covered |= whole(t.table)
    personal = re.compile(r"user|learner|member|author|owner|_by$|email|phone|name")
    for table in Base.metadata.sorted_tables:
        if table.name == "learners":
            continue  # the person's own row, exported and deleted as a whole
        for col in table.columns:
            if personal.search(col.key):
                assert (table.name, col.key) in covered, (
                    f"{table.name}.{col.key} may hold a person's id: declare it"
                )


async def test_export_and_forget_cover_every_table_on_every_linked_account(app, clock):
    await live_a_little(app, clock)
    lid = await learner_id(app)
    before = await rows_of(app, lid)
    empty = [key for key, n in before.items() if n == 0]
    assert not empty, (
        f"the scenario stores nothing in {empty}: extend it so the check means something"
    )

    reply = await send(app, "telegram", "77", "/export")
    data = json.loads(reply.attachments[0].data)
    assert data["learner"]["id"] == lid and data["learner"]["tz"] == "Europe/Berlin"
    for (table, column), n in before.items():
        mine = [r for r in data.get(table, []) if r[column] in (lid, "local", "77")]
        assert len(mine) == n, f"/export shows {len(mine)} of {n} rows of {table}"
    questions = {q["question"] for q in data["questions"]}
    assert questions == {"what math do I need?", "how do I learn python?"}
    assert all(q["feedback"] == 1 for q in data["questions"])
    assert "what is deep learning?" not in json.dumps(data)  # the bystander's

    sizes = await table_sizes(app)
    await say(app, "telegram", "77", "/forget")
    done = await say(app, "telegram", "77", "/forget confirm")
    assert "deleted all your data on every account you linked" in done
    after = await rows_of(app, lid)
    assert all(n == 0 for n in after.values()), after
    async with app.db.sessions() as s:
        audit = (await s.execute(select(AuditEntry))).scalars().all()
    # Audit rows stay, with only an anonymous id; the bystander's row is untouched.
    assert len(audit) == sizes["audit_log"]
    assert {a.user_id for a in audit if a.user_id.startswith("anon-")} and all(
        a.user_name is None for a in audit if a.user_id.startswith("anon-")
    )
    assert OTHER[1] in {a.user_id for a in audit}
    nothing = await send(app, "console", "local", "/export")
    assert "don't have any data" in render_plain(nothing) and not nothing.attachments
    other = json.loads((await send(app, *OTHER, "/export")).attachments[0].data)
    assert [q["question"] for q in other["questions"]] == ["what is deep learning?"]
    assert other["group_done"] and other["task_events"]


async def test_someone_who_only_asked_questions_can_see_and_delete_them(app):
    await ask_and_rate(app, "discord", "5", "what math do I need?")
    data = json.loads((await send(app, "discord", "5", "/export")).attachments[0].data)
    assert data["learner"] is None and data["questions"][0]["question"] == "what math do I need?"
    assert "deleted the questions you asked" in await say(app, "discord", "5", "/forget")
    assert "nothing to delete" in await say(app, "discord", "5", "/forget")
    async with app.db.sessions() as s:
        assert (await s.execute(select(func.count(QuestionLog.id)))).scalar_one() == 0


async def test_event_keys_are_stored_as_digests_and_old_rows_are_purged(app, clock):
    assert await first_time(app.db, "telegram", "cb-100:5:77:/done", clock.now())
    assert not await first_time(app.db, "telegram", "cb-100:5:77:/done", clock.now())
    async with app.db.sessions() as s:
        keys = (await s.execute(select(ProcessedEvent.key))).scalars().all()
    assert len(keys) == 1 and "77" not in keys[0] and len(keys[0]) == 64

    await ask_and_rate(app, "telegram", "77", "what math do I need?")
    clock.advance(days=89)
    await ask_and_rate(app, "telegram", "77", "what is deep learning?")
    clock.advance(days=2)  # the first question is now 91 days old, the second 2
    purged = await app.housekeeping.run()
    assert (purged.questions, purged.events) == (1, 1)
    async with app.db.sessions() as s:
        left = (await s.execute(select(QuestionLog.question))).scalars().all()
    assert left == ["what is deep learning?"]
    assert (await app.housekeeping.run()).questions == 0


async def test_the_scheduler_runs_housekeeping_daily_and_at_start(app, clock):
    from bot.nudges.scheduler import NudgeScheduler

    await ask_and_rate(app, "telegram", "77", "what math do I need?")
    clock.advance(days=91)
    sched = NudgeScheduler(app.engine, 3600, housekeeping=app.housekeeping)
    await sched.start()
    try:
        assert set(sched.job_ids()) == {"nudge-tick", "housekeeping"}
        await sched._housekeeping()  # what the job runs
    finally:
        await sched.stop()
    async with app.db.sessions() as s:
        assert (await s.execute(select(func.count(QuestionLog.id)))).scalar_one() == 0


async def test_stopping_lets_a_running_housekeeping_finish_instead_of_cancelling_it(app):
    """A stop right after start used to cancel the at-start housekeeping mid-query, and
    APScheduler logged its traceback."""
    import asyncio

    from bot.nudges.scheduler import NudgeScheduler

    finished = []

    class SlowHousekeeping:
        async def run(self) -> None:
            await asyncio.sleep(0.3)
            finished.append(True)

    sched = NudgeScheduler(app.engine, 3600, housekeeping=SlowHousekeeping())  # type: ignore[arg-type]
    await sched.start()
    await asyncio.sleep(0.05)  # the at-start run has begun
    await sched.stop()
    assert finished == [True]
