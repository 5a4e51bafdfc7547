"""The composition root: builds the core and its dependencies from settings, in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.admin.commands import AdminCommands, AdminHooks
from bot.admin.reingest import Reingester
from bot.commands.groups import register_group_commands
from bot.commands.learning import register_learning_commands
from bot.commands.quiz import register_quiz_commands
from bot.config import Settings
from bot.core.answers import Answerer
from bot.core.bot import BotCore
from bot.core.generated import Budgets, Generator
from bot.learning.clock import Clock, SystemClock
from bot.learning.conversations import ConversationStore
from bot.learning.curriculum import Curriculum, SectionRef, load_curriculum_lenient
from bot.learning.db import Database, open_database
from bot.learning.digest import DigestService
from bot.learning.groups import GroupService
from bot.learning.llm_usage import DbUsage
from bot.learning.quizbank import BankSource
from bot.learning.retention import Housekeeping
from bot.learning.review import QuizService
from bot.learning.service import LearningService
from bot.llm.client import ChatClient, LLMSettings
from bot.nudges.delivery import Deliverer, DeliveryQueue, Limits
from bot.nudges.engine import NudgeEngine
from bot.nudges.ledger import DeliveryLedger
from bot.retrieval.retriever import IndexMissing, Retriever

EXCERPT_CHARS = 220
log = logging.getLogger(__name__)


def build_core(settings: Settings, retriever: Retriever | None = None) -> BotCore:
    """The question-answering core alone (no database): `mlbot ask` and retrieval tests."""
    retriever = retriever or Retriever(settings)
    return BotCore(settings, Answerer(retriever, max_chars=settings.answer_max_chars))


def section_excerpt(retriever: Retriever):  # type: ignore[no-untyped-def]
    """One short quote from a knowledge section, for tasks and nudges."""

    def excerpt(ref: SectionRef) -> str | None:
        try:
            snap = retriever.current()
        except IndexMissing:
            return None
        for chunk in snap.chunks:
            if (
                chunk.source == ref.source
                and chunk.section.split(" › ")[0] == ref.heading
                and chunk.units
            ):
                text = snap.unit_texts[chunk.units[0]]
                return (
                    text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"
                )
        return None

    return excerpt


@dataclass
class App:
    settings: Settings
    core: BotCore
    db: Database
    learning: LearningService
    engine: NudgeEngine
    queue: DeliveryQueue
    retriever: Retriever
    reingester: Reingester
    housekeeping: Housekeeping
    quiz: QuizService

    async def close(self) -> None:
        await self.queue.stop()
        await self.db.close()


def build_nudges(
    learning: LearningService,
    deliverers: dict[str, Deliverer] | None = None,
    limits: dict[str, Limits] | None = None,
    grace_hours: float = 6.0,
    quiz: QuizService | None = None,
) -> tuple[GroupService, DeliveryQueue, NudgeEngine]:
    """The nudge side (groups, delivery queue with its ledger, engine with the weekly
    digest): part of build_app, and on its own for replicas and restarts in tests."""
    groups = GroupService(learning)
    ledger = DeliveryLedger(learning)
    queue = DeliveryQueue(
        deliverers or {}, limits, on_result=ledger.on_result, before_send=ledger.before_send
    )
    digests = DigestService(learning, quiz)
    return groups, queue, NudgeEngine(learning, queue, grace_hours, groups, quiz, digests)


def build_generator(
    settings: Settings, answerer: Answerer, clock: Clock, db: Database | None = None
) -> Generator | None:
    """Generated answers when an OpenAI-compatible endpoint is configured, else None. With a
    database, the daily budgets are counted there (so a restart does not reset them)."""
    if not settings.uses_llm:
        return None
    client = ChatClient(
        LLMSettings(
            base_url=settings.llm_base_url or "",
            model=settings.llm_model or "",
            api_key=settings.llm_api_key,
            first_token_seconds=settings.llm_first_token_seconds,
        )
    )
    budgets = Budgets(settings.llm_daily_answers_per_person, settings.llm_daily_tokens)
    usage = DbUsage(db) if db is not None else None
    return Generator(answerer, client, budgets, clock.now, usage)


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    deliverers: dict[str, Deliverer] | None = None,
    limits: dict[str, Limits] | None = None,
    curriculum: Curriculum | None = None,
    retriever: Retriever | None = None,
) -> App:
    """Every object of the running bot, each built through its constructor, in dependency
    order. Tests call this too (with a fake clock, in-memory deliverers), never a copy."""
    retriever = retriever or Retriever(settings)
    if curriculum is None:
        curriculum, problems = load_curriculum_lenient(
            settings.curriculum_path, settings.knowledge_dir
        )
        for problem in problems:
            log.warning("curriculum: %s (task skipped)", problem)
    db = await open_database(settings.db_url)
    learning = LearningService(db, curriculum, clock or SystemClock(), section_excerpt(retriever))
    quiz_bank = BankSource(settings.quiz_path, settings.knowledge_dir, lambda: learning.curriculum)
    quiz = QuizService(learning, quiz_bank, daily_max=settings.quiz_daily_max)
    groups, queue, engine = build_nudges(
        learning, deliverers, limits, settings.nudge_grace_hours, quiz
    )
    reingester = Reingester(settings, learning, queue, quiz_bank)
    hooks = AdminHooks(learning)
    answerer = Answerer(retriever, max_chars=settings.answer_max_chars)
    talks = ConversationStore(db, learning.clock, settings.conversation_idle_minutes)
    generator = build_generator(settings, answerer, learning.clock, db)
    core = BotCore(settings, answerer, learning, hooks.refused, hooks.question, talks, generator)
    register_learning_commands(core.registry, learning, groups)
    register_group_commands(core.registry, groups)
    register_quiz_commands(core.registry, quiz)
    AdminCommands(settings, learning, reingester, retriever, generator).register(core.registry)
    housekeeping = Housekeeping(
        db, learning.clock, settings.question_retention_days, settings.conversation_idle_minutes
    )
    return App(
        settings, core, db, learning, engine, queue, retriever, reingester, housekeeping, quiz
    )
