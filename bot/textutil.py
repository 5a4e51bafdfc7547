"""Text helpers shared by ingestion and answering, so both sides tokenize identically."""

from __future__ import annotations

import re
import unicodedata

# How a citation joins a document title and its heading path: "Math for ML › Linear algebra".
SECTION_SEP = " › "
# The section name given to text before a document's first heading.
INTRO_SECTION = "Overview"

_ZERO_WIDTH = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u200e\u200f\u2060\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e\ufeff",
    )
)
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "lets",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "im",
        "ive",
        "id",
        "youre",
        "dont",
        "doesnt",
        "isnt",
        "whats",
        "hows",
        "want",
        "wanna",
        "gonna",
        "need",
        "needs",
        "needed",
        "really",
        "thing",
        "things",
        "stuff",
        "tell",
        "know",
        "please",
        "one",
        "much",
        "many",
        "way",
        "ways",
        "kind",
        "lot",
        "lots",
        "like",
        "get",
        "start",
        "good",
        "best",
        "make",
        "go",
    ]
)


def clean_user_text(text: str) -> str:
    """Normalise what a user typed: NFKC, no zero-width or control characters, tidy spaces.

    Chat clients send odd Unicode (zero-width joiners, bidi marks, fancy quotes); removing it
    here means every adapter and the retriever see the same plain question.
    """
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def _stem(word: str) -> str:
    """A deliberately light suffix stripper: enough to match 'derivatives' with 'derivative'."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "es" and not word.endswith(("ches", "shes", "xes", "sses", "zes")):
                return word[:-1]
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Lower-cased, lightly stemmed word terms for keyword search."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    out = []
    for w in words:
        w = w.split("'")[0]
        if not w or (not keep_stopwords and w in STOPWORDS):
            continue
        out.append(_stem(w))
    return out
