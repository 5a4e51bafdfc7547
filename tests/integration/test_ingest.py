"""Ingestion against the real model and a real Chroma store: incremental, atomic, safe."""

from __future__ import annotations

import threading
import time

import pytest

from bot.bootstrap import build_core
from bot.retrieval.chroma import open_chroma
from bot.retrieval.manifest import ChromaManifestStore, FileManifestStore
from bot.retrieval.retriever import Retriever
from ingest.pipeline import IngestBusy, ingest_lock, run_ingest
from tests.helpers import make_pdf, write_doc


@pytest.fixture(params=["embedded", pytest.param("chroma-server", marks=pytest.mark.slow)])
def make_settings(request, tmp_path, cache_dir):
    """Every ingest test runs on the embedded store and on a real Chroma server."""
    import uuid

    from bot.config import Settings

    server = request.getfixturevalue("chroma_server") if request.param == "chroma-server" else None

    def make(**kw) -> Settings:
        kw.setdefault("data_dir", tmp_path / "data")
        if server is not None:
            kw.update(
                chroma_host="127.0.0.1",
                chroma_port=server,
                chroma_database=f"test-{uuid.uuid4().hex[:12]}",
            )
        return Settings(cache_dir=cache_dir, **kw)

    return make


def manifest_store(settings):  # type: ignore[no-untyped-def]
    if settings.uses_chroma_server:
        return ChromaManifestStore(open_chroma(settings))
    return FileManifestStore(settings.data_dir)


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "kb"
    write_doc(
        folder,
        "animals.md",
        "Animal Facts",
        {
            "The secret animal": "The secret animal of the roadmap is the otter. Otters hold hands while sleeping.",
            "Bird migration": "Arctic terns fly from pole to pole every year, the longest migration known.",
        },
    )
    write_doc(
        folder,
        "space.md",
        "Space Notes",
        {
            "Mars missions": "Rovers such as Perseverance drive on Mars and collect rock samples for return to Earth.",
            "Telescopes": "The James Webb Space Telescope observes infrared light from the earliest galaxies.",
        },
    )
    return folder


def swap_secret_animal_to_heron(corpus) -> None:
    write_doc(
        corpus,
        "animals.md",
        "Animal Facts",
        {
            "The secret animal": "The secret animal of the roadmap is the heron. Herons stand still to fish.",
            "Bird migration": "Arctic terns fly from pole to pole every year, the longest migration known.",
        },
    )


def answer(settings, question):
    return build_core(settings).answerer.answer(question)


def test_first_ingest_then_no_change_embeds_nothing(corpus, make_settings):
    settings = make_settings()
    first = run_ingest(settings, [corpus], progress=False)
    assert first.docs_added == ["kb/animals.md", "kb/space.md"]
    assert first.chunks_embedded == first.chunks_total == 4
    again = run_ingest(settings, [corpus], progress=False)
    assert not again.changed
    assert again.chunks_embedded == 0
    assert len(again.docs_unchanged) == 2
    assert again.version == first.version


def test_vectors_embedded_before_are_reused_and_answer_the_same(corpus, make_settings, tmp_path):
    """A second index of the same documents (another data folder, the same cache) embeds
    nothing again and answers exactly as the first."""
    import uuid

    write_doc(corpus, "new.md", "New", {"Fresh": f"A sentence never seen: {uuid.uuid4()}."})
    first = make_settings(data_dir=tmp_path / "a")
    report = run_ingest(first, [corpus], progress=False)
    second = make_settings(data_dir=tmp_path / "b")
    again = run_ingest(second, [corpus], progress=False)
    assert again.chunks_embedded == 5 and again.vectors_reused == report.vectors_reused + 2
    assert "vectors reused" in again.summary()
    a, b = (answer(s, "what is the secret animal?") for s in (first, second))
    assert a.answered and (a.lines, a.sources, a.debug) == (b.lines, b.sources, b.debug)


def test_documents_indexed_in_an_older_record_format_are_chunked_again(corpus, make_settings):
    """An index written before sentences recorded their paragraph gains them at the next
    ingest, although no document changed (the vectors come from the cache)."""
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    store = manifest_store(settings)
    old = store.read()
    for entry in old.docs.values():
        entry.chunk_format = 1
    store.write(old)
    report = run_ingest(settings, [corpus], progress=False)
    assert report.docs_updated == ["kb/animals.md", "kb/space.md"]
    again = run_ingest(settings, [corpus], progress=False)
    assert not again.changed and len(again.docs_unchanged) == 2
    units = open_chroma(settings).get_collection(store.read().units_collection)
    assert all("para" in m for m in units.get(include=["metadatas"])["metadatas"])


