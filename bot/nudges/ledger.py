"""The delivery queue's bookkeeping of nudges and weekly digests: their row moves to 'sending'
just before its platform call and to its result after; a learner who blocked the bot is paused and told
why at their next command. Given to the queue at construction (see bootstrap)."""

from __future__ import annotations

from sqlalchemy import update

from bot.learning.models import Learner, NudgeSent, WeeklyDigest
from bot.learning.service import LearningService
from bot.nudges.delivery import SendJob


class DeliveryLedger:
    def __init__(self, svc: LearningService) -> None:
        self.svc = svc

    @staticmethod
    def _row(job: SendJob) -> tuple[type[NudgeSent] | type[WeeklyDigest], int] | None:
        if job.nudge_id is not None:
            return NudgeSent, job.nudge_id
        if job.digest_id is not None:
            return WeeklyDigest, job.digest_id
        return None

    async def before_send(self, job: SendJob) -> None:
        tracked = self._row(job)
        if tracked is None:
            return
        model, row_id = tracked
        async with self.svc.db.sessions() as s:
            await s.execute(update(model).where(model.id == row_id).values(status="sending"))
            await s.commit()

    async def on_result(self, job: SendJob, status: str, error: str | None) -> None:
        tracked = self._row(job)
        async with self.svc.db.sessions() as s:
            if tracked is not None:
                model, row_id = tracked
                await s.execute(
                    update(model).where(model.id == row_id).values(status=status, error=error)
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
