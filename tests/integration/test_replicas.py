"""Several replicas over one PostgreSQL: exactly one runs the scheduler; if it dies, another
takes over at its next tick, and every nudge still goes out exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.bootstrap import build_nudges
from bot.learning.db import open_database
from bot.learning.service import LearningService, Who
from bot.nudges.delivery import Limits
from bot.nudges.leader import Leadership
from bot.nudges.scheduler import NudgeScheduler
from tests.doubles import MemoryDeliverer

FAST = Limits(per_second=100_000, per_chat_interval=0.0, per_group_per_minute=100_000)


class Replica:
    """One bot process: its own connection pool, engine, queue and scheduler."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.deliverer = MemoryDeliverer("telegram")
        self.alive = True

    async def start(self, url: str, curriculum, clock, lock_dir) -> Replica:  # type: ignore[no-untyped-def]
        self.db = await open_database(url)
        self.svc = LearningService(self.db, curriculum, clock)
        _, self.queue, self.engine = build_nudges(
            self.svc, {"telegram": self.deliverer}, {"telegram": FAST}, 6
        )
        self.leadership = Leadership(self.db, lock_dir)
        self.sched = NudgeScheduler(self.engine, 60, leadership=self.leadership)
        return self

    async def tick(self) -> None:
        if self.alive:
            await self.sched._tick()
            await self.queue.join()

    async def crash(self) -> None:
        """The process dies: its connections drop (the server frees the lock); nothing is cleaned up."""
        self.alive = False
        await self.leadership._conn.invalidate()
        await self.queue.stop()
        await self.db.engine.dispose()


async def test_two_replicas_one_day_leader_killed_at_noon_nudges_exactly_once(
    db_url, curriculum, clock, tmp_path
):
    if not db_url.startswith("postgresql"):
        pytest.skip(
            "replicas share PostgreSQL; SQLite serves one machine, where a file lock is used"
        )
    a = await Replica("a").start(db_url, curriculum, clock, tmp_path)
    b = await Replica("b").start(db_url, curriculum, clock, tmp_path)
    users = {f"u{h:02d}": f"{h:02d}:30" for h in range(0, 24, 2)}  # every two hours, UTC
    async with a.db.sessions() as s:
        for user, at in users.items():
            learner, _ = await a.svc.get_or_create(s, Who("telegram", user))
            hh, mm = map(int, at.split(":"))
            learner.track, learner.tz, learner.nudge_minute = "full-time", "UTC", hh * 60 + mm
        await s.commit()
    clock.set(datetime(2026, 3, 4, 0, 0, tzinfo=UTC))
    end = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
    leaders: list[str] = []
    while clock.now() < end:
        if clock.now() == datetime(2026, 3, 4, 12, 0, tzinfo=UTC):
            await a.crash()
        await a.tick()
        await b.tick()
        current = [r.name for r in (a, b) if r.alive and r.leadership.held]
        assert len(current) <= 1  # never two active schedulers
        leaders.extend(current[:1])
        clock.set(clock.now() + timedelta(minutes=10))
    sent_by_a = Counter(t.chat_id for t, _ in a.deliverer.sent)
    sent_by_b = Counter(t.chat_id for t, _ in b.deliverer.sent)
    from sqlalchemy import select

    from bot.learning.models import Identity, NudgeSent

    async with b.db.sessions() as s:
        rows = (
            await s.execute(
                select(Identity.platform_user_id, NudgeSent.local_date, NudgeSent.status).join(
                    Identity, Identity.learner_id == NudgeSent.learner_id
                )
            )
        ).all()
    today = Counter(u for u, d, st in rows if d == datetime(2026, 3, 4).date() and st == "sent")
    print(
        f"\nreplicas: a sent {sum(sent_by_a.values())} before dying at noon, b sent {sum(sent_by_b.values())}; "
        f"leader ticks: {Counter(leaders)}; rows: {Counter(st for _, _, st in rows)}"
    )
    assert today == Counter(dict.fromkeys(users, 1))  # every learner exactly once for the day
    assert sum((sent_by_a + sent_by_b).values()) == sum(
        1 for *_, st in rows if st == "sent"
    )  # no double send
    assert {u for u in users if u < "u12"} <= set(sent_by_a)
    assert set(sent_by_b) == {u for u in users if u >= "u12"}
    assert leaders[0] == "a" and leaders[-1] == "b"
    await b.queue.stop()
    await b.leadership.release()
    await b.db.close()


async def test_two_os_processes_leader_sigkilled_mid_day_nudges_exactly_once(
    db_url, curriculum, tmp_path, subprocess_env
):
    """The same day with two real replica processes; the leader is SIGKILLed at noon."""
    import sys

    if not db_url.startswith("postgresql"):
        pytest.skip(
            "replicas share PostgreSQL; SQLite serves one machine, where a file lock is used"
        )
    from tests.doubles import FakeClock

    setup = await open_database(db_url)
    svc = LearningService(setup, curriculum, FakeClock(datetime(2026, 3, 4, tzinfo=UTC)))
    users = {f"u{h:02d}": h * 60 + 30 for h in range(6, 24, 2)}  # 06:30 .. 22:30 UTC
    async with setup.sessions() as s:
        for user, minute in users.items():
            learner, _ = await svc.get_or_create(s, Who("telegram", user))
            learner.track, learner.tz, learner.nudge_minute = "full-time", "UTC", minute
        await s.commit()
    await setup.close()

    async def spawn():  # type: ignore[no-untyped-def]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "tests/integration/replica_proc.py",
            db_url,
            str(tmp_path),
            env=subprocess_env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
        return proc

    async def tick(proc, at: datetime) -> tuple[bool, list[str]]:  # type: ignore[no-untyped-def]
        proc.stdin.write(f"tick {at.isoformat()}\n".encode())
        await proc.stdin.drain()
        words = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().split()
        assert words and words[0] == "ok", words
        return words[1] == "1", words[2:]

    a, b = await spawn(), await spawn()
    sent: dict[str, list[str]] = {"a": [], "b": []}
    leaders: list[str] = []
    at = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
    try:
        while at < datetime(2026, 3, 5, tzinfo=UTC):
            if at == datetime(2026, 3, 4, 12, 0, tzinfo=UTC):
                a.kill()  # SIGKILL: no cleanup, the OS drops its connections
                await a.wait()
            for name, proc in (("a", a), ("b", b)):
                if proc.returncode is None:
                    lead, got = await tick(proc, at)
                    sent[name] += got
                    if lead:
                        leaders.append(name)
            at += timedelta(minutes=10)
    finally:
        for proc in (a, b):
            if proc.returncode is None:
                proc.stdin.close()
                await asyncio.wait_for(proc.wait(), 30)
    total = Counter(sent["a"] + sent["b"])
    print(
        f"\nprocesses: a sent {len(sent['a'])} then was killed, b sent {len(sent['b'])}; "
        f"leader ticks {Counter(leaders)}"
    )
    assert total == Counter(dict.fromkeys(users, 1))
    assert set(sent["a"]) == {u for u in users if u < "u12"} and set(sent["b"]) == {
        u for u in users if u >= "u12"
    }
    assert leaders[0] == "a" and leaders[-1] == "b" and "a" not in leaders[leaders.index("b") :]


async def test_on_sqlite_a_second_process_cannot_take_the_scheduler(tmp_path, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the file lock is SQLite's mechanism")
    db = await open_database(db_url)
    first, second = Leadership(db, tmp_path), Leadership(db, tmp_path)
    assert await first.acquire() and not await second.acquire()
    await first.release()
    assert await second.acquire()
    await second.release()
    await db.close()