def test_chunks_keep_title_section_source_and_hash(corpus, make_settings):
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    manifest = manifest_store(settings).read()
    got = open_chroma(settings).get_collection(manifest.collection).get(include=["metadatas"])
    metas = {m["section"]: m for m in got["metadatas"]}
    assert metas["The secret animal"]["title"] == "Animal Facts"
    assert metas["The secret animal"]["source"] == "kb/animals.md"
    assert (
        len(metas["Telescopes"]["doc_hash"]) == 64 and len(metas["Telescopes"]["chunk_hash"]) == 64
    )


def test_changed_document_is_replaced_and_only_it_is_embedded(corpus, make_settings):
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    swap_secret_animal_to_heron(corpus)
    report = run_ingest(settings, [corpus], progress=False)
    assert report.docs_updated == ["kb/animals.md"] and report.docs_unchanged == ["kb/space.md"]
    assert report.chunks_embedded == 2
    text = " ".join(line.text for line in answer(settings, "what is the secret animal?").lines)
    assert "heron" in text and "otter" not in text


def test_deleted_document_disappears_from_answers(corpus, make_settings):
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    assert answer(settings, "which telescope sees infrared light?").answered
    (corpus / "space.md").unlink()
    report = run_ingest(settings, [corpus], progress=False)
    assert report.docs_removed == [] and report.docs_kept == ["kb/space.md"]  # no --prune
    assert "--prune removes files that are gone" in report.summary()
    report = run_ingest(settings, [corpus], progress=False, prune=True)
    assert report.docs_removed == ["kb/space.md"] and report.chunks_removed == 2
    assert "  removed: kb/space.md" in report.summary()
    got = answer(settings, "which telescope sees infrared light?")
    assert all(s.citation.source != "kb/space.md" for s in got.sources)


