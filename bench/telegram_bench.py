"""10,000 due nudges delivered through the real Telegram adapter to the fake Bot API server,
which enforces Telegram's limits (30 messages/s overall, 1/s per chat, 20/min per group).

Run from the project root after set-up:  .venv/bin/python bench/telegram_bench.py [--n 10000]
Prints the achieved rate as a share of 30 messages/s (target >= 95%) and the 429s provoked.
Takes about n/30 seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sqlalchemy import insert  # noqa: E402

from bot.adapters.telegram.adapter import LIMITS as TELEGRAM_LIMITS  # noqa: E402
from bot.adapters.telegram.adapter import TelegramAdapter, TelegramSettings  # noqa: E402
from bot.bootstrap import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.learning.models import Identity, Learner  # noqa: E402
from tests.doubles import FakeClock  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument(
        "--data-dir", default="data", help="a data dir with a built index (for excerpts)"
    )
    args = parser.parse_args()
    fake = FakeTelegram(enforce_limits=True)
    await fake.start()
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            data_dir=Path(args.data_dir), database_url=f"sqlite+aiosqlite:///{tmp}/b.db"
        )
        app = await build_app(
            settings,
            clock=FakeClock(now),
            limits={"telegram": TELEGRAM_LIMITS},
        )
        adapter = TelegramAdapter(
            app.core, TelegramSettings(token=fake.token, base_url=fake.base_url)
        )
        await adapter.application.initialize()
        app.queue.add_deliverer("telegram", adapter.deliverer)
        async with app.db.engine.begin() as conn:
            rows = [
                {
                    "id": i + 1,
                    "created_at": now,
                    "track": "part-time",
                    "tz": "UTC",
                    "nudge_minute": 11 * 60,
                    "active_days": 127,
                    "nudges_paused": False,
                    "sessions_done": 0,
                    "streak_current": 0,
                    "streak_best": 0,
                }
                for i in range(args.n)
            ]
            await conn.execute(insert(Learner), rows)
            await conn.execute(
                insert(Identity),
                [
                    {
                        "learner_id": r["id"],
                        "platform": "telegram",
                        "platform_user_id": str(10_000 + r["id"]),
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for r in rows
                ],
            )
        t0 = time.perf_counter()
        report = await app.engine.tick()
        t_tick = time.perf_counter() - t0
        await app.queue.join()
        took = time.perf_counter() - t0
        sends = [s.at for s in fake.sent]
        rate = (len(sends) - 1) / (max(sends) - min(sends))
        result = {
            "nudges_due": report.due,
            "delivered": len(fake.sent),
            "tick_and_queueing_s": round(t_tick, 2),
            "total_s": round(took, 1),
            "rate_per_s": round(rate, 2),
            "share_of_30": round(rate / 30, 4),
            "http_429": fake.count_429,
            "rejected": len(fake.rejected),
        }
        await adapter.application.shutdown()
        await app.close()
    await fake.stop()
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "telegram_bench.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
