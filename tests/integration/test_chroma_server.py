"""Ingest and answers through a real Chroma server (`chroma run`) on a free loopback port."""

from __future__ import annotations

import pytest

from bot.bootstrap import build_core
from ingest.pipeline import run_ingest
from tests.helpers import write_doc

pytestmark = pytest.mark.slow  # a subprocess or a Chroma server per test


def test_ingest_reingest_and_answer_through_a_chroma_server(chroma_server, make_settings, tmp_path):
    folder = tmp_path / "srv"
    write_doc(
        folder,
        "a.md",
        "Server Notes",
        {
            "Lighthouses": "The lighthouse keeper lights the lamp at dusk and logs every passing ship.",
        },
    )
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=chroma_server)
    first = run_ingest(settings, [folder], progress=False)
    assert first.chunks_embedded == 1 and first.version == 1
    assert not (settings.data_dir / "index" / "manifest.json").exists()  # kept in the server

    core = build_core(settings)
    got = core.answerer.answer("what does the lighthouse keeper do at dusk?")
    assert got.answered and "lights the lamp" in got.lines[0].text

    write_doc(
        folder,
        "b.md",
        "More Notes",
        {
            "Bakeries": "Bakers start before sunrise so the bread is fresh when the shop opens.",
        },
    )
    second = run_ingest(settings, [folder], progress=False)
    assert second.docs_added == ["srv/b.md"] and second.chunks_embedded == 1
    fresh = build_core(settings).answerer.answer("why do bakers start before sunrise?")
    assert fresh.answered and fresh.index_version == 2


def test_evaluation_set_through_a_chroma_server(chroma_server, make_settings):
    """The whole knowledge base served by the Chroma server answers as well as the embedded one."""
    from bot.config import DEFAULT_KNOWLEDGE_DIR
    from bot.core.answers import Answerer
    from bot.retrieval.retriever import Retriever
    from tests.integration.test_answers import EVAL, OFFTOPIC, _ranks, _scores

    settings = make_settings(
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
        chroma_database="eval-kb",
        knowledge_dir=DEFAULT_KNOWLEDGE_DIR,
    )
    report = run_ingest(settings, progress=False)
    assert report.docs_failed == [] and report.chunks_total > 100
    retriever = Retriever(settings)
    hit3, mrr = _scores(_ranks(retriever, "hybrid"))
    assert hit3 >= 0.9, (hit3, mrr)
    answerer = Answerer(retriever)
    assert all(not answerer.answer(q).answered for q in OFFTOPIC)
    assert len(EVAL) >= 40
