"""One bot replica as an OS process, driven over stdin by tests/integration/test_replicas.py.

Commands (one per line): "tick ISO_TIME" runs one scheduler tick at that simulated time and
prints "ok LEADER SENT..." (leader is 1/0, sent are the chat ids delivered during the tick).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.bootstrap import build_nudges  # noqa: E402
from bot.learning.curriculum import load_curriculum  # noqa: E402
from bot.learning.db import open_database  # noqa: E402
from bot.learning.service import LearningService  # noqa: E402
from bot.nudges.delivery import Limits  # noqa: E402
from bot.nudges.leader import Leadership  # noqa: E402
from bot.nudges.scheduler import NudgeScheduler  # noqa: E402
from tests.doubles import FakeClock, MemoryDeliverer  # noqa: E402


async def main(url: str, lock_dir: str) -> None:
    db = await open_database(url)
    curriculum = load_curriculum(ROOT / "knowledge/curriculum.yaml")
    clock = FakeClock(datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    svc = LearningService(db, curriculum, clock)
    deliverer = MemoryDeliverer("telegram")
    fast = Limits(per_second=100_000, per_chat_interval=0.0, per_group_per_minute=100_000)
    _, queue, engine = build_nudges(svc, {"telegram": deliverer}, {"telegram": fast}, 6)
    leadership = Leadership(db, Path(lock_dir))
    sched = NudgeScheduler(engine, 60, leadership=leadership)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "tick":
            clock.set(datetime.fromisoformat(arg))
            before = len(deliverer.sent)
            await sched._tick()
            await queue.join()
            sent = [t.chat_id for t, _ in deliverer.sent[before:]]
            print("ok", int(leadership.held), *sent, flush=True)
    await queue.stop()
    await leadership.release()
    await db.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
