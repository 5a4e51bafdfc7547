"""Opening Chroma: an embedded PersistentClient under the data dir, or a Chroma server."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings

COLLECTION_PREFIX = "mlbot-kb-v"
DEFAULT_DATABASE = "default_database"
UNITS_SUFFIX = "-units"


def open_chroma(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    # Telemetry off: the bot runs offline and must not try to phone home.
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        port = settings.chroma_port or 8000
        database = settings.chroma_database or DEFAULT_DATABASE
        if database != DEFAULT_DATABASE:
            ensure_database(settings.chroma_host, port, database)
        return chromadb.HttpClient(
            host=settings.chroma_host, port=port, database=database, settings=chroma_settings
        )
    path = Path(settings.data_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def ensure_database(host: str, port: int, name: str) -> None:
    """Create a Chroma database on the server on first use (several bots can share a server)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    admin = chromadb.AdminClient(
        ChromaSettings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host=host,
            chroma_server_http_port=port,
            anonymized_telemetry=False,
        )
    )
    try:
        admin.get_database(name)
    except Exception:
        admin.create_database(name)


def collection_names(version: int) -> tuple[str, str]:
    name = f"{COLLECTION_PREFIX}{version}"
    return name, name + UNITS_SUFFIX


def version_of(name: str) -> int | None:
    if not name.startswith(COLLECTION_PREFIX):
        return None
    head = name[len(COLLECTION_PREFIX) :].removesuffix(UNITS_SUFFIX)
    return int(head) if head.isdigit() else None
