"""A document's "Resources" section (books, courses and docs with links) answers questions
that ask for resources; for any other question it only crowds out the section that explains
the topic, because it names every topic of its document. Search leaves it out unless the
question asks for something to read, watch or take. "watch" and "docs" alone ("what should i
watch after my model goes live", "the docs retrieved") are too often about something else,
and neither is a course someone says they have already taken."""

from __future__ import annotations

import re

from bot.textutil import sentences

RESOURCE_HEADINGS = frozenset({"resources", "further reading", "learning resources"})

_ASKS = re.compile(
    r"\b(resources?|books?|courses?|tutorials?|videos?|youtube|playlists?|lectures?"
    r"|documentation|websites?|links?|reading|materials?|mooc|textbooks?|(?:should|can|to) i read"
    r"|guides?|recommend(?:s|ed|ations?)?(?!\s+(?:systems?|engines?|models?)))\b|\bwhere (?:can|do|should|could) (?:i|you|one) (?:learn|study)\b",
    re.I,
)


def is_resource_section(section: str) -> bool:
    return section.split(" › ")[0].strip().lower() in RESOURCE_HEADINGS


# What someone already did is not what they ask for: "explain RAG, I learned python from
# youtube", "I took two courses already, what next?".
_DONE = re.compile(
    r"\b(?:learn(?:ed|t)|studied|watched|took|taken|finished|completed|did|done)\b[^.?!,;]{0,40}",
    re.I,
)


def asks_for_resources(question: str) -> bool:
    """Asked in the message's questions, if it has any: "should i learn pytorch first?
    everyone on youtube says different" mentions youtube without asking for a video."""
    asked = [s for s in sentences(question) if s.endswith("?")] or [question]
    return any(_ASKS.search(_DONE.sub(" ", s)) for s in asked)
