"""Hybrid retrieval: dense cosine and BM25 ranks fused with reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.retrieval.snapshot import IndexSnapshot

Mode = Literal["hybrid", "dense", "keyword"]
RRF_K = 60
CANDIDATES = 30


@dataclass(frozen=True)
class Hit:
    chunk: int
    dense: float  # cosine similarity of question and chunk
    keyword: float  # BM25 score
    fused: float


def search(
    snap: IndexSnapshot, qvec: np.ndarray, qterms: list[str], k: int = 5, mode: Mode = "hybrid"
) -> list[Hit]:
    if not len(snap):
        return []
    dense = snap.chunk_vecs @ qvec
    keyword = snap.bm25.scores(qterms)
    n = min(CANDIDATES, len(snap))
    fused = np.zeros(len(snap), dtype=np.float64)
    if mode in ("hybrid", "dense"):
        top = np.argpartition(-dense, n - 1)[:n]
        for rank, i in enumerate(top[np.argsort(-dense[top])]):
            fused[i] += 1.0 / (RRF_K + rank)
    if mode in ("hybrid", "keyword"):
        top = np.argpartition(-keyword, n - 1)[:n]
        for rank, i in enumerate(top[np.argsort(-keyword[top])]):
            if keyword[i] > 0:
                fused[i] += 1.0 / (RRF_K + rank)
    order = np.argsort(-fused, kind="stable")[:k]
    return [
        Hit(int(i), float(dense[i]), float(keyword[i]), float(fused[i]))
        for i in order
        if fused[i] > 0
    ]
