"""Render a Reply as plain text (console, CLI and JSON `answer` field)."""

from __future__ import annotations

import re

from bot.adapters.blocks import Style, render_blocks
from bot.core.messages import Reply

PLAIN = Style(
    escape=lambda text: text,
    cite=lambda n: f" [{n}]",
    sources_title="Sources:",
    source_line=lambda c, esc: f"[{c.n}] {c.label}",
)
PLAIN_WITH_PATHS = Style(
    escape=PLAIN.escape,
    cite=PLAIN.cite,
    sources_title=PLAIN.sources_title,
    source_line=lambda c, esc: f"[{c.n}] {c.label} ({c.source})",
)


def render_plain(reply: Reply, *, show_paths: bool = False) -> str:
    out = render_blocks(reply, PLAIN_WITH_PATHS if show_paths else PLAIN)
    if reply.buttons:
        shown = (f"{b.typed or b.action} ({_short(b.label)})" for b in reply.buttons)
        out.append("Reply with: " + "  ".join(shown))
    return "\n\n".join(out)


def _short(label: str) -> str:
    """A button's label without its own trailing aside, which would nest in the brackets:
    "Part-time (about 1 hour a day)" -> "Part-time"."""
    return re.sub(r"\s*\([^()]*\)$", "", label) or label
