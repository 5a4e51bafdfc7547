"""An immutable, in-memory view of one index version, loaded from its Chroma collections.

Each question is answered from exactly one snapshot, which is what makes re-ingestion atomic
for readers: a new version becomes visible only as a whole new snapshot. For a knowledge base
of roadmap size (hundreds to tens of thousands of chunks) exact search over vectors held in
memory is both faster and more accurate than an approximate query round trip, so Chroma is
the store and the snapshot is its working copy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from bot.retrieval.keyword import BM25
from bot.retrieval.manifest import Manifest
from bot.textutil import INTRO_SECTION, SECTION_SEP, terms

PAGE = 5000


@dataclass(frozen=True)
class ChunkInfo:
    id: str
    source: str
    title: str
    section: str
    text: str
    units: tuple[int, ...]  # indexes into IndexSnapshot.unit_texts


def _get_all(col, include: list[str]) -> dict[str, list]:
    out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
    offset = 0
    while True:
        got = col.get(include=include, limit=PAGE, offset=offset)
        ids = got["ids"]
        out["ids"].extend(ids)
        for k in include:
            value = got[k]
            out[k].extend(list(value) if value is not None else [])
        if len(ids) < PAGE:
            return out
        offset += PAGE


class IndexSnapshot:
    def __init__(
        self,
        manifest: Manifest,
        chunks: list[ChunkInfo],
        chunk_vecs: np.ndarray,
        unit_texts: list[str],
        unit_chunk: np.ndarray,
        unit_vecs: np.ndarray,
        unit_kinds: list[str],
        unit_lists: np.ndarray,
        unit_paras: np.ndarray | None = None,
    ) -> None:
        self.manifest = manifest
        self.version = manifest.version
        self.chunks = chunks
        self.chunk_vecs = chunk_vecs
        self.unit_texts = unit_texts
        self.unit_chunk = unit_chunk
        self.unit_vecs = unit_vecs
        self.unit_kinds = unit_kinds  # "text", "lead" or "item"
        self.unit_lists = unit_lists  # index of the unit's list's lead-in or first item, or -1
        # Index of the first sentence of the unit's paragraph, or -1 (items, or an index
        # written before paragraphs were recorded).
        self.unit_paras = unit_paras if unit_paras is not None else np.full(len(unit_texts), -1)
        self.unit_terms = [frozenset(terms(t)) for t in unit_texts]
        # Each chunk's own heading (the last part of its section path), as search terms.
        self.heading_terms = [frozenset(terms(c.section.split(SECTION_SEP)[-1])) for c in chunks]
        self.bm25_terms = [terms(f"{c.title} {c.section} {c.section} {c.text}") for c in chunks]
        self.bm25 = BM25(self.bm25_terms)
        starts = [c.units[0] if c.units else len(unit_texts) for c in chunks]
        self._unit_starts = np.asarray(starts, dtype=np.int64)
        self._has_units = np.asarray([bool(c.units) for c in chunks])
        self.suggestions: tuple[str, ...] | None = None  # filled by the answerer on first use
        self.is_intro = np.asarray([c.section == INTRO_SECTION for c in chunks], dtype=np.float32)

    @classmethod
    def load(cls, client, manifest: Manifest) -> IndexSnapshot:
        chunk_col = client.get_collection(manifest.collection)
        unit_col = client.get_collection(manifest.units_collection)
        raw_c = _get_all(chunk_col, ["documents", "metadatas", "embeddings"])
        raw_u = _get_all(unit_col, ["documents", "metadatas", "embeddings"])
        # Order chunks by (source, position) so results and unit order are deterministic.
        order = sorted(
            range(len(raw_c["ids"])),
            key=lambda i: (raw_c["metadatas"][i]["source"], raw_c["metadatas"][i]["position"]),
        )
        pos_of = {raw_c["ids"][i]: n for n, i in enumerate(order)}
        units_by_chunk: dict[int, list[tuple[int, int]]] = {}
        for j, meta in enumerate(raw_u["metadatas"]):
            n = pos_of.get(meta["chunk_id"])
            if n is not None:
                units_by_chunk.setdefault(n, []).append((int(meta["position"]), j))
        unit_texts: list[str] = []
        unit_chunk: list[int] = []
        unit_rows: list[int] = []
        unit_kinds: list[str] = []
        unit_lists: list[int] = []
        unit_paras: list[int] = []
        chunks: list[ChunkInfo] = []
        for n, i in enumerate(order):
            meta = raw_c["metadatas"][i]
            members = [j for _, j in sorted(units_by_chunk.get(n, []))]
            start = len(unit_texts)
            unit_texts.extend(raw_u["documents"][j] for j in members)
            unit_chunk.extend([n] * len(members))
            unit_rows.extend(members)
            for j in members:
                meta_u = raw_u["metadatas"][j]
                local = int(meta_u.get("list", -1))
                unit_kinds.append(str(meta_u.get("kind", "text")))
                unit_lists.append(start + local if local >= 0 else -1)
                para = int(meta_u.get("para", -1))
                unit_paras.append(start + para if para >= 0 else -1)
            chunks.append(
                ChunkInfo(
                    id=raw_c["ids"][i],
                    source=meta["source"],
                    title=meta["title"],
                    section=meta["section"],
                    text=raw_c["documents"][i],
                    units=tuple(range(start, len(unit_texts))),
                )
            )
        dim = len(raw_c["embeddings"][0]) if raw_c["embeddings"] else 0
        chunk_vecs = np.asarray([raw_c["embeddings"][i] for i in order], dtype=np.float32).reshape(
            -1, dim
        )
        unit_vecs = np.asarray(
            [raw_u["embeddings"][j] for j in unit_rows], dtype=np.float32
        ).reshape(-1, dim)
        return cls(
            manifest,
            chunks,
            chunk_vecs,
            unit_texts,
            np.asarray(unit_chunk, dtype=np.int64),
            unit_vecs,
            unit_kinds,
            np.asarray(unit_lists, dtype=np.int64),
            np.asarray(unit_paras, dtype=np.int64),
        )

    def best_unit_sims(self, qvec: np.ndarray) -> np.ndarray:
        """For each chunk, the cosine similarity of its best-matching sentence or bullet."""
        out = np.zeros(len(self.chunks), dtype=np.float32)
        if not len(self.unit_texts):
            return out
        sims = self.unit_vecs @ qvec
        starts = np.minimum(self._unit_starts, len(sims) - 1)
        out[:] = np.maximum.reduceat(sims, starts)
        out[~self._has_units] = 0.0
        return out

    @functools.cached_property
    def speller(self):
        """Typo correction against this version's own words (built on first use)."""
        from bot.retrieval.spelling import Speller

        return Speller(self.unit_texts)

    def __len__(self) -> int:
        return len(self.chunks)
