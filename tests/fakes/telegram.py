"""A fake Telegram Bot API server (aiohttp on 127.0.0.1) that real PTB talks to over HTTP.

It keeps what the bot sent, validates HTML the way Telegram does (allowed tags, balanced,
entities, 4096 visible characters), can enforce flood limits (30/s overall, 1/s per chat,
20/min per group) with 429 + retry_after, and can answer 403 for chats that blocked the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)(?:\s[^<>]*)?>")
# setWebhook's secret_token: 1-256 characters, only A-Z, a-z, 0-9, _ and -.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BAD_AMP = re.compile(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)")


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse this HTML, or None."""
    stack: list[str] = []
    pos = 0
    for m in _TAG.finditer(text):
        if "<" in text[pos : m.start()] or ">" in text[pos : m.start()]:
            return "can't parse entities: unexpected < or >"
        closing, name = m.group(1), m.group(2).lower()
        if name not in ALLOWED_TAGS:
            return f'can\'t parse entities: Unsupported start tag "{name}"'
        if closing:
            if not stack or stack.pop() != name:
                return f'can\'t parse entities: Unmatched end tag "{name}"'
        else:
            stack.append(name)
        pos = m.end()
    if "<" in text[pos:] or ">" in text[pos:]:
        return "can't parse entities: unexpected < or >"
    if stack:
        return f'can\'t parse entities: Unclosed start tag "{stack[-1]}"'
    if _BAD_AMP.search(text):
        return "can't parse entities: Unsupported entity"
    return None


