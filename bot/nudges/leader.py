"""Exactly one active scheduler across replicas.

PostgreSQL: a session advisory lock held on a dedicated connection. If the holder dies, its
connection closes, the server releases the lock, and another replica takes it at its next
attempt (every tick, so within a minute). SQLite (one machine): an exclusive file lock beside
the database, released by the OS when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.learning.db import Database

log = logging.getLogger(__name__)

LOCK_KEY = 0x6D6C626F74  # "mlbot"


class Leadership:
    def __init__(self, db: Database, lock_dir: Path) -> None:
        self.db = db
        self.lock_dir = Path(lock_dir)
        self._conn: AsyncConnection | None = None
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None

    async def acquire(self) -> bool:
        """True if this process is (or just became) the leader."""
        if self.held:
            if self._conn is not None and not await self._alive():
                await self.release()
            else:
                return True
        if self.db.dialect == "postgresql":
            conn = await self.db.engine.connect()
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
            ).scalar()
            await conn.commit()
            if got:
                self._conn = conn
                log.info("this replica now runs the scheduler")
                return True
            await conn.close()
            return False
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_dir / "scheduler.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def _alive(self) -> bool:
        try:
            await self._conn.execute(text("SELECT 1"))
            await self._conn.commit()
            return True
        except Exception:
            return False

    async def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                await self._conn.commit()
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
