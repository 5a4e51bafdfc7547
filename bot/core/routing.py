"""Questions about the order of learning ("where do I start?", "what should I learn after
Python?") go to the roadmap's learning-order section, whatever words the question uses.

Matched by meaning rather than by keywords: "where do i even start" shares no rare word with
"The recommended learning order", so plain retrieval finds some other section that happens to
say "start". The section is looked up in the current index, so an admin's own roadmap is used.
"""

from __future__ import annotations

import re

_FIELD = r"(ml|machine learning|ai|data science|deep learning|this|it|the roadmap)"
# "where do i start (with ML) (as a beginner)?" asks for the order; "where do i start with
# docker" asks about docker, and is answered like any other question.
_START = re.compile(
    r"\b(where|how) (do|should|can|shall) (i|we|one|you) (even |actually |best )?"
    rf"(start|begin|get started)( (with|in|on|into|learning|studying) {_FIELD})?"
    r"( (as|if|when)\b.*)?[\s?!.]*$"
    r"|\b(where|how) to (start|begin)\b|\bwhat (do|should) i (learn|study|do) (first|next)\b"
    # "what should i study?", and as written in a second language: "what i must study?"
    r"|\bwhat (i )?(should|must|do|need to|have to) (i )?(learn|study)[\s?!.]*$"
    r"|\bwhat('?s| comes| is| should come) next\b|\b(learn|study|do) (next|first)\??$"
    r"|\bwhat (should|do) i (learn|study) (after|once|when)\b|\bafter (learning|finishing) \w+"
    r"|\bwhat('?s| is) the (best |right )?(learning )?(order|path|roadmap)\b"
    rf"|^\W*((what are|what'?s|what is) )?(the |my )?first steps?\b|\bget(ting)? started( (with|in) {_FIELD})?\??$|\bcomplete beginner\b|\bjust starting( out)?\b",
    re.I,
)

# What the learning-order section is about, as a query for the index.
LEARNING_ORDER_QUERY = "the recommended learning order: what to learn first and where to start"


# A choice between named things ("mlflow or weights & biases, which one should i learn
# first") asks to compare them, not for the whole roadmap's order.
_CHOICE = re.compile(r"\b(which|vs\.?|versus|or)\b", re.I)


def asks_learning_order(question: str) -> bool:
    return bool(_START.search(question)) and not _CHOICE.search(question)
