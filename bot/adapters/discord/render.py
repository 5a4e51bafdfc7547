"""Reply -> Discord messages: Markdown-escaped text within 2000 characters per message.

Every piece of user and document text is escaped for Markdown and mentions; every send also
uses AllowedMentions.none(), so nothing we post can ping @everyone, a role or a user.
"""

from __future__ import annotations

import discord

from bot.adapters.blocks import Style, render_blocks
from bot.adapters.split import pack
from bot.core.messages import Reply

MAX_CHARS = 2000
NO_PINGS = discord.AllowedMentions(everyone=False, roles=False, users=False, replied_user=False)


def esc(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


MARKDOWN = Style(
    escape=esc,
    cite=lambda n: f" **[{n}]**",
    sources_title="**Sources**",
    source_line=lambda c, e: f"[{c.n}] *{e(c.label)}*",
)


def blocks_md(reply: Reply) -> list[str]:
    return render_blocks(reply, MARKDOWN)


def _escape_guard(line: str, cut: int) -> int:
    """Never separate a backslash from the character it escapes."""
    while cut > 1 and line[cut - 1] == "\\":
        cut -= 1
    return cut


def render(reply: Reply, limit: int = MAX_CHARS) -> list[str]:
    return pack(blocks_md(reply), limit, _escape_guard)
