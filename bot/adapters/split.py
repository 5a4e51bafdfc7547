"""Packing rendered blocks into platform messages under a length limit.

Shared by every adapter: break between blocks first, then between lines of a block too big for
one message, and only as a last resort inside a line, at a space, never inside a markup token
(the caller says where a cut would break markup).
"""

from __future__ import annotations

from collections.abc import Callable

CutGuard = Callable[[str, int], int]  # (line, proposed cut) -> a safe cut at or before it


def _no_guard(line: str, cut: int) -> int:
    return cut


def split_block(block: str, limit: int, guard: CutGuard = _no_guard) -> list[str]:
    if len(block) <= limit:
        return [block]
    parts: list[str] = []
    for line in block.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            cut = max(1, guard(line, cut))
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        parts.append(line)
    return parts


def pack(blocks: list[str], limit: int, guard: CutGuard = _no_guard) -> list[str]:
    """Blocks joined by blank lines into messages of at most `limit` characters."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for n, piece in enumerate(split_block(block, limit, guard)):
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
