"""A small client for OpenAI-compatible chat completions (Ollama, vLLM, llama.cpp server,
OpenAI), streamed over server-sent events with plain httpx. Every way a request can fail is
turned into LLMFailure with a short reason, so the caller can fall back and count why."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class LLMSettings:
    base_url: str  # e.g. http://127.0.0.1:11434/v1
    model: str
    api_key: str | None = None
    first_token_seconds: float = 8.0  # no text by then: fall back
    total_seconds: float = 30.0
    max_tokens: int = 400


class LLMFailure(Exception):
    """reason: timeout, stalled, connect, rate_limited, server_error, http_error, malformed,
    empty, budget or ungrounded."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    chunks: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatClient:
    def __init__(self, settings: LLMSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(settings.total_seconds))

    async def close(self) -> None:
        await self.http.aclose()

    async def stream(self, messages: list[dict], usage: Usage) -> AsyncIterator[str]:
        """Text as it arrives. The first piece must come within first_token_seconds and each
        later one within the same time (a stall), or LLMFailure is raised."""
        s = self.settings
        body = {
            "model": s.model,
            "messages": messages,
            "stream": True,
            "temperature": 0.2,
            "max_tokens": s.max_tokens,
            "stream_options": {"include_usage": True},
        }
        headers = {"Authorization": f"Bearer {s.api_key}"} if s.api_key else {}
        url = s.base_url.rstrip("/") + "/chat/completions"
        try:
            async with self.http.stream("POST", url, json=body, headers=headers) as resp:
                if resp.status_code != 200:
                    raise _http_failure(resp.status_code)
                lines = resp.aiter_lines()
                first = True
                while True:
                    wait = s.first_token_seconds
                    try:
                        line = await asyncio.wait_for(anext(lines), wait)
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        raise LLMFailure("timeout" if first else "stalled") from None
                    piece = _parse(line, usage)
                    if piece is None:
                        break
                    if piece:
                        first = False
                        usage.chunks.append(piece)
                        yield piece
        except httpx.TimeoutException as exc:
            raise LLMFailure("timeout", type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise LLMFailure("connect", type(exc).__name__) from None
        if not "".join(usage.chunks).strip():
            raise LLMFailure("empty")

    async def models(self) -> list[str]:
        """The endpoint's model ids (for `mlbot doctor`)."""
        s = self.settings
        headers = {"Authorization": f"Bearer {s.api_key}"} if s.api_key else {}
        try:
            resp = await self.http.get(s.base_url.rstrip("/") + "/models", headers=headers)
        except httpx.HTTPError as exc:
            raise LLMFailure("connect", type(exc).__name__) from None
        if resp.status_code != 200:
            raise _http_failure(resp.status_code)
        try:
            return [m["id"] for m in resp.json()["data"]]
        except (ValueError, KeyError, TypeError):
            raise LLMFailure("malformed", "models list") from None


def _http_failure(status: int) -> LLMFailure:
    if status == 429:
        return LLMFailure("rate_limited", "429")
    if status >= 500:
        return LLMFailure("server_error", str(status))
    return LLMFailure("http_error", str(status))


def _parse(line: str, usage: Usage) -> str | None:
    """The text in one server-sent-events line; '' for lines without text; None at the end."""
    line = line.strip()
    if not line or line.startswith(":") or not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        event = json.loads(data)
        if event.get("usage"):
            usage.prompt_tokens = int(event["usage"].get("prompt_tokens") or 0)
            usage.completion_tokens = int(event["usage"].get("completion_tokens") or 0)
        choices = event.get("choices") or []
        if not choices:
            return ""
        delta = choices[0].get("delta") or choices[0].get("message") or {}
        content = delta.get("content")
        return content if isinstance(content, str) else ""
    except (ValueError, AttributeError, TypeError):
        raise LLMFailure("malformed", data[:60]) from None
