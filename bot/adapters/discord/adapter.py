"""Discord through discord.py 2.7: slash commands, mentions/DMs, buttons, nudges.

Translation only. Every interaction is deferred at once (Discord's 3-second deadline) and
answered by follow-ups; every message we send forbids pings; buttons carry their core action
in a stable custom id, so buttons on old messages keep working after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from zoneinfo import available_timezones

import aiohttp
import discord
import yarl
from discord import app_commands

from bot.adapters.discord.commands import build_tree
from bot.adapters.discord.render import NO_PINGS, render
from bot.core.bot import BotCore
from bot.core.messages import Attachment, Reply, Request
from bot.core.stream import Throttle
from bot.nudges.delivery import (
    Blocked,
    Limits,
    RetryAfter,
    SendPart,
    Target,
    TransientError,
)

log = logging.getLogger(__name__)

PLATFORM = "discord"
# About 50 requests/s per bot; a DM costs two calls the first time (open channel, send).
LIMITS = Limits(per_second=20, per_chat_interval=1.0, per_group_per_minute=30)
_MENTION = re.compile(r"<@!?(\d+)>")
MAX_DOWNLOAD_BYTES = 25 * 1024 * 1024  # larger uploads are refused by size without downloading
_ZONES: list[str] = []


@dataclass(frozen=True)
class DiscordSettings:
    token: str
    guild_id: int | None = None  # sync commands to one guild (instant) instead of globally
    message_content: bool = False  # the privileged intent; nothing depends on it
    sharded: bool = False
    api_base: str | None = None  # for tests and proxies
    gateway_url: str | None = None
    guild_ready_timeout: float = 2.0


def configure_endpoints(settings: DiscordSettings) -> None:
    if settings.api_base:
        discord.http.Route.BASE = settings.api_base.rstrip("/")
    if settings.gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


class ActionButton(discord.ui.DynamicItem[discord.ui.Button], template=r"mlbot:(?P<action>/.+)"):
    """A button whose custom id is its core action: valid forever, across restarts."""

    def __init__(self, action: str, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=(label or action)[:80],
                custom_id=f"mlbot:{action}"[:100],
                style=discord.ButtonStyle.secondary,
            )
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> ActionButton:
        return cls(match["action"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.mlbot.on_button(interaction, self.action)  # type: ignore[attr-defined]


def view_for(reply: Reply) -> discord.ui.View | None:
    if not reply.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for b in reply.buttons[:25]:
        view.add_item(ActionButton(b.action, b.label))
    return view


def files_for(reply: Reply) -> list[discord.File]:
    return [discord.File(io.BytesIO(a.data), filename=a.filename) for a in reply.attachments]


async def zone_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if not _ZONES:
        _ZONES.extend(
            sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
        )
    needle = current.lower().replace(" ", "_")
    hits = (
        [z for z in _ZONES if needle in z.lower()]
        if needle
        else ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
    )
    return [app_commands.Choice(name=z, value=z) for z in hits[:25]]


class DiscordDeliverer:
    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def parts(self, target: Target, reply: Reply) -> list[SendPart]:
        texts = render(reply)
        return [partial(self._send_part, target, reply, texts, i) for i in range(len(texts))]

    async def _channel(self, target: Target):  # type: ignore[no-untyped-def]
        if target.kind == "dm":
            user = self.client.get_user(int(target.chat_id)) or await self.client.fetch_user(
                int(target.chat_id)
            )
            return user.dm_channel or await user.create_dm()
        return self.client.get_channel(int(target.chat_id)) or await self.client.fetch_channel(
            int(target.chat_id)
        )

    async def _send_part(self, target: Target, reply: Reply, texts: list[str], index: int) -> None:
        """One message of the reply (files are made afresh, so a retry sends them whole),
        with discord.py's errors mapped onto the delivery queue's."""
        try:
            channel = await self._channel(target)
            await channel.send(**part_kwargs(reply, texts, index))
        except discord.Forbidden as exc:
            raise Blocked(f"{exc.status} {exc.code}: {exc.text}") from exc
        except discord.NotFound as exc:
            raise Blocked(f"not found: {exc.text}") from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise RetryAfter(float(getattr(exc, "retry_after", 1.0) or 1.0)) from exc
            if exc.status >= 500:
                raise TransientError(str(exc)) from exc
            raise
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientError(str(exc)) from exc


def part_kwargs(reply: Reply, texts: list[str], index: int) -> dict:
    """send() arguments for one message part: buttons and files ride on the last."""
    kwargs: dict = {"content": texts[index], "allowed_mentions": NO_PINGS}
    if index == len(texts) - 1:
        if (view := view_for(reply)) is not None:
            kwargs["view"] = view
        if reply.attachments:
            kwargs["files"] = files_for(reply)
    return kwargs


def message_kwargs(reply: Reply) -> list[dict]:
    """One dict of send() arguments per message part."""
    texts = render(reply)
    return [part_kwargs(reply, texts, i) for i in range(len(texts))]


async def send_parts(channel, reply: Reply, reference: discord.Message | None = None) -> None:  # type: ignore[no-untyped-def]
    for i, kwargs in enumerate(message_kwargs(reply)):
        if i == 0 and reference is not None:
            kwargs["reference"] = reference
            kwargs["mention_author"] = False
        await channel.send(**kwargs)


class Draft:
    """A generated answer shown as it arrives: one message, edited at most once a second,
    then replaced by the final reply with its sources and buttons."""

    def __init__(self, send: Callable[..., Awaitable[discord.Message]]) -> None:
        self.send = send
        self.message: discord.Message | None = None
        self.throttle = Throttle()

    async def show(self, text: str) -> None:
        if not text.strip() or not self.throttle.ready():
            return
        content = text[:1900] + " …"
        with contextlib.suppress(discord.HTTPException):  # shown at the next update
            if self.message is None:
                self.message = await self.send(content=content, allowed_mentions=NO_PINGS)
            else:
                await self.message.edit(content=content)

    async def finish(self, reply: Reply) -> bool:
        """Put the final reply in place of the draft; False when nothing was streamed."""
        if self.message is None:
            return False
        first, *rest = message_kwargs(reply)
        await asyncio.sleep(self.throttle.wait())
        await self.message.edit(**{k: v for k, v in first.items() if k != "files"})
        for kwargs in rest:
            await self.send(**kwargs)
        return True


class DiscordAdapter:
    name = "Discord"

    def __init__(self, core: BotCore, settings: DiscordSettings) -> None:
        configure_endpoints(settings)
        self.core = core
        self.settings = settings
        intents = discord.Intents.default()
        intents.message_content = settings.message_content
        cls = discord.AutoShardedClient if settings.sharded else discord.Client
        self.client: discord.Client = cls(
            intents=intents,
            allowed_mentions=NO_PINGS,
            guild_ready_timeout=settings.guild_ready_timeout,
        )
        self.client.mlbot = self  # type: ignore[attr-defined]
        self.tree = app_commands.CommandTree(self.client)
        self.client.setup_hook = self._setup_hook  # type: ignore[method-assign]
        self.client.event(self.on_message)
        self._build_commands()
        self.deliverer = DiscordDeliverer(self.client)
        self._task: asyncio.Task | None = None

    async def _setup_hook(self) -> None:
        self.client.add_dynamic_items(ActionButton)

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self, timeout: float = 60.0) -> None:
        self._task = asyncio.create_task(self.client.start(self.settings.token), name="discord")
        waiter = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            waiter.cancel()
            self._task.result()  # raises the login/connect error
        if waiter not in done:
            waiter.cancel()
            raise TimeoutError("Discord did not become ready in time")

    async def stop(self) -> None:
        await self.client.close()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def reset(self) -> None:
        """After a failed start: close what was opened and re-open the client for a retry."""
        with contextlib.suppress(Exception):
            await self.stop()
        self._task = None
        self.client.clear()
        # close() also closed the HTTP connector, which discord.py would reuse for the next
        # login ("Session is closed"); let it make a new one.
        http = self.client.http
        if http.connector is not discord.utils.MISSING and http.connector.closed:
            http.connector = discord.utils.MISSING

    def fatal(self, exc: BaseException) -> str | None:
        """Why retrying cannot help, for failures a restart with other settings must fix."""
        if isinstance(exc, discord.LoginFailure):
            return "Discord refused the bot token (DISCORD_TOKEN); check it in the developer portal"
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            return (
                "the message content intent is not enabled for this bot in the developer portal; "
                "enable it there or unset DISCORD_MESSAGE_CONTENT"
            )
        return None

    async def sync(self, guild_id: int | None = None) -> list[app_commands.AppCommand]:
        """Register the slash commands (on demand: Discord rate-limits command creation)."""
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        return await self.tree.sync(guild=guild)

    # -- requests ----------------------------------------------------------------------
    def _request(self, interaction: discord.Interaction, text: str) -> Request:
        in_guild = interaction.guild_id is not None
        perms = interaction.permissions
        return Request(
            platform=PLATFORM,
            user_id=str(interaction.user.id),
            text=text,
            where="group" if in_guild else "dm",
            channel_id=str(interaction.channel_id),
            user_name=interaction.user.display_name,
            chat_admin=bool(in_guild and perms and perms.manage_channels),
        )

    async def run(
        self, interaction: discord.Interaction, text: str, attachments: tuple[Attachment, ...] = ()
    ) -> None:
        """Defer at once, let the core decide, answer with follow-ups."""
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        draft = Draft(partial(interaction.followup.send, wait=True))
        req = replace(self._request(interaction, text), on_partial=draft.show)
        if attachments:
            req = replace(req, attachments=attachments)
        reply = await self.core.handle(req)
        if not await draft.finish(reply):
            await self.followups(interaction, reply)

    async def followups(self, interaction: discord.Interaction, reply: Reply) -> None:
        for kwargs in message_kwargs(reply):
            await interaction.followup.send(**kwargs)

    async def on_button(self, interaction: discord.Interaction, action: str) -> None:
        await interaction.response.defer()
        message_id = interaction.message.id if interaction.message else 0
        key = f"btn{message_id}:{interaction.user.id}:{action}"
        if not await self.core.first_time(PLATFORM, key):
            await interaction.followup.send(
                self.core.ALREADY_DONE, ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        reply = await self.core.handle(self._request(interaction, action))
        if interaction.guild_id is None and interaction.message is not None:
            # One tap per personal button set.
            with contextlib.suppress(discord.HTTPException):
                await interaction.edit_original_response(view=None)
        await self.followups(interaction, reply)

    async def on_message(self, message: discord.Message) -> None:
        me = self.client.user
        if message.author.bot or me is None:
            return
        dm = message.guild is None
        mentioned = any(u.id == me.id for u in message.mentions)
        ref = message.reference.resolved if message.reference else None
        replied = isinstance(ref, discord.Message) and ref.author.id == me.id
        channel = message.channel
        # A message in the thread the bot opened for its answer continues that conversation.
        answer_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
        if not (dm or mentioned or replied or answer_thread):
            return
        if not await self.core.first_time(PLATFORM, f"m{message.id}"):
            return
        text = _MENTION.sub(
            lambda m: "" if m.group(1) == str(me.id) else m.group(0), message.content
        ).strip()
        if not text and (message.attachments or message.stickers):
            reply = self.core.unreadable()
        else:
            reply = await self.core.handle(
                Request(
                    platform=PLATFORM,
                    user_id=str(message.author.id),
                    text=text,
                    where="dm" if dm else "group",
                    # The answer thread belongs to the channel the question was asked in.
                    channel_id=str(channel.parent_id if answer_thread else channel.id),
                    user_name=message.author.display_name,
                    replies_to_bot=replied or answer_thread,
                )
            )
        parts = render(reply)
        if len(parts) > 1 and not dm and isinstance(message.channel, discord.TextChannel):
            thread = await message.create_thread(name="Answer", auto_archive_duration=1440)
            await send_parts(thread, reply)
        else:
            await send_parts(message.channel, reply, reference=None if dm else message)

    # -- slash commands ----------------------------------------------------------------
    def _build_commands(self) -> None:
        """Every slash command from the core's declarations (bot/core/registry.py)."""
        build_tree(self.tree, self.core.registry, self._run_command, {"zones": zone_choices})

    async def _run_command(
        self, interaction: discord.Interaction, text: str, upload: discord.Attachment | None
    ) -> None:
        files = (await self._attachment(interaction, upload),) if upload is not None else ()
        await self.run(interaction, text, files)

    async def _attachment(
        self, interaction: discord.Interaction, file: discord.Attachment
    ) -> Attachment:
        """The upload for the core, downloaded only for a bot admin and within the 25 MB limit.

        Anyone can attach a file to /admin; fetching it before the core's admin check would let
        strangers make the bot download 25 MB per command. For everyone else the core gets the
        declared size and no bytes, and refuses (and audits) as for any /admin command.
        """
        user_id = str(interaction.user.id)
        fetch = file.size <= MAX_DOWNLOAD_BYTES and self.core.settings.is_admin(PLATFORM, user_id)
        data = b""
        if fetch:
            await interaction.response.defer(thinking=True)  # downloading may take a moment
            data = await file.read()
        mime = file.content_type or "application/octet-stream"
        return Attachment(file.filename, data, mime, size=None if fetch else file.size)
