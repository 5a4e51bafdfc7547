"""/admin (reingest, status, docs, remove, audit, stats, gaps) and /feedback, in the core
registry."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.audit import audit, recent
from bot.admin.gaps import find_gaps, gap_questions, gaps_reply
from bot.admin.reingest import Reingester
from bot.admin.uploads import UploadRefused, check_upload
from bot.config import Settings
from bot.core.generated import Generator, LLMStats
from bot.core.messages import Bullets, Button, Paragraph, Reply, Request
from bot.core.registry import CommandRegistry, Param
from bot.learning.models import Identity, Learner, QuestionLog
from bot.learning.service import LearningService
from bot.nudges.delivery import Target
from bot.retrieval.retriever import Retriever

# What /admin can do; platforms that offer a fixed list of choices (Discord) offer these.
ADMIN_ACTIONS = ("reingest", "status", "docs", "add", "remove", "audit", "stats", "gaps")
ADMIN_USAGE = (
    "reingest | status | docs | add [replace] (with a file) | remove DOC | audit | stats | "
    "gaps [DAYS]"
)
GAP_DAYS = (1, 365, 30)  # lowest, highest, default


def target_of(req: Request) -> Target:
    if req.where == "group" and req.channel_id:
        return Target(req.platform, req.channel_id, "group")
    return Target(req.platform, req.user_id, "dm")


def who_label(req: Request) -> str:
    return f"{req.user_name or req.user_id} ({req.platform})"


class AdminHooks:
    """What the core reports to the admin side: refused admin commands (audited) and every
    question asked (logged for /admin stats, with 👍/👎 buttons under an answer)."""

    def __init__(self, learning: LearningService) -> None:
        self.learning = learning

    async def refused(self, req: Request, text: str) -> None:
        await audit(self.learning, req, text[:200], "refused: not an admin")

    async def question(self, req: Request, question: str, reply: Reply) -> Reply:
        answer = reply.answer
        async with self.learning.db.sessions() as s:
            row = QuestionLog(
                at=self.learning.clock.now(),
                platform=req.platform,
                user_id=req.user_id,
                question=question[:1000],
                answered=reply.kind == "answer",
                top_source=answer.sources[0].citation.label if answer and answer.sources else None,
            )
            s.add(row)
            await s.commit()
            qid = row.id
        if reply.kind != "answer":
            return reply
        buttons = (Button("👍", f"/feedback up {qid}"), Button("👎", f"/feedback down {qid}"))
        return replace(reply, buttons=reply.buttons + buttons)


class AdminCommands:
    """/admin and its actions, and /feedback; one method per action."""

    def __init__(
        self,
        settings: Settings,
        learning: LearningService,
        reingester: Reingester,
        retriever: Retriever,
        llm: Generator | None = None,
    ) -> None:
        self.settings = settings
        self.learning = learning
        self.reingester = reingester
        self.retriever = retriever
        self.llm = llm  # generated-answer figures, when a model is configured

    def register(self, registry: CommandRegistry) -> None:
        # Reached through the 👍/👎 buttons under an answer, so listed in no menu.
        feedback = self.feedback
        registry.add("feedback", "rate an answer", feedback, usage="up|down ID", hidden=True)
        params = (
            Param("action", "what to do", required=True, choices=ADMIN_ACTIONS),
            Param("document", "for remove: the document's file name", one_word=True),
            Param("confirm", "for remove: yes, really delete it", "bool", flag="confirm"),
            Param("file", "for add: a .md, .txt, .pdf or .html document", "file"),
            Param(
                "replace", "for add: replace a document of the same name", "bool", flag="replace"
            ),
            Param(
                "days",
                "for gaps: how many days back (default 30)",
                "int",
                low=GAP_DAYS[0],
                high=GAP_DAYS[1],
            ),  # fmt: skip
        )
        registry.add(
            "admin", "admin tools", self.admin, usage=ADMIN_USAGE, admin=True, params=params
        )

    async def feedback(self, req: Request, args: str) -> Reply:
        parts = args.split()
        # Ids are positive 63-bit integers (19 digits at most); a longer number overflows the
        # database driver, and int() refuses one of more than 4,300 digits.
        valid = len(parts) == 2 and parts[0] in ("up", "down") and len(parts[1]) <= 19
        if not (valid and parts[1].isascii() and parts[1].isdigit() and 0 < int(parts[1]) < 2**63):
            return Reply.text("Use the 👍 and 👎 buttons under an answer to rate it.", kind="error")
        async with self.learning.db.sessions() as s:
            row = await s.get(QuestionLog, int(parts[1]))
            if row is None or (row.platform, row.user_id) != (req.platform, req.user_id):
                return Reply.text("You can only rate answers to your own questions.", kind="error")
            row.feedback = 1 if parts[0] == "up" else -1
            await s.commit()
        return Reply.text(
            "Thanks for the feedback! It helps the admins improve the roadmap."
            if parts[0] == "up"
            else "Thanks for telling me. The admins will see which answers need work."
        )

    async def admin(self, req: Request, args: str) -> Reply:
        sub, _, rest = args.strip().partition(" ")
        sub = sub.lower()
        action = f"/admin {args.strip()}"[:200]
        handler = {
            "reingest": self.reingest,
            "status": self.status,
            "docs": self.docs,
            "remove": self.remove,
            "add": self.add,
            "audit": self.audit,
            "stats": self.stats,
            "gaps": self.gaps,
        }.get(sub)
        if handler is None:
            return Reply.text(
                f"Admin commands: /admin {ADMIN_USAGE}.", kind="error" if sub else "info"
            )
        return await handler(req, rest.strip(), action)

    async def reingest(self, req: Request, rest: str, action: str) -> Reply:
        started, job = await self.reingester.start(who_label(req), target_of(req))
        if not started:
            since = f"refused: already running since {job.started_at:%H:%M} UTC"
            await audit(self.learning, req, action, since)
            return Reply.text(
                f"A re-ingest is already running: started by {job.started_by} at "
                f"{job.started_at:%Y-%m-%d %H:%M} UTC ({job.stage}, {job.done}/{job.total}). "
                "I'll report when it's done.",
                kind="error",
            )
        await audit(self.learning, req, action, "started")
        return Reply.text(
            "🔄 Re-ingest started. I keep answering questions meanwhile; send /admin status "
            "for progress. I'll post the report here when it's done."
        )

    async def status(self, req: Request, rest: str, action: str) -> Reply:
        job = self.reingester.current
        if job is None:
            return Reply.text("No re-ingest has run since the bot started.")
        state = "running" if job.running else ("failed" if job.error else "finished")
        return Reply.text(
            f"Re-ingest {state}: started by {job.started_by} at {job.started_at:%H:%M} UTC; "
            f"{job.stage} {job.done}/{job.total}."
        )

    async def docs(self, req: Request, rest: str, action: str) -> Reply:
        manifest = self.retriever.current().manifest
        lines = tuple(
            f"{src}: {d.title}, {len(d.chunk_ids)} chunks, ingested {d.ingested_at}"
            for src, d in sorted(manifest.docs.items())
        )
        await audit(self.learning, req, action, f"listed {len(lines)} documents")
        head = (
            f"Index version {manifest.version}: {len(lines)} documents, "
            f"{manifest.chunk_count} chunks."
        )
        return Reply((Paragraph(head), Bullets(lines)))

    async def audit(self, req: Request, rest: str, action: str) -> Reply:
        lines = tuple(
            f"{e.at:%Y-%m-%d %H:%M} {e.user_name or e.user_id} ({e.platform}): "
            f"{e.action} -> {e.result}"
            for e in await recent(self.learning)
        )
        return Reply((Paragraph("Latest admin actions:"), Bullets(lines or ("nothing yet",))))

    async def remove(self, req: Request, rest: str, action: str) -> Reply:
        name, _, confirm = rest.partition(" ")
        manifest = self.retriever.current().manifest
        matches = [src for src in manifest.docs if src == name or Path(src).name == name]
        if not name or len(matches) != 1:
            return Reply.text(
                "Which document? Use /admin docs to list them, then /admin remove NAME.",
                kind="error",
            )
        source = matches[0]
        knowledge = self.settings.knowledge_dir
        path = (knowledge.parent / source).resolve()
        if not path.is_relative_to(knowledge.resolve()) or not path.is_file():
            await audit(self.learning, req, action, "refused: not a file in the knowledge folder")
            return Reply.text(
                f"{source} is not a file in the knowledge folder, so I won't delete it.",
                kind="error",
            )
        if confirm.strip().lower() != "confirm":
            chunks = len(manifest.docs[source].chunk_ids)
            again = f"/admin remove {Path(source).name} confirm"
            return Reply(
                (
                    Paragraph(
                        f"This deletes {source} ({chunks} chunks) from the knowledge folder and "
                        f"re-ingests. Send {again} to go ahead."
                    ),
                ),
                buttons=(Button("Yes, remove it", again),),
            )
        started, job = await self.reingester.start(who_label(req), target_of(req))
        if not started:
            return Reply.text(
                f"A re-ingest started by {job.started_by} is running; remove it when that is done.",
                kind="error",
            )
        # The run was scheduled, not started: delete before the worker thread reads the folder.
        path.unlink()
        await audit(self.learning, req, action, "removed; re-ingest started")
        return Reply.text(f"🗑 Removed {source}. Re-ingesting now; I'll post the report here.")

    async def add(self, req: Request, rest: str, action: str) -> Reply:
        if len(req.attachments) != 1:
            return Reply.text(
                "Send one document (.md, .txt, .pdf or .html) with /admin add as its caption.",
                kind="error",
            )
        att = req.attachments[0]
        action = f"/admin add {att.filename[:80]}"
        try:
            target = check_upload(
                att.filename,
                att.data,
                att.length,
                self.settings.knowledge_dir,
                self.settings.max_upload_bytes,
                rest.lower() == "replace",
            )
        except UploadRefused as exc:
            await audit(self.learning, req, action, f"refused: {exc}")
            return Reply.text(f"Not added: {exc}", kind="error")
        started, job = await self.reingester.start(who_label(req), target_of(req))
        if not started:
            return Reply.text(
                f"A re-ingest started by {job.started_by} is running; send the file again when "
                "it is done.",
                kind="error",
            )
        # The run was scheduled, not started: write before the worker thread reads the folder.
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(att.data)
        tmp.replace(target)
        await audit(self.learning, req, action, "stored; re-ingest started")
        return Reply.text(
            f"📄 Added {target.name} ({att.length / 1024:.0f} KB). Re-ingesting now; I'll post "
            "the report here."
        )

    async def stats(self, req: Request, rest: str, action: str) -> Reply:
        await audit(self.learning, req, action, "shown")
        async with self.learning.db.sessions() as s:
            f = await stats_figures(s, self.learning.clock.now())
        ratio = (
            f"{100 * f.up / (f.up + f.down):.0f}% 👍 ({f.up} 👍, {f.down} 👎)"
            if f.up + f.down
            else "no ratings yet"
        )
        lines = (
            f"Learners: {f.learners}; active in the last 24 h: {f.active_day}; "
            f"last 7 days: {f.active_week}",
            f"Questions asked: {f.asked} ({f.asked_week} in the last 7 days)",
            f"Feedback: {ratio}",
        )
        if self.llm is not None:
            used, budget = await self.llm.tokens_today()
            lines += (f"{llm_line(self.llm.stats)}; today {used:,} of {budget:,} tokens",)
        gaps = tuple(f"{q} ({n}x)" for q, n in f.missing) or ("none so far",)
        return Reply(
            (
                Paragraph("📊 Bot stats"),
                Bullets(lines),
                Paragraph("Most asked questions the roadmap could not answer (write these next):"),
                Bullets(gaps),
            )
        )

    async def gaps(self, req: Request, rest: str, action: str) -> Reply:
        low, high, default = GAP_DAYS
        days = int(rest) if rest.isascii() and rest.isdigit() and len(rest) <= 3 else None
        if rest and (days is None or not low <= days <= high):
            return Reply.text(
                f"Usage: /admin gaps [DAYS], {low} to {high} (default {default}).", kind="error"
            )
        days = days or default
        await audit(self.learning, req, action, "shown")
        since = self.learning.clock.now() - timedelta(days=days)
        async with self.learning.db.sessions() as s:
            questions = await gap_questions(s, since)
        found = await asyncio.to_thread(find_gaps, questions, self.retriever)
        return gaps_reply(found, len(questions), days)


def llm_line(st: LLMStats) -> str:
    """Generated answers since start: share, fallbacks by reason, latency and tokens."""
    fallbacks = sum(st.fallbacks.values())
    total = st.generated + fallbacks
    if not total:
        return "Generated answers: none yet since the bot started"
    reasons = ", ".join(f"{r} {n}" for r, n in st.fallbacks.most_common()) or "none"
    p50, p95 = st.percentile(50), st.percentile(95)
    latency = f"p50 {p50:.0f} ms, p95 {p95:.0f} ms" if p50 is not None else "no latency yet"
    return (
        f"Generated answers: {st.generated} of {total} ({100 * st.generated / total:.0f}%); "
        f"fallbacks: {reasons}; {latency}; {st.tokens:,} tokens"
    )


@dataclass(frozen=True)
class StatsFigures:
    learners: int
    active_day: int
    active_week: int
    asked: int
    asked_week: int
    missing: list[tuple[str, int]]
    up: int
    down: int


async def stats_figures(s: AsyncSession, now: datetime) -> StatsFigures:
    async def count(q) -> int:  # type: ignore[no-untyped-def]
        return int((await s.execute(q)).scalar_one())

    def active(days: int):  # type: ignore[no-untyped-def]
        since = now - timedelta(days=days)
        return select(func.count(func.distinct(Identity.learner_id))).where(
            Identity.last_seen_at >= since
        )

    text = func.lower(QuestionLog.question)
    missing = await s.execute(
        select(text, func.count())
        .where(QuestionLog.answered.is_(False))
        .group_by(text)
        .order_by(func.count().desc(), text)
        .limit(5)
    )
    week = QuestionLog.at >= now - timedelta(days=7)
    return StatsFigures(
        learners=await count(select(func.count(Learner.id))),
        active_day=await count(active(1)),
        active_week=await count(active(7)),
        asked=await count(select(func.count(QuestionLog.id))),
        asked_week=await count(select(func.count(QuestionLog.id)).where(week)),
        missing=[(q, n) for q, n in missing.all()],
        up=await count(select(func.count()).where(QuestionLog.feedback == 1)),
        down=await count(select(func.count()).where(QuestionLog.feedback == -1)),
    )
