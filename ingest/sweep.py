"""Removing vector-segment folders no live collection uses.

Embedded Chroma keeps each collection's vectors in a folder named by its segment id. Chroma
(1.5) leaves that folder behind when a collection is deleted, and an ingest killed mid-build
leaves the folder of a collection that was never recorded; nothing else cleans them, so the
data dir grows with every re-ingest. The live segment ids are read from Chroma's own catalogue
(chroma.sqlite3, read-only); if it cannot be read, nothing is removed.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

_SEGMENT_DIR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Swept:
    folders: int = 0
    bytes: int = 0


def live_segments(chroma_dir: Path) -> set[str] | None:
    catalogue = chroma_dir / "chroma.sqlite3"
    if not catalogue.is_file():
        return None
    try:
        uri = f"{catalogue.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            return {row[0] for row in conn.execute("SELECT id FROM segments")}
    except sqlite3.Error as exc:
        log.warning("not sweeping old index folders: cannot read Chroma's catalogue (%s)", exc)
        return None


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def sweep_orphan_segments(chroma_dir: Path) -> Swept:
    """Delete segment folders not in the catalogue. Call only under the ingest lock."""
    live = live_segments(chroma_dir)
    if live is None:
        return Swept()
    folders = size = 0
    for child in chroma_dir.iterdir():
        orphan = _SEGMENT_DIR.fullmatch(child.name) and child.name not in live
        if orphan and child.is_dir() and not child.is_symlink():
            size += _size(child)
            shutil.rmtree(child, ignore_errors=True)
            folders += 1
    return Swept(folders, size)
