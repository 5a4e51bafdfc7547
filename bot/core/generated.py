"""Generated answers (optional): the extractive answer is always made first, because it is
both the fallback and the proof that the roadmap covers the question. Then the model gets
the top passages and the person's recent questions; its text is checked (bot.llm.grounding)
and sent only if enough of it is supported. Any failure (slow first token, stall, refused
connection, 429/5xx, malformed or empty output, exhausted budget, too little grounded)
sends the extractive answer instead, with no error shown, and is counted by reason."""

from __future__ import annotations

import statistics
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from bot.core.answers import Answer, Answerer, AnswerLine, Citation, SourceUsed
from bot.learning.llm_usage import EVERYONE, Account, MemoryUsage, UsageBook
from bot.llm import prompt
from bot.llm.client import ChatClient, LLMFailure, Usage
from bot.llm.grounding import check
from bot.ops.metrics import LLM_ANSWERS, LLM_TOKENS
from bot.textutil import section_label

OnText = Callable[[str], Awaitable[None]]  # the text so far, for streamed replies


@dataclass(frozen=True)
class Budgets:
    answers_per_person: int = 50  # generated answers per person and UTC day
    tokens_per_day: int = 200_000  # for the whole bot


@dataclass
class LLMStats:
    generated: int = 0
    fallbacks: Counter = field(default_factory=Counter)
    tokens: int = 0
    latencies_ms: deque = field(default_factory=lambda: deque(maxlen=1000))

    def percentile(self, p: float) -> float | None:
        data = sorted(self.latencies_ms)
        if not data:
            return None
        if len(data) == 1:
            return data[0]
        return statistics.quantiles(data, n=100, method="inclusive")[int(p) - 1]


@dataclass
class _Tally:
    """What one request spent: generated answers (0 or 1) and tokens over its model calls."""

    answers: int = 0
    tokens: int = 0


