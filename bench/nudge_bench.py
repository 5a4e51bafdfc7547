"""Nudge engine at scale: finding who is due among 100,000 learners, and send throughput.

Run from the project root after set-up:  .venv/bin/python bench/nudge_bench.py [--pg URL]
Targets: the tick finds who is due among 100,000 learners in <= 1 s; sends through an
in-memory platform that enforces 30 messages/s reach >= 95% of that rate with no 429.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import available_timezones

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bot.core.messages import Reply  # noqa: E402
from bot.learning.curriculum import load_curriculum  # noqa: E402
from bot.learning.db import open_database  # noqa: E402
from bot.learning.models import Identity, Learner  # noqa: E402
from bot.learning.service import LearningService  # noqa: E402
from bot.nudges.delivery import DeliveryQueue, Limits, SendJob, Target  # noqa: E402
from bot.nudges.engine import NudgeEngine  # noqa: E402
from tests.doubles import FakeClock, MemoryDeliverer  # noqa: E402

N = 100_000


async def bench_tick(url: str) -> dict:
    db = await open_database(url)
    rng = random.Random(7)
    zones = sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    )
    now = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    async with db.engine.begin() as conn:
        for start in range(0, N, 5000):
            rows = [
                {
                    "id": i + 1,
                    "created_at": now,
                    "track": "part-time",
                    "tz": rng.choice(zones),
                    "nudge_minute": rng.randrange(0, 1440),
                    "active_days": 127,
                    "nudges_paused": False,
                    "sessions_done": 0,
                    "streak_current": 0,
                    "streak_best": 0,
                }
                for i in range(start, min(N, start + 5000))
            ]
            await conn.execute(insert(Learner), rows)
            await conn.execute(
                insert(Identity),
                [
                    {
                        "learner_id": r["id"],
                        "platform": "telegram",
                        "platform_user_id": str(r["id"]),
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for r in rows
                ],
            )
    cur = load_curriculum(ROOT / "knowledge/curriculum.yaml")
    svc = LearningService(db, cur, FakeClock(now))
    engine = NudgeEngine(svc, DeliveryQueue({}), grace_hours=6)
    times, counts = [], []
    for k in range(7):
        at = now + timedelta(minutes=37 * k)
        t0 = time.perf_counter()
        due = await engine.find_due(at)
        times.append(time.perf_counter() - t0)
        counts.append(len(due))
    await db.close()
    return {
        "learners": N,
        "zones": len(zones),
        "find_due_s": {"median": round(statistics.median(times), 3), "max": round(max(times), 3)},
        "due_per_call_median": int(statistics.median(counts)),
        "note": "nobody nudged yet, so each call finds everyone inside the 6 h grace window",
    }


async def bench_sends(n: int) -> dict:
    deliverer = MemoryDeliverer("telegram", max_per_second=30)
    queue = DeliveryQueue({"telegram": deliverer}, {"telegram": Limits(per_second=30)})
    reply = Reply.text("⏰ Time to study!")
    for i in range(n):
        await queue.put(SendJob(Target("telegram", f"user{i}"), reply))
    t0 = time.perf_counter()
    await queue.join()
    took = time.perf_counter() - t0
    stats = queue.stats["telegram"]
    await queue.stop()
    rate = (stats.sent - 1) / (stats.last_send - stats.first_send)
    return {
        "messages": n,
        "seconds": round(took, 2),
        "rate_per_s": round(rate, 2),
        "share_of_30": round(rate / 30, 4),
        "platform_429": deliverer.rejected_429,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", help="also run the tick on this PostgreSQL database URL (it must be empty)"
    )
    parser.add_argument("--sends", type=int, default=600)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["tick_sqlite"] = await bench_tick(f"sqlite+aiosqlite:///{tmp}/bench.db")
    if args.pg:
        results["tick_postgresql"] = await bench_tick(args.pg)
    results["sends"] = await bench_sends(args.sends)
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "nudge_bench.json").write_text(json.dumps(results, indent=2))
    for name, res in results.items():
        print(f"{name}: {json.dumps(res)}")


if __name__ == "__main__":
    asyncio.run(main())
