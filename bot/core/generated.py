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
from datetime import UTC, datetime

from bot.core.answers import TOP_CHUNKS, Answer, Answerer, AnswerLine, Citation, SourceUsed
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


class Generator:
    def __init__(
        self,
        answerer: Answerer,
        client: ChatClient,
        budgets: Budgets | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.answerer = answerer
        self.client = client
        self.budgets = budgets or Budgets()
        self.clock = clock
        self.stats = LLMStats()
        self._per_person: Counter = Counter()
        self._tokens_today: Counter = Counter()

    async def respond(
        self, question: str, who: str, turns: list[str], on_text: OnText | None = None
    ) -> Answer:
        extractive = self.answerer.respond(question)
        if not extractive.answered:
            return extractive  # the roadmap does not cover it: the honest refusal stays
        day = self.clock().date().isoformat()
        if (
            self._per_person[(day, who)] >= self.budgets.answers_per_person
            or self._tokens_today[day] >= self.budgets.tokens_per_day
        ):
            return self._fallback(extractive, "budget")
        res = self.answerer.retriever.search(question, k=TOP_CHUNKS)
        snap = res.snapshot
        chunks = [snap.chunks[h.chunk] for h in res.hits]
        passages = [
            (n, section_label(c.title, c.section), prompt.without_instructions(c.text))
            for n, c in enumerate(chunks, 1)
        ]
        t0 = time.perf_counter()
        usage = Usage()
        try:
            text = ""
            async for piece in self.client.stream(
                prompt.messages(question, passages, turns), usage
            ):
                text += piece
                if on_text is not None:
                    await on_text(text)
        except LLMFailure as failure:
            return self._fallback(extractive, failure.reason)
        finally:
            spent = usage.total or len("".join(usage.chunks)) // 4
            self._tokens_today[day] += spent
            self.stats.tokens += spent
            LLM_TOKENS.inc(spent)
        checked = check(text, {n: t for n, _, t in passages}, self.answerer.encode)
        if not checked.grounded:
            return self._fallback(extractive, "ungrounded")
        self._per_person[(day, who)] += 1
        self.stats.generated += 1
        self.stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
        LLM_ANSWERS.labels(outcome="generated", reason="").inc()
        return _as_answer(question, checked.lines, chunks, extractive, checked)

    def _fallback(self, extractive: Answer, reason: str) -> Answer:
        self.stats.fallbacks[reason] += 1
        LLM_ANSWERS.labels(outcome="fallback", reason=reason).inc()
        return replace(extractive, debug={**extractive.debug, "llm_fallback": reason})


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
