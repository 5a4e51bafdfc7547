"""Incremental, atomic, serialized ingestion of the knowledge folder into Chroma.

A run builds the next index version beside the serving one: unchanged documents are copied
with their stored vectors (never re-embedded), new and changed ones are embedded, and only
when the new collections are complete and counted is the manifest switched. A document that
fails to load keeps its previous version serving and is named in the report.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.retrieval.chroma import collection_names, open_chroma, version_of
from bot.retrieval.embed_cache import EmbeddingCache, encode_with_cache
from bot.retrieval.embedding import load_encoder, model_key, resolve_model
from bot.retrieval.manifest import ChromaManifestStore, DocEntry, FileManifestStore, Manifest
from bot.retrieval.snapshot import heading_text
from ingest.chunking import CHUNK_FORMAT, Chunk, chunk_document
from ingest.loaders import LoadError, content_hash, discover, parse_bytes, read_checked
from ingest.sweep import Swept, sweep_orphan_segments

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]


class IngestBusy(RuntimeError):
    """Another ingest holds the lock for this data dir."""


@dataclass
class IngestReport:
    docs_added: list[str] = field(default_factory=list)
    docs_updated: list[str] = field(default_factory=list)
    docs_removed: list[str] = field(default_factory=list)
    docs_unchanged: list[str] = field(default_factory=list)
    docs_failed: list[tuple[str, str]] = field(default_factory=list)
    docs_kept: list[str] = field(default_factory=list)  # not in these sources, left as indexed
    chunks_added: int = 0
    chunks_updated: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    vectors_reused: int = 0  # texts (chunks and sentences) whose vectors the cache held
    chunks_total: int = 0
    version: int = 0
    seconds: float = 0.0
    swept: Swept = field(default_factory=Swept)  # leftover index folders removed

    @property
    def docs_total(self) -> int:
        return (
            len(self.docs_added)
            + len(self.docs_updated)
            + len(self.docs_unchanged)
            + len(self.docs_kept)
        )

    @property
    def changed(self) -> bool:
        return bool(self.docs_added or self.docs_updated or self.docs_removed)

    def summary(self) -> str:
        lines = [
            f"Index version {self.version}: "
            f"{self.chunks_total} chunks from {self.docs_total} documents.",
            f"Documents: {len(self.docs_added)} added, {len(self.docs_updated)} updated, "
            f"{len(self.docs_removed)} removed, {len(self.docs_unchanged)} unchanged (skipped), "
            f"{len(self.docs_failed)} failed.",
            f"Chunks: {self.chunks_added} added, {self.chunks_updated} updated, "
            f"{self.chunks_removed} removed; {self.chunks_embedded} embedded"
            + (f" ({self.vectors_reused} vectors reused)." if self.vectors_reused else "."),
        ]
        for name in self.docs_removed:
            lines.append(f"  removed: {name}")
        if self.docs_kept:
            lines.append(
                f"Kept {len(self.docs_kept)} documents indexed earlier that are not in these "
                "sources (--prune removes files that are gone, --replace everything else)."
            )
        for name, reason in self.docs_failed:
            lines.append(f"  failed: {name}: {reason}")
        if self.swept.folders:
            lines.append(
                f"Cleaned up {self.swept.folders} index folders no version uses "
                f"({self.swept.bytes / 1e6:.1f} MB)."
            )
        lines.append(f"Took {self.seconds:.2f} s.")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "docs": {
                "added": self.docs_added,
                "updated": self.docs_updated,
                "removed": self.docs_removed,
                "unchanged": len(self.docs_unchanged),
                "kept": len(self.docs_kept),
                "failed": [{"source": s, "reason": r} for s, r in self.docs_failed],
            },
            "chunks": {
                "added": self.chunks_added,
                "updated": self.chunks_updated,
                "removed": self.chunks_removed,
                "embedded": self.chunks_embedded,
                "vectors_reused": self.vectors_reused,
                "total": self.chunks_total,
            },
            "swept": {"folders": self.swept.folders, "bytes": self.swept.bytes},
            "seconds": round(self.seconds, 3),
        }


@contextlib.contextmanager
def ingest_lock(data_dir: Path) -> Iterator[None]:
    """One ingest per data dir at a time, across threads and processes."""
    path = Path(data_dir) / "index" / "ingest.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text().split()
            since = f" (process {holder[0]}, started {holder[1]})" if len(holder) == 2 else ""
            raise IngestBusy(f"another ingest is running for this data dir{since}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {datetime.now(UTC).isoformat()}\n".encode())
        yield
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _tqdm_progress() -> Progress | None:
    """Progress bars on a terminal, one per stage; nothing when output is piped."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="", leave=True, file=sys.stderr)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def run_ingest(
    settings: Settings,
    sources: list[Path] | None = None,
    *,
    progress: Progress | None | bool = True,
    full: bool = False,
    prune: bool | None = None,
    replace: bool = False,
) -> IngestReport:
    """Add and update the documents of `sources` (default: the knowledge folder).

    Documents already indexed from elsewhere are kept. Documents under the given sources that
    are gone from disk are removed with `prune` (the default for the knowledge folder, which is
    how an admin deletes a document); `replace` removes every document not in `sources`.
    """
    if progress is True:
        progress = _tqdm_progress()
    elif progress is False:
        progress = None
    if prune is None:
        prune = sources is None
    policy = "all" if replace else "gone" if prune else "none"
    with ingest_lock(settings.data_dir):
        report = _run(
            settings,
            [Path(s) for s in (sources or [settings.knowledge_dir])],
            progress,
            full,
            policy,
        )
        if report.version:
            _drop_other_versions(open_chroma(settings), keep={report.version, report.version - 1})
        if not settings.uses_chroma_server:
            report.swept = sweep_orphan_segments(Path(settings.data_dir) / "chroma")
        return report


