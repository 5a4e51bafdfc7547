"""Hybrid retrieval: a learned linear blend of dense similarities and keyword evidence.

Reciprocal rank fusion was tried first and did not beat dense search alone on our evaluation
set (hit@3 0.90 vs 0.92): with a strong dense retriever, rank fusion lets a mediocre keyword
rank pull weak passages up. So the hybrid score is a weighted sum of a few signals of each
passage: its cosine similarity, its best, second best and best three sentences', its BM25 score
(max-normalised), the words its heading shares with the question, the cosine of the question
and "Title: heading" (many headings are a learner's question, and the model matches question
to question well), and whether it is a document's intro. The weights were fitted by pairwise
logistic regression on the development questions and checked on questions written later
(bench/fit_fusion.py prints both); the first blend (cosine plus a tenth of BM25) stayed the
"dense" and "keyword" modes' baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.retrieval.snapshot import IndexSnapshot

Mode = Literal["hybrid", "dense", "keyword"]
# Fitted by bench/fit_fusion.py on the development questions (see its output for the
# held-out figures), then scaled so that the similarity weights add up to one.
FUSION_WEIGHTS = {
    "dense": 0.218,
    "unit": 0.254,
    "unit2": 0.145,
    "unit3": 0.184,
    "keyword": 0.129,
    "heading": 0.131,
    "heading_sim": 0.199,
    "intro": -0.193,
}
# Share of a chunk's score that comes from its best sentence or bullet: one sentence that
# answers the question must not be diluted by a long section around it.
UNIT_WEIGHT = 0.3


def mix(dense, unit):
    """A chunk's dense score: its own cosine and its best sentence's, weighted (arrays or
    floats alike); used by search for ranking and by the answerer for coverage."""
    return (1 - UNIT_WEIGHT) * dense + UNIT_WEIGHT * unit


@dataclass(frozen=True)
class Hit:
    chunk: int
    dense: float  # cosine similarity of question and chunk
    keyword: float  # BM25 score
    fused: float
    unit: float = 0.0  # cosine similarity of the question and the chunk's best unit


def features(snap: IndexSnapshot, qvec: np.ndarray, qterms: list[str]) -> dict[str, np.ndarray]:
    """Every passage's signals for the hybrid score, one array each (the same function feeds
    search and the fit in bench/fit_fusion.py, so what is served is what was fitted)."""
    best, second, mean3 = snap.top_unit_sims(qvec)
    keyword = snap.bm25.scores(qterms)
    top_kw = float(keyword.max())
    return {
        "dense": snap.chunk_vecs @ qvec,
        "unit": best,
        "unit2": second,
        "unit3": mean3,
        "keyword": keyword / top_kw if top_kw > 0 else keyword,
        "bm25": keyword,
        # Intro paragraphs (text before a document's first heading) are signposts that touch
        # every topic of the document lightly; prefer the section that actually covers it.
        "intro": snap.is_intro,
        "heading": snap.heading_overlap(set(qterms)),
        "heading_sim": snap.heading_vecs @ qvec,
    }


def fused_score(feats: dict[str, np.ndarray], weights: dict[str, float] = FUSION_WEIGHTS):
    return sum(w * feats[name] for name, w in weights.items())


def search(
    snap: IndexSnapshot, qvec: np.ndarray, qterms: list[str], k: int = 5, mode: Mode = "hybrid"
) -> list[Hit]:
    if not len(snap):
        return []
    f = features(snap, qvec, qterms)
    if mode == "dense":
        fused = mix(f["dense"], f["unit"])
    elif mode == "keyword":
        fused = f["bm25"]
    else:
        fused = fused_score(f)
    k = min(k, len(snap))
    top = np.argpartition(-fused, k - 1)[:k]
    top = top[np.argsort(-fused[top], kind="stable")]
    dense, keyword, unit = f["dense"], f["bm25"], f["unit"]
    return [
        Hit(int(i), float(dense[i]), float(keyword[i]), float(fused[i]), float(unit[i]))
        for i in top
    ]
