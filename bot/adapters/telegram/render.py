"""Reply -> Telegram HTML messages.

All user and document text is escaped, tags are only added around whole lines we write, and
long replies are split at paragraph boundaries (then line, then word boundaries), so no part
ever cuts a tag or a citation in half and every part parses on its own.
"""

from __future__ import annotations

import html

from bot.core.messages import Bullets, Paragraph, Reply

MAX_CHARS = 4096


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def blocks_html(reply: Reply) -> list[str]:
    out: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            out.append(esc(block.text))
        elif isinstance(block, Bullets):
            lines = []
            for i, item in enumerate(block.items):
                cite = block.cites[i] if i < len(block.cites) else None
                lines.append(f"• {esc(item)}" + (f" <b>[{cite}]</b>" if cite else ""))
            out.append("\n".join(lines))
    if reply.citations:
        lines = ["<b>Sources</b>"] + [f"[{c.n}] <i>{esc(c.label)}</i>" for c in reply.citations]
        out.append("\n".join(lines))
    return out


def _split_block(block: str, limit: int) -> list[str]:
    """A block over the limit: split at lines; a single huge line at spaces (it has no tags)."""
    if len(block) <= limit:
        return [block]
    parts: list[str] = []
    for line in block.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0 or "<" in line[:limit]:
                cut = limit
            # Never cut inside an entity like &amp;
            amp = line.rfind("&", 0, cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        parts.append(line)
    return parts


def split_html(blocks: list[str], limit: int = MAX_CHARS) -> list[str]:
    """Pack blocks into messages of at most `limit` characters, breaking only between them
    (or between the lines of a block too big for one message)."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for n, piece in enumerate(_split_block(block, limit)):
            sep = "\n" if n else "\n\n"
            if not current:
                current = piece
            elif len(current) + len(sep) + len(piece) > limit:
                messages.append(current)
                current = piece
            else:
                current = f"{current}{sep}{piece}"
    if current:
        messages.append(current)
    return messages or ["\u2026"]


def render(reply: Reply, limit: int = MAX_CHARS) -> list[str]:
    return split_html(blocks_html(reply), limit)
