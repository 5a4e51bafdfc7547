"""A small HTTP server for orchestrators and Prometheus: /healthz, /readyz, /metrics."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.ops.metrics import QUEUE_DEPTH, REGISTRY

log = logging.getLogger(__name__)


class OpsServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 8080) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """Ready when the database answers and an index is loaded."""
        problems = []
        try:
            async with self.app.db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:
            problems.append(f"database: {type(exc).__name__}")
        try:
            snap = self.app.retriever.current()
            index = {"version": snap.version, "chunks": len(snap)}
        except Exception as exc:
            problems.append(f"index: {exc}")
            index = None
        status = 200 if not problems else 503
        return web.json_response(
            {"ready": not problems, "problems": problems, "index": index}, status=status
        )

    async def metrics(self, request: web.Request) -> web.Response:
        QUEUE_DEPTH.set(self.app.queue.depth())
        return web.Response(
            body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def start(self) -> None:
        web_app = web.Application()
        web_app.router.add_get("/healthz", self.healthz)
        web_app.router.add_get("/readyz", self.readyz)
        web_app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("health and metrics on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
