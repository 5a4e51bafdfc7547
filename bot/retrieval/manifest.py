"""The index manifest: which Chroma collections serve answers, and what each document holds.

Switching the manifest is the atomic step of an ingest: readers follow it to the complete new
collections, or keep the old ones, never a half-built mix. Embedded mode keeps it in a JSON
file replaced with os.replace; server mode keeps it in Chroma so replicas share it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.retrieval.chroma import collection_names


@dataclass
class DocEntry:
    title: str
    hash: str
    kind: str
    chunk_ids: list[str]
    unit_counts: list[int]
    ingested_at: str
    # The chunker's record format the entry was written in (ingest.chunking.CHUNK_FORMAT);
    # an entry from an older format is chunked again by the next ingest, even unchanged.
    chunk_format: int = 1

    @property
    def unit_ids(self) -> list[str]:
        return [
            f"{cid}-{i}"
            for cid, n in zip(self.chunk_ids, self.unit_counts, strict=True)
            for i in range(n)
        ]


@dataclass
class Manifest:
    version: int
    model: str
    model_key: str
    built_at: str
    docs: dict[str, DocEntry] = field(default_factory=dict)

    @property
    def collection(self) -> str:
        return collection_names(self.version)[0]

    @property
    def units_collection(self) -> str:
        return collection_names(self.version)[1]

    @property
    def chunk_count(self) -> int:
        return sum(len(d.chunk_ids) for d in self.docs.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        docs = {k: DocEntry(**v) for k, v in raw.pop("docs", {}).items()}
        return cls(docs=docs, **raw)


class FileManifestStore:
    """Manifest as data_dir/index/manifest.json; its stat tells readers when to reload."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "index" / "manifest.json"

    def read(self) -> Manifest | None:
        try:
            return Manifest.from_json(self.path.read_text())
        except FileNotFoundError:
            return None

    def write(self, manifest: Manifest) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".manifest-")
        with os.fdopen(fd, "w") as fh:
            fh.write(manifest.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def stamp(self) -> object:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)


class ChromaManifestStore:
    """Manifest kept in a one-record Chroma collection, shared by every replica."""

    META = "mlbot-meta"

    def __init__(self, client) -> None:
        self._col = client.get_or_create_collection(self.META)

    def read(self) -> Manifest | None:
        got = self._col.get(ids=["manifest"], include=["documents"])
        docs = got.get("documents") or []
        return Manifest.from_json(docs[0]) if docs else None

    def write(self, manifest: Manifest) -> None:
        self._col.upsert(ids=["manifest"], documents=[manifest.to_json()], embeddings=[[0.0]])

    def stamp(self) -> object:
        m = self.read()
        return m.version if m else None
