"""Small wording helpers shared by every reply."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 day', '2 days', '0 reviews'; irregular forms through `many`."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