BAD_FILES = {
    "empty.md": (b"", "empty file"),
    "junk.md": (bytes(range(256)) * 40, "binary data"),
    "latin1.md": ("Caf\u00e9 cr\u00e8me and na\u00efve notes".encode("latin-1"), "not valid UTF-8"),
    "huge.txt": (b"word " * 300_000, "too large"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_reported_by_name_and_index_keeps_serving(corpus, make_settings, name):
    settings = make_settings(max_file_bytes=1_000_000)
    run_ingest(settings, [corpus], progress=False)
    data, reason = BAD_FILES[name]
    (corpus / name).write_bytes(data)
    report = run_ingest(settings, [corpus], progress=False)
    failed = dict(report.docs_failed)
    assert f"kb/{name}" in failed and reason in failed[f"kb/{name}"]
    assert answer(settings, "what is the secret animal?").answered


def test_broken_update_keeps_previous_version_serving(corpus, make_settings):
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    (corpus / "animals.md").write_bytes(b"\x00\x01\x02binary junk" * 100)
    report = run_ingest(settings, [corpus], progress=False)
    assert dict(report.docs_failed)["kb/animals.md"].startswith("binary data")
    assert report.docs_removed == []
    text = " ".join(line.text for line in answer(settings, "what is the secret animal?").lines)
    assert "otter" in text


def test_only_unreadable_sources_never_empty_the_index(corpus, make_settings, tmp_path):
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.md").write_bytes(b"")
    report = run_ingest(settings, [junk], progress=False)
    assert report.docs_failed and not report.changed
    assert answer(settings, "what is the secret animal?").answered


def test_pdf_html_and_text_files_are_indexed(tmp_path, make_settings):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "guide.pdf").write_bytes(
        make_pdf(
            [
                "Gradient Boosting Guide",
                "XGBoost builds an ensemble of shallow decision trees one after another.",
                "Each new tree corrects the errors of the trees before it.",
            ]
        )
    )
    (folder / "page.html").write_text(
        "<html><head><title>Kaggle Tips</title><script>var x = 1;</script></head><body>"
        "<h2>Picking a competition</h2><p>Start with a Getting Started competition such as "
        "Titanic &amp; read the top public notebooks.</p></body></html>",
        encoding="utf-8",
    )
    (folder / "notes.txt").write_text(
        "Interview notes\n\nPractise explaining the bias-variance trade-off out loud before interviews.\n",
        encoding="utf-8",
    )
    settings = make_settings()
    report = run_ingest(settings, [folder], progress=False)
    assert report.docs_failed == [] and len(report.docs_added) == 3
    cases = {
        "how does xgboost build its trees?": ("Gradient Boosting Guide", "shallow decision trees"),
        "which kaggle competition should I start with?": ("Kaggle Tips", "Titanic & read"),
        "what should I practise explaining before interviews?": (
            "Interview notes",
            "bias-variance",
        ),
    }
    for question, (title, fact) in cases.items():
        got = answer(settings, question)
        assert got.answered, question
        assert got.sources[0].citation.title == title
        assert fact in " ".join(line.text for line in got.lines)


def test_pdf_that_is_not_a_pdf_is_refused(tmp_path, make_settings):
    folder = tmp_path / "docs"
    write_doc(folder, "ok.md", "Fine", {"Fine": "This document is perfectly fine to read."})
    (folder / "fake.pdf").write_bytes(b"MZ\x90\x00 this is an executable pretending to be a pdf")
    report = run_ingest(make_settings(), [folder], progress=False)
    assert "not a PDF" in dict(report.docs_failed)["docs/fake.pdf"]


def test_one_ingest_at_a_time(make_settings, corpus):
    settings = make_settings()
    with (
        ingest_lock(settings.data_dir),
        pytest.raises(IngestBusy, match=r"process \d+, started 20"),
    ):
        run_ingest(settings, [corpus], progress=False)


def test_questions_during_ingest_see_old_or_new_index_never_a_mix(corpus, make_settings):
    """A reader asks continuously while a re-ingest replaces one document and adds another."""
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    retriever = Retriever(settings)
    core = build_core(settings, retriever)
    core.answerer.answer("warm up")
    swap_secret_animal_to_heron(corpus)
    write_doc(
        corpus,
        "oceans.md",
        "Ocean Notes",
        {
            "Deep sea": "The Mariana Trench is the deepest known point in the oceans, about 11 km down.",
        },
    )
    seen: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask_forever() -> None:
        while not stop.is_set():
            try:
                got = core.answerer.answer("what is the secret animal?")
                text = " ".join(line.text for line in got.lines)
                seen.append((got.index_version, text))
            except BaseException as exc:  # any failure is a test failure
                errors.append(exc)
                return

    reader = threading.Thread(target=ask_forever)
    reader.start()
    try:
        time.sleep(0.2)
        report = run_ingest(settings, [corpus], progress=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(v == report.version for v, _ in seen):
            time.sleep(0.05)
    finally:
        stop.set()
        reader.join(timeout=30)
    assert not errors, errors
    assert len(seen) > 10
    old_version = report.version - 1
    for version, text in seen:
        assert version in (old_version, report.version)
        expected, other = ("otter", "heron") if version == old_version else ("heron", "otter")
        assert expected in text and other not in text, (version, text)
    assert {v for v, _ in seen} == {old_version, report.version}


def test_a_best_sentence_longer_than_the_reply_budget_is_quoted_cut_not_dropped(
    tmp_path, make_settings
):
    """A paragraph of 1,100 characters with no full stop used to give answered=True and an
    empty answer (the only line did not fit the budget)."""
    folder = tmp_path / "kf"
    folder.mkdir()
    clause = "Kubeflow pipelines orchestrate the steps of a machine learning workflow on Kubernetes"
    long_line = ", ".join([clause] * 13)
    (folder / "kubeflow.md").write_text(f"# Kubeflow\n\n## What Kubeflow does\n\n{long_line}\n")
    settings = make_settings()
    run_ingest(settings, [folder], progress=False)
    got = answer(settings, "what do kubeflow pipelines do?")
    assert got.answered and got.lines and got.sources
    text = " ".join(line.text for line in got.lines)
    assert "Kubeflow pipelines orchestrate" in text and len(text) <= 1000
    assert text.endswith("…")


def test_symlinks_in_a_source_folder_are_reported_not_followed(tmp_path, make_settings):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\n\nThe admin password is hunter2.\n")
    folder = tmp_path / "kb"
    folder.mkdir()
    write_doc(folder, "animals.md", "Animals", {"Secret": "The secret animal is an otter."})
    (folder / "link.md").symlink_to(outside / "secret.md")
    (folder / "linked-dir").symlink_to(outside, target_is_directory=True)
    report = run_ingest(make_settings(), [folder], progress=False)
    failed = dict(report.docs_failed)
    assert failed["kb/link.md"] == "a symbolic link; links are not followed"
    assert report.docs_added == ["kb/animals.md"]


def test_ingesting_another_folder_adds_to_the_index_instead_of_replacing_it(
    corpus, make_settings, tmp_path
):
    settings = make_settings()
    run_ingest(settings, [corpus], progress=False)
    extra = tmp_path / "extra"
    write_doc(extra, "birds.md", "Birds", {"Herons": "Herons wade in shallow water to hunt fish."})
    report = run_ingest(settings, [extra], progress=False)
    assert report.docs_added == ["extra/birds.md"] and report.docs_removed == []
    assert sorted(report.docs_kept) == ["kb/animals.md", "kb/space.md"]
    assert answer(settings, "what is the secret animal?").answered
    assert answer(settings, "how do herons hunt?").answered
    report = run_ingest(settings, [extra], progress=False, replace=True)
    assert sorted(report.docs_removed) == ["kb/animals.md", "kb/space.md"]
    assert not answer(settings, "which telescope sees infrared light?").answered


def test_cli_ingest_applies_the_upload_content_checks_and_a_pdf_page_budget(
    tmp_path, make_settings, monkeypatch
):
    from fpdf import FPDF

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "elf.md").write_bytes(b"\x7fELF" + b"# Title\n\nSome text that looks fine.\n" * 5)
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for n in range(3):
        pdf.add_page()
        pdf.cell(0, 10, f"Page {n} about gradient descent.")
    (folder / "long.pdf").write_bytes(bytes(pdf.output()))
    write_doc(folder, "ok.md", "Fine", {"Fine": "A normal document about otters."})
    monkeypatch.setenv("MLBOT_MAX_PDF_PAGES", "2")
    report = run_ingest(make_settings(), [folder], progress=False)
    failed = dict(report.docs_failed)
    assert failed["kb/elf.md"].startswith("a program or an archive")
    assert "has 3 pages; the limit is 2 (MLBOT_MAX_PDF_PAGES)" in failed["kb/long.pdf"]
    assert report.docs_added == ["kb/ok.md"]


def _killed_mid_build(chroma_dir) -> None:
    """What an ingest killed while writing a new version leaves: a segment folder that no
    collection in Chroma's catalogue owns."""
    import subprocess
    import sys

    code = (
        "import os, chromadb, numpy as np\n"
        "from chromadb.config import Settings\n"
        f"c = chromadb.PersistentClient(path={str(chroma_dir)!r},"
        " settings=Settings(anonymized_telemetry=False))\n"
        "col = c.create_collection('mlbot-kb-v99', metadata={'hnsw:space': 'cosine'})\n"
        "col.add(ids=[str(i) for i in range(2000)], embeddings=np.random.rand(2000, 384))\n"
        "os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False, timeout=120)


def test_old_and_interrupted_versions_leave_no_folders_behind(corpus, tmp_path, cache_dir):
    from bot.config import Settings
    from ingest.sweep import live_segments

    settings = Settings(cache_dir=cache_dir, data_dir=tmp_path / "data")
    chroma_dir = settings.data_dir / "chroma"

    def folders() -> set[str]:
        return {p.name for p in chroma_dir.iterdir() if p.is_dir()}

    run_ingest(settings, [corpus], progress=False)
    for _ in range(2):
        swap_secret_animal_to_heron(corpus)
        run_ingest(settings, [corpus], progress=False)
        write_doc(corpus, "space.md", "Space", {"Telescopes": "Webb observes infrared light."})
        run_ingest(settings, [corpus], progress=False)
    assert folders() <= live_segments(chroma_dir)  # deleted versions' folders are gone
    before = folders()
    _killed_mid_build(chroma_dir)
    orphans = folders() - before
    assert orphans, "the simulated kill left no folder; the test would prove nothing"
    report = run_ingest(settings, [corpus], progress=False)  # nothing changed: still cleans
    assert not report.changed and report.swept.folders == len(orphans)
    assert "index folders no version uses" in report.summary()
    assert folders() == before and folders() <= live_segments(chroma_dir)
    assert answer(settings, "which telescope sees infrared light?").answered


def test_ingest_embeds_the_section_headings_so_serving_loads_them_from_the_cache(
    make_settings, tmp_path
):
    """Search compares the question with each section's heading; embedding every heading
    when a serving process loads a version would add seconds at 10,000 sections."""
    import uuid

    from bot.retrieval.embed_cache import EmbeddingCache
    from bot.retrieval.embedding import model_key

    tag = uuid.uuid4().hex[:8]  # headings no earlier test can have put in the shared cache
    folder = tmp_path / "fresh"
    write_doc(folder, "a.md", f"Guide {tag}", {f"Where to start {tag}?": "Start with Python."})
    settings = make_settings()
    run_ingest(settings, [folder], progress=False)
    texts = [f"Guide {tag}: Where to start {tag}?"]
    manifest = manifest_store(settings).read()
    cached = EmbeddingCache(settings.cache_dir, model_key(manifest.model), 384).get(texts)
    assert list(cached) == [0]  # put there by the ingest, before any retriever ran
    snap = Retriever(settings).current()
    assert snap.heading_texts() == texts
    assert (snap.heading_vecs[0] == cached[0]).all()
