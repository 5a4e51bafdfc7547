"""The roadmap documents themselves: every document ends with a short list of named resources
whose links are well formed, and no sentence in any document recommends an order of topics
that contradicts the roadmap's (so no two documents contradict each other)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
DOCS = sorted(KNOWLEDGE.glob("*.md"))
RESOURCE = re.compile(r"^- \[(?P<name>[^\]]+)\]\((?P<url>[^)\s]+)\) \u2014 (?P<why>\S.{10,})$")

# The roadmap's order (16-timeline-and-learning-path); maths and statistics go alongside
# everything, so they have no place in it. Equal ranks may come in either order.
ORDER = {
    "python": (0, r"\bpython\b(?! (?:libraries|code|package))"),
    "data tools": (1, r"\b(numpy|pandas)\b"),
    "classic ML": (2, r"\bclassic (?:ml|machine learning)\b|\bscikit-learn\b"),
    "deep learning": (3, r"\bdeep learning\b|\bneural networks?\b"),
    "NLP or CV": (4, r"\bnlp\b|\bnatural language processing\b|\bcomputer vision\b"),
    "deployment": (5, r"\bdeploy(?:ment|ing)?\b|\bmlops\b"),
}
_BEFORE = re.compile(r"\b(before|then|followed by)\b", re.I)
_AFTER = re.compile(r"\bafter\b", re.I)


def topics_in(text: str) -> list[str]:
    return [name for name, (_, rx) in ORDER.items() if re.search(rx, text, re.I)]


def ordering_claims(sentence: str) -> list[tuple[str, str]]:
    """(earlier, later) topic pairs a sentence recommends: 'A before B', 'A, then B',
    'B after A'. A sentence without such a word, or naming one side only, claims nothing."""
    for cue, earlier_first in ((_BEFORE, True), (_AFTER, False)):
        m = cue.search(sentence)
        if not m:
            continue
        head, tail = topics_in(sentence[: m.start()]), topics_in(sentence[m.end() :])
        pairs = [(a, b) if earlier_first else (b, a) for a in head for b in tail if a != b]
        if pairs:
            return pairs
    return []


def sentences(doc: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
    return [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n+", text) if s.strip()]


@pytest.mark.parametrize("doc", DOCS, ids=[d.stem for d in DOCS])
def test_every_document_ends_with_three_to_six_named_resources_with_good_links(doc):
    text = doc.read_text(encoding="utf-8")
    heads = re.findall(r"^## (.+)$", text, re.M)
    assert heads[-1] == "Resources", f"{doc.name}: the last section is {heads[-1]!r}"
    block = text.split("\n## Resources\n", 1)[1].strip().splitlines()
    items = [line for line in block if line.strip()]
    assert 3 <= len(items) <= 6, (doc.name, len(items))
    urls = []
    for line in items:
        m = RESOURCE.match(line)
        assert m, f"{doc.name}: not '- [Name](https://...) \u2014 why': {line!r}"
        url = urlparse(m["url"])
        assert url.scheme == "https" and "." in url.netloc and not url.query, line
        urls.append(m["url"])
    assert len(set(urls)) == len(urls), f"{doc.name}: a resource twice"


def test_the_order_extractor_reads_both_directions_and_ignores_maths():
    assert ordering_claims("Learn classic ML before deep learning.") == [
        ("classic ML", "deep learning")
    ]
    assert ordering_claims("Study NLP after deep learning.") == [("deep learning", "NLP or CV")]
    assert ordering_claims("Maths goes alongside Python.") == []


def test_no_document_recommends_an_order_against_the_roadmap():
    claims, wrong = 0, []
    for doc in DOCS:
        for sentence in sentences(doc):
            for earlier, later in ordering_claims(sentence):
                claims += 1
                if ORDER[earlier][0] > ORDER[later][0]:
                    wrong.append(f"{doc.stem}: {earlier} before {later}: {sentence}")
    print(f"\n{claims} ordering claims in {len(DOCS)} documents")
    assert claims >= 5  # the check reads real recommendations, not nothing
    assert wrong == []
