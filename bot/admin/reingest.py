"""Re-ingest while the bot keeps answering: one run at a time, in a worker thread.

The ingest pipeline builds the next index version beside the serving one and switches the
manifest at the end, so questions asked meanwhile are answered from the old index, then the
new one. Afterwards the curriculum is reloaded: tasks whose sections disappeared are reported
and left out, and learners on such a task move to the next valid one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import update

from bot.config import Settings
from bot.core.messages import Bullets, Paragraph, Reply
from bot.learning.curriculum import CurriculumError, load_curriculum_lenient
from bot.learning.models import Learner
from bot.learning.quizbank import BankSource
from bot.learning.service import LearningService
from bot.nudges.delivery import DeliveryQueue, SendJob, Target
from bot.ops.metrics import INGEST_RUNS
from bot.textutil import plural
from ingest.pipeline import IngestBusy, IngestReport, run_ingest

log = logging.getLogger(__name__)


@dataclass
class ReingestJob:
    started_by: str
    started_at: datetime
    target: Target | None
    stage: str = "starting"
    done: int = 0
    total: int = 0
    report: IngestReport | None = None
    error: str | None = None
    curriculum_problems: list[str] = field(default_factory=list)
    quiz_problems: list[str] = field(default_factory=list)
    learners_moved: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def running(self) -> bool:
        return not self.finished.is_set()


class Reingester:
    def __init__(
        self,
        settings: Settings,
        learning: LearningService,
        queue: DeliveryQueue,
        quiz_bank: BankSource | None = None,
    ) -> None:
        self.settings = settings
        self.learning = learning
        self.queue = queue
        self.quiz_bank = quiz_bank  # reloaded with the curriculum; skipped questions reported
        self.current: ReingestJob | None = None
        self._lock = asyncio.Lock()

    async def start(
        self, started_by: str, target: Target | None, sources: list[Path] | None = None
    ) -> tuple[bool, ReingestJob]:
        """(True, job) when started; (False, running job) when one is already running."""
        async with self._lock:
            if self.current is not None and self.current.running:
                return False, self.current
            job = ReingestJob(started_by, self.learning.clock.now(), target)
            self.current = job
            asyncio.create_task(self._run(job, sources), name="reingest")
            return True, job

    async def _run(self, job: ReingestJob, sources: list[Path] | None) -> None:
        loop = asyncio.get_running_loop()

        def progress(stage: str, done: int, total: int) -> None:
            loop.call_soon_threadsafe(self._progress, job, stage, done, total)

        try:
            job.report = await asyncio.to_thread(
                run_ingest, self.settings, sources, progress=progress
            )
            await self.repair_curriculum(job)
        except IngestBusy:
            job.error = "another ingest (for example `mlbot ingest` on the server) is running; try again later"
        except Exception as exc:  # the admin gets the reason; the serving index is untouched
            log.exception("re-ingest failed")
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            INGEST_RUNS.labels(result="failed" if job.error else "ok").inc()
            job.finished.set()
        if job.target is not None and self.queue.can_deliver(job.target.platform):
            await self.queue.put(SendJob(job.target, report_reply(job)))

    @staticmethod
    def _progress(job: ReingestJob, stage: str, done: int, total: int) -> None:
        job.stage, job.done, job.total = stage, done, total

    async def repair_curriculum(self, job: ReingestJob) -> None:
        try:
            curriculum, problems = load_curriculum_lenient(
                self.settings.curriculum_path, self.settings.knowledge_dir
            )
        except CurriculumError as exc:
            job.curriculum_problems = [
                f"the curriculum could not be reloaded, the old one stays: {exc}"
            ]
            return
        self.learning.curriculum = curriculum
        job.curriculum_problems = problems
        if self.quiz_bank is not None:
            self.quiz_bank()  # reload against the new sections
            job.quiz_problems = list(self.quiz_bank.problems)
        async with self.learning.db.sessions() as s:
            res = await s.execute(
                update(Learner)
                .where(
                    Learner.current_task.is_not(None),
                    Learner.current_task.not_in(list(curriculum.tasks)),
                )
                .values(current_task=None, sessions_done=0)
            )
            await s.commit()
            job.learners_moved = res.rowcount or 0


def report_reply(job: ReingestJob) -> Reply:
    if job.error:
        return Reply.text(
            f"❌ Re-ingest failed: {job.error} The previous index keeps serving.", kind="error"
        )
    rep = job.report
    assert rep is not None
    lines = [
        f"Documents: {len(rep.docs_added)} added, {len(rep.docs_updated)} changed, "
        f"{len(rep.docs_removed)} removed, {len(rep.docs_unchanged)} unchanged, {len(rep.docs_failed)} failed",
        f"Chunks: {rep.chunks_added} added, {rep.chunks_updated} changed, {rep.chunks_removed} removed "
        f"({rep.chunks_embedded} embedded, {rep.chunks_total} in the index)",
        f"Index version {rep.version}, {rep.seconds:.1f} s",
    ]
    lines += [f"Failed: {name}: {reason}" for name, reason in rep.docs_failed]
    blocks = [
        Paragraph(
            "✅ Re-ingest finished."
            if not rep.docs_failed
            else "⚠️ Re-ingest finished; some documents failed and their previous versions keep serving."
        ),
        Bullets(tuple(lines)),
    ]
    if job.curriculum_problems:
        blocks += [
            Paragraph(
                f"Curriculum: {plural(len(job.curriculum_problems), 'task link')} point at "
                f"missing sections; those tasks are skipped "
                f"({plural(job.learners_moved, 'learner')} moved on):"
            ),
            Bullets(tuple(job.curriculum_problems[:10])),
        ]
    if job.quiz_problems:
        blocks += [
            Paragraph(f"Quiz: {plural(len(job.quiz_problems), 'question')} skipped:"),
            Bullets(tuple(job.quiz_problems[:10])),
        ]
    return Reply(tuple(blocks))
