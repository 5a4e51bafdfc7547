"""Operations: /healthz, /readyz, /metrics, `mlbot doctor`, JSON logs."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from bot.core.messages import Request
from bot.ops.doctor import run_checks
from bot.ops.http import OpsServer


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def test_health_ready_and_metrics(app, clock):
    server = OpsServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        assert await get(server.port, "/healthz") == (200, '{"status": "ok"}')
        status, body = await get(server.port, "/readyz")
        ready = json.loads(body)
        assert status == 200 and ready["ready"] and ready["index"]["chunks"] > 100
        await app.core.handle(Request(platform="test", user_id="m", text="what math do I need?"))
        await app.core.handle(Request(platform="test", user_id="m", text="recipe for banana bread"))
        status, metrics = await get(server.port, "/metrics")
        assert status == 200
        assert 'mlbot_answers_total{answered="true"}' in metrics
        assert 'mlbot_answers_total{answered="false"}' in metrics
        assert "mlbot_answer_latency_seconds_bucket" in metrics
        assert "mlbot_delivery_queue_depth 0.0" in metrics
    finally:
        await server.stop()


async def test_not_ready_without_an_index(app, kb_settings, tmp_path):
    from bot.retrieval.retriever import Retriever

    app.retriever = Retriever(kb_settings.with_(data_dir=tmp_path / "empty"))
    server = OpsServer(app, "127.0.0.1", 0)
    await server.start()
    try:
        status, body = await get(server.port, "/readyz")
        assert status == 503 and "mlbot ingest" in body
        assert (await get(server.port, "/healthz"))[0] == 200  # alive, just not ready
    finally:
        await server.stop()


async def test_doctor_says_what_is_wrong_in_plain_words(kb_settings, tmp_path):
    good = await run_checks(
        kb_settings.with_(database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"), env={}
    )
    assert all(c.ok for c in good), [c for c in good if not c.ok]
    bad_env = {
        "TELEGRAM_TOKEN": "12345",
        "DISCORD_TOKEN": "not-a-token",
        "ADMIN_TELEGRAM_IDS": "12, bob",
    }
    bad = await run_checks(
        kb_settings.with_(
            data_dir=tmp_path / "no-index", database_url="postgresql://nobody@127.0.0.1:1/none"
        ),
        env=bad_env,
    )
    problems = {c.name: c.detail for c in bad if not c.ok}
    assert "BotFather" in problems["Telegram token"]
    assert "Developer Portal" in problems["Discord token"]
    assert "bob" in problems["ADMIN_TELEGRAM_IDS"]
    assert "Check DATABASE_URL" in problems["Database"]
    assert "run `mlbot ingest`" in problems["Index"]


def test_json_log_lines():
    from bot.cli import JsonFormatter

    record = logging.LogRecord("mlbot.audit", logging.INFO, __file__, 1, "admin %s", ("x",), None)
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["level"] == "INFO" and line["logger"] == "mlbot.audit" and line["message"] == "admin x"
    )


async def test_the_health_server_listens_on_loopback_unless_configured(app, monkeypatch):
    from bot.cli import start_ops_server

    monkeypatch.setenv("MLBOT_HTTP_PORT", "0")
    monkeypatch.delenv("MLBOT_HTTP_HOST", raising=False)
    server = await start_ops_server(app)
    try:
        assert server.host == "127.0.0.1"
        assert (await get(server.port, "/healthz"))[0] == 200
    finally:
        await server.stop()
