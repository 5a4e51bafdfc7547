"""Shared fixtures: the real model, a real Chroma index of knowledge/, built once a session."""

from __future__ import annotations

import os

# Offline, always: these must be set before any model library is imported.
os.environ.update(
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    HF_HUB_DISABLE_PROGRESS_BARS="1",
    TRANSFORMERS_VERBOSITY="error",
    TOKENIZERS_PARALLELISM="false",
    ANONYMIZED_TELEMETRY="False",
)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from bot.bootstrap import build_core  # noqa: E402
from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings  # noqa: E402
from bot.retrieval.retriever import Retriever  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    # One ONNX export per session, shared by in-process code and subprocesses.
    path = tmp_path_factory.mktemp("cache")
    os.environ["MLBOT_CACHE_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory, cache_dir) -> Settings:
    """An index of the real knowledge/ folder."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("kb"),
        cache_dir=cache_dir,
        knowledge_dir=DEFAULT_KNOWLEDGE_DIR,
    )
    report = run_ingest(settings, progress=False)
    assert report.docs_failed == [] and report.chunks_total > 100, report.summary()
    return settings


@pytest.fixture(scope="session")
def kb_retriever(kb_settings) -> Retriever:
    return Retriever(kb_settings)


@pytest.fixture(scope="session")
def core(kb_settings, kb_retriever):
    return build_core(kb_settings, kb_retriever)


@pytest.fixture
def make_settings(tmp_path, cache_dir):
    def make(**kw) -> Settings:
        kw.setdefault("data_dir", tmp_path / "data")
        return Settings(cache_dir=cache_dir, **kw)

    return make


@pytest.fixture(scope="session")
def subprocess_env(cache_dir) -> dict[str, str]:
    env = dict(os.environ)
    env["MLBOT_CACHE_DIR"] = str(cache_dir)
    env.pop("DISCORD_TOKEN", None)
    env.pop("TELEGRAM_TOKEN", None)
    return env