def _under(source_key: str, roots: list[str]) -> bool:
    return any(source_key == r or source_key.startswith(f"{r}/") for r in roots)


def _run(
    settings: Settings, sources: list[Path], progress: Progress | None, full: bool, policy: str
) -> IngestReport:
    t0 = time.perf_counter()
    report = IngestReport()
    client = None
    if settings.uses_chroma_server:
        client = open_chroma(settings)
        store = ChromaManifestStore(client)
    else:
        store = FileManifestStore(settings.data_dir)
    old = store.read()
    model = resolve_model(settings.embed_model)
    key = model_key(model)
    model_changed = old is not None and old.model_key != key
    if model_changed:
        full = True  # vectors from another model cannot be mixed with new ones

    files, problems = discover(sources)
    report.docs_failed.extend(problems)
    old_docs = dict(old.docs) if old else {}
    keep, fresh = _read_files(files, old_docs, settings, progress, full, report)

    seen = {f.source for f in files}
    roots = [p.resolve().name for p in sources]  # source keys start with the folder's name
    removed = [
        s
        for s in old_docs
        if s not in seen
        and (policy == "all" or (policy == "gone" and _under(s, roots)) or model_changed)
    ]
    for s in old_docs:
        if s not in seen and s not in removed:
            keep[s] = old_docs[s]  # indexed from elsewhere (or gone, without --prune): kept
            report.docs_kept.append(s)
    report.docs_removed = removed
    report.chunks_removed = sum(len(old_docs[s].chunk_ids) for s in removed)
    for source, chunks, _, status in fresh:
        (report.docs_added if status == "added" else report.docs_updated).append(source)
        if status == "added":
            report.chunks_added += len(chunks)
        else:
            report.chunks_updated += len(chunks)
            report.chunks_removed += max(0, len(old_docs[source].chunk_ids) - len(chunks))

    if old is not None and not fresh and not removed and not full:
        report.version = old.version
        report.chunks_total = old.chunk_count
        report.seconds = time.perf_counter() - t0
        return report
    if not fresh and not keep:
        report.version = old.version if old else 0
        report.chunks_total = old.chunk_count if old else 0
        report.seconds = time.perf_counter() - t0
        if old is not None:
            # Never replace a serving index with an empty one.
            report.docs_removed = []
            report.chunks_removed = 0
            report.docs_failed.append(
                ("(all sources)", "no readable documents; the previous index keeps serving")
            )
        else:
            report.docs_failed.append(("(all sources)", "no readable documents to index"))
        return report

    client = client or open_chroma(settings)
    version = (old.version if old else 0) + 1
    manifest = Manifest(version=version, model=model, model_key=key, built_at=_now())
    _build_version(client, old, manifest, keep, fresh, model, settings, progress, report)
    store.write(manifest)  # the atomic switch
    report.version = version
    report.chunks_total = manifest.chunk_count
    report.seconds = time.perf_counter() - t0
    return report


