"""Render a Reply as plain text (console, CLI and JSON `answer` field)."""

from __future__ import annotations

from bot.core.messages import Bullets, Paragraph, Reply


def render_plain(reply: Reply, *, show_paths: bool = False) -> str:
    out: list[str] = []
    for block in reply.blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Bullets):
            lines = []
            for i, item in enumerate(block.items):
                cite = block.cites[i] if i < len(block.cites) else None
                lines.append(f"\u2022 {item}" + (f" [{cite}]" if cite else ""))
            out.append("\n".join(lines))
    if reply.citations:
        srcs = ["Sources:"]
        for c in reply.citations:
            srcs.append(f"[{c.n}] {c.label}" + (f" ({c.source})" if show_paths else ""))
        out.append("\n".join(srcs))
    if reply.buttons:
        out.append("Reply with: " + "  ".join(f"{b.action} ({b.label})" for b in reply.buttons))
    return "\n\n".join(out)
