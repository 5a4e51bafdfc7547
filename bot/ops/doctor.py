"""`mlbot doctor`: check settings, tokens, database, curriculum, model and index, in plain words."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

_TELEGRAM_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_DISCORD_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _tokens(env: Mapping[str, str]) -> list[Check]:
    out = []
    tg = env.get("TELEGRAM_TOKEN", "")
    if not tg:
        out.append(Check("Telegram token", True, "not set: Telegram is off"))
    elif _TELEGRAM_TOKEN.match(tg):
        out.append(Check("Telegram token", True, "looks like a BotFather token"))
    else:
        out.append(
            Check(
                "Telegram token",
                False,
                "TELEGRAM_TOKEN does not look like a BotFather token "
                "(digits, a colon, then 35 letters/digits). Copy it again.",
            )
        )
    dc = env.get("DISCORD_TOKEN", "")
    if not dc:
        out.append(Check("Discord token", True, "not set: Discord is off"))
    elif _DISCORD_TOKEN.match(dc):
        out.append(Check("Discord token", True, "looks like a bot token"))
    else:
        out.append(
            Check(
                "Discord token",
                False,
                "DISCORD_TOKEN does not look like a bot token (three parts "
                "separated by dots). Reset it in the Developer Portal > Bot.",
            )
        )
    for var in ("ADMIN_TELEGRAM_IDS", "ADMIN_DISCORD_IDS"):
        ids = [x.strip() for x in env.get(var, "").split(",") if x.strip()]
        bad = [x for x in ids if not x.isdigit()]
        if bad:
            out.append(
                Check(
                    var,
                    False,
                    f"{var} must be numeric user ids separated by commas; not: {', '.join(bad)}",
                )
            )
    return out


async def run_checks(settings: Settings, env: Mapping[str, str] | None = None) -> list[Check]:
    env = os.environ if env is None else env
    checks: list[Check] = []
    data = Path(settings.data_dir)
    try:
        data.mkdir(parents=True, exist_ok=True)
        probe = data / ".doctor"
        probe.write_text("ok")
        probe.unlink()
        checks.append(Check("Data folder", True, f"{data.resolve()} is writable"))
    except OSError as exc:
        checks.append(
            Check(
                "Data folder", False, f"{data} is not writable ({exc.strerror}); set MLBOT_DATA_DIR"
            )
        )
    docs = (
        sorted(Path(settings.knowledge_dir).glob("*.md"))
        if Path(settings.knowledge_dir).is_dir()
        else []
    )
    checks.append(
        Check(
            "Knowledge folder",
            bool(docs),
            f"{len(docs)} Markdown documents in {settings.knowledge_dir}"
            if docs
            else f"no Markdown documents in {settings.knowledge_dir}; set MLBOT_KNOWLEDGE_DIR",
        )
    )
    checks += _tokens(env)
    try:
        from bot.learning.curriculum import load_curriculum

        cur = load_curriculum(settings.curriculum_path, settings.knowledge_dir)
        checks.append(
            Check(
                "Curriculum",
                True,
                f"{len(cur.tracks)} tracks, {len(cur.tasks)} tasks, all links valid",
            )
        )
    except Exception as exc:
        checks.append(Check("Curriculum", False, str(exc).replace("\n", " ")[:400]))
    try:
        from sqlalchemy import text

        from bot.learning.db import open_database

        db = await open_database(settings.db_url)
        async with db.engine.connect() as conn:
            rev = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        await db.close()
        checks.append(Check("Database", True, f"{db.dialect} reachable, schema at migration {rev}"))
    except Exception as exc:
        checks.append(
            Check(
                "Database",
                False,
                f"cannot open {settings.db_url.split('@')[-1]}: "
                f"{type(exc).__name__}: {str(exc)[:200]}. Check DATABASE_URL.",
            )
        )
    try:
        from bot.retrieval.embedding import onnx_dir, resolve_model

        model = resolve_model(settings.embed_model)
        exists = Path(model).exists() or os.sep not in model
        onnx = (onnx_dir(settings.cache_dir, model) / "export.json").exists()
        checks.append(
            Check(
                "Embedding model",
                exists,
                f"{model} ({'fast query encoder ready' if onnx else 'query encoder is exported at the next ingest'})"
                if exists
                else f"{model} not found; set MLBOT_EMBED_MODEL to a local model folder",
            )
        )
    except Exception as exc:
        checks.append(Check("Embedding model", False, f"{type(exc).__name__}: {exc}"))
    try:
        from bot.retrieval.retriever import IndexMissing, Retriever

        snap = Retriever(settings).current()
        checks.append(
            Check(
                "Index",
                True,
                f"version {snap.version}: {len(snap.manifest.docs)} documents, {len(snap)} chunks",
            )
        )
    except IndexMissing:
        checks.append(
            Check("Index", False, "no index yet: run `mlbot ingest` (scripts/run does it for you)")
        )
    except Exception as exc:
        where = (
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
            if settings.chroma_host
            else "Chroma"
        )
        checks.append(
            Check("Index", False, f"{where} failed: {type(exc).__name__}: {str(exc)[:200]}")
        )
    if settings.uses_llm:
        checks.append(await _llm_check(settings))
    return checks


async def _llm_check(settings: Settings) -> Check:
    """The endpoint answers /models and lists the configured model."""
    from bot.llm.client import ChatClient, LLMFailure, LLMSettings

    client = ChatClient(
        LLMSettings(settings.llm_base_url or "", settings.llm_model or "", settings.llm_api_key)
    )
    try:
        models = await client.models()
    except LLMFailure as exc:
        return Check("Language model", False, f"{settings.llm_base_url}: {exc}")
    finally:
        await client.close()
    if settings.llm_model not in models:
        shown = ", ".join(models[:5]) or "none"
        return Check(
            "Language model", False, f"{settings.llm_model} is not served there (it has: {shown})"
        )
    return Check("Language model", True, f"{settings.llm_model} at {settings.llm_base_url}")


def render(checks: list[Check]) -> str:
    lines = [f"{'✓' if c.ok else '✗'} {c.name}: {c.detail}" for c in checks]
    bad = sum(not c.ok for c in checks)
    lines.append("All good." if not bad else f"{bad} problem(s) to fix.")
    return "\n".join(lines)
