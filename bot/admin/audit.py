"""The audit log: every admin action and every refused attempt, written as it happens."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bot.core.messages import Request
from bot.learning.models import AuditEntry
from bot.learning.service import LearningService

log = logging.getLogger("mlbot.audit")


async def audit(svc: LearningService, req: Request, action: str, result: str) -> None:
    log.info("admin %s:%s %s -> %s", req.platform, req.user_id, action, result)
    async with svc.db.sessions() as s:
        s.add(
            AuditEntry(
                at=svc.clock.now(),
                platform=req.platform,
                user_id=req.user_id,
                user_name=(req.user_name or "")[:100] or None,
                action=action[:200],
                result=result,
            )
        )
        await s.commit()


async def recent(svc: LearningService, limit: int = 15) -> list[AuditEntry]:
    async with svc.db.sessions() as s:
        rows = await s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
        return list(rows.scalars())