def _read_files(
    files: list,
    old_docs: dict[str, DocEntry],
    settings: Settings,
    progress: Progress | None,
    full: bool,
    report: IngestReport,
) -> tuple[dict[str, DocEntry], list[tuple[str, list[Chunk], str, str]]]:
    """Read and chunk each file that changed: (entries kept as indexed, fresh documents as
    (source, chunks, kind, 'added'|'updated')). A file that fails keeps its old version."""
    keep: dict[str, DocEntry] = {}
    fresh: list[tuple[str, list[Chunk], str, str]] = []
    for n, f in enumerate(files, start=1):
        if progress:
            progress("reading files", n, len(files))
        prev = old_docs.get(f.source)
        try:
            data = read_checked(f.path, max_bytes=settings.max_file_bytes)
            current = prev is not None and prev.chunk_format == CHUNK_FORMAT
            if current and not full and prev.hash == content_hash(data):
                keep[f.source] = prev
                report.docs_unchanged.append(f.source)
                continue
            doc = parse_bytes(f.path, f.source, data)
            chunks = chunk_document(doc)
            if not chunks:
                raise LoadError("no text to index after parsing")
        except LoadError as exc:
            report.docs_failed.append((f.source, str(exc)))
            if prev is not None and not full:
                keep[f.source] = prev  # the previous version keeps serving
            continue
        fresh.append((f.source, chunks, doc.kind, "updated" if prev else "added"))
    return keep, fresh


def _create(client, name: str):
    with contextlib.suppress(Exception):
        client.delete_collection(name)  # leftover of a run that died before switching
    return client.create_collection(name, metadata={"hnsw:space": "cosine"})


