"""Reply -> Discord messages: Markdown-escaped text within 2000 characters per message.

Every piece of user and document text is escaped for Markdown and mentions; every send also
uses AllowedMentions.none(), so nothing we post can ping @everyone, a role or a user.
"""

from __future__ import annotations

import discord

from bot.adapters.split import pack
from bot.core.messages import Bullets, Paragraph, Reply

MAX_CHARS = 2000
NO_PINGS = discord.AllowedMentions(everyone=False, roles=False, users=False, replied_user=False)


def esc(text: str) -> str:
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def blocks_md(reply: Reply) -> list[str]:
    out: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            out.append(esc(block.text))
        elif isinstance(block, Bullets):
            lines = []
            for i, item in enumerate(block.items):
                cite = block.cites[i] if i < len(block.cites) else None
                lines.append(f"• {esc(item)}" + (f" **[{cite}]**" if cite else ""))
            out.append("\n".join(lines))
    if reply.citations:
        out.append(
            "\n".join(["**Sources**"] + [f"[{c.n}] *{esc(c.label)}*" for c in reply.citations])
        )
    return out


def _escape_guard(line: str, cut: int) -> int:
    """Never separate a backslash from the character it escapes."""
    while cut > 1 and line[cut - 1] == "\\":
        cut -= 1
    return cut


def render(reply: Reply, limit: int = MAX_CHARS) -> list[str]:
    return pack(blocks_md(reply), limit, _escape_guard)
