"""The reader side of the index: follows the manifest and hands out whole snapshots."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.config import Settings
from bot.retrieval.abbreviations import expand
from bot.retrieval.embed_cache import EmbeddingCache, encode_with_cache
from bot.retrieval.embedding import QueryEncoder, load_encoder, model_key, resolve_model
from bot.retrieval.manifest import ChromaManifestStore, FileManifestStore
from bot.retrieval.resources import asks_for_resources, is_resource_section
from bot.retrieval.search import Hit, Mode, search
from bot.retrieval.snapshot import IndexSnapshot
from bot.textutil import terms, without_symbols


class IndexMissing(RuntimeError):
    """No index has been built in this data dir yet."""


@dataclass(frozen=True)
class SearchResult:
    snapshot: IndexSnapshot
    hits: list[Hit]
    qvec: np.ndarray
    qterms: list[str]


RESOURCE_SLACK = 12  # extra hits fetched so that k remain once resource lists are dropped


class Retriever:
    """Answers come from `current()`: one complete index version, swapped only as a whole."""

    # How often a server-mode manifest (a network round trip) is re-checked.
    REMOTE_CHECK_SECONDS = 2.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._snapshot: IndexSnapshot | None = None
        self._stamp: object = None
        self._checked_at = 0.0
        self._client = None
        self._store = None
        self._encoder: QueryEncoder | None = None

    def _manifest_store(self):
        if self._store is None:
            if self.settings.uses_chroma_server:
                self._store = ChromaManifestStore(self._chroma())
            else:
                self._store = FileManifestStore(self.settings.data_dir)
        return self._store

    def _chroma(self):
        if self._client is None:
            from bot.retrieval.chroma import open_chroma

            self._client = open_chroma(self.settings)
        return self._client

    def current(self) -> IndexSnapshot:
        snap = self._snapshot
        now = time.monotonic()
        remote = self.settings.uses_chroma_server
        if snap is not None and remote and now - self._checked_at < self.REMOTE_CHECK_SECONDS:
            return snap
        store = self._manifest_store()
        stamp = store.stamp()
        if snap is not None and stamp == self._stamp:
            self._checked_at = now
            return snap
        with self._lock:
            if self._snapshot is not None and store.stamp() == self._stamp:
                return self._snapshot
            stamp = store.stamp()
            manifest = store.read()
            if manifest is None:
                raise IndexMissing(
                    f"no index in {self.settings.data_dir}; build it with `mlbot ingest`"
                )
            if self._snapshot is None or manifest.version != self._snapshot.version:
                snap = IndexSnapshot.load(self._chroma(), manifest)
                snap.heading_vecs = self._embed_headings(snap)
                self._snapshot = snap  # visible only once complete
            self._stamp = stamp
            self._checked_at = now
            return self._snapshot

    def encoder(self) -> QueryEncoder:
        if self._encoder is None:
            return self._load_encoder(self._model(self.current().manifest.model))
        return self._encoder

    def _embed_headings(self, snap: IndexSnapshot) -> np.ndarray:
        """The sections' headings as vectors: ingest leaves them in the embedding cache, so
        only an index built elsewhere (a Chroma server's other replica) embeds them here."""
        model = self._model(snap.manifest.model)
        encoder = self._load_encoder(model)
        cache = EmbeddingCache(Path(self.settings.cache_dir), model_key(model), encoder.dim)
        return encode_with_cache(encoder, cache, snap.heading_texts())[0]

    def _model(self, indexed_with: str | None) -> str:
        """The model an index was built with, or the configured one for an older manifest."""
        return indexed_with or resolve_model(self.settings.embed_model)

    def _load_encoder(self, model: str) -> QueryEncoder:
        if self._encoder is None:
            self._encoder = load_encoder(model, str(self.settings.cache_dir))
        return self._encoder

    def search(self, question: str, k: int = 5, mode: Mode = "hybrid") -> SearchResult:
        snap = self.current()
        question = expand(question)
        query, _ = snap.speller.correct(without_symbols(question) or question)
        qvec = self.encoder().encode_query(query)
        qterms = terms(query)
        if asks_for_resources(question):
            hits = _resources_first(snap, search(snap, qvec, qterms, k=len(snap), mode=mode))[:k]
        else:  # resource lists only crowd out the section that explains the topic
            wider = search(snap, qvec, qterms, k=k + RESOURCE_SLACK, mode=mode)
            hits = [h for h in wider if not is_resource_section(snap.chunks[h.chunk].section)][:k]
        return SearchResult(snap, hits, qvec, qterms)


def _resources_first(snap: IndexSnapshot, ranked: list[Hit]) -> list[Hit]:
    """Books on X: the resource list of the document that best explains X goes first (found
    in the whole ranking, since the list itself names X only once), unless the best section
    is itself about resources ("which courses are worth paying for")."""
    top = next((h for h in ranked if not is_resource_section(snap.chunks[h.chunk].section)), None)
    if top is None or asks_for_resources(snap.chunks[top.chunk].section):
        return ranked
    source = snap.chunks[top.chunk].source
    listed = next(
        (h for h in ranked
         if is_resource_section(snap.chunks[h.chunk].section) and snap.chunks[h.chunk].source == source),
        None,
    )  # fmt: skip
    return ranked if listed is None else [listed, *(h for h in ranked if h is not listed)]