def _build_version(
    client,
    old: Manifest | None,
    manifest: Manifest,
    keep: dict[str, DocEntry],
    fresh: list,
    model: str,
    settings: Settings,
    progress: Progress | None,
    report: IngestReport,
) -> None:
    chunk_name, unit_name = collection_names(manifest.version)
    chunk_col = _create(client, chunk_name)
    unit_col = _create(client, unit_name)
    batch = max(1, min(5000, client.get_max_batch_size()))

    # 1. Unchanged documents: copy stored vectors, no embedding.
    if keep and old is not None:
        old_chunks = client.get_collection(old.collection)
        old_units = client.get_collection(old.units_collection)
        for target, source_col, ids in (
            (chunk_col, old_chunks, [c for d in keep.values() for c in d.chunk_ids]),
            (unit_col, old_units, [u for d in keep.values() for u in d.unit_ids]),
        ):
            for i in range(0, len(ids), batch):
                got = source_col.get(
                    ids=ids[i : i + batch], include=["documents", "metadatas", "embeddings"]
                )
                if len(got["ids"]) != len(ids[i : i + batch]):
                    raise RuntimeError(
                        f"index version {old.version} is missing records; run with --full"
                    )
                target.add(
                    ids=got["ids"],
                    documents=got["documents"],
                    metadatas=got["metadatas"],
                    embeddings=got["embeddings"],
                )
        manifest.docs.update(keep)

    # 2. New and changed documents: embed chunks and units (ONNX export of the model).
    all_chunks = [c for _, chunks, _, _ in fresh for c in chunks]
    if all_chunks:
        if progress:
            progress("loading embedding model", 0, 1)
        encoder = load_encoder(model, str(settings.cache_dir))
        if progress:
            progress("loading embedding model", 1, 1)
        unit_rows = [(c, i, u) for c in all_chunks for i, u in enumerate(c.units)]
        texts = [c.embed_text for c in all_chunks] + [u for _, _, u in unit_rows]
        cache = EmbeddingCache(Path(settings.cache_dir), model_key(model), encoder.dim)
        vecs, report.vectors_reused = encode_with_cache(
            encoder, cache, texts, lambda todo: _encode_all(encoder, todo, progress)
        )
        chunk_vecs, unit_vecs = vecs[: len(all_chunks)], vecs[len(all_chunks) :]
        # The headings too, so the serving side finds them in the cache (snapshot.py).
        heads = dict.fromkeys(heading_text(c.title, c.section) for c in all_chunks)
        encode_with_cache(encoder, cache, list(heads))  # a long section's parts share one
        step = 512
        for i in range(0, len(all_chunks), step):
            part = all_chunks[i : i + step]
            chunk_col.add(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                embeddings=chunk_vecs[i : i + step],
                metadatas=[
                    {
                        "source": c.source,
                        "title": c.title,
                        "section": c.section,
                        "doc_hash": c.doc_hash,
                        "chunk_hash": c.chunk_hash,
                        "position": c.position,
                        "n_units": len(c.units),
                    }
                    for c in part
                ],
            )
        for i in range(0, len(unit_rows), step):
            part = unit_rows[i : i + step]
            unit_col.add(
                ids=[f"{c.id}-{j}" for c, j, _ in part],
                documents=[u for _, _, u in part],
                embeddings=unit_vecs[i : i + step],
                metadatas=[
                    {
                        "chunk_id": c.id,
                        "position": j,
                        "source": c.source,
                        "kind": c.unit_kinds[j],
                        "list": c.unit_lists[j],
                        "para": c.unit_paras[j],
                    }
                    for c, j, _ in part
                ],
            )
        report.chunks_embedded = len(all_chunks)
    now = _now()
    for source, chunks, kind, _ in fresh:
        manifest.docs[source] = DocEntry(
            title=chunks[0].title,
            hash=chunks[0].doc_hash,
            kind=kind,
            chunk_ids=[c.id for c in chunks],
            unit_counts=[len(c.units) for c in chunks],
            ingested_at=now,
            chunk_format=CHUNK_FORMAT,
        )

    # 3. Validate before switching: the new version must hold exactly what the manifest says.
    want_chunks = manifest.chunk_count
    want_units = sum(len(d.unit_ids) for d in manifest.docs.values())
    if chunk_col.count() != want_chunks or unit_col.count() != want_units:
        raise RuntimeError(
            f"new index is incomplete ({chunk_col.count()}/{want_chunks} chunks, "
            f"{unit_col.count()}/{want_units} units); the previous index keeps serving"
        )


def _encode_all(encoder, texts: list[str], progress: Progress | None):
    """Every text embedded, shortest first across the whole run (less padding than batching
    chunks and sentences apart), in slices so progress can be shown."""
    import numpy as np

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    slice_size = 512
    for start in range(0, len(order), slice_size):
        idx = order[start : start + slice_size]
        out[idx] = encoder.encode([texts[i] for i in idx])
        if progress:
            progress("embedding chunks and sentences", start + len(idx), len(texts))
    return out


def _drop_other_versions(client, keep: set[int]) -> None:
    """Delete every version but the serving one and the one before it (which readers may
    still be finishing): older ones, and newer ones left by a build that was killed."""
    for col in client.list_collections():
        name = col if isinstance(col, str) else col.name
        v = version_of(name)
        if v is not None and v not in keep:
            with contextlib.suppress(Exception):
                client.delete_collection(name)
