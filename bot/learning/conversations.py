"""Where a person's recent exchanges are kept between messages (and restarts): the last few
per person and place, forgotten after an idle time (and purged daily by Housekeeping). The
core reads the last question meant to resolve a follow-up, and remembers each new one with
the start of its reply."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.learning.clock import Clock
from bot.learning.db import Database
from bot.learning.models import Conversation
from bot.learning.service import aware

KEEP_TURNS = 3
SAID_CHARS = 300  # the start of each reply kept with its question


@dataclass(frozen=True)
class Turn:
    meant: str  # the full question
    said: str  # the start of the bot's reply ("" when it had none)


@dataclass(frozen=True)
class Place:
    platform: str
    user_id: str
    place: str  # "dm" or a channel id


class ConversationStore:
    def __init__(self, db: Database, clock: Clock, idle_minutes: int = 30) -> None:
        self.db = db
        self.clock = clock
        self.idle = timedelta(minutes=idle_minutes)

    async def recent(self, where: Place) -> list[Turn]:
        """The last exchanges here, oldest first; none once the conversation has gone idle."""
        now = self.clock.now()
        async with self.db.sessions() as s:
            turns = self._live_turns(await self._row(s, where), now)
        return [Turn(t["meant"], t.get("said", "")) for t in turns]

    async def remember(self, where: Place, asked: str, meant: str, said: str = "") -> None:
        """One exchange: what was asked, the full question it meant, and the start of the
        reply (so a model can see what the learner is following up on)."""
        turn = {"asked": asked[:500], "meant": meant[:500], "said": said[:SAID_CHARS]}
        now = self.clock.now()
        async with self.db.sessions() as s:
            row = await self._row(s, where)
            if row is None:
                s.add(Conversation(platform=where.platform, user_id=where.user_id,
                                   place=where.place, turns=json.dumps([turn]), updated_at=now))  # fmt: skip
            else:
                turns = self._live_turns(row, now)
                row.turns = json.dumps([*turns, turn][-KEEP_TURNS:])
                row.updated_at = now
            try:
                await s.commit()
            except IntegrityError:  # the same person's message in another replica won
                await s.rollback()

    def _live_turns(self, row: Conversation | None, now: datetime) -> list[dict]:
        """The stored turns, or none once the conversation has gone idle."""
        if row is None or now - aware(row.updated_at) > self.idle:
            return []
        return json.loads(row.turns)

    @staticmethod
    async def _row(s, where: Place) -> Conversation | None:  # type: ignore[no-untyped-def]
        rows = await s.execute(
            select(Conversation).where(
                Conversation.platform == where.platform,
                Conversation.user_id == where.user_id,
                Conversation.place == where.place,
            )
        )
        return rows.scalar_one_or_none()
