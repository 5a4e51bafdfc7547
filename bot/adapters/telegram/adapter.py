"""Telegram through python-telegram-bot: updates in, core replies out, nudges delivered.

Translation only: which chat messages are addressed to the bot (private chats, mentions,
replies, commands), who is a chat admin (getChatMember), and how a Reply looks (HTML,
inline keyboards, photos). Everything a learner would notice is decided by the core.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import re
import secrets
import warnings
from dataclasses import dataclass, replace
from functools import partial

# Opt in to PTB's coming timedelta durations now (retry_seconds handles both forms).
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import (
    BotCommand,
    Document,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TimedOut
from telegram.error import RetryAfter as TgRetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.telegram.render import render
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

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
PLATFORM = "telegram"
# What Telegram accepts as a webhook secret_token (setWebhook): 1-256 of these characters.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Telegram's flood limits: ~30 messages/s overall, 1/s per chat, 20/min per group. Pacing just
# under 30/s keeps clear of 429s (which Telegram punishes with long waits) at ~98% of the rate.
LIMITS = Limits(per_second=29.5, per_chat_interval=1.0, per_group_per_minute=20)


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_port: int = 8443
    # All interfaces, so Telegram (or a reverse proxy) can reach the webhook server.
    webhook_listen: str = "0.0.0.0"
    # Sent to setWebhook; updates without it in X-Telegram-Bot-Api-Secret-Token are refused.
    # None: a fresh random one each start (Telegram is told at every start anyway).
    webhook_secret: str | None = None
    poll_timeout: int = 10


def webhook_secret(configured: str | None) -> str:
    """The configured secret_token, or a random one, so nobody else can post fake updates.

    Without it anyone who learns the webhook URL could post updates as any user; the URL's
    path (the bot token) is no secret, since it ends up in proxy and access logs. A bad
    configured value fails at start with a clear message instead of a BadRequest later.
    """
    if configured is None:
        return secrets.token_urlsafe(32)  # 43 characters of A-Z a-z 0-9 _ -
    if not _WEBHOOK_SECRET.match(configured):
        raise ValueError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return configured


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action[:64]) for b in reply.buttons]]
    )


def reply_calls(  # type: ignore[no-untyped-def]
    bot, chat_id: int | str, reply: Reply, reply_to: int | None = None
) -> list[SendPart]:
    """The Bot API calls that send one core Reply: HTML parts (buttons on the last), then
    photos and files; each call sends one message, so each can be retried on its own."""
    parts = render(reply)
    calls: list[SendPart] = [
        lambda i=i, part=part: bot.send_message(
            chat_id=chat_id,
            text=part,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply) if i == len(parts) - 1 else None,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_to_message_id=reply_to if i == 0 else None,
        )
        for i, part in enumerate(parts)
    ]
    for att in reply.attachments:
        if att.mime == "image/png":
            calls.append(
                lambda att=att: bot.send_photo(
                    chat_id=chat_id, photo=InputFile(att.data, filename=att.filename)
                )
            )
        else:
            calls.append(
                lambda att=att: bot.send_document(
                    chat_id=chat_id, document=InputFile(att.data, filename=att.filename)
                )
            )
    return calls


class Draft:
    """A generated answer shown as it arrives: one message, edited at most once a second
    (Telegram's per-chat limit), then replaced by the final reply with its sources."""

    def __init__(self, bot, chat_id: int, reply_to: int | None) -> None:  # type: ignore[no-untyped-def]
        self.bot, self.chat_id, self.reply_to = bot, chat_id, reply_to
        self.message_id: int | None = None
        self.throttle = Throttle()

    async def show(self, text: str) -> None:
        if not text.strip() or not self.throttle.ready():
            return
        body = html.escape(text[:3500]) + " …"
        with contextlib.suppress(TgRetryAfter, NetworkError, BadRequest):  # shown next time
            if self.message_id is None:
                sent = await self.bot.send_message(
                    chat_id=self.chat_id, text=body, parse_mode=ParseMode.HTML,
                    reply_to_message_id=self.reply_to,
                )  # fmt: skip
                self.message_id = sent.message_id
            else:
                await self.bot.edit_message_text(
                    body,
                    chat_id=self.chat_id,
                    message_id=self.message_id,
                    parse_mode=ParseMode.HTML,
                )

    async def finish(self, reply: Reply) -> bool:
        """Put the final reply in place of the draft; False when nothing was streamed."""
        if self.message_id is None:
            return False
        parts = render(reply)
        await asyncio.sleep(self.throttle.wait())
        with contextlib.suppress(BadRequest):  # "message is not modified": already final
            await _retrying(2, lambda: self.bot.edit_message_text(
                parts[0], chat_id=self.chat_id, message_id=self.message_id,
                parse_mode=ParseMode.HTML, reply_markup=keyboard(reply) if len(parts) == 1 else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ))  # fmt: skip
        for call in reply_calls(self.bot, self.chat_id, reply)[1:]:
            await _retrying(2, call)
        return True


async def send_reply(  # type: ignore[no-untyped-def]
    bot, chat_id: int | str, reply: Reply, reply_to: int | None = None, *, retries: int = 0
) -> None:
    """Send one core Reply now. With retries, each part is retried on its own after a 429 or
    a network error, so a part that already arrived is never sent again."""
    for call in reply_calls(bot, chat_id, reply, reply_to):
        await _retrying(retries, call)


async def _retrying(retries: int, call):  # type: ignore[no-untyped-def]
    for attempt in range(retries + 1):
        try:
            return await call()
        except TgRetryAfter as exc:
            if attempt >= retries:
                raise
            await asyncio.sleep(retry_seconds(exc))
        except NetworkError:  # includes TimedOut
            if attempt >= retries:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    return None


def retry_seconds(exc: TgRetryAfter) -> float:
    """PTB 22 is moving retry_after from int to timedelta; accept both without warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class TelegramDeliverer:
    """Nudges and group posts, with PTB's errors mapped onto the delivery queue's."""

    platform = PLATFORM

    def __init__(self, bot) -> None:  # type: ignore[no-untyped-def]
        self.bot = bot

    def parts(self, target: Target, reply: Reply) -> list[SendPart]:
        return [partial(_mapped, call) for call in reply_calls(self.bot, target.chat_id, reply)]


async def _mapped(call: SendPart) -> None:
    """One Bot API call, with PTB's errors mapped onto the delivery queue's."""
    try:
        await call()
    except TgRetryAfter as exc:
        raise RetryAfter(retry_seconds(exc)) from exc
    except Forbidden as exc:
        raise Blocked(str(exc)) from exc
    except BadRequest as exc:
        if "chat not found" in str(exc).lower():
            raise Blocked(str(exc)) from exc
        raise
    except (TimedOut, NetworkError) as exc:
        raise TransientError(str(exc)) from exc


class TelegramAdapter:
    name = "Telegram"

    def __init__(self, core: BotCore, settings: TelegramSettings) -> None:
        self.core = core
        self.settings = settings
        self.application: Application = (
            ApplicationBuilder()
            .token(settings.token)
            .base_url(settings.base_url)
            .base_file_url(settings.base_url.replace("/bot", "/file/bot"))
            .concurrent_updates(8)
            .build()
        )
        self.application.add_handler(CallbackQueryHandler(self.on_callback))
        self.application.add_handler(MessageHandler(~filters.UpdateType.EDITED, self.on_message))
        self.application.add_error_handler(self.on_error)
        self.deliverer = TelegramDeliverer(self.application.bot)

    async def _first_time(self, key: str) -> bool:
        return await self.core.first_time(PLATFORM, key)

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        app = self.application
        secret = webhook_secret(self.settings.webhook_secret) if self.settings.webhook_url else None
        await app.initialize()
        await app.bot.set_my_commands(
            [BotCommand(c.name, c.summary[:256]) for c in self.core.registry.listed()]
        )
        await app.start()
        if self.settings.webhook_url:
            await app.updater.start_webhook(
                secret_token=secret,
                listen=self.settings.webhook_listen,
                port=self.settings.webhook_port,
                url_path=self.settings.token,
                webhook_url=self.settings.webhook_url,
                allowed_updates=["message", "callback_query"],
            )
        else:
            await app.updater.start_polling(
                poll_interval=0.0,
                timeout=self.settings.poll_timeout,
                allowed_updates=["message", "callback_query"],
                drop_pending_updates=False,
            )

    async def stop(self) -> None:
        app = self.application
        if app.updater and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def reset(self) -> None:
        """After a failed start: undo whatever part of it happened, so start() can run again."""
        with contextlib.suppress(Exception):
            await self.stop()

    def fatal(self, exc: BaseException) -> str | None:
        """Why retrying cannot help, for failures a restart with other settings must fix."""
        if isinstance(exc, InvalidToken):
            return "Telegram refused the bot token (TELEGRAM_TOKEN); check it with @BotFather"
        if isinstance(exc, ValueError):
            return str(exc)
        return None

    # -- incoming ----------------------------------------------------------------------
    async def _is_admin(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self.application.bot.get_chat_member(chat_id, user_id)
        except (BadRequest, Forbidden):
            return False
        return member.status in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)

    def _addressed_text(self, update: Update) -> str | None:
        """The text meant for the bot, or None when group chatter should be ignored."""
        msg = update.effective_message
        text = msg.text or msg.caption or ""
        if update.effective_chat.type == ChatType.PRIVATE:
            return text
        me = self.application.bot.username or ""
        if text.startswith("/"):
            head = text.split(maxsplit=1)[0]
            if "@" in head and head.split("@", 1)[1].lower() != me.lower():
                return None  # a command for another bot
            return text
        mention = f"@{me}"
        if me and mention.lower() in text.lower():
            start = text.lower().index(mention.lower())
            return (text[:start] + text[start + len(mention) :]).strip()
        return text if self._replies_to_bot(msg) else None

    def _replies_to_bot(self, msg) -> bool:  # type: ignore[no-untyped-def]
        replied = msg.reply_to_message if msg is not None else None
        return bool(
            replied and replied.from_user and replied.from_user.id == self.application.bot.id
        )

    async def _request(self, update: Update, text: str) -> Request:
        chat, user = update.effective_chat, update.effective_user
        group = chat.type != ChatType.PRIVATE
        admin = False
        if group and self.core.needs_chat_admin(text):
            admin = await self._is_admin(chat.id, user.id)
        return Request(
            platform=PLATFORM,
            user_id=str(user.id),
            text=text,
            where="group" if group else "dm",
            channel_id=str(chat.id),
            user_name=user.first_name or user.username,
            chat_admin=admin,
            # In a group, only a reply to the bot continues the sender's conversation.
            replies_to_bot=self._replies_to_bot(update.effective_message),
        )

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat = update.effective_message, update.effective_chat
        if msg is None or update.effective_user is None or update.effective_user.is_bot:
            return
        if not await self._first_time(f"u{update.update_id}"):
            return  # redelivered after a restart: answered already
        private = chat.type == ChatType.PRIVATE
        if msg.document is not None and self.core.takes_file(msg.caption or ""):
            await self._upload(update)
            return
        if private and not (msg.text or msg.caption):
            await self._send(chat.id, self.core.unreadable())
            return
        text = self._addressed_text(update)
        if text is None:
            return
        reply_to = None if private else msg.message_id
        draft = Draft(self.application.bot, chat.id, reply_to)
        req = replace(await self._request(update, text), on_partial=draft.show)
        reply = await self.core.handle(req)
        try:
            if await draft.finish(reply):
                return
        except (TgRetryAfter, NetworkError, BadRequest) as exc:
            log.warning("could not finish a streamed answer in chat %s: %s", chat.id, exc)
            return
        await self._send(chat.id, reply, reply_to=reply_to)

    async def _upload(self, update: Update) -> None:
        """A document captioned /admin add: hand it to the core, which checks and stores it."""
        msg = update.effective_message
        attachment = await self._document(update.effective_user.id, msg.document)
        req = replace(await self._request(update, msg.caption or ""), attachments=(attachment,))
        reply = await self.core.handle(req)
        await self._send(update.effective_chat.id, reply)

    async def _document(self, user_id: int, doc: Document) -> Attachment:
        """The upload for the core, downloaded only for a bot admin and within the 20 MB limit.

        Anyone can caption a file /admin add in any chat; fetching it before the core's admin
        check would let strangers make the bot download 20 MB per message. For everyone else the
        core gets the declared size and no bytes, and refuses (and audits) as for any /admin.
        """
        size = doc.file_size or 0
        fetch = size <= MAX_DOWNLOAD_BYTES and self.core.settings.is_admin(PLATFORM, str(user_id))
        data = b""
        if fetch:
            data = bytes(
                await (await self.application.bot.get_file(doc.file_id)).download_as_bytearray()
            )
        mime = doc.mime_type or "application/octet-stream"
        return Attachment(doc.file_name or "upload", data, mime, size=None if fetch else size)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        msg = query.message
        key = f"cb{msg.chat.id}:{msg.message_id}:{query.from_user.id}:{query.data}"
        if not await self._first_time(key):
            await query.answer(self.core.ALREADY_DONE)
            return
        await query.answer()  # first, so the client stops its spinner
        reply = await self.core.handle(await self._request(update, query.data or ""))
        if msg.chat.type == ChatType.PRIVATE:
            with contextlib.suppress(BadRequest):  # already edited
                await query.edit_message_reply_markup(reply_markup=None)
        await self._send(msg.chat.id, reply)

    async def _send(self, chat_id: int, reply: Reply, reply_to: int | None = None) -> None:
        try:
            await send_reply(self.application.bot, chat_id, reply, reply_to, retries=2)
        except Forbidden:
            return  # the user blocked the bot; nothing to answer
        except (TgRetryAfter, NetworkError) as exc:
            log.warning("could not answer in chat %s: %s", chat_id, exc)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram handler failed: %s", context.error, exc_info=context.error)
