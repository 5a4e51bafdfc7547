"""A fake Discord (REST + gateway, aiohttp on 127.0.0.1) that a real discord.py 2.7 client talks to.

Point discord.py at it with ``fake.patch_discord()`` (sets ``discord.http.Route.BASE`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``), then run a real ``discord.Client`` /
``discord.AutoShardedClient``. The fake:

- serves login (``/users/@me``, ``/oauth2/applications/@me``, ``/gateway[/bot]``) and a gateway
  that sends HELLO, answers IDENTIFY with READY + GUILD_CREATE (one guild, one text channel),
  ACKs heartbeats, handles RESUME (replaying missed events) and member chunk requests;
- records application-command syncs, interaction callbacks (with discord.py 2.7's
  ``?with_response=1`` InteractionCallback bodies), follow-ups, channel messages, edits, threads
  and DMs, and answers like Discord does for double acks, closed DMs (403/50007) and unknown ids;
- injects 429s (``force_429``) with the headers discord.py needs to sleep and retry by itself;
- dispatches slash commands, autocomplete, button clicks, modal submits and messages, and checks
  message limits, ``allowed_mentions`` and the 3-second interaction deadline afterwards.

Ids given to and returned by the helpers are ints; JSON on the wire uses strings like Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000

# Gateway intents the fake looks at.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

# Permission bits used for the default roles.
_P = {
    "add_reactions": 1 << 6,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "use_external_emojis": 1 << 18,
    "use_application_commands": 1 << 31,
    "create_public_threads": 1 << 35,
    "send_messages_in_threads": 1 << 38,
}
EVERYONE_PERMISSIONS = (
    _P["view_channel"]
    | _P["send_messages"]
    | _P["read_message_history"]
    | _P["add_reactions"]
    | _P["use_application_commands"]
    | _P["send_messages_in_threads"]
    | _P["create_public_threads"]
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | sum(
    _P[k] for k in ("embed_links", "attach_files", "use_external_emojis")
)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15

# Interaction types / callback types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CB_MESSAGE, CB_DEFERRED, CB_DEFERRED_UPDATE, CB_UPDATE, CB_AUTOCOMPLETE, CB_MODAL = 4, 5, 6, 7, 8, 9
_ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {CB_MESSAGE, CB_DEFERRED, CB_MODAL},
    MESSAGE_COMPONENT: {CB_MESSAGE, CB_DEFERRED, CB_DEFERRED_UPDATE, CB_UPDATE, CB_MODAL},
    AUTOCOMPLETE: {CB_AUTOCOMPLETE},
    MODAL_SUBMIT: {CB_MESSAGE, CB_DEFERRED, CB_DEFERRED_UPDATE, CB_UPDATE},
}


class Call(NamedTuple):
    """One REST request: ``method, path, json_body, at = call`` (path without ``/api/v10``)."""

    method: str
    path: str
    json: Any
    at: float


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


# -- validation -------------------------------------------------------------------------------


def embed_chars(embed: dict) -> int:
    """Characters that count towards Discord's 6000-per-message embed total."""
    n = len(embed.get("title") or "") + len(embed.get("description") or "")
    n += len((embed.get("footer") or {}).get("text") or "")
    n += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        n += len(f.get("name") or "") + len(f.get("value") or "")
    return n


def _walk_components(components: list[dict]):  # type: ignore[no-untyped-def]
    for c in components or []:
        yield c
        yield from _walk_components(c.get("components") or [])
        if isinstance(c.get("component"), dict):
            yield from _walk_components([c["component"]])
        if isinstance(c.get("accessory"), dict):
            yield from _walk_components([c["accessory"]])


def _embed_problems(embeds: list[dict]) -> list[str]:
    out: list[str] = []
    if len(embeds) > 10:
        out.append(f"{len(embeds)} embeds (max 10)")
    for i, e in enumerate(embeds):
        checks = [
            ("title", len(e.get("title") or ""), 256),
            ("description", len(e.get("description") or ""), 4096),
            ("footer.text", len((e.get("footer") or {}).get("text") or ""), 2048),
            ("author.name", len((e.get("author") or {}).get("name") or ""), 256),
            ("fields", len(e.get("fields") or []), 25),
        ]
        for j, f in enumerate(e.get("fields") or []):
            checks.append((f"fields[{j}].name", len(f.get("name") or ""), 256))
            checks.append((f"fields[{j}].value", len(f.get("value") or ""), 1024))
            if not (f.get("name") or "").strip() or not (f.get("value") or "").strip():
                out.append(f"embeds[{i}].fields[{j}] has an empty name or value")
        out += [
            f"embeds[{i}].{what} is {n} (max {limit})" for what, n, limit in checks if n > limit
        ]
    total = sum(embed_chars(e) for e in embeds)
    if total > 6000:
        out.append(f"embeds total {total} chars (max 6000)")
    return out


def _component_problems(components: list[dict], flags: int) -> list[str]:
    out: list[str] = []
    if not (flags & COMPONENTS_V2):
        if len(components) > 5:
            out.append(f"{len(components)} action rows (max 5)")
        for i, row in enumerate(components):
            if row.get("type") == 1 and len(row.get("components") or []) > 5:
                out.append(f"action row {i} has {len(row['components'])} components (max 5)")
    for c in _walk_components(components):
        if len(c.get("custom_id") or "") > 100:
            out.append(f"custom_id {c['custom_id'][:30]!r}... longer than 100")
        if len(c.get("label") or "") > 80:
            out.append(f"component label {c['label'][:30]!r}... longer than 80")
        if len(c.get("options") or []) > 25:
            out.append(f"select {c.get('custom_id')!r} has {len(c['options'])} options (max 25)")
    return out


def message_problems(msg: dict) -> list[str]:
    """Why Discord would refuse this message payload (content/embeds/components), if at all."""
    content = msg.get("content") or ""
    out = [f"content is {len(content)} chars (max 2000)"] if len(content) > 2000 else []
    out += _embed_problems(msg.get("embeds") or [])
    out += _component_problems(msg.get("components") or [], int(msg.get("flags") or 0))
    return out


# -- state ------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Conn:
    ws: web.WebSocketResponse
    compress: bool
    zctx: Any = None
    session: _Session | None = None
    closed_by_server: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, payload: dict) -> None:
        text = json.dumps(payload)
        async with self.lock:
            if self.ws.closed:
                return
            with contextlib.suppress(ConnectionError, RuntimeError):
                if self.compress:
                    data = self.zctx.compress(text.encode()) + self.zctx.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)


@dataclass(eq=False)
class _Session:
    id: str
    shard: tuple[int, int]
    intents: int
    conn: _Conn | None = None
    seq: int = 0
    backlog: list[dict] = field(default_factory=list)
    ended: bool = False

    async def dispatch(self, event: str, data: dict) -> None:
        self.seq += 1
        payload = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.backlog.append(payload)
        del self.backlog[:-500]
        if self.conn is not None:
            await self.conn.send(payload)


@dataclass
class _Req:
    path: str  # without /api/v10
    query: Any
    body: Any  # decoded JSON (payload_json for multipart), {} if none
    files: list[dict]


