"""Misspelled question words corrected against the index's own vocabulary (SymSpell).

"waht math do i ned for machin lerning" should get the answer "what math do I need for machine
learning" gets. A word is only corrected when it is neither in the index nor a known English
word, and only to a word the index contains, so "bread" never turns into "break" and a
correction can only ever point at something the roadmap says.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections import Counter

from bot.textutil import words

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*")


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The 82,765 words of the English frequency list that ships with symspellpy."""
    path = importlib.resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    with path.open(encoding="utf-8") as fh:
        return frozenset(line.split(" ", 1)[0] for line in fh if line.strip())


# Names learners use that no roadmap may spell out and that sit close to a roadmap word
# ("chatgpt" is two edits from "chatbot"): a name is never a typo.
NAMES = frozenset(
    [
        "chatgpt",
        "gpt",
        "claude",
        "gemini",
        "copilot",
        "llama",
        "mistral",
        "openai",
        "anthropic",
        "deepseek",
        "qwen",
        "ollama",
        "kaggle",
        "colab",
        "leetcode",
        "huggingface",
        "langchain",
        "llamaindex",
        "pinecone",
        "chroma",
        "weaviate",
        "databricks",
        "snowflake",
        "sagemaker",
        "vertex",
        "tensorboard",
        "wandb",
        "streamlit",
        "gradio",
        "fastapi",
    ]
)


def max_distance(word: str) -> int:
    """Edits allowed for a word of this length: none for short words, where guesses go wrong."""
    n = len(word)
    return 0 if n <= 3 else 1 if n <= 5 else 2


class Speller:
    """Built once per index snapshot from the words of its passages, with their counts."""

    def __init__(self, texts: list[str]) -> None:
        from symspellpy import SymSpell

        counts = Counter(w for t in texts for w in words(t) if w.isalpha() and len(w) > 3)
        self.vocab = frozenset(counts)
        self._sym = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in counts.items():
            self._sym.create_dictionary_entry(word, count)

    def correct_word(self, word: str) -> str | None:
        """The index word meant by a misspelling, or None when the word is fine or unknown."""
        from symspellpy import Verbosity

        low = word.lower()
        limit = max_distance(low)
        if not limit or low in self.vocab or low in english_words() or low in NAMES:
            return None
        found = self._sym.lookup(low, Verbosity.CLOSEST, max_edit_distance=limit)
        if not found:
            return None
        best = max(found, key=lambda s: s.count)
        if best.term == low or low.endswith(best.term):
            return None  # "sklearn" is not "learn": a word with letters in front is another word
        return best.term

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """The text with misspelled words replaced, and what was replaced."""
        fixes: dict[str, str] = {}

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            if "'" in word or "’" in word:
                return word
            better = self.correct_word(word)
            if better is None:
                return word
            fixes[word] = better
            return better

        return _TOKEN.sub(fix, text), fixes
