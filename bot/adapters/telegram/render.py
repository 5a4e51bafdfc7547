"""Reply -> Telegram HTML messages.

All user and document text is escaped, tags are only added around whole lines we write, and
long replies are split at paragraph boundaries (then line, then word boundaries), so no part
ever cuts a tag or a citation in half and every part parses on its own.
"""

from __future__ import annotations

import html

from bot.adapters.blocks import Style, render_blocks
from bot.adapters.split import pack
from bot.core.messages import Reply

MAX_CHARS = 4096


def esc(text: str) -> str:
    return html.escape(text, quote=False)


HTML = Style(
    escape=esc,
    cite=lambda n: f" <b>[{n}]</b>",
    sources_title="<b>Sources</b>",
    source_line=lambda c, e: f"[{c.n}] <i>{e(c.label)}</i>",
)


def blocks_html(reply: Reply) -> list[str]:
    return render_blocks(reply, HTML)


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
