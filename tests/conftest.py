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

from pathlib import Path

import pytest

from bot.bootstrap import build_core
from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings
from bot.retrieval.retriever import Retriever
from ingest.pipeline import run_ingest

DATA = Path(__file__).parent / "data"
# The bundled roadmap, counted rather than written into tests, so new content needs no edits.
N_DOCS = len(list((Path(__file__).resolve().parents[1] / "knowledge").glob("*.md")))


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


# -- learning plans: an app over a real database with a fake clock -------------------------

import asyncio  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

PG_ADMIN_URL = os.environ.get("MLBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    try:
        import asyncpg
    except ImportError:
        return "asyncpg is not installed"

    async def probe() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"no PostgreSQL at {PG_ADMIN_URL} ({type(exc).__name__}: {exc})"
    return None


PG_SKIP = _pg_reachable()


@pytest.fixture(scope="session")
def curriculum():
    from bot.learning.curriculum import load_curriculum

    return load_curriculum(DEFAULT_KNOWLEDGE_DIR / "curriculum.yaml", DEFAULT_KNOWLEDGE_DIR)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"
        return
    if PG_SKIP:
        pytest.skip(PG_SKIP)
    import asyncpg

    name = f"mlbot_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture
def clock():
    from tests.doubles import FakeClock

    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # a Monday


@pytest.fixture
async def app(kb_settings, kb_retriever, curriculum, clock, db_url, tmp_path):
    from bot.bootstrap import build_app
    from bot.nudges.delivery import Limits
    from tests.doubles import MemoryDeliverer

    settings = kb_settings.with_(database_url=db_url, data_dir=tmp_path / "data")
    deliverers = {
        "telegram": MemoryDeliverer("telegram"),
        "discord": MemoryDeliverer("discord"),
        "console": MemoryDeliverer("console"),
    }
    fast = Limits(per_second=10_000, per_chat_interval=0.0, per_group_per_minute=10_000)
    application = await build_app(
        settings,
        clock=clock,
        deliverers=deliverers,
        limits={p: fast for p in deliverers},
        curriculum=curriculum,
        retriever=kb_retriever,
    )
    yield application
    await application.close()


# -- a real Chroma server (`chroma run`) on a free loopback port, shared by the session -------

import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

CHROMA = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    if not Path(CHROMA).exists():
        pytest.skip("the `chroma` command from the chromadb package is not installed")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma server did not start within 30 s")
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=10)
