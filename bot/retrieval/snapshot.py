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


def heading_text(title: str, section: str) -> str:
    """What is embedded for a section's heading: its document's title and its own heading."""
    return f"{title}: {section.split(SECTION_SEP)[-1]}"


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
        self._heading_weights = [sum(self.bm25.idf(t) for t in h) for h in self.heading_terms]
        # Each chunk's units are one contiguous run: where each run starts, and how long it is.
        self._has_units = np.asarray([bool(c.units) for c in chunks], dtype=bool)
        self._seg_starts = np.asarray([c.units[0] for c in chunks if c.units], dtype=np.int64)
        self._seg_counts = np.asarray([len(c.units) for c in chunks if c.units], dtype=np.int64)
        self.suggestions: tuple[str, ...] | None = None  # filled by the answerer on first use
        self.is_intro = np.asarray([c.section == INTRO_SECTION for c in chunks], dtype=np.float32)
        # Each chunk's "Title: heading" embedded (set by the retriever, which holds the model):
        # many headings are the very question a learner asks ("Do I need a GPU or a powerful
        # laptop?"), and the model matches question to question better than to a long section.
        self.heading_vecs = np.zeros((len(chunks), chunk_vecs.shape[1]), dtype=np.float32)

    def heading_texts(self) -> list[str]:
        return [heading_text(c.title, c.section) for c in self.chunks]

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

    def top_unit_sims(self, qvec: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each chunk, the cosine similarity of its best-matching sentence or bullet, of
        its second best, and the mean of its best three (fewer where it has fewer; 0 where it
        has none): a section that answers in several lines beats one with a lucky sentence.
        A chunk's units are contiguous, so each is a segment: its maximum, then the maximum
        of what is left once the maximum is masked, twice (no sort, as this runs per query)."""
        n = len(self.chunks)
        best, second, mean3 = (np.zeros(n, dtype=np.float32) for _ in range(3))
        if not len(self.unit_texts):
            return best, second, best
        sims = self.unit_vecs @ qvec
        has, starts, count = self._has_units, self._seg_starts, self._seg_counts
        out = []
        rest = sims
        for _ in range(3):
            top = np.maximum.reduceat(rest, starts)
            out.append(top)
            rest = np.where(rest >= np.repeat(top, count), -np.inf, rest)
        b1, b2, b3 = out
        b2 = np.where(np.isfinite(b2), b2, b1)  # one unit, or all tied with the best
        b3 = np.where(np.isfinite(b3), b3, b2)
        best[has], second[has] = b1, b2
        mean3[has] = np.where(count >= 3, (b1 + b2 + b3) / 3, (b1 + b2) / 2)
        return best, second, mean3

    def heading_overlap(self, qterms: set[str]) -> np.ndarray:
        """For each chunk, the share of words the question and the chunk's own heading have
        in common (Jaccard, each word weighted by its rarity in the index, so "PhD" counts
        for more than "ML"): a section titled with the question's words is about it."""
        out = np.zeros(len(self.chunks), dtype=np.float32)
        if not qterms:
            return out
        idf = self.bm25.idf
        question = sum(idf(t) for t in qterms)
        for i, heading in enumerate(self.heading_terms):
            shared = qterms & heading
            if shared:
                both = sum(idf(t) for t in shared)
                out[i] = both / (question + self._heading_weights[i] - both)
        return out

    @functools.cached_property
    def speller(self):
        """Typo correction against this version's own words (built on first use)."""
        from bot.retrieval.spelling import Speller

        return Speller(self.unit_texts)

    def __len__(self) -> int:
        return len(self.chunks)