class Generator:
    def __init__(
        self,
        answerer: Answerer,
        client: ChatClient,
        budgets: Budgets | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        usage: UsageBook | None = None,
    ) -> None:
        self.answerer = answerer
        self.client = client
        self.budgets = budgets or Budgets()
        self.clock = clock
        self.stats = LLMStats()
        self.usage = usage or MemoryUsage()  # the database's, when the bot has one

    async def respond(
        self,
        question: str,
        who: Account,
        turns: list[tuple[str, str]],  # recent (question, start of reply), oldest first
        on_text: OnText | None = None,
        asked: str | None = None,
    ) -> Answer:
        """`asked`: the learner's own words when they wrote in another language and
        `question` is its English reading. The answer is then written and checked in
        English and translated; a failed translation leaves the checked English answer."""
        extractive = self.answerer.respond(question)
        if not extractive.answered:
            return extractive  # the roadmap does not cover it: the honest refusal stays
        day = self._day()
        if await self._spent(day, who):
            return self._fallback(extractive, "budget")
        tally = _Tally()
        try:
            return await self._generate(question, turns, on_text, asked, extractive, tally)
        finally:
            await self._book(day, who, tally)

    async def _generate(
        self,
        question: str,
        turns: list[tuple[str, str]],
        on_text: OnText | None,
        asked: str | None,
        extractive: Answer,
        tally: _Tally,
    ) -> Answer:
        chunks = list(extractive.retrieved)
        passages = [
            (n, section_label(c.title, c.section), prompt.without_instructions(c.text))
            for n, c in enumerate(chunks, 1)
        ]
        t0 = time.perf_counter()
        shown = on_text if asked is None else None  # not the English draft of a translation
        try:
            text = await self._complete(prompt.messages(question, passages, turns), tally, shown)
        except LLMFailure as failure:
            return self._fallback(extractive, failure.reason)
        checked = check(text, {n: t for n, _, t in passages}, self.answerer.encode)
        if not checked.grounded:
            return self._fallback(extractive, "ungrounded")
        lines, translated = checked.lines, None
        if asked is not None:
            translated = await self._translated(checked.lines, asked, tally, on_text)
            lines = translated or lines
        tally.answers = 1
        self.stats.generated += 1
        self.stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
        LLM_ANSWERS.labels(outcome="generated", reason="").inc()
        answer = _as_answer(question, lines, chunks, extractive, checked)
        if asked is not None:
            answer.debug["translated"] = translated is not None
        return answer

    async def to_english(self, text: str, who: Account) -> str | None:
        """A question written in another language, read in English; None when the budget
        is spent or the model fails (counted as a fallback like any other)."""
        day = self._day()
        if await self._spent(day, who):
            self._count_fallback("budget")
            return None
        tally = _Tally()
        try:
            english = await self._complete(prompt.to_english(text), tally, None)
        except LLMFailure as failure:
            self._count_fallback(failure.reason)
            return None
        finally:
            await self._book(day, who, tally)
        line = " ".join(english.split())
        return line[:500] or None

    async def _translated(
        self, lines: list[tuple[str, int]], asked: str, tally: _Tally, on_text
    ) -> list[tuple[str, int]] | None:  # type: ignore[no-untyped-def]
        """The checked lines in the learner's language, each still citing its passage; None
        when the model fails or the citations do not come back one for one, in order."""
        try:
            text = await self._complete(prompt.translate(lines, asked), tally, on_text)
        except LLMFailure:
            return None
        back = prompt.cited_lines(text)
        if back is None or [n for _, n in back] != [n for _, n in lines]:
            return None
        return back

    async def _complete(self, messages: list[dict], tally: _Tally, on_text) -> str:  # type: ignore[no-untyped-def]
        """The model's whole text (streamed to on_text); its tokens are counted even when
        it fails part way, and booked with the request's other calls."""
        usage = Usage()
        text = ""
        try:
            async for piece in self.client.stream(messages, usage):
                text += piece
                if on_text is not None:
                    await on_text(text)
        finally:
            spent = usage.total or len("".join(usage.chunks)) // 4
            self.stats.tokens += spent
            LLM_TOKENS.inc(spent)
            tally.tokens += spent
        return text

    async def _book(self, day: date, who: Account, tally: _Tally) -> None:
        """One write per request, however many model calls it took (answer, translation)."""
        if tally.answers or tally.tokens:
            await self.usage.add(day, who, tally.answers, tally.tokens)

    async def tokens_today(self) -> tuple[int, int]:
        """The whole bot's tokens spent today (UTC) and the daily budget, for /admin stats."""
        return (await self.usage.spent(self._day(), EVERYONE))[1], self.budgets.tokens_per_day

    def _day(self) -> date:
        return self.clock().astimezone(UTC).date()

    async def _spent(self, day: date, who: Account) -> bool:
        answers, tokens = await self.usage.spent(day, who)
        return answers >= self.budgets.answers_per_person or tokens >= self.budgets.tokens_per_day

    def _fallback(self, extractive: Answer, reason: str) -> Answer:
        self._count_fallback(reason)
        return replace(extractive, debug={**extractive.debug, "llm_fallback": reason})

    def _count_fallback(self, reason: str) -> None:
        self.stats.fallbacks[reason] += 1
        LLM_ANSWERS.labels(outcome="fallback", reason=reason).inc()


def _as_answer(question, lines, chunks, extractive: Answer, checked) -> Answer:  # type: ignore[no-untyped-def]
    """Numbered by first use; the sources are exactly the passages the kept lines cite."""
    order: list[int] = []
    for _, n in lines:
        if n not in order:
            order.append(n)
    renum = {n: i for i, n in enumerate(order, 1)}
    out_lines = tuple(AnswerLine(text, renum[n]) for text, n in lines)
    sources = []
    for n in order:
        c = chunks[n - 1]
        said = " ".join(t for t, m in lines if m == n)
        sources.append(SourceUsed(Citation(renum[n], c.title, c.section, c.source), 1.0, said))
    debug = {
        "mode": "generated",
        "dropped": len(checked.dropped),
        "unknown_cites": checked.unknown_cites,
    }
    return Answer(question, True, out_lines, tuple(sources), index_version=extractive.index_version,
                  debug=debug)  # fmt: skip
