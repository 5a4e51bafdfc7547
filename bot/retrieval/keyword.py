"""BM25 keyword search over chunks, in memory (a few thousand chunks score in well under 1 ms)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np


class BM25:
    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.n = len(docs)
        lengths = np.asarray([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if self.n else 1.0
        self._norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        self._k1 = k1
        postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings.setdefault(term, []).append((i, tf))
        self._post: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        for term, plist in postings.items():
            idx = np.asarray([p[0] for p in plist], dtype=np.int64)
            tf = np.asarray([p[1] for p in plist], dtype=np.float32)
            df = len(plist)
            idf = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
            self._post[term] = (idx, tf, idf)

    def idf(self, term: str) -> float:
        """IDF of a term; an unseen term gets more than any seen one."""
        entry = self._post.get(term)
        return entry[2] if entry else math.log(1 + self.n + 0.5) + 1.0

    def __contains__(self, term: str) -> bool:
        return term in self._post

    def scores(self, query_terms: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for term in set(query_terms):
            entry = self._post.get(term)
            if entry is None:
                continue
            idx, tf, idf = entry
            out[idx] += idf * tf * (self._k1 + 1) / (tf + self._norm[idx])
        return out