def visible(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


@dataclass
class Sent:
    method: str
    chat_id: str
    text: str = ""
    reply_markup: dict | None = None
    message_id: int = 0
    at: float = 0.0
    params: dict = field(default_factory=dict)


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-TOKEN", enforce_limits: bool = False) -> None:
        self.token = token
        self.enforce_limits = enforce_limits
        self.me = {
            "id": 999000,
            "is_bot": True,
            "first_name": "ML Bot",
            "username": "mlbot_test_bot",
        }
        self.updates: list[dict] = []
        self.confirmed = 0
        self._new = asyncio.Event()
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(1000)
        self.calls: list[tuple[str, dict]] = []
        self.sent: list[Sent] = []
        self.rejected: list[tuple[str, str]] = []  # (method, description)
        self.members: dict[tuple[str, str], str] = {}
        self.blocked: set[str] = set()
        self.force_429: deque[int] = deque()
        self.fail_send_number: int | None = None  # answer 429 to this (1-based) send call
        self._send_calls = 0
        self.commands: list[dict] = []
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []  # file ids fetched from the file download path
        self.webhook: dict | None = None  # the parameters of the last accepted setWebhook
        self.webhook_url: str | None = None
        self.count_429 = 0
        self.edits: list[tuple[str, int, str, float]] = []  # (chat, message id, text, when)
        self._global: deque[float] = deque()
        self._per_chat: dict[str, float] = {}
        self._group: dict[str, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- server ------------------------------------------------------------------------
    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        self._new.set()
        if self._runner:
            await self._runner.cleanup()

    # -- test helpers ------------------------------------------------------------------
    def user(self, user_id: int, name: str = "Ada") -> dict:
        return {"id": user_id, "is_bot": False, "first_name": name, "username": name.lower()}

    def chat(self, chat_id: int, kind: str = "private") -> dict:
        return {
            "id": chat_id,
            "type": kind,
            **({"title": "Study group"} if kind != "private" else {}),
        }

    def push(self, update: dict) -> int:
        uid = next(self._ids)
        self.updates.append({"update_id": uid, **update})
        self._new.set()
        return uid

    def push_message(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        kind: str = "private",
        name: str = "Ada",
        reply_to: dict | None = None,
        **extra,
    ) -> int:
        msg = {
            "message_id": next(self._msg_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id if chat_id is not None else user_id, kind),
            "from": self.user(user_id, name),
            **extra,
        }
        if text:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        return self.push({"message": msg})

    def push_document(
        self,
        user_id: int,
        filename: str,
        data: bytes,
        caption: str = "",
        chat_id: int | None = None,
        kind: str = "private",
        declared_size: int | None = None,
    ) -> int:
        """A user sends a file (a document) with an optional caption."""
        file_id = f"file{next(self._ids)}"
        self.files[file_id] = data
        doc = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": filename,
            "mime_type": "application/octet-stream",
            "file_size": declared_size or len(data),
        }
        extra = {"document": doc}
        if caption:
            extra["caption"] = caption
        return self.push_message(user_id, "", chat_id=chat_id, kind=kind, **extra)

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.Response(body=self.files[file_id])

    def push_callback(self, user_id: int, message: Sent, data: str, name: str = "Ada") -> int:
        chat_id = int(message.chat_id)
        kind = "private" if chat_id > 0 else "supergroup"
        msg = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat(chat_id, kind),
            "from": self.me,
            "text": visible(message.text),
        }
        return self.push(
            {
                "callback_query": {
                    "id": f"cq{next(self._ids)}",
                    "from": self.user(user_id, name),
                    "message": msg,
                    "chat_instance": "ci",
                    "data": data,
                }
            }
        )

    def messages(self, chat_id: int | str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.method == "sendMessage" and (chat_id is None or s.chat_id == str(chat_id))
        ]

    async def wait_for(self, predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError("the bot did not send what was expected in time")

    async def settle(self, quiet: float = 0.4) -> None:
        """Wait until the bot has consumed all updates and sent nothing for `quiet` seconds."""
        last = -1
        while True:
            n = len(self.calls)
            if n == last and self.confirmed >= len(self.updates):
                return
            last = n
            await asyncio.sleep(quiet)

    # -- API ---------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict:
        if request.content_type == "application/json":
            return await request.json()
        data = await request.post()
        out: dict = {}
        for key, value in data.items():
            if hasattr(value, "file"):
                out[key] = {"filename": value.filename, "size": len(value.file.read())}
            else:
                out[key] = value
        return out

    def _limited(self, chat_id: str) -> int | None:
        """Seconds to wait if this send breaks a flood limit, else None (and the send counts)."""
        if self.force_429:
            return self.force_429.popleft()
        if not self.enforce_limits:
            return None
        now = time.monotonic()
        while self._global and self._global[0] <= now - 1.0:
            self._global.popleft()
        group = chat_id.startswith("-")
        window = self._group.setdefault(chat_id, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(self._global) >= 30:
            return 1
        if now - self._per_chat.get(chat_id, -10.0) < 1.0 and not group:
            return 1
        if group and len(window) >= 20:
            return int(60 - (now - window[0])) + 1
        self._global.append(now)
        self._per_chat[chat_id] = now
        if group:
            window.append(now)
        return None

    def _error(self, code: int, description: str, **parameters) -> web.Response:
        body = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    def _message(self, chat_id: str, text: str = "") -> dict:
        kind = "private" if not chat_id.startswith("-") else "supergroup"
        return {
            "message_id": next(self._msg_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": kind},
            "from": self.me,
            "text": text,
        }

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return self._error(404, f"Not Found: method {method}")
        return await handler(params)

    async def api_getMe(self, p: dict) -> web.Response:
        return web.json_response({"ok": True, "result": self.me})

    async def api_deleteWebhook(self, p: dict) -> web.Response:
        return web.json_response({"ok": True, "result": True})

    async def api_setMyCommands(self, p: dict) -> web.Response:
        self.commands = json.loads(p["commands"])
        return web.json_response({"ok": True, "result": True})

    async def api_getUpdates(self, p: dict) -> web.Response:
        offset = int(p.get("offset") or 0)
        if offset:
            self.confirmed = max(self.confirmed, offset - 1)
        timeout = float(p.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            pending = [
                u
                for u in self.updates
                if u["update_id"] > self.confirmed and u["update_id"] >= offset
            ]
            if pending or time.monotonic() >= deadline:
                return web.json_response({"ok": True, "result": pending[:100]})
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), max(0.01, deadline - time.monotonic()))

    async def _send(self, method: str, p: dict) -> web.Response:
        chat_id = str(p["chat_id"])
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        text = p.get("text") or p.get("caption") or ""
        if method == "sendMessage":
            if not text.strip():
                return self._error(400, "Bad Request: message text is empty")
            if p.get("parse_mode") == "HTML" and (problem := html_problem(text)):
                self.rejected.append((method, problem))
                return self._error(400, f"Bad Request: {problem}")
            if len(visible(text)) > 4096:
                self.rejected.append((method, "message is too long"))
                return self._error(400, "Bad Request: message is too long")
        self._send_calls += 1
        if self._send_calls == self.fail_send_number:
            self.count_429 += 1
            return self._error(429, "Too Many Requests: retry after 1", retry_after=1)
        wait = self._limited(chat_id)
        if wait is not None:
            self.count_429 += 1
            return self._error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        markup = json.loads(p["reply_markup"]) if p.get("reply_markup") else None
        msg = self._message(chat_id, text)
        self.sent.append(
            Sent(method, chat_id, text, markup, msg["message_id"], time.monotonic(), p)
        )
        return web.json_response({"ok": True, "result": msg})

    async def api_sendMessage(self, p: dict) -> web.Response:
        return await self._send("sendMessage", p)

    async def api_sendPhoto(self, p: dict) -> web.Response:
        resp = await self._send("sendPhoto", p)
        return resp

    async def api_sendDocument(self, p: dict) -> web.Response:
        return await self._send("sendDocument", p)

    async def api_answerCallbackQuery(self, p: dict) -> web.Response:
        return web.json_response({"ok": True, "result": True})

    async def api_editMessageText(self, p: dict) -> web.Response:
        """Like Telegram: the edit counts against the chat's flood limit, the text must be
        valid HTML within 4096 characters, and an edit that changes nothing is refused."""
        chat_id, text = str(p["chat_id"]), p.get("text") or ""
        [msg] = [
            s for s in self.sent if s.chat_id == chat_id and s.message_id == int(p["message_id"])
        ]
        if not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if p.get("parse_mode") == "HTML" and (problem := html_problem(text)):
            self.rejected.append(("editMessageText", problem))
            return self._error(400, f"Bad Request: {problem}")
        if len(visible(text)) > 4096:
            self.rejected.append(("editMessageText", "message is too long"))
            return self._error(400, "Bad Request: message is too long")
        markup = json.loads(p["reply_markup"]) if p.get("reply_markup") else None
        if text == msg.text and markup == msg.reply_markup:
            return self._error(400, "Bad Request: message is not modified")
        wait = self._limited(chat_id)
        if wait is not None:
            self.count_429 += 1
            return self._error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        msg.text, msg.reply_markup = text, markup
        self.edits.append((chat_id, msg.message_id, text, time.monotonic()))
        return web.json_response(
            {"ok": True, "result": {**self._message(chat_id, text), "message_id": msg.message_id}}
        )

    async def api_editMessageReplyMarkup(self, p: dict) -> web.Response:
        for s in self.sent:
            if s.chat_id == str(p.get("chat_id")) and s.message_id == int(p.get("message_id", 0)):
                s.reply_markup = json.loads(p["reply_markup"]) if p.get("reply_markup") else None
        return web.json_response({"ok": True, "result": True})

    async def api_getFile(self, p: dict) -> web.Response:
        file_id = p["file_id"]
        if file_id not in self.files:
            return self._error(400, "Bad Request: invalid file_id")
        if len(self.files[file_id]) > 20 * 1024 * 1024:
            return self._error(400, "Bad Request: file is too big")
        return web.json_response(
            {
                "ok": True,
                "result": {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}",
                    "file_size": len(self.files[file_id]),
                    "file_path": f"documents/{file_id}",
                },
            }
        )

    async def api_getChatMember(self, p: dict) -> web.Response:
        status = self.members.get((str(p["chat_id"]), str(p["user_id"])), "member")
        result: dict = {"status": status, "user": self.user(int(p["user_id"]))}
        if status == "creator":
            result["is_anonymous"] = False
        if status == "administrator":
            rights = (
                "can_manage_chat",
                "can_change_info",
                "can_delete_messages",
                "can_invite_users",
                "can_restrict_members",
                "can_pin_messages",
                "can_manage_video_chats",
            )
            result.update(dict.fromkeys(rights, True))
            result.update(
                can_be_edited=False,
                can_promote_members=False,
                is_anonymous=False,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
            )
        return web.json_response({"ok": True, "result": result})

    async def api_setWebhook(self, p: dict) -> web.Response:
        secret = p.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            return self._error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = p
        self.webhook_url = p.get("url")
        return web.json_response({"ok": True, "result": True})
