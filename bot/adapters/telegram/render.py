"""Reply -> Telegram HTML messages.

All user and document text is escaped, tags are only added around whole lines we write, and
long replies are split at paragraph boundaries (then line, then word boundaries), so no part
ever cuts a tag or a citation in half and every part parses on its own.
"""

from __future__ import annotations

import html

from bot.adapters.split import pack
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


def _entity_guard(line: str, cut: int) -> int:
    """Never cut inside an entity like &amp; (our tags only wrap whole short tokens)."""
    amp = line.rfind("&", 0, cut)
    if amp != -1 and ";" not in line[amp:cut]:
        return amp
    return cut


def split_html(blocks: list[str], limit: int = MAX_CHARS) -> list[str]:
    return pack(blocks, limit, _entity_guard)


def render(reply: Reply, limit: int = MAX_CHARS) -> list[str]:
    return split_html(blocks_html(reply), limit)
