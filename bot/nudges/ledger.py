"""The delivery queue's bookkeeping of nudges: a nudge row moves to 'sending' just before
its platform call and to its result after; a learner who blocked the bot is paused and told
why at their next command. Given to the queue at construction (see bootstrap)."""

from __future__ import annotations

from sqlalchemy import update

from bot.learning.models import Learner, NudgeSent
from bot.learning.service import LearningService
from bot.nudges.delivery import SendJob


class DeliveryLedger:
    def __init__(self, svc: LearningService) -> None:
        self.svc = svc

    async def before_send(self, job: SendJob) -> None:
        if job.nudge_id is None:
            return
        async with self.svc.db.sessions() as s:
            await s.execute(
                update(NudgeSent).where(NudgeSent.id == job.nudge_id).values(status="sending")
            )
            await s.commit()

    async def on_result(self, job: SendJob, status: str, error: str | None) -> None:
        async with self.svc.db.sessions() as s:
            if job.nudge_id is not None:
                await s.execute(
                    update(NudgeSent)
                    .where(NudgeSent.id == job.nudge_id)
                    .values(status=status, error=error)
                )
            if status == "blocked" and job.learner_id is not None:
                await s.execute(
                    update(Learner)
                    .where(Learner.id == job.learner_id)
                    .values(
                        nudges_paused=True,
                        pause_reason="the bot can't message you (blocked or DMs closed)",
                        notice="I couldn't send you your daily nudge because I can't message you "
                        "(the bot is blocked or your DMs are closed), so I've paused nudges. "
                        "Allow messages from me, then send /settings resume.",
                    )
                )
            await s.commit()
