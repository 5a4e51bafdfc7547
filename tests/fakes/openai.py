"""A fake OpenAI-compatible server (aiohttp on 127.0.0.1): /v1/models and
/v1/chat/completions, streamed as server-sent events or not, like OpenAI, Ollama and vLLM
answer them. A test sets `script` (or queues several in `queue`) to say what the next completion does: its text, a slow
first token, a stall in the middle, an HTTP error (429 with Retry-After, 500), malformed
JSON or empty content. Every request body is kept in `requests`."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass

from aiohttp import web


@dataclass
class Script:
    text: str = "Machine learning rests on linear algebra, calculus and probability [1]."
    status: int = 200
    retry_after: int | None = None
    first_delay: float = 0.0  # seconds before the first token
    stall_after: int | None = None  # pieces sent before the stream stops sending
    piece_delay: float = 0.0  # seconds between pieces (a model writing at its own speed)
    malformed: bool = False
    prompt_tokens: int = 300
    completion_tokens: int = 40


class FakeOpenAI:
    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.script = Script()
        self.queue: list[Script] = []  # the next completions, in order; then `script` again
        self.requests: list[dict] = []
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()  # a stalled stream ends when the server stops
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        return self

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": self.model, "object": "model"}]}
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        s = self.queue.pop(0) if self.queue else self.script
        if body.get("model") != self.model:
            return web.json_response({"error": {"message": "model not found"}}, status=404)
        if s.status != 200:
            headers = {"Retry-After": str(s.retry_after)} if s.retry_after else {}
            return web.json_response(
                {"error": {"message": "busy"}}, status=s.status, headers=headers
            )
        if not body.get("stream"):
            await asyncio.sleep(s.first_delay)
            return web.json_response(self._completion(s))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await asyncio.sleep(s.first_delay)
        if s.malformed:
            await resp.write(b"data: {not json\n\n")
            return resp
        pieces = [w + " " for w in s.text.split(" ")] if s.text else []
        try:
            for i, piece in enumerate(pieces):
                if s.stall_after is not None and i == s.stall_after:
                    await self._closing.wait()  # the connection stays open, nothing more comes
                    return resp
                await asyncio.sleep(s.piece_delay)
                chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
                await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
            usage = {"prompt_tokens": s.prompt_tokens, "completion_tokens": s.completion_tokens}
            await resp.write(f"data: {json.dumps({'choices': [], 'usage': usage})}\n\n".encode())
            await resp.write(b"data: [DONE]\n\n")
        except ConnectionResetError:  # the client gave up (a timeout): as a server, stop
            pass
        return resp

    def _completion(self, s: Script) -> dict:
        return {
            "choices": [{"index": 0, "message": {"role": "assistant", "content": s.text}}],
            "usage": {"prompt_tokens": s.prompt_tokens, "completion_tokens": s.completion_tokens},
        }