class _Patch:
    """Returned by ``patch_discord()``: already applied; use as a context manager or ``restore()``."""

    def __init__(self, fake: FakeDiscord) -> None:
        import discord.gateway
        import discord.http
        import yarl

        self._route = discord.http.Route
        self._ws = discord.gateway.DiscordWebSocket
        self._saved = (self._route.BASE, self._ws.DEFAULT_GATEWAY)
        self._route.BASE = fake.api_base
        self._ws.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
        self.fake = fake
        self.active = True

    def restore(self) -> None:
        if self.active:
            self._route.BASE, self._ws.DEFAULT_GATEWAY = self._saved
            self.active = False

    def __enter__(self) -> FakeDiscord:
        return self.fake

    def __exit__(self, *exc: object) -> None:
        self.restore()


class FakeDiscord:
    """One guild (``guild_id``) with one text channel (``channel_id``), a bot user (``bot_user``,
    id ``app_id``) and users created on demand; ``default_user_id`` acts when no user is given.

    Records: ``calls`` (Call tuples), ``messages`` (what the bot sent: id, channel_id, content,
    embeds, components, allowed_mentions, flags, via, interaction_id, files, at, payload),
    ``edits``, ``callbacks``, ``interactions``, ``synced_commands``, ``synced_guild_commands``,
    ``threads``, ``incoming`` (user messages), ``identifies``, ``resumes``, ``rejected``,
    ``downloads`` (attachment ids whose upload URL the bot fetched).
    Knobs: ``closed_dms`` (user ids -> 403/50007), ``force_429`` (seconds, one per message or
    follow-up POST), constructor flags below.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        shards: int = 1,
        heartbeat_interval: int = 41250,
        compress: bool = True,
        echo_own_messages: bool = True,
        reject_invalid: bool = False,
        enforce_deadline: bool = False,
        allow_resume: bool = True,
        disallowed_intents: int = 0,
    ) -> None:
        self.token = token  # None: accept any bot token
        self.shards = shards
        self.heartbeat_interval = heartbeat_interval
        self.compress = compress  # honour ?compress=zlib-stream with binary zlib frames
        self.echo_own_messages = echo_own_messages  # MESSAGE_CREATE for the bot's own messages
        self.reject_invalid = reject_invalid  # 400/50035 for messages over Discord's limits
        self.enforce_deadline = enforce_deadline  # 404/10062 for callbacks after 3 s
        self.allow_resume = allow_resume
        self.disallowed_intents = disallowed_intents  # IDENTIFY with these -> close 4014

        self._last_snowflake = 0
        self.app_id = 1200000000000000001
        self.guild_id = 1200000000000000100
        self.channel_id = 1200000000000000200
        self.owner_id = 1200000000000000300
        self.default_user_id = 1200000000000000500
        self.bot_user: dict = {
            "id": str(self.app_id),
            "username": "mlbot",
            "global_name": "ML Bot",
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "system": False,
            "flags": 0,
            "public_flags": 0,
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
        }
        self.users: dict[int, dict] = {}
        self.guild_members: set[int] = {self.owner_id, self.default_user_id}
        self.channels: dict[int, dict] = {}  # guild text channels and threads
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self._dm_users: dict[int, int] = {}  # DM channel id -> user id
        self.closed_dms: set[int] = set()
        self.uploads: dict[int, dict] = {}
        self.downloads: list[int] = []  # attachment ids whose URL the bot fetched
        self.force_429: list[float] = []
        # Answer this (1-based) message create with a 429 that has no Via header: discord.py
        # takes it for a Cloudflare ban and raises at once instead of retrying by itself.
        self.fail_create_number: int | None = None
        self._creates = 0
        self.count_429 = 0

        self.calls: list[Call] = []
        self.messages: list[dict] = []  # what the bot sent
        self.incoming: list[dict] = []  # what fake.message() dispatched (via "user")
        self.edits: list[dict] = []
        self.rejected: list[tuple[str, str]] = []  # (path, reason)
        self.callbacks: list[dict] = []
        self.interactions: dict[int, dict] = {}
        self.synced_commands: list[dict] = []
        self.synced_guild_commands: dict[int, list[dict]] = {}
        self.threads: dict[int, dict] = {}
        self.dispatched: list[tuple[str, dict, float]] = []  # (event, data, at)
        self.identifies: list[dict] = []
        self.resumes: list[dict] = []
        self.heartbeats = 0

        self.sessions: dict[str, _Session] = {}
        self._conns: set[_Conn] = set()
        self._command_ids: dict[tuple[int | None, str], int] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.api_base = ""
        self.gateway_url = ""

        self.add_user(self.owner_id, "owner")
        self.add_user(self.default_user_id, "ada")
        self.add_channel("general", channel_id=self.channel_id)

    # -- server --------------------------------------------------------------------------------
    async def start(self, port: int = 0) -> FakeDiscord:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{att_id}/{filename}", self._serve_upload)
        app.router.add_route("*", "/api/v{version}/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.api_base = f"http://127.0.0.1:{self.port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{self.port}/gateway"
        return self

    async def stop(self) -> None:
        await self.disconnect_all(code=1001, resumable=False)
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    def patch_discord(self) -> _Patch:
        """Point discord.py's REST base and default gateway at this fake (restored on exit)."""
        return _Patch(self)

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def clear(self) -> None:
        """Forget what was recorded (calls, messages, callbacks, interactions...)."""
        for name in (
            "calls",
            "messages",
            "incoming",
            "edits",
            "rejected",
            "callbacks",
            "dispatched",
        ):
            getattr(self, name).clear()
        self.interactions.clear()
        self.force_429.clear()

    # -- ids and payloads ----------------------------------------------------------------------
    def snowflake(self) -> int:
        value = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def add_user(self, user_id: int, name: str | None = None, *, bot: bool = False) -> dict:
        user = {
            "id": str(user_id),
            "username": name or f"user{user_id % 10000}",
            "global_name": (name or f"user{user_id % 10000}").title(),
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }
        self.users[user_id] = user
        return user

    def user(self, user_id: int) -> dict:
        return self.users.get(user_id) or self.add_user(user_id)

    def member(
        self, user_id: int, permissions: str | None = None, *, with_user: bool = True
    ) -> dict:
        data: dict = {
            "roles": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.bot_user if user_id == self.app_id else self.user(user_id)
        if user_id == self.app_id:
            data["roles"] = [str(self.guild_id + 1)]
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def guild_payload(self) -> dict:
        return {
            "id": str(self.guild_id),
            "name": "ML study group",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "features": [],
            "system_channel_id": str(self.channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "application_id": None,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.guild_members) + 1,
            "roles": [
                {
                    "id": str(self.guild_id),
                    "name": "@everyone",
                    "permissions": str(EVERYONE_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                {
                    "id": str(self.guild_id + 1),
                    "name": "ML Bot",
                    "permissions": str(BOT_PERMISSIONS),
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": True,
                    "mentionable": False,
                    "flags": 0,
                    "tags": {"bot_id": str(self.app_id)},
                },
            ],
            "emojis": [],
            "stickers": [],
            "channels": [
                c for c in self.channels.values() if c["type"] in (0, 2, 4, 5, 13, 15, 16)
            ],
            "threads": [c for c in self.channels.values() if c["type"] in (10, 11, 12)],
            "members": [self.member(self.app_id)] + [self.member(u) for u in self.guild_members],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _add_channel(self, data: dict) -> dict:
        self.channels[int(data["id"])] = data
        return data

    def add_channel(
        self, name: str, *, channel_id: int | None = None, channel_type: int = 0
    ) -> int:
        """Add a guild channel. Add it before the client connects (it is part of GUILD_CREATE),
        or afterwards ``await fake.dispatch("CHANNEL_CREATE", fake.channels[id], guild_id=...)``."""
        cid = channel_id or self.snowflake()
        self._add_channel(
            {
                "id": str(cid),
                "type": channel_type,
                "guild_id": str(self.guild_id),
                "name": name,
                "position": len(self.channels),
                "parent_id": None,
                "topic": None,
                "nsfw": False,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "permission_overwrites": [],
            }
        )
        return cid

    def dm_channel_id(self, user_id: int) -> int:
        if user_id not in self.dm_channels:
            cid = self.snowflake()
            self.dm_channels[user_id] = cid
            self._dm_users[cid] = user_id
        return self.dm_channels[user_id]

    def dm_channel(self, user_id: int) -> dict:
        return {
            "id": str(self.dm_channel_id(user_id)),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.user(user_id)],
        }

    def channel_payload(self, channel_id: int) -> dict | None:
        if channel_id in self.channels:
            return self.channels[channel_id]
        if channel_id in self._dm_users:
            return self.dm_channel(self._dm_users[channel_id])
        return None

    def _guild_of(self, channel_id: int) -> int | None:
        ch = self.channels.get(channel_id)
        return int(ch["guild_id"]) if ch and ch.get("guild_id") else None

    def message_payload(self, m: dict) -> dict:
        """The Discord message object for a recorded message dict."""
        author = m.get("author") or self.bot_user
        data: dict = {
            "id": str(m["id"]),
            "channel_id": str(m["channel_id"]),
            "author": author,
            "content": m.get("content") or "",
            "timestamp": m.get("timestamp") or _now_iso(),
            "edited_timestamp": m.get("edited_timestamp"),
            "tts": False,
            "mention_everyone": False,
            "mentions": m.get("mentions") or [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(1000 + i),
                    "filename": f["filename"],
                    "size": f["size"],
                    "url": f"https://cdn.invalid/{f['filename']}",
                    "proxy_url": f"https://cdn.invalid/{f['filename']}",
                }
                for i, f in enumerate(m.get("files") or [])
            ],
            "embeds": m.get("embeds") or [],
            "components": m.get("components") or [],
            "pinned": False,
            "type": m.get("type", 0),
            "flags": int(m.get("flags") or 0),
        }
        guild_id = self._guild_of(int(m["channel_id"]))
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        if m.get("via") in ("interaction", "followup"):
            data["webhook_id"] = str(self.app_id)
            data["application_id"] = str(self.app_id)
        if m.get("message_reference"):
            data["message_reference"] = m["message_reference"]
        return data

    # -- test helpers --------------------------------------------------------------------------
    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            await asyncio.sleep(0.02)
        raise AssertionError("the bot did not do what was expected in time")

    async def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until ``count`` sessions are live (identified/resumed and connected)."""
        await self.wait_for(lambda: len(self.live_sessions()) >= count, timeout)

    async def settle(self, quiet: float = 0.3) -> None:
        """Wait until the bot has made no REST call for ``quiet`` seconds."""
        last = -1
        while len(self.calls) != last:
            last = len(self.calls)
            await asyncio.sleep(quiet)

    def live_sessions(self) -> list[_Session]:
        return [s for s in self.sessions.values() if not s.ended and s.conn is not None]

    def messages_in(self, channel_id: int | None = None, via: str | None = None) -> list[dict]:
        return [
            m
            for m in self.messages
            if (channel_id is None or m["channel_id"] == channel_id)
            and (via is None or m["via"] == via)
        ]

    def responses(self, interaction_id: int) -> list[dict]:
        """Callbacks (``{"type", "data", "at"}``) recorded for one interaction."""
        return [c for c in self.callbacks if c["interaction_id"] == interaction_id]

    def followups(self, interaction_id: int) -> list[dict]:
        return [
            m
            for m in self.messages
            if m["interaction_id"] == interaction_id and m["via"] == "followup"
        ]

    def replies(self, interaction_id: int) -> list[dict]:
        """Every message an interaction produced (original response and follow-ups)."""
        return [m for m in self.messages if m["interaction_id"] == interaction_id]

    def check_message_limits(self) -> list[str]:
        """Problems (content/embed/component limits) in every sent message and every edit."""
        problems = []
        for m in self.messages:
            problems += [f"{m['via']} message {m['id']}: {p}" for p in message_problems(m)]
        for e in self.edits:
            problems += [f"edit of {e['via']} message {e['id']}: {p}" for p in message_problems(e)]
        return problems

    def check_allowed_mentions(self) -> list[dict]:
        """Sent messages whose allowed_mentions is missing or lets @everyone/role pings through."""
        bad = []
        for m in self.messages:
            am = m.get("allowed_mentions")
            parse = set(am.get("parse") or []) if isinstance(am, dict) else set()
            if not isinstance(am, dict) or "parse" not in am or parse & {"everyone", "roles"}:
                bad.append(m)
        return bad

    def interaction_deadlines(self, max_seconds: float = 3.0) -> list[int]:
        """Interactions whose first callback came more than max_seconds after dispatch, or never."""
        late = []
        for iid, rec in self.interactions.items():
            first = rec["callbacks"][0]["at"] if rec["callbacks"] else None
            if first is None or first - rec["dispatched_at"] > max_seconds:
                late.append(iid)
        return late

    # -- dispatching ---------------------------------------------------------------------------
    def _shard_of(self, guild_id: int | None, count: int) -> int:
        return 0 if guild_id is None else (guild_id >> 22) % count

    async def dispatch(
        self,
        event: str,
        data: dict,
        *,
        guild_id: int | None = None,
        intent: int = 0,
        transform: Callable[[_Session, dict], dict | None] | None = None,
    ) -> None:
        """Send an op-0 event to every session (connected, or buffered for RESUME) that should get it."""
        self.dispatched.append((event, data, time.monotonic()))
        for s in list(self.sessions.values()):
            if s.ended or self._shard_of(guild_id, s.shard[1]) != s.shard[0]:
                continue
            if intent and not (s.intents & intent):
                continue
            payload = transform(s, data) if transform else data
            if payload is not None:
                await s.dispatch(event, payload)

    def _interaction(
        self,
        type_: int,
        data: dict,
        *,
        user_id: int | None,
        guild: bool,
        permissions: str,
        channel_id: int | None = None,
        message: dict | None = None,
    ) -> dict:
        user_id = user_id or self.default_user_id
        iid = self.snowflake()
        token = f"itok-{iid}-{uuid.uuid4().hex}"
        if channel_id is None:
            channel_id = self.channel_id if guild else self.dm_channel_id(user_id)
        channel = self.channel_payload(channel_id)
        if channel is None:
            raise ValueError(f"unknown channel {channel_id}: add it with fake.add_channel()")
        payload: dict = {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": type_,
            "data": data,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "app_permissions": str(BOT_PERMISSIONS),
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "channel_id": str(channel_id),
            "channel": channel,
        }
        if guild:
            self.guild_members.add(user_id)
            payload.update(
                guild_id=str(self.guild_id),
                guild_locale="en-US",
                guild={"id": str(self.guild_id), "locale": "en-US", "features": []},
                member=self.member(user_id, permissions),
                authorizing_integration_owners={"0": str(self.guild_id)},
                context=0,
            )
        else:
            payload.update(
                user=self.user(user_id),
                authorizing_integration_owners={"1": str(user_id)},
                context=1,
            )
        if message is not None:
            payload["message"] = message
        self.interactions[iid] = {
            "id": iid,
            "token": token,
            "type": type_,
            "data": data,
            "user_id": user_id,
            "guild_id": self.guild_id if guild else None,
            "channel_id": channel_id,
            "message_id": int(message["id"]) if message else None,
            "dispatched_at": 0.0,
            "callbacks": [],
            "original_id": None,
            "acked_type": None,
        }
        return payload

    async def _send_interaction(self, payload: dict) -> int:
        iid = int(payload["id"])
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        self.interactions[iid]["dispatched_at"] = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id)
        return iid

    def _command_data(
        self,
        name: str,
        options: dict | list | None,
        subcommand: str | None,
        guild: bool,
        focused: str | None = None,
    ) -> dict:
        if isinstance(options, list):
            opts = options
        else:
            opts = []
            for key, value in (options or {}).items():
                if isinstance(value, dict):
                    opts.append({"name": key, **value})
                else:
                    opts.append({"name": key, "type": _option_type(value), "value": value})
        for o in opts:
            if o["name"] == focused:
                o["focused"] = True
        if subcommand:
            parts = subcommand.split()
            if len(parts) == 2:
                inner = {"type": 1, "name": parts[1], "options": opts}
                opts = [{"type": 2, "name": parts[0], "options": [inner]}]
            else:
                opts = [{"type": 1, "name": parts[0], "options": opts}]
        in_guild = guild and any(
            c["name"] == name for c in self.synced_guild_commands.get(self.guild_id, [])
        )
        key = (self.guild_id if in_guild else None, name)
        data: dict = {
            "id": str(self._command_ids.get(key) or self.snowflake()),
            "name": name,
            "type": 1,
            "options": opts,
        }
        if in_guild:
            data["guild_id"] = str(self.guild_id)
        files = [o for o in _walk_options(opts) if o.get("type") == 11]
        if files:
            data["resolved"] = {
                "attachments": {
                    str(o["value"]): self.uploads[int(o["value"])]["payload"] for o in files
                }
            }
        return data

    def _registered(self, name: str) -> dict | None:
        for cmd in [*self.synced_guild_commands.get(self.guild_id, []), *self.synced_commands]:
            if cmd["name"] == name:
                return cmd
        return None

    def _check_sendable(self, data: dict) -> None:
        """Refuse what a real Discord client could not send for the registered commands: an
        unknown command or option, a missing required option, a wrong type, a value outside
        the declared choices or range. Only once commands were synced (else nothing is known)."""
        if not (self.synced_commands or self.synced_guild_commands):
            return
        cmd = self._registered(data["name"])
        if cmd is None:
            raise ValueError(f"/{data['name']} is not a registered command")
        _check_options(f"/{data['name']}", cmd.get("options") or [], data["options"])

    def upload(self, filename: str, data: bytes, declared_size: int | None = None) -> dict:
        """A file a user attaches to a slash command; use the result as the option's value."""
        att_id = self.snowflake()
        url = f"http://127.0.0.1:{self.port}/attachments/{att_id}/{filename}"
        payload = {
            "id": str(att_id),
            "filename": filename,
            "size": declared_size or len(data),
            "url": url,
            "proxy_url": url,
            "content_type": "application/octet-stream",
        }
        self.uploads[att_id] = {"data": data, "payload": payload}
        return {"type": 11, "value": str(att_id)}

    async def _serve_upload(self, request: web.Request) -> web.Response:
        item = self.uploads.get(int(request.match_info["att_id"]))
        if item is None:
            return web.Response(status=404)
        self.downloads.append(int(request.match_info["att_id"]))
        return web.Response(body=item["data"], content_type="application/octet-stream")

    async def slash(
        self,
        name: str,
        options: dict | list | None = None,
        *,
        user_id: int | None = None,
        guild: bool = True,
        permissions: str = "0",
        subcommand: str | None = None,
        channel_id: int | None = None,
    ) -> int:
        """INTERACTION_CREATE for ``/name``; options typed from Python values (str 3, int 4,
        bool 5, float 10; a dict value is used as the raw option). ``subcommand`` may be
        "sub" or "group sub". Returns the interaction id."""
        data = self._command_data(name, options, subcommand, guild)
        self._check_sendable(data)
        payload = self._interaction(
            APPLICATION_COMMAND,
            data,
            user_id=user_id,
            guild=guild,
            permissions=permissions,
            channel_id=channel_id,
        )
        return await self._send_interaction(payload)

    async def autocomplete(
        self,
        name: str,
        option_name: str,
        partial: str,
        options: dict | None = None,
        *,
        user_id: int | None = None,
        guild: bool = True,
        permissions: str = "0",
        subcommand: str | None = None,
    ) -> int:
        """INTERACTION_CREATE type 4 with ``option_name`` focused and typed so far as ``partial``."""
        opts = dict(options or {})
        opts[option_name] = {"type": 3, "value": partial}
        data = self._command_data(name, opts, subcommand, guild, focused=option_name)
        payload = self._interaction(
            AUTOCOMPLETE, data, user_id=user_id, guild=guild, permissions=permissions
        )
        return await self._send_interaction(payload)

    def _find_message(self, message_id: int) -> dict | None:
        for m in itertools.chain(reversed(self.messages), reversed(self.incoming)):
            if m["id"] == message_id:
                return m
        return None

    async def click(
        self,
        custom_id: str,
        message_id: int | None = None,
        *,
        user_id: int | None = None,
        guild: bool = True,
        permissions: str = "0",
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> int:
        """INTERACTION_CREATE type 3 for a button (or select with ``values``). Without a
        message_id, the newest recorded message carrying that custom_id is used; an unknown
        id gets a stub message (as for a persistent view after a restart)."""
        stored = None
        if message_id is None:
            for m in reversed(self.messages):
                if any(c.get("custom_id") == custom_id for c in _walk_components(m["components"])):
                    stored = m
                    break
            message_id = stored["id"] if stored else self.snowflake()
        else:
            stored = self._find_message(message_id)
        if stored is not None:
            message = self.message_payload(stored)
            channel_id = stored["channel_id"]
            guild = self._guild_of(channel_id) is not None
        else:
            channel_id = (
                self.channel_id if guild else self.dm_channel_id(user_id or self.default_user_id)
            )
            comp: dict = {"type": component_type, "custom_id": custom_id}
            if component_type == 2:
                comp.update(style=1, label=custom_id)
            else:
                comp.update(options=[{"label": v, "value": v} for v in values or []])
            stub = {
                "id": message_id,
                "channel_id": channel_id,
                "content": "",
                "components": [{"type": 1, "components": [comp]}],
                "timestamp": "2024-01-01T00:00:00+00:00",
            }
            message = self.message_payload(stub)
        data: dict = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        payload = self._interaction(
            MESSAGE_COMPONENT,
            data,
            user_id=user_id,
            guild=guild,
            permissions=permissions,
            channel_id=channel_id,
            message=message,
        )
        return await self._send_interaction(payload)

    def last_modal(self) -> dict | None:
        """The data of the newest type-9 (modal) callback, e.g. to read its custom_id."""
        for c in reversed(self.callbacks):
            if c["type"] == CB_MODAL:
                return c["data"]
        return None

    async def submit_modal(
        self,
        custom_id: str | None = None,
        values: dict[str, str] | None = None,
        *,
        user_id: int | None = None,
        guild: bool = True,
        permissions: str = "0",
    ) -> int:
        """INTERACTION_CREATE type 5 (modal submit); defaults to the newest modal shown."""
        if custom_id is None:
            modal = self.last_modal()
            assert modal is not None, "no modal was shown"
            custom_id = modal["custom_id"]
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in (values or {}).items()
        ]
        data = {"custom_id": custom_id, "components": rows}
        payload = self._interaction(
            MODAL_SUBMIT, data, user_id=user_id, guild=guild, permissions=permissions
        )
        return await self._send_interaction(payload)

    async def message(
        self,
        content: str,
        *,
        user_id: int | None = None,
        dm: bool = False,
        mentions_bot: bool = False,
        channel_id: int | None = None,
        reply_to: int | None = None,
        ping: bool = True,
    ) -> int:
        """MESSAGE_CREATE from a user, in their DM or a guild channel. Like Discord, guild
        messages that do not mention the bot arrive with empty content to sessions without the
        message_content intent. Returns the message id."""
        user_id = user_id or self.default_user_id
        if mentions_bot and f"<@{self.app_id}>" not in content:
            content = f"<@{self.app_id}> {content}"
        if dm:
            channel_id = self.dm_channel_id(user_id)
        elif channel_id is None:
            channel_id = self.channel_id
        guild_id = self._guild_of(channel_id)
        mid = self.snowflake()
        data: dict = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": self.user(user_id),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if reply_to is not None:  # a reply: Discord sends the message it answers, resolved
            [ref] = [m for m in self.messages if int(m["id"]) == reply_to]
            data["type"] = 19
            data["message_reference"] = {"message_id": str(reply_to), "channel_id": str(channel_id)}
            data["referenced_message"] = self.message_payload(ref)
            # A reply pings its author unless the user turns that off; a pinged bot gets the
            # content even without the message content intent, like any mention.
            pinged = ping and str((ref.get("author") or self.bot_user)["id"]) == str(self.app_id)
        else:
            pinged = False
        if mentions_bot or pinged:
            bot = dict(self.bot_user)
            if guild_id is not None:
                bot["member"] = self.member(self.app_id, with_user=False)
            data["mentions"] = [bot]
        if guild_id is not None:
            self.guild_members.add(user_id)
            data["guild_id"] = str(guild_id)
            data["member"] = self.member(user_id, with_user=False)

        def transform(session: _Session, d: dict) -> dict:
            if (
                guild_id is None
                or mentions_bot
                or pinged
                or session.intents & INTENT_MESSAGE_CONTENT
            ):
                return d
            return {**d, "content": "", "embeds": [], "attachments": [], "components": []}

        self.incoming.append(
            {
                "id": mid,
                "channel_id": channel_id,
                "content": content,
                "author": data["author"],
                "mentions": data["mentions"],
                "via": "user",
                "timestamp": data["timestamp"],
                "at": time.monotonic(),
            }
        )
        intent = INTENT_DIRECT_MESSAGES if guild_id is None else INTENT_GUILD_MESSAGES
        await self.dispatch(
            "MESSAGE_CREATE", data, guild_id=guild_id, intent=intent, transform=transform
        )
        return mid

    async def reconnect_all(self) -> None:
        """Send op 7 RECONNECT: discord.py closes and RESUMEs."""
        for conn in list(self._conns):
            await conn.send({"op": 7, "d": None})

    async def disconnect_all(self, code: int = 4000, *, resumable: bool = True) -> None:
        """Close every client socket (a gateway restart). With ``resumable`` the sessions
        survive, discord.py RESUMEs and gets the events it missed; otherwise it is sent
        INVALID_SESSION and re-IDENTIFYs (discord.py waits 5 s before a non-initial IDENTIFY)."""
        conns = list(self._conns)
        if not resumable:
            for s in self.sessions.values():
                s.ended = True
        await asyncio.gather(*(self._close(c, code) for c in conns), return_exceptions=True)

    async def _close(self, conn: _Conn, code: int) -> None:
        conn.closed_by_server = True
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(conn.ws.close(code=code), 3.0)

    # -- gateway -------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, timeout=2.0)
        await ws.prepare(request)
        compress = self.compress and request.query.get("compress") == "zlib-stream"
        conn = _Conn(ws=ws, compress=compress, zctx=zlib.compressobj() if compress else None)
        self._conns.add(conn)
        try:
            if request.query.get("encoding", "json") != "json":
                await ws.close(code=4002, message=b"only encoding=json is supported")
                return ws
            await conn.send(
                {
                    "op": 10,
                    "s": None,
                    "t": None,
                    "d": {"heartbeat_interval": self.heartbeat_interval},
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        data = json.loads(msg.data)
                    except ValueError:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                        break
                    await self._on_op(conn, data)
                elif msg.type == WSMsgType.BINARY:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
        finally:
            self._conns.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                # A clean close by the client (Client.close sends 1000) ends the session.
                if not conn.closed_by_server and ws.close_code in (1000, 1001):
                    session.ended = True
        return ws

    async def _on_op(self, conn: _Conn, msg: dict) -> None:
        op, d = msg.get("op"), msg.get("d")
        if op == 1:
            self.heartbeats += 1
            await conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            await self._identify(conn, d or {})
        elif op == 6:
            await self._resume(conn, d or {})
        elif op == 8:
            await self._request_members(conn, d or {})
        elif op in (3, 4):
            pass  # presence / voice state updates are accepted and ignored
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: _Conn, d: dict) -> None:
        self.identifies.append(d)
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if self.token is not None and d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(d.get("intents") or 0)
        if intents & self.disallowed_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        shard = tuple(d.get("shard") or (0, 1))
        if d.get("shard") is not None and (shard[0] >= shard[1] or shard[1] != self.shards):
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        session = _Session(id=uuid.uuid4().hex, shard=(shard[0], shard[1]), intents=intents)
        session.conn = conn
        conn.session = session
        self.sessions[session.id] = session
        on_shard = self._shard_of(self.guild_id, shard[1]) == shard[0]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(self.guild_id), "unavailable": True}] if on_shard else [],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["local"],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }
        if d.get("shard") is not None:
            ready["shard"] = list(shard)
        self.dispatched.append(("READY", ready, time.monotonic()))
        await session.dispatch("READY", ready)
        if on_shard and intents & INTENT_GUILDS:
            await session.dispatch("GUILD_CREATE", self.guild_payload())

    async def _resume(self, conn: _Conn, d: dict) -> None:
        self.resumes.append(d)
        session = self.sessions.get(d.get("session_id") or "")
        if (
            not self.allow_resume
            or session is None
            or session.ended
            or (self.token is not None and d.get("token") != self.token)
        ):
            await conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        old = session.conn
        session.conn = conn
        conn.session = session
        if old is not None and old is not conn:
            old.session = None
            await self._close(old, 4000)
        seq = int(d.get("seq") or 0)
        for payload in [p for p in session.backlog if p["s"] > seq]:
            await conn.send(payload)
        await session.dispatch("RESUMED", {"_trace": ["fake-discord"]})

    async def _request_members(self, conn: _Conn, d: dict) -> None:
        if conn.session is None:
            return
        wanted = {int(u) for u in (d.get("user_ids") or [])}
        query = (d.get("query") or "").lower()
        ids = [self.app_id, *sorted(self.guild_members)]
        members = []
        for uid in ids:
            if wanted and uid not in wanted:
                continue
            name = (self.bot_user if uid == self.app_id else self.user(uid))["username"]
            if query and not name.lower().startswith(query):
                continue
            members.append(self.member(uid))
        limit = int(d.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk = {
            "guild_id": str(d.get("guild_id")),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in wanted - set(ids)],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        await conn.session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- REST plumbing -------------------------------------------------------------------------
    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
        # discord.py decodes JSON only when Content-Type is exactly "application/json".
        return web.Response(
            body=json.dumps(data).encode(),
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def _error(self, status: int, code: int, message: str, **extra: Any) -> web.Response:
        return self._json({"code": code, "message": message, **extra}, status)

    def _rate_limited(self, seconds: float, path: str) -> web.Response:
        self.count_429 += 1
        body = {"message": "You are being rate limited.", "retry_after": seconds, "global": False}
        headers = {
            "Retry-After": str(max(1, round(seconds))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + seconds:.3f}",
            "X-RateLimit-Reset-After": f"{seconds:.3f}",
            "X-RateLimit-Bucket": "fake-" + re.sub(r"\d+", "id", path).strip("/").replace("/", "-"),
            "X-RateLimit-Scope": "user",
            # discord.py treats a 429 without Via as a Cloudflare ban and raises instead.
            "Via": "1.1 google",
        }
        return self._json(body, 429, headers)

    async def _body(self, request: web.Request) -> tuple[Any, list[dict]]:
        if request.content_type == "application/json":
            raw = await request.read()
            return (json.loads(raw) if raw else None), []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload: Any = None
            files = []
            for key, value in form.items():
                if key == "payload_json":
                    payload = json.loads(value if isinstance(value, str) else value.file.read())
                elif hasattr(value, "file"):
                    files.append(
                        {"field": key, "filename": value.filename, "size": len(value.file.read())}
                    )
            return payload, files
        return None, []

    _ROUTES: list[tuple[str, str, str]] = [
        ("GET", r"/users/@me", "get_me"),
        ("GET", r"/oauth2/applications/@me", "get_application"),
        ("GET", r"/applications/@me", "get_application"),
        ("GET", r"/gateway", "get_gateway"),
        ("GET", r"/gateway/bot", "get_gateway_bot"),
        ("GET", r"/users/(?P<user_id>\d+)", "get_user"),
        ("POST", r"/users/@me/channels", "create_dm"),
        ("PUT", r"/applications/(?P<app_id>\d+)/commands", "sync_global"),
        ("GET", r"/applications/(?P<app_id>\d+)/commands", "get_global"),
        ("PUT", r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands", "sync_guild"),
        (
            "GET",
            r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands",
            "get_guild_cmds",
        ),
        ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", "callback"),
        ("POST", r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)", "followup"),
        (
            "GET",
            r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
            "get_webhook_message",
        ),
        (
            "PATCH",
            r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
            "edit_webhook_message",
        ),
        (
            "DELETE",
            r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<mid>@original|\d+)",
            "delete_webhook_message",
        ),
        ("GET", r"/channels/(?P<cid>\d+)", "get_channel"),
        ("POST", r"/channels/(?P<cid>\d+)/messages", "create_message"),
        ("GET", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "get_message"),
        ("PATCH", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "edit_message"),
        ("DELETE", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)", "delete_message"),
        ("POST", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/threads", "thread_from_message"),
        ("POST", r"/channels/(?P<cid>\d+)/threads", "thread_without_message"),
        ("POST", r"/channels/(?P<cid>\d+)/typing", "no_content"),
        ("PUT", r"/channels/(?P<cid>\d+)/messages/(?P<mid>\d+)/reactions/[^/]+/@me", "no_content"),
        ("PUT", r"/channels/(?P<cid>\d+)/thread-members/@me", "no_content"),
        ("GET", r"/guilds/(?P<guild_id>\d+)", "get_guild"),
        ("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", "get_member"),
    ]

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._body(request)
        self.calls.append(Call(request.method, path, body, time.monotonic()))
        for method, pattern, name in self._ROUTES:
            if method == request.method and (m := re.fullmatch(pattern, path)):
                needs_auth = not path.startswith(("/interactions/", "/webhooks/"))
                if needs_auth and not self._authorized(request):
                    return self._error(401, 0, "401: Unauthorized")
                handler = getattr(self, f"_api_{name}")
                req = _Req(path, request.query, body if body is not None else {}, files)
                return await handler(req, **m.groupdict())
        return self._error(404, 0, "404: Not Found")

    def _authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bot "):
            return False
        return self.token is None or auth == f"Bot {self.token}"

    async def _api_no_content(self, r: _Req, **kw: str) -> web.Response:
        return web.Response(status=204)

    async def _api_get_me(self, r: _Req) -> web.Response:
        return self._json(self.bot_user)

    async def _api_get_application(self, r: _Req) -> web.Response:
        return self._json(
            {
                "id": str(self.app_id),
                "name": "ML Bot",
                "icon": None,
                "description": "",
                "summary": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": self.user(self.owner_id),
                "team": None,
                "bot": self.bot_user,
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "tags": [],
            }
        )

    async def _api_get_gateway(self, r: _Req) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _api_get_gateway_bot(self, r: _Req) -> web.Response:
        limits = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return self._json(
            {"url": self.gateway_url, "shards": self.shards, "session_start_limit": limits}
        )

    async def _api_get_user(self, r: _Req, user_id: str) -> web.Response:
        uid = int(user_id)
        return self._json(self.bot_user if uid == self.app_id else self.user(uid))

    async def _api_create_dm(self, r: _Req) -> web.Response:
        uid = int(r.body.get("recipient_id") or 0)
        if not uid:
            return self._error(400, 50035, "Invalid Form Body")
        return self._json(self.dm_channel(uid))

    async def _api_get_guild(self, r: _Req, guild_id: str) -> web.Response:
        if int(guild_id) != self.guild_id:
            return self._error(404, 10004, "Unknown Guild")
        return self._json(self.guild_payload())

    async def _api_get_member(self, r: _Req, guild_id: str, user_id: str) -> web.Response:
        uid = int(user_id)
        if int(guild_id) != self.guild_id or (uid not in self.guild_members and uid != self.app_id):
            return self._error(404, 10007, "Unknown Member")
        return self._json(self.member(uid))

    async def _api_get_channel(self, r: _Req, cid: str) -> web.Response:
        ch = self.channel_payload(int(cid))
        return self._json(ch) if ch else self._error(404, 10003, "Unknown Channel")

    # -- application commands --------------------------------------------------------------
    def _echo_commands(self, payload: list[dict], guild_id: int | None) -> list[dict]:
        out = []
        for cmd in payload or []:
            key = (guild_id, cmd["name"])
            cid = self._command_ids.setdefault(key, self.snowflake())
            echoed = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "dm_permission": True,
                "nsfw": False,
                **cmd,
                "id": str(cid),
                "application_id": str(self.app_id),
                "version": str(self.snowflake()),
            }
            if guild_id is not None:
                echoed["guild_id"] = str(guild_id)
            out.append(echoed)
        return out

    async def _api_sync_global(self, r: _Req, app_id: str) -> web.Response:
        if int(app_id) != self.app_id:
            return self._error(403, 50001, "Missing Access")
        self.synced_commands = self._echo_commands(r.body or [], None)
        return self._json(self.synced_commands)

    async def _api_get_global(self, r: _Req, app_id: str) -> web.Response:
        return self._json(self.synced_commands)

    async def _api_sync_guild(self, r: _Req, app_id: str, guild_id: str) -> web.Response:
        if int(app_id) != self.app_id or int(guild_id) != self.guild_id:
            return self._error(403, 50001, "Missing Access")
        self.synced_guild_commands[int(guild_id)] = self._echo_commands(r.body or [], int(guild_id))
        return self._json(self.synced_guild_commands[int(guild_id)])

    async def _api_get_guild_cmds(self, r: _Req, app_id: str, guild_id: str) -> web.Response:
        return self._json(self.synced_guild_commands.get(int(guild_id), []))

    # -- messages ----------------------------------------------------------------------------
    def _record(
        self,
        payload: dict,
        channel_id: int,
        via: str,
        interaction_id: int | None,
        files: list,
        message_id: int | None = None,
        msg_type: int = 0,
    ) -> dict:
        m = {
            "id": message_id or self.snowflake(),
            "channel_id": channel_id,
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "allowed_mentions": payload.get("allowed_mentions"),
            "flags": int(payload.get("flags") or 0),
            "via": via,
            "interaction_id": interaction_id,
            "files": [{"filename": f["filename"], "size": f["size"]} for f in files],
            "message_reference": payload.get("message_reference"),
            "timestamp": _now_iso(),
            "type": msg_type,
            "at": time.monotonic(),
            "payload": payload,
        }
        self.messages.append(m)
        return m

    def _invalid(
        self, path: str, payload: dict, files: list, *, creating: bool
    ) -> web.Response | None:
        if creating and not (
            (payload.get("content") or "").strip()
            or payload.get("embeds")
            or payload.get("components")
            or payload.get("sticker_ids")
            or payload.get("poll")
            or files
        ):
            self.rejected.append((path, "Cannot send an empty message"))
            return self._error(400, 50006, "Cannot send an empty message")
        if self.reject_invalid and (problems := message_problems(payload)):
            self.rejected.append((path, "; ".join(problems)))
            return self._error(400, 50035, "Invalid Form Body", errors={"_errors": problems})
        return None

    async def _echo(self, m: dict) -> None:
        if not self.echo_own_messages or m["flags"] & EPHEMERAL:
            return
        guild_id = self._guild_of(m["channel_id"])
        data = self.message_payload(m)
        if guild_id is not None:
            data["member"] = self.member(self.app_id, with_user=False)
        intent = INTENT_DIRECT_MESSAGES if guild_id is None else INTENT_GUILD_MESSAGES
        await self.dispatch("MESSAGE_CREATE", data, guild_id=guild_id, intent=intent)

    async def _api_create_message(self, r: _Req, cid: str) -> web.Response:
        channel_id = int(cid)
        if self.channel_payload(channel_id) is None:
            return self._error(404, 10003, "Unknown Channel")
        if self.force_429:
            return self._rate_limited(self.force_429.pop(0), r.path)
        self._creates += 1
        if self._creates == self.fail_create_number:
            self.count_429 += 1
            return self._json({"message": "You are being rate limited.", "retry_after": 1}, 429)
        if channel_id in self._dm_users and self._dm_users[channel_id] in self.closed_dms:
            return self._error(403, 50007, "Cannot send messages to this user")
        if (bad := self._invalid(r.path, r.body, r.files, creating=True)) is not None:
            return bad
        msg_type = 19 if r.body.get("message_reference") else 0
        m = self._record(r.body, channel_id, "channel", None, r.files, msg_type=msg_type)
        await self._echo(m)
        return self._json(self.message_payload(m))

    async def _api_get_message(self, r: _Req, cid: str, mid: str) -> web.Response:
        m = self._find_message(int(mid))
        if m is None or m["channel_id"] != int(cid) or m.get("deleted"):
            return self._error(404, 10008, "Unknown Message")
        return self._json(self.message_payload(m))

    def _apply_edit(
        self, m: dict, payload: dict, files: list, via: str, interaction_id: int | None = None
    ) -> dict:
        for key in ("content", "embeds", "components", "flags"):
            if key in payload:
                m[key] = (
                    payload[key] if payload[key] is not None else ("" if key == "content" else [])
                )
        if files:
            m["files"] = [{"filename": f["filename"], "size": f["size"]} for f in files]
        m["edited_timestamp"] = _now_iso()
        self.edits.append(
            {
                "id": m["id"],
                "channel_id": m["channel_id"],
                "via": via,
                "interaction_id": interaction_id or m.get("interaction_id"),
                "content": payload.get("content"),
                "embeds": payload.get("embeds"),
                "components": payload.get("components"),
                "flags": payload.get("flags"),
                "at": time.monotonic(),
                "payload": payload,
            }
        )
        return m

    async def _api_edit_message(self, r: _Req, cid: str, mid: str) -> web.Response:
        m = self._find_message(int(mid))
        if m is None or m["channel_id"] != int(cid) or m.get("deleted"):
            return self._error(404, 10008, "Unknown Message")
        if m["via"] == "user":
            return self._error(403, 50005, "Cannot edit a message authored by another user")
        if (bad := self._invalid(r.path, r.body, r.files, creating=False)) is not None:
            return bad
        self._apply_edit(m, r.body, r.files, "channel")
        return self._json(self.message_payload(m))

    async def _api_delete_message(self, r: _Req, cid: str, mid: str) -> web.Response:
        m = self._find_message(int(mid))
        if m is None or m.get("deleted"):
            return self._error(404, 10008, "Unknown Message")
        m["deleted"] = True
        return web.Response(status=204)

    # -- threads -----------------------------------------------------------------------------
    def _thread(self, thread_id: int, parent_id: int, body: dict) -> dict:
        duration = int(body.get("auto_archive_duration") or 1440)
        thread = {
            "id": str(thread_id),
            "guild_id": str(self.guild_id),
            "parent_id": str(parent_id),
            "owner_id": str(self.app_id),
            "name": body.get("name") or "thread",
            "type": int(body.get("type") or 11),
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(body.get("rate_limit_per_user") or 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration,
                "archive_timestamp": _now_iso(),
                "locked": False,
                "invitable": bool(body.get("invitable", True)),
                "create_timestamp": _now_iso(),
            },
            "member": {
                "id": str(thread_id),
                "user_id": str(self.app_id),
                "join_timestamp": _now_iso(),
                "flags": 0,
            },
        }
        self._add_channel(thread)
        self.threads[thread_id] = thread
        return thread

    async def _new_thread(self, thread_id: int, parent_id: int, body: dict) -> web.Response:
        parent = self.channels.get(parent_id)
        if parent is None or parent["type"] not in (0, 5, 15):
            return self._error(404, 10003, "Unknown Channel")
        if not (body.get("name") or "").strip() or len(body["name"]) > 100:
            return self._error(400, 50035, "Invalid Form Body")
        if thread_id in self.threads:
            return self._error(400, 160004, "A thread has already been created for this message")
        thread = self._thread(thread_id, parent_id, body)
        await self.dispatch(
            "THREAD_CREATE", {**thread, "newly_created": True}, guild_id=self.guild_id
        )
        return self._json(thread, 201)

    async def _api_thread_from_message(self, r: _Req, cid: str, mid: str) -> web.Response:
        m = self._find_message(int(mid))
        if m is None or m["channel_id"] != int(cid):
            return self._error(404, 10008, "Unknown Message")
        return await self._new_thread(int(mid), int(cid), r.body)

    async def _api_thread_without_message(self, r: _Req, cid: str) -> web.Response:
        return await self._new_thread(self.snowflake(), int(cid), r.body)

    # -- interactions ------------------------------------------------------------------------
    async def _api_callback(self, r: _Req, iid: str, token: str) -> web.Response:
        rec = self.interactions.get(int(iid))
        now = time.monotonic()
        if rec is None or rec["token"] != token:
            return self._error(404, 10062, "Unknown interaction")
        if self.enforce_deadline and now - rec["dispatched_at"] > 3.0 and not rec["callbacks"]:
            return self._error(404, 10062, "Unknown interaction")
        if rec["callbacks"]:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        cb_type = int(r.body.get("type") or 0)
        data = r.body.get("data")
        if cb_type not in _ALLOWED_CALLBACKS.get(rec["type"], set()):
            self.rejected.append(
                (r.path, f"callback type {cb_type} for interaction type {rec['type']}")
            )
            return self._error(400, 50035, "Invalid Form Body", errors={"type": cb_type})
        if cb_type in (CB_MESSAGE, CB_UPDATE):
            bad = self._invalid(r.path, data or {}, r.files, creating=cb_type == CB_MESSAGE)
            if bad is not None:
                return bad
        entry = {"interaction_id": rec["id"], "type": cb_type, "data": data, "at": now}
        rec["callbacks"].append(entry)
        rec["acked_type"] = cb_type
        self.callbacks.append(entry)

        flags = int((data or {}).get("flags") or 0)
        info: dict = {
            "id": str(rec["id"]),
            "type": rec["type"],
            "response_message_loading": cb_type == CB_DEFERRED,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        resource: dict | None = None
        if cb_type == CB_MESSAGE:
            msg_type = 20 if rec["type"] == APPLICATION_COMMAND else 19
            m = self._record(
                data or {}, rec["channel_id"], "interaction", rec["id"], r.files, msg_type=msg_type
            )
            rec["original_id"] = m["id"]
            info["response_message_id"] = str(m["id"])
            resource = {"type": cb_type, "message": self.message_payload(m)}
            await self._echo(m)
        elif cb_type == CB_DEFERRED:
            rec["original_id"] = self.snowflake()
            info["response_message_id"] = str(rec["original_id"])
            loading = {
                "id": rec["original_id"],
                "channel_id": rec["channel_id"],
                "content": "",
                "flags": LOADING | flags,
                "via": "interaction",
            }
            resource = {"type": cb_type, "message": self.message_payload(loading)}
        elif cb_type in (CB_UPDATE, CB_DEFERRED_UPDATE) and rec["message_id"]:
            info["response_message_id"] = str(rec["message_id"])
            if cb_type == CB_UPDATE:
                # A message the fake never saw (e.g. a persistent view's) is edited as a stub.
                m = self._find_message(rec["message_id"]) or {
                    "id": rec["message_id"],
                    "channel_id": rec["channel_id"],
                    "via": "channel",
                }
                self._apply_edit(m, data or {}, r.files, "interaction", rec["id"])
                resource = {"type": cb_type, "message": self.message_payload(m)}
        body_out: dict = {"interaction": info}
        if resource is not None:
            body_out["resource"] = resource
        return self._json(body_out)

    def _by_token(self, app_id: str, token: str) -> dict | None:
        if int(app_id) != self.app_id:
            return None
        for rec in self.interactions.values():
            if rec["token"] == token:
                return rec
        return None

    def _original(self, rec: dict) -> dict | None:
        if rec["original_id"] is not None:
            return self._find_message(rec["original_id"])
        if rec["acked_type"] in (CB_UPDATE, CB_DEFERRED_UPDATE) and rec["message_id"]:
            return self._find_message(rec["message_id"])
        return None

    async def _api_followup(self, r: _Req, app_id: str, token: str) -> web.Response:
        rec = self._by_token(app_id, token)
        if rec is None or not rec["callbacks"]:
            return self._error(404, 10015, "Unknown Webhook")
        if self.force_429:
            return self._rate_limited(self.force_429.pop(0), r.path)
        if (bad := self._invalid(r.path, r.body, r.files, creating=True)) is not None:
            return bad
        # After a deferral, the first follow-up replaces the "thinking..." message.
        reuse = None
        if rec["acked_type"] == CB_DEFERRED and self._find_message(rec["original_id"]) is None:
            reuse = rec["original_id"]
        m = self._record(
            r.body, rec["channel_id"], "followup", rec["id"], r.files, message_id=reuse, msg_type=20
        )
        await self._echo(m)
        if r.query.get("wait") in ("1", "true", "True"):
            return self._json(self.message_payload(m))
        return web.Response(status=204)

    async def _api_get_webhook_message(
        self, r: _Req, app_id: str, token: str, mid: str
    ) -> web.Response:
        rec = self._by_token(app_id, token)
        if rec is None:
            return self._error(404, 10015, "Unknown Webhook")
        m = self._original(rec) if mid == "@original" else self._find_message(int(mid))
        if m is None or m.get("deleted"):
            return self._error(404, 10008, "Unknown Message")
        return self._json(self.message_payload(m))

    async def _api_edit_webhook_message(
        self, r: _Req, app_id: str, token: str, mid: str
    ) -> web.Response:
        rec = self._by_token(app_id, token)
        if rec is None:
            return self._error(404, 10015, "Unknown Webhook")
        if (bad := self._invalid(r.path, r.body, r.files, creating=False)) is not None:
            return bad
        if mid == "@original":
            m = self._original(rec)
            if m is None and rec["acked_type"] == CB_DEFERRED:
                # Editing the deferred "thinking..." message turns it into the real response.
                m = self._record(
                    r.body,
                    rec["channel_id"],
                    "interaction",
                    rec["id"],
                    r.files,
                    message_id=rec["original_id"],
                    msg_type=20,
                )
                await self._echo(m)
                return self._json(self.message_payload(m))
        else:
            m = self._find_message(int(mid))
        if m is None or m.get("deleted"):
            return self._error(404, 10008, "Unknown Message")
        via = "interaction" if mid == "@original" else "followup"
        self._apply_edit(m, r.body, r.files, via, rec["id"])
        return self._json(self.message_payload(m))

    async def _api_delete_webhook_message(
        self, r: _Req, app_id: str, token: str, mid: str
    ) -> web.Response:
        rec = self._by_token(app_id, token)
        if rec is None:
            return self._error(404, 10015, "Unknown Webhook")
        m = self._original(rec) if mid == "@original" else self._find_message(int(mid))
        if m is None or m.get("deleted"):
            return self._error(404, 10008, "Unknown Message")
        m["deleted"] = True
        return web.Response(status=204)


def _check_options(where: str, declared: list[dict], sent: list[dict]) -> None:
    by_name = {o["name"]: o for o in declared}
    for o in sent:
        spec = by_name.get(o["name"])
        if spec is None:
            raise ValueError(f"{where}: no option {o['name']!r}")
        if spec["type"] != o["type"]:
            raise ValueError(f"{where} {o['name']}: type {o['type']}, declared {spec['type']}")
        if o["type"] in (1, 2):  # a subcommand (group): its own options
            _check_options(
                f"{where} {o['name']}", spec.get("options") or [], o.get("options") or []
            )
            continue
        value = o.get("value")
        choices = [c["value"] for c in spec.get("choices") or []]
        if choices and value not in choices:
            raise ValueError(f"{where} {o['name']}={value!r} is not one of the choices {choices}")
        low, high = spec.get("min_value"), spec.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ValueError(f"{where} {o['name']}={value!r} is outside [{low}, {high}]")
    missing = [o["name"] for o in declared if o.get("required") and o["name"] not in
               {x["name"] for x in sent}]  # fmt: skip
    if missing and all(o["type"] not in (1, 2) for o in declared):
        raise ValueError(f"{where}: required options missing: {missing}")


def _walk_options(opts: list[dict]) -> list[dict]:
    out = []
    for o in opts:
        out.append(o)
        out.extend(_walk_options(o.get("options") or []))
    return out
