"""The composition root: builds the core and its dependencies from settings, in one place."""

from __future__ import annotations

from bot.config import Settings
from bot.core.answers import Answerer
from bot.core.bot import BotCore
from bot.retrieval.retriever import Retriever


def build_core(settings: Settings, retriever: Retriever | None = None) -> BotCore:
    retriever = retriever or Retriever(settings)
    return BotCore(settings, Answerer(retriever, max_chars=settings.answer_max_chars))
