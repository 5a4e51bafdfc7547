"""Text helpers shared by ingestion and answering, so both sides tokenize identically, and
the small wording helpers every reply uses (plurals, "a, b and c")."""

from __future__ import annotations

import re
import threading
import unicodedata

# How a citation joins a document title and its heading path: "Math for ML › Linear algebra".
SECTION_SEP = " › "


def section_label(title: str, section: str) -> str:
    """How a passage is named in citations and embedded: "Math for ML › Linear algebra"."""
    return f"{title}{SECTION_SEP}{section}" if section else title


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 day', '2 days', '0 reviews'; irregular forms through `many`."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def joined(items: list[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (or 'a, b or c' with last='or')."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


# The section name given to text before a document's first heading.
INTRO_SECTION = "Overview"

_ZERO_WIDTH = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u200e\u200f\u2060\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e\ufeff",
    )
)
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# Language names the word pattern would cut to one letter ("C++" -> "c"), spelled as words.
_SYMBOL_NAMES = re.compile(r"(?<![\w+#&])(c\+\+|c#|f#|w&b)(?![a-z_+#&])")
_SPELLED = {"c++": " cplusplus ", "c#": " csharp ", "f#": " fsharp ", "w&b": " wandb "}

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
# Chat fillers learners type ("which vector db tbh", "pls help"): never the subject, and as
# words the roadmap never uses they would otherwise weigh the most in keyword evidence.
CHAT_FILLERS = frozenset(
    [
        "tbh",
        "smth",
        "sth",
        "pls",
        "plz",
        "thx",
        "thanks",
        "imo",
        "imho",
        "btw",
        "lol",
        "idk",
        "ur",
        "ya",
        "yeah",
        "gonna",
        "wanna",
        "kinda",
        "tho",
        "rn",
        "ok",
        "okay",
        "hey",
        "hi",
        "hello",
        "guys",
        "bro",
    ]
)
STOPWORDS = STOPWORDS | CHAT_FILLERS


_MENTION = re.compile(r"(?<!\w)@\w+")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Chat markup (Markdown emphasis, code, strike-through, quotes, spoilers) around the words.
_MARKUP = re.compile(r"~~.*?~~|\|\|.*?\|\||[*`>#~|]+|(?<!\w)_+|_+(?!\w)")


def without_symbols(text: str) -> str:
    """The text without emoji, symbols, chat markup and @mentions: nothing a search can use."""
    text = _LINK.sub(r"\1", _TAG.sub(" ", text))
    text = _MARKUP.sub(" ", _MENTION.sub(" ", text))
    kept = "".join(" " if unicodedata.category(ch) in ("So", "Sk", "Cs") else ch for ch in text)
    return " ".join(kept.split())


def clean_user_text(text: str) -> str:
    """Normalise what a user typed: NFKC, no zero-width or control characters, tidy spaces.

    Chat clients send odd Unicode (zero-width joiners, bidi marks, fancy quotes); removing it
    here means every adapter and the retriever see the same plain question.
    """
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


_local = threading.local()


def _stemmer():
    """One Snowball English stemmer per thread (PyStemmer objects are not thread-safe)."""
    st = getattr(_local, "stemmer", None)
    if st is None:
        import Stemmer

        st = _local.stemmer = Stemmer.Stemmer("english")
    return st


def sentences(text: str) -> list[str]:
    """The text's sentences, split after ".", "!" or "?" and a space."""
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def words(text: str) -> list[str]:
    """Lower-cased word tokens, apostrophe endings dropped ("model's" -> "model"); NFKC
    first, so "R²" is the "r2" a learner types; "C++", "C#" and "W&B" stay words of their own."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = _SYMBOL_NAMES.sub(lambda m: _SPELLED[m.group(1)], text)
    return [w.split("'")[0] for w in _WORD.findall(text)]


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Lower-cased, Snowball-stemmed word terms for keyword search ("certificates" ->
    "certif", like "certifications"), so a question matches the document's word forms."""
    kept = [w for w in words(text) if w and (keep_stopwords or w not in STOPWORDS)]
    return _stemmer().stemWords(kept) if kept else []
