"""Answer quality that cannot be tuned to one corpus: (a) knowledge/ as Markdown, (b) the same
documents as plain text, HTML and PDF, (c) web-style articles in another voice.

Thresholds and weights in bot/core/answers.py and bot/retrieval/search.py were chosen on (a)
only; (b) and (c) show whether they hold on content we did not tune on.
"""

from __future__ import annotations

import pytest

from bot.core.answers import Answerer
from bot.retrieval.retriever import Retriever
from ingest.pipeline import run_ingest
from tests import corpora

WRITERS = {
    "text": corpora.knowledge_as_text,
    "html": corpora.knowledge_as_html,
    "pdf": corpora.knowledge_as_pdf,
    "web": corpora.web_corpus,
}
RESULTS: dict[str, corpora.Score] = {}


@pytest.fixture(scope="module")
def index_of(tmp_path_factory, cache_dir, kb_settings):
    built: dict[str, Answerer] = {}

    def get(name: str) -> Answerer:
        if name == "markdown":
            return Answerer(Retriever(kb_settings))
        if name not in built:
            src = WRITERS[name](tmp_path_factory.mktemp(f"src-{name}"))
            settings = kb_settings.with_(data_dir=tmp_path_factory.mktemp(f"idx-{name}"))
            report = run_ingest(settings, [src], progress=False)
            assert report.docs_failed == [], report.summary()
            built[name] = Answerer(Retriever(settings))
        return built[name]

    return get


def _score(name: str, answerer: Answerer) -> corpora.Score:
    if name == "web":
        cases, offtopic = corpora.web_cases(), corpora.web_offtopic()
    else:
        cases, offtopic = corpora.knowledge_cases(), corpora.knowledge_offtopic()
    got = corpora.score(corpora.ours(answerer), cases, offtopic)
    RESULTS[name] = got
    print(
        f"\n{name}: containment {got.containment:.3f}, off-topic refused "
        f"{got.refused_offtopic:.3f}; misses: {got.misses}"
    )
    return got


def test_web_corpus_has_enough_questions_written_as_learners_type():
    assert len(corpora.web_cases()) >= 40 and len(corpora.web_offtopic()) >= 10
    for path in corpora.WEB.glob("*.txt"):
        if path.name not in {"offtopic.txt", "questions_draft.txt"}:
            assert len(path.read_text().split()) >= 1500, path.name


def test_web_corpus_evidence_is_verbatim():
    import yaml

    for case in yaml.safe_load((corpora.WEB / "questions.yaml").read_text()):
        text = (corpora.WEB / f"{case['doc']}.txt").read_text().lower()
        assert any(e.lower() in text for e in case["expect_any"]), case["question"]


def test_markdown_corpus_tuned_on(index_of):
    got = _score("markdown", index_of("markdown"))
    assert got.containment >= 0.90, got.misses
    assert got.refused_offtopic == 1.0, got.wrongly_answered


@pytest.mark.parametrize("name", ["text", "html", "pdf", "web"])
def test_other_formats_and_voices_hold_up(index_of, name):
    base = RESULTS.get("markdown") or _score("markdown", index_of("markdown"))
    got = _score(name, index_of(name))
    assert got.refused_offtopic == 1.0, got.wrongly_answered
    # Target: >= 0.90 on every corpus and within 0.03 of (a); measured 0.904-0.921. The floor
    # sits one question below the lowest (pdf, 103/114) so a tie flipping cannot fail CI.
    assert got.containment >= 0.895, got.misses
    assert got.containment >= base.containment - 0.03, got.misses


def test_web_articles_are_cited_by_title_and_section(index_of):
    got = index_of("web").respond("what does a data engineer do all day")
    assert got.answered
    label = got.sources[0].citation.label
    assert label.startswith("How to Become a Data Engineer") and " › " in label
    # A section close behind the best, whose heading is the question asked, answers first
    # (the best one, "Final Thoughts", only touched the topic).
    math = index_of("web").respond("do i need to know machine learning math for mlops")
    assert math.sources[0].citation.section == "How Much Machine Learning Math Do You Need"
