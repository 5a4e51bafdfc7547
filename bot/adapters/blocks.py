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


def _bullet_lines(block: Bullets, style: Style) -> list[str]:
    """One line per item; a sub-item is indented under the item before it and carries no
    citation of its own when it comes from the same source (the lead-in names it)."""
    lines, above = [], None
    for i, item in enumerate(block.items):
        cite = block.cites[i] if i < len(block.cites) else None
        depth = block.depths[i] if i < len(block.depths) else 0
        if depth:
            mark = style.cite(cite) if cite and cite != above else ""
            lines.append(f"    \u25e6 {style.escape(item)}{mark}")
            continue
        above = cite
        lines.append(f"\u2022 {style.escape(item)}" + (style.cite(cite) if cite else ""))
    return lines


def render_blocks(reply: Reply, style: Style) -> list[str]:
    out: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            out.append(style.escape(block.text))
        elif isinstance(block, Bullets):
            out.append("\n".join(_bullet_lines(block, style)))
    if reply.citations:
        lines = [style.sources_title] + [
            style.source_line(c, style.escape) for c in reply.citations
        ]
        out.append("\n".join(lines))
    return out
