"""The model budget's bookkeeping: generated answers per person and tokens for the whole bot,
per UTC day. Kept in the database (DbUsage) so a restart or a second replica does not hand
out a fresh budget; MemoryUsage serves a bot run without a database. Increments are done
in SQL (answers = answers + 1), so two replicas adding at once both count."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.learning.db import Database
from bot.learning.models import LLMUsage

Account = tuple[str, str]  # (platform, platform user id)
EVERYONE: Account = ("", "")  # the bot-wide row: its tokens are the global budget's


class UsageBook(Protocol):
    async def spent(self, day: date, who: Account) -> tuple[int, int]:
        """(the person's generated answers, the whole bot's tokens) on that day."""
        ...

    async def add(self, day: date, who: Account, answers: int, tokens: int) -> None: ...


class MemoryUsage:
    def __init__(self) -> None:
        self._answers: Counter = Counter()
        self._tokens: Counter = Counter()

    async def spent(self, day: date, who: Account) -> tuple[int, int]:
        return self._answers[(day, who)], self._tokens[day]

    async def add(self, day: date, who: Account, answers: int, tokens: int) -> None:
        self._answers[(day, who)] += answers
        self._tokens[day] += tokens


class DbUsage:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def spent(self, day: date, who: Account) -> tuple[int, int]:
        async with self.db.sessions() as s:
            rows = await s.execute(
                select(LLMUsage.platform, LLMUsage.user_id, LLMUsage.answers, LLMUsage.tokens)
                .where(LLMUsage.day == day)
                .where(
                    (LLMUsage.platform == who[0]) & (LLMUsage.user_id == who[1])
                    | (LLMUsage.platform == EVERYONE[0]) & (LLMUsage.user_id == EVERYONE[1])
                )
            )
            found = {(p, u): (a, t) for p, u, a, t in rows}
        return found.get(who, (0, 0))[0], found.get(EVERYONE, (0, 0))[1]

    async def add(self, day: date, who: Account, answers: int, tokens: int) -> None:
        """The person's row and the bot-wide row in one transaction, each created on the
        day's first use; an insert that races another replica's is retried as an update."""
        for _ in range(2):
            async with self.db.sessions() as s:
                for (platform, user), n in ((who, answers), (EVERYONE, 0)):
                    key = (
                        (LLMUsage.day == day)
                        & (LLMUsage.platform == platform)
                        & (LLMUsage.user_id == user)
                    )
                    change = {"answers": LLMUsage.answers + n, "tokens": LLMUsage.tokens + tokens}
                    done = await s.execute(update(LLMUsage).where(key).values(change))
                    if not done.rowcount:
                        s.add(LLMUsage(day=day, platform=platform, user_id=user,
                                       answers=n, tokens=tokens))  # fmt: skip
                try:
                    await s.commit()
                    return
                except IntegrityError:
                    await s.rollback()
