"""The messages between adapters and the core: a Request in, a Reply out.

A Reply is structure, not markup: paragraphs, bullet lines with citation numbers, citations,
buttons. Each adapter renders it for its platform (terminal text, Discord, Telegram HTML), so
no adapter decides anything a learner would notice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.core.answers import Answer, Citation

Where = Literal["dm", "group", "console"]


@dataclass(frozen=True)
class Request:
    platform: str  # "console", "discord", "telegram", "test"
    user_id: str
    text: str
    where: Where = "dm"
    channel_id: str | None = None
    user_name: str | None = None
    locale: str | None = None
    # Set by the adapter after asking the platform (Telegram getChatMember, Discord Manage
    # Channels): whether the sender may configure this group chat.
    chat_admin: bool = False
    attachments: tuple[Attachment, ...] = ()  # files the user sent with the message
    # A reply to one of the bot's messages (or a message in its answer thread): in a group,
    # only these continue the sender's conversation; in a DM every message does.
    replies_to_bot: bool = False
    # Called with the generated text so far, for adapters that show it while it arrives.
    on_partial: Callable[[str], Awaitable[None]] | None = field(default=None, compare=False)

    @property
    def private(self) -> bool:
        """A chat with this one person: a DM, or the local console."""
        return self.where in ("dm", "console")


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    cites: tuple[int | None, ...] = ()  # Citation.n per item, aligned with items
    depths: tuple[int, ...] = ()  # 1: a sub-item of the item before it (a list's lead-in)


@dataclass(frozen=True)
class Button:
    label: str
    action: str  # a core command, e.g. "/done"
    typed: str | None = None  # a shorter command to type where there are no buttons


@dataclass(frozen=True)
class Attachment:
    """A file in a reply (a PNG chart, a JSON export) or sent by a user (a document upload)."""

    filename: str
    data: bytes
    mime: str
    size: int | None = None  # declared size when the adapter did not download a too-big file

    @property
    def length(self) -> int:
        return self.size if self.size is not None else len(self.data)


Block = Paragraph | Bullets


@dataclass(frozen=True)
class Reply:
    blocks: tuple[Block, ...]
    citations: tuple[Citation, ...] = ()
    buttons: tuple[Button, ...] = ()
    kind: Literal["answer", "not_covered", "smalltalk", "info", "error"] = "info"
    attachments: tuple[Attachment, ...] = ()
    answer: Answer | None = field(default=None, compare=False)

    @classmethod
    def text(cls, *paragraphs: str, kind: str = "info") -> Reply:
        return cls(tuple(Paragraph(p) for p in paragraphs), kind=kind)  # type: ignore[arg-type]
