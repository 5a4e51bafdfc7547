"""Opening Chroma: an embedded PersistentClient under the data dir, or a Chroma server."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings

COLLECTION_PREFIX = "mlbot-kb-v"
UNITS_SUFFIX = "-units"


def open_chroma(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # Telemetry off: the bot runs offline and must not try to phone home.
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port or 8000, settings=chroma_settings
        )
    path = Path(settings.data_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def collection_names(version: int) -> tuple[str, str]:
    name = f"{COLLECTION_PREFIX}{version}"
    return name, name + UNITS_SUFFIX


def version_of(name: str) -> int | None:
    if not name.startswith(COLLECTION_PREFIX):
        return None
    head = name[len(COLLECTION_PREFIX) :].removesuffix(UNITS_SUFFIX)
    return int(head) if head.isdigit() else None
