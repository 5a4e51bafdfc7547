"""/admin gaps: what learners asked that the roadmap did not answer well (not covered, or
rated 👎), grouped into clusters of similar questions with the embedding model we already
ship, so admins see what to write next instead of a flat list of near-duplicates.

Each cluster has its size, two example questions, the nearest existing section (if any is
close) and a one-line suggestion. Small talk and questions in other languages are not gaps
in the content, so they are left out. The thresholds were chosen on
tests/data/gaps_tuning.yaml and are checked on a different log (tests/data/gaps_test.yaml).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import language, smalltalk
from bot.core.messages import Paragraph, Reply
from bot.learning.models import QuestionLog
from bot.retrieval.retriever import Retriever
from bot.textutil import joined, plural, section_label

SAME_NEED = 0.35  # average cosine similarity of one cluster (best adjusted Rand on the tuning log)
NEAREST_MIN = 0.5  # a section at least this similar is named as the place to extend
MAX_GAPS = 8
_GENERIC = frozenset(
    [
        "ml",
        "machine",
        "learning",
        "engineer",
        "engineers",
        "ai",
        "data",
        "model",
        "models",
        "learn",
        "learning",
        "get",
        "good",
        "best",
        "need",
        "want",
        "like",
        "know",
        "use",
        "using",
        "work",
        "working",
        "start",
        "way",
        "ways",
        "really",
        "thing",
        "things",
        "question",
        "questions",
        "help",
        "tips",
        "ok",
        "im",
        "ive",
        "dont",
        "does",
        "make",
        "much",
        "many",
        "also",
    ]
)


@dataclass(frozen=True)
class Gap:
    count: int
    examples: tuple[str, ...]
    nearest: str | None
    suggestion: str


async def gap_questions(s: AsyncSession, since: datetime) -> list[str]:
    """Questions since a time that were not covered or were rated 👎, minus small talk and
    other languages."""
    rows = await s.execute(
        select(QuestionLog.question).where(
            QuestionLog.at >= since,
            or_(QuestionLog.answered.is_(False), QuestionLog.feedback == -1),
        )
    )
    return [q for (q,) in rows if is_content_question(q)]


def is_content_question(text: str) -> bool:
    return (
        smalltalk.classify(text) is None
        and language.detect_non_english(language.english_part(text)) is None
    )


def clusters(vectors: np.ndarray, same_need: float = SAME_NEED) -> list[list[int]]:
    """Indices grouped by average-linkage clustering on cosine distance, largest first."""
    if len(vectors) < 2:
        return [list(range(len(vectors)))] if len(vectors) else []
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1 - same_need
    ).fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def find_gaps(
    questions: list[str], retriever: Retriever, same_need: float = SAME_NEED
) -> list[Gap]:
    """Every group, largest first; only the MAX_GAPS shown get a nearest section and a
    suggestion (a search each), the rest are only counted."""
    counts = Counter(" ".join(q.split()) for q in questions if q.strip())
    texts = list(counts)
    if not texts:
        return []
    vectors = retriever.encoder().encode(texts)
    groups = clusters(vectors, same_need)
    groups.sort(key=lambda members: -sum(counts[texts[i]] for i in members))
    gaps = []
    for rank, members in enumerate(groups):
        centre = vectors[members].mean(axis=0)
        ordered = [texts[i] for i in sorted(members, key=lambda i: -float(vectors[i] @ centre))]
        size = sum(counts[q] for q in ordered)
        if rank >= MAX_GAPS:
            gaps.append(Gap(size, tuple(ordered[:2]), None, ""))
            continue
        nearest = _nearest(retriever, ordered[0])
        gaps.append(Gap(size, tuple(ordered[:2]), nearest, _suggest(ordered, nearest)))
    return gaps


def _nearest(retriever: Retriever, question: str) -> str | None:
    res = retriever.search(question, k=1, mode="dense")
    if not res.hits or res.hits[0].dense < NEAREST_MIN:
        return None
    chunk = res.snapshot.chunks[res.hits[0].chunk]
    return section_label(chunk.title, chunk.section)


def _suggest(questions: list[str], nearest: str | None) -> str:
    """The words the group's questions share name its topic; a group without shared words
    (or of one question) is named by the question closest to its centre."""
    words = Counter(
        w
        for q in questions
        for w in set(re.findall(r"[a-z][a-z0-9+#-]{2,}", q.lower()))
        if w not in _GENERIC and w not in _stop_words()
    )
    shared = [w for w, n in words.most_common(3) if n >= 2]
    if shared:
        what = f"cover {joined(shared)}" if nearest else f"on {joined(shared)}"
    else:
        what = f"that answers \u201c{questions[0][:80]}\u201d"
        what = f"to answer \u201c{questions[0][:80]}\u201d" if nearest else what
    if nearest:
        return f"Extend \u201c{nearest}\u201d to {what.removeprefix('to ')}."
    return f"Write a new section or document {what}."


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS


def gaps_reply(gaps: list[Gap], asked: int, days: int) -> Reply:
    if not gaps:
        return Reply.text(
            f"No coverage gaps in the last {plural(days, 'day')}: every question was answered "
            "and none was rated 👎 (small talk and other languages are not counted)."
        )
    blocks = [
        Paragraph(
            f"🕳 Coverage gaps, last {plural(days, 'day')}: {plural(asked, 'question')} not "
            f"covered or rated 👎, in {plural(len(gaps), 'group')} (largest first):"
        )
    ]
    for n, gap in enumerate(gaps[:MAX_GAPS], 1):
        lines = [
            f"{n}. {plural(gap.count, 'question')}, e.g. "
            + " / ".join(f"\u201c{q[:120]}\u201d" for q in gap.examples),
            f"Nearest section: {gap.nearest or 'none close'}",
            f"Suggestion: {gap.suggestion}",
        ]
        blocks.append(Paragraph("\n".join(lines)))
    if rest := gaps[MAX_GAPS:]:
        more = sum(g.count for g in rest)
        blocks.append(
            Paragraph(f"…and {plural(more, 'question')} in {plural(len(rest), 'smaller group')}.")
        )
    return Reply(tuple(blocks))
