"""Alembic: an empty database migrates to head; one made by an earlier release upgrades in place."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.learning.db import migrate, normalise_url, open_database


async def tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_empty_database_reaches_head(db_url):
    db = await open_database(db_url)
    names = await tables(db.engine)
    assert {
        "learners",
        "identities",
        "task_events",
        "nudges_sent",
        "study_groups",
        "processed_events",
        "audit_log",
        "questions",
        "alembic_version",
    } <= names
    async with db.engine.connect() as conn:
        assert (
            await conn.execute(text("SELECT version_num FROM alembic_version"))
        ).scalar() == "0010"
    await db.close()


async def test_database_from_the_first_release_upgrades_with_its_data(db_url):
    engine = create_async_engine(normalise_url(db_url))
    await migrate(engine, "0001")
    assert "processed_events" not in await tables(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO learners (id, created_at, tz, nudge_minute, active_days, nudges_paused, sessions_done,"
                " streak_current, streak_best, track) VALUES (1, CURRENT_TIMESTAMP, 'Europe/Berlin', 1140, 127,"
                " false, 0, 3, 5, 'part-time')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO task_events (learner_id, task_id, kind, at, local_date) VALUES"
                " (1, 'py-setup', 'done', CURRENT_TIMESTAMP, CURRENT_DATE)"
            )
        )
    await engine.dispose()
    db = await open_database(db_url)  # what a new release does at start
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT tz, streak_best, notice, digest_day FROM learners WHERE id = 1")
            )
        ).one()
        events = (await conn.execute(text("SELECT count(*) FROM task_events"))).scalar()
    # Learners from before the weekly digest get it on Sundays (6), like new ones.
    assert tuple(row) == ("Europe/Berlin", 5, None, 6) and events == 1
    assert {"processed_events", "audit_log", "questions"} <= await tables(db.engine)
    await db.close()


async def test_the_migrations_build_exactly_the_models(db_url):
    """A model change without its migration (or the reverse) fails here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.learning.models import Base

    db = await open_database(db_url)
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    await db.close()
    assert diff == []
