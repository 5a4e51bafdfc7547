"""'Has this platform event been handled?' answered by a unique row, so it survives restarts."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.learning.db import Database
from bot.learning.models import ProcessedEvent


async def first_time(db: Database, platform: str, key: str, now: datetime) -> bool:
    """True exactly once per (platform, key), across processes and restarts. Keys name users
    and chats, so only their digest is stored."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    async with db.sessions() as s:
        s.add(ProcessedEvent(platform=platform, key=digest, created_at=now))
        try:
            await s.commit()
        except IntegrityError:
            await s.rollback()
            return False
        return True
