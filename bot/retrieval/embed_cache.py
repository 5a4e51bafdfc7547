"""Vectors of texts embedded before, kept per model in the cache folder: a re-ingest (an
admin's changed document, `--full`, the same roadmap written out as PDF) embeds only texts
it has not seen, and a serving process loading a new index version finds its section
headings there, embedded by the ingest that built it. Embedding is most of an ingest's
time; a lookup is a fraction of a millisecond. SQLite, so processes that ingest at the same time share it safely."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np

BATCH = 500  # keys per query, below SQLite's limit on bound parameters


class EmbeddingCache:
    def __init__(self, folder: Path, model_key: str, dim: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha1(model_key.encode()).hexdigest()[:16]
        self.path = folder / f"embeddings-{name}.sqlite"
        self.dim = dim
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB NOT NULL)")

    def _connect(self) -> contextlib.closing[sqlite3.Connection]:
        return contextlib.closing(sqlite3.connect(self.path, timeout=30))

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, texts: list[str]) -> dict[int, np.ndarray]:
        """The vectors of the texts seen before, by their position in `texts`."""
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._connect() as db:
            for i in range(0, len(keys), BATCH):
                part = keys[i : i + BATCH]
                marks = ",".join("?" * len(part))
                for key, blob in db.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", part):
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape == (self.dim,):
                        found[key] = vec
        return {i: found[k] for i, k in enumerate(keys) if k in found}

    def put(self, texts: list[str], vecs: np.ndarray) -> None:
        rows = [
            (self._key(t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vecs, strict=True)
        ]
        with self._connect() as db, db:
            db.executemany("INSERT OR REPLACE INTO vec (key, v) VALUES (?, ?)", rows)


def encode_with_cache(
    encoder, cache: EmbeddingCache, texts: list[str], encode: Callable | None = None
) -> tuple[np.ndarray, int]:
    """Every text's vector, and how many came from the cache (embedded before, by any
    ingest with this cache folder); the others are embedded now (by `encode`, the encoder's
    own by default) and kept for next time."""
    known = cache.get(texts)
    todo = [i for i in range(len(texts)) if i not in known]
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for i, vec in known.items():
        out[i] = vec
    if todo:
        fresh = (encode or encoder.encode)([texts[i] for i in todo])
        out[todo] = fresh
        cache.put([texts[i] for i in todo], fresh)
    return out, len(known)
