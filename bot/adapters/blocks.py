"""Walking a Reply's blocks once for every platform; only the markup differs.

Each adapter supplies a Style (how to escape text, mark a citation number, title and list the
sources); the order and shape of an answer are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.answers import Citation
from bot.core.messages import Bullets, Paragraph, Reply


@dataclass(frozen=True)
class Style:
    escape: Callable[[str], str]
    cite: Callable[[int], str]  # the marker after a cited line, e.g. " [1]"
    sources_title: str
    source_line: Callable[[Citation, Callable[[str], str]], str]


def render_blocks(reply: Reply, style: Style) -> list[str]:
    out: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            out.append(style.escape(block.text))
        elif isinstance(block, Bullets):
            lines = []
            for i, item in enumerate(block.items):
                cite = block.cites[i] if i < len(block.cites) else None
                lines.append(f"\u2022 {style.escape(item)}" + (style.cite(cite) if cite else ""))
            out.append("\n".join(lines))
    if reply.citations:
        lines = [style.sources_title] + [
            style.source_line(c, style.escape) for c in reply.citations
        ]
        out.append("\n".join(lines))
    return out
