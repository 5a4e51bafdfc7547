"""Greetings, thanks and 'help' typed as plain text get a friendly reply, not a search."""

from __future__ import annotations

import re
from typing import Literal

_GREETING = re.compile(
    r"^(hi+|hello+|hey+|hiya|yo|howdy|hallo|hola|greetings|sup|good (morning|afternoon|evening|day))"
    r"( there| all| everyone| bot)?[\s!.,:)\-]*$"
)
_THANKS = re.compile(
    r"^(thanks?|thank you|thx|ty|cheers|much appreciated)( a lot| so much)?[\s!.)]*$"
)
_BYE = re.compile(r"^(bye|goodbye|see you|see ya|cya|good night)[\s!.]*$")
_HELP = re.compile(r"^(help|help me|\?+|what can you do\??|what do you do\??|commands\??)[\s!.]*$")

Kind = Literal["greeting", "thanks", "bye", "help"]


def classify(text: str) -> Kind | None:
    t = re.sub(r"[^\w\s!?.,:)\-']", "", text.lower()).strip()  # drop emoji and symbols
    if not t or len(t) > 40:
        return None
    for kind, pattern in (
        ("greeting", _GREETING),
        ("thanks", _THANKS),
        ("bye", _BYE),
        ("help", _HELP),
    ):
        if pattern.match(t):
            return kind  # type: ignore[return-value]
    return None
