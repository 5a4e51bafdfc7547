"""Extractive, cited answers: the most relevant sentences and bullets of the best passages.

Nothing is generated, so nothing can be invented: every line of an answer is a line of the
roadmap, numbered with its source. When the best evidence is weak the answer says so honestly
and suggests what the bot can answer, instead of quoting random passages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bot.retrieval.retriever import Retriever
from bot.retrieval.search import Hit, Mode
from bot.retrieval.snapshot import IndexSnapshot
from bot.textutil import SECTION_SEP

# Calibrated on tests/data: every off-topic question there scores below 0.30 cosine, and those
# near it share no rare word with the passage. Checked by tests/test_answers.py.
MIN_DENSE = 0.28  # best chunk cosine below this: not covered, whatever the keywords say
STRONG_DENSE = 0.45  # at or above this the passage is clearly on topic
MIN_KEYWORD_EVIDENCE = 0.15  # between the two: the passage must share the question's key words

MAX_SOURCES = 3
MAX_LINES = 6
TOP_CHUNKS = 4
LEAD_BONUS = 0.08
PRIMARY_LINES = 4
RUNNER_UP_GAP = 0.06


@dataclass(frozen=True)
class Citation:
    n: int
    title: str
    section: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.title}{SECTION_SEP}{self.section}" if self.section else self.title


@dataclass(frozen=True)
class AnswerLine:
    text: str
    cite: int  # Citation.n


@dataclass(frozen=True)
class SourceUsed:
    citation: Citation
    score: float
    text: str  # the lines quoted from it


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    lines: tuple[AnswerLine, ...] = ()
    sources: tuple[SourceUsed, ...] = ()
    suggestions: tuple[str, ...] = ()
    took_ms: float = 0.0
    index_version: int = 0
    debug: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(s.citation for s in self.sources)


SUGGESTIONS = (
    "What math do I need for machine learning?",
    "Do I need a degree to become an ML engineer?",
    "How long does it take to get a junior ML job?",
    "What projects should a beginner build?",
    "What does an ML engineer do day to day?",
)


def keyword_evidence(qterms: list[str], snap: IndexSnapshot, hit: Hit) -> float:
    """IDF-weighted share of the question's words found in the passage.

    Words the knowledge base has never seen weigh the most, so "weather in Paris" is not
    rescued by a stray common word, while a rare exact term ("SARSA", "U-Net") counts fully.
    """
    uniq = set(qterms)
    if not uniq:
        return 0.0
    words = set(snap.bm25_terms[hit.chunk])
    weights = {t: snap.bm25.idf(t) for t in uniq}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in words) / total if total else 0.0


def is_covered(hits: list[Hit], qterms: list[str], snap: IndexSnapshot) -> tuple[bool, dict]:
    if not hits:
        return False, {"reason": "no hits"}
    best_dense = max(h.dense for h in hits)
    evidence = keyword_evidence(qterms, snap, hits[0])
    info = {"best_dense": round(best_dense, 4), "keyword_evidence": round(evidence, 3)}
    if best_dense >= STRONG_DENSE:
        return True, info
    return best_dense >= MIN_DENSE and evidence >= MIN_KEYWORD_EVIDENCE, info


def _unit_scores(
    snap: IndexSnapshot, chunk: int, qvec: np.ndarray, qset: set[str]
) -> list[tuple[float, int]]:
    units = [u for u in snap.chunks[chunk].units if not snap.unit_texts[u].rstrip().endswith("?")]
    if not units:
        return []
    sims = snap.unit_vecs[np.asarray(units, dtype=np.int64)] @ qvec
    first = snap.chunks[chunk].units[0]
    out = []
    for k, u in enumerate(units):
        overlap = len(qset & snap.unit_terms[u]) / len(qset) if qset else 0.0
        # Sections state their point first: a prior for the opening lines.
        lead = LEAD_BONUS / (1 + u - first)
        out.append((float(sims[k]) + 0.1 * overlap + lead, u))
    return sorted(out, reverse=True)


def _select_units(
    snap: IndexSnapshot, hits: list[Hit], qvec: np.ndarray, qterms: list[str], max_chars: int
) -> list[tuple[int, int, float]]:
    """(chunk, unit, score) to quote: the best section's key lines, then close runners-up."""
    qset = set(qterms)
    picked: list[tuple[int, int, float]] = []
    used = 0

    def take(chunk: int, limit: int, budget: int) -> None:
        nonlocal used
        taken = 0
        for score, u in _unit_scores(snap, chunk, qvec, qset):
            if taken >= limit or len(picked) >= MAX_LINES:
                return
            text = snap.unit_texts[u]
            if used + len(text) > budget:
                continue
            if any(float(snap.unit_vecs[u] @ snap.unit_vecs[p]) > 0.93 for _, p, _ in picked):
                continue  # near-duplicate of a line already picked
            picked.append((chunk, u, score))
            used += len(text) + 2
            taken += 1

    top = hits[0]
    take(top.chunk, PRIMARY_LINES, int(max_chars * 0.75))
    sources = 1
    for h in hits[1:TOP_CHUNKS]:
        if sources >= MAX_SOURCES or h.fused < top.fused - RUNNER_UP_GAP:
            continue
        before = len(picked)
        take(h.chunk, 1, max_chars)
        sources += len(picked) > before
    return picked


class Answerer:
    def __init__(self, retriever: Retriever, max_chars: int = 1000) -> None:
        self.retriever = retriever
        self.max_chars = max_chars

    def answer(self, question: str, mode: Mode = "hybrid") -> Answer:
        t0 = time.perf_counter()
        res = self.retriever.search(question, k=TOP_CHUNKS + 2, mode=mode)
        snap = res.snapshot
        covered, info = is_covered(res.hits, res.qterms, snap)
        if not covered:
            return Answer(
                question,
                False,
                suggestions=SUGGESTIONS,
                took_ms=(time.perf_counter() - t0) * 1000,
                index_version=snap.version,
                debug=info,
            )
        picked = _select_units(snap, res.hits, res.qvec, res.qterms, self.max_chars)
        # Group lines by source (sources in order of their best line), document order inside.
        order: list[int] = []
        for c, _, _ in picked:
            if c not in order:
                order.append(c)
        hit_by_chunk = {h.chunk: h for h in res.hits}
        lines: list[AnswerLine] = []
        sources: list[SourceUsed] = []
        for n, c in enumerate(order, start=1):
            info_c = snap.chunks[c]
            cite = Citation(n, info_c.title, info_c.section, info_c.source)
            units = sorted(u for cc, u, _ in picked if cc == c)
            texts = [snap.unit_texts[u] for u in units]
            lines.extend(AnswerLine(t, n) for t in texts)
            sources.append(SourceUsed(cite, round(hit_by_chunk[c].dense, 4), " ".join(texts)))
        return Answer(
            question,
            True,
            tuple(lines),
            tuple(sources),
            took_ms=(time.perf_counter() - t0) * 1000,
            index_version=snap.version,
            debug=info,
        )
