"""How long the bot keeps what it only needs for a while: the question log (for admins'
statistics and 👍/👎), the processed-event digests (for exactly-once handling of
redelivered platform events), idle conversations and the model budget's past days. Purged
once a day by the scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from bot.learning.clock import Clock
from bot.learning.db import Database
from bot.learning.models import Conversation, LLMUsage, ProcessedEvent, QuestionLog

# Platforms redeliver within a day (Telegram keeps updates 24 h); a week covers late taps.
EVENT_DAYS = 7
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purged:
    questions: int
    events: int
    conversations: int = 0


@dataclass
class Housekeeping:
    db: Database
    clock: Clock
    question_days: int = 90
    conversation_idle_minutes: int = 30

    async def run(self) -> Purged:
        now = self.clock.now()
        async with self.db.sessions() as s:
            questions = await s.execute(
                delete(QuestionLog).where(QuestionLog.at < now - timedelta(days=self.question_days))
            )
            events = await s.execute(
                delete(ProcessedEvent).where(
                    ProcessedEvent.created_at < now - timedelta(days=EVENT_DAYS)
                )
            )
            idle = now - timedelta(minutes=self.conversation_idle_minutes)
            talks = await s.execute(delete(Conversation).where(Conversation.updated_at < idle))
            yesterday = (now - timedelta(days=1)).date()  # budgets are per UTC day
            await s.execute(delete(LLMUsage).where(LLMUsage.day < yesterday))
            await s.commit()
        purged = Purged(questions.rowcount or 0, events.rowcount or 0, talks.rowcount or 0)
        if purged.questions or purged.events:
            log.info(
                "housekeeping: purged %d questions older than %d days and %d old event digests",
                purged.questions,
                self.question_days,
                purged.events,
            )
        return purged
