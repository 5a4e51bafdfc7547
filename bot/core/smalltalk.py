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
    r"(that|this|it) (really |actually |truly )?help(s|ed)( a lot| so much| a ton)?|"
    r"(that|this|it)('s| is| was)? (so |really |very |super )?"
    r"(helpful|useful|great|clear|awesome|perfect|good|nice|cool))[\s!.)]*$"
)
# Questions about the bot itself: "who are you", "are you chatgpt", "how are you".
_ABOUT_BOT = re.compile(
    r"^((who|what) (are|r) (you|u)|are (you|u) (a bot|a robot|an ai|human|real|chatgpt|gpt)|"
    r"what'?s your name|what is your name|how (are|r) (you|u)( doing)?|how'?s it going|wyd|"
    r"who (made|built|created|wrote|runs) (you|u|this bot|this))"
    r"[\s?!.]*$"
)
# Work asked of the bot, which only quotes the roadmap: "can you write my cover letter".
_TASK = re.compile(
    r"^((can|could|would|will) (you|u) |pls |please )*(please )?"
    r"(write|draft|review|proofread|fix|rewrite|edit|check|improve|debug)( me)? "
    r"(my|a|an|the|this|our|some)? ?"
    r"(cover letter|cv|resume|résumé|code|essay|email|linkedin( profile)?|readme|notebook|"
    r"portfolio|application|script|homework|assignment)\b.*$"
)
# What happens to what they tell the bot: answered with what it keeps and how to see or delete it.
_PRIVACY = re.compile(
    r"^((what|where) (happens to|do you do with|do you store|is) my (data|info|messages|chats?)|"
    r"do (you|u) (store|save|keep|sell|share|read) my (data|info|messages|chats?|questions)|"
    r"what do (you|u) (know|store|keep) about me|(is|are) my (data|messages|chats?) (safe|private)|"
    r"privacy( policy)?)[\s?!.]*$"
)
# Everyday requests no roadmap answers: "tell me a joke", "what's the weather today".
_OFF_TOPIC = re.compile(
    r"^((can you |could you |pls |please )?tell me a joke|(tell me )?a joke|"
    r"(what'?s|what is|hows|how is) the (weather|time|date|news)( today| now| like)?|"
    r"what (time|day) is it( now| today)?|sing (me )?a song|write (me )?a poem)[\s?!.]*$"
)
# "hello, i am from brazil, my english not so good": a greeting and something about them.
_TELLS = re.compile(r"^(i|im|i'm|my|me|we|this is|it'?s me)\b")
_COMPLIMENT = re.compile(
    r"^((you('re| are)|u r|ur) (so |really |the )?(awesome|great|amazing|the best|best|cool|"
    r"helpful|a lifesaver|smart|brilliant)|(good|nice|great|best|cool) bot|love (it|this|you)|"
    r"this (is|was) (so |really )?(helpful|great|awesome|useful))[\s!.)]*$"
)
_BYE = re.compile(
    r"^((ok(ay)? |alright )?(gotta go|got to go|g2g|gtg|i have to go|i'?m off)[\s,!.]*)?"
    r"(bye|goodbye|see you|see ya|cya|good night|later|ttyl)?[\s!.]*$"
)
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


def _clauses(t: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,.!;]+", t) if c.strip()]


def _is_thanks(t: str) -> bool:
    """Thanks, alone or with a compliment ("thank you, this is really helpful", "thx bro",
    "thanks a lot, really appreciate it"): every clause is one, and one of them is thanks."""
    clauses = _clauses(t)
    if not clauses or len(t) > 80 or not _THANKS_WORD.search(t):
        return False
    kinds = (_THANKS, _COMPLIMENT, _GRATEFUL, _ACK)
    return all(any(p.match(c) for p in kinds) for c in clauses)


def _greets_then_tells(t: str) -> bool:
    """A greeting, then only something about the sender, no question in it."""
    clauses = _clauses(t)
    if len(clauses) < 2 or "?" in t or len(t) > 80 or not _GREETING.match(clauses[0]):
        return False
    return all(_TELLS.match(c) for c in clauses[1:])


Kind = Literal[
    "greeting", "thanks", "bye", "help", "ack", "confused", "about", "off_topic", "privacy", "task"
]


def classify(text: str) -> Kind | None:
    t = re.sub(r"[^\w\s!?.,:)\-']", "", text.lower()).strip()  # drop emoji and symbols
    if not re.search(r"\w", t):
        # Only emoji or punctuation ("." or "..." too): a reaction, unless it is a bare question mark.
        return "help" if text.strip().strip("?") == "" and "?" in text else "ack"
    if re.fullmatch(r"[\d\s.,)]+", t):  # a number alone answers nothing asked here
        return "confused"
    if _is_thanks(t) and not _ACK.match(t):  # a thank-you with a clause is often longer
        return "thanks"
    if _greets_then_tells(t):
        return "greeting"
    if _TASK.match(t) and len(t) <= 120:
        return "task"
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
        ("about", _ABOUT_BOT),
        ("privacy", _PRIVACY),
        ("off_topic", _OFF_TOPIC),
    ):
        if pattern.match(t):
            return kind  # type: ignore[return-value]
    return None
