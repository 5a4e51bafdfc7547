"""Greetings, thanks, acknowledgements and 'help' typed as plain text get a friendly reply,
not a search: "ok", "lol" or an emoji is not a question the roadmap failed to answer, so it
must neither get the refusal block nor reach the admins' list of unanswered questions."""

from __future__ import annotations

import re
from typing import Literal

_GREETING = re.compile(
    r"^(hi+|hello+|hey+|hiya|yo|howdy|hallo|hola|greetings|sup|good (morning|afternoon|evening|day))"
    r"( there| all| everyone| bot)?[\s!.,:)\-]*$"
)
_THANKS = re.compile(
    r"^(thanks?|thank (you|u)|thx|tysm|ty|cheers|much appreciated)"
    r"( a lot| so much| very much| a ton| again)?( (bro|man|mate|dude|buddy|guys|friend|bot))?"
    r"[\s!.)]*$"
)
_THANKS_WORD = re.compile(r"\b(thanks?|thank (you|u)|thx|tysm|ty|appreciate)\b")
# What comes with thanks: "thank you, this is really helpful", "thanks, really appreciate it".
_GRATEFUL = re.compile(
    r"^((i )?(really |truly )?appreciate (it|that|this|you|the help)|"
    r"(that|this|it) (really )?help(s|ed)( a lot| so much)?)[\s!.)]*$"
)
_COMPLIMENT = re.compile(
    r"^((you('re| are)|u r|ur) (so |really |the )?(awesome|great|amazing|the best|best|cool|"
    r"helpful|a lifesaver|smart|brilliant)|(good|nice|great|best|cool) bot|love (it|this|you)|"
    r"this (is|was) (so |really )?(helpful|great|awesome|useful))[\s!.)]*$"
)
_BYE = re.compile(r"^(bye|goodbye|see you|see ya|cya|good night)[\s!.]*$")
_HELP = re.compile(r"^(help|help me|\?+|what can you do\??|what do you do\??|commands\??)[\s!.]*$")
_ACK = re.compile(
    r"^((ok(ay)?|k+|kk|yes|yeah|yep|yup|ya|no|nope|nah|sure|fine|alright|right|cool|nice|great|"
    r"awesome|perfect|neat|wow|lol|lmao|rofl|haha+|hehe+|xd|hmm+|mm+|ah+|oh+|oops|got it|i see|"
    r"makes sense|sounds good|will do|noted|understood|good|interesting|amazing|true|same|"
    r"thanks?|thank you|ty|thx|np|no problem)"
    r"[\s!.,]*)+$"
)
_CONFUSED = re.compile(
    r"^(what|wat|wut|huh|eh|sorry|pardon|what do you mean|i don'?t get it)[\s?!.]*$"
)


def _is_thanks(t: str) -> bool:
    """Thanks, alone or with a compliment ("thank you, this is really helpful", "thx bro",
    "thanks a lot, really appreciate it"): every clause is one, and one of them is thanks."""
    clauses = [c.strip() for c in re.split(r"[,.!;]+", t) if c.strip()]
    if not clauses or len(t) > 80 or not _THANKS_WORD.search(t):
        return False
    kinds = (_THANKS, _COMPLIMENT, _GRATEFUL, _ACK)
    return all(any(p.match(c) for p in kinds) for c in clauses)


Kind = Literal["greeting", "thanks", "bye", "help", "ack", "confused"]


def classify(text: str) -> Kind | None:
    t = re.sub(r"[^\w\s!?.,:)\-']", "", text.lower()).strip()  # drop emoji and symbols
    if not re.search(r"\w", t):
        # Only emoji or punctuation ("." or "..." too): a reaction, unless it is a bare question mark.
        return "help" if text.strip().strip("?") == "" and "?" in text else "ack"
    if _is_thanks(t) and not _ACK.match(t):  # a thank-you with a clause is often longer
        return "thanks"
    if len(t) > 40:
        return None
    for kind, pattern in (
        ("greeting", _GREETING),
        ("thanks", _THANKS),
        ("thanks", _COMPLIMENT),  # answered like thanks
        ("bye", _BYE),
        ("help", _HELP),
        ("ack", _ACK),
        ("confused", _CONFUSED),
    ):
        if pattern.match(t):
            return kind  # type: ignore[return-value]
    return None
