"""Reply quality on three corpora, ours beside stock llama-index dense retrieval.

Run from the project root after set-up:  .venv/bin/python bench/quality_bench.py
Corpora (tests/corpora.py): (a) knowledge/ as Markdown; (b) the same documents written out as
plain text, HTML and PDF; (c) tests/data/corpus_web, web-style career articles in another
voice with their own learner questions. Our thresholds were tuned on (a) only.

Stock baseline, as a user of llama-index would build it: SimpleDirectoryReader, SentenceSplitter
(chunk_size 128), the same MiniLM model through HuggingFaceEmbedding, VectorStoreIndex, top 5,
and the first 1,000 characters of the retrieved passages as the "reply". It never refuses, so
its off-topic refusal is 0 by construction. Prints a table; writes bench/results/quality.json.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answer_bench import use_stock_llama_index  # noqa: E402  (sets offline variables)
from tests import corpora  # noqa: E402

WRITERS = {
    "(a) markdown": None,
    "(b) text": corpora.knowledge_as_text,
    "(b) html": corpora.knowledge_as_html,
    "(b) pdf": corpora.knowledge_as_pdf,
    "(c) web articles": corpora.web_corpus,
}


def cases_for(name: str):
    if name.startswith("(c)"):
        return corpora.web_cases(), corpora.web_offtopic()
    return corpora.knowledge_cases(), corpora.knowledge_offtopic()


def ours(src: Path, work: Path, name: str) -> dict:
    from bot.config import Settings
    from bot.core.answers import Answerer
    from bot.retrieval.retriever import Retriever
    from ingest.pipeline import run_ingest

    settings = Settings.from_env(data_dir=work / f"ours-{name[:3].strip('()')}-{src.name}")
    t0 = time.perf_counter()
    run_ingest(settings, [src], progress=False)
    ingest_s = time.perf_counter() - t0
    answerer = Answerer(Retriever(settings))
    cases, off = cases_for(name)
    got = corpora.score(corpora.ours(answerer), cases, off)
    return {
        "containment": round(got.containment, 3),
        "offtopic_refused": round(got.refused_offtopic, 3),
        "misses": got.misses,
        "ingest_s": round(ingest_s, 1),
    }


def stock(src: Path, name: str) -> dict:
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    use_stock_llama_index()
    docs = SimpleDirectoryReader(str(src)).load_data()
    index = VectorStoreIndex.from_documents(
        docs, transformations=[SentenceSplitter(chunk_size=128, chunk_overlap=20)]
    )
    retriever = index.as_retriever(similarity_top_k=5)

    def answer(question: str) -> tuple[bool, str]:
        nodes = retriever.retrieve(question)
        return True, " ".join(n.node.get_content() for n in nodes)[:1000]

    cases, off = cases_for(name)
    got = corpora.score(answer, cases, off)
    return {"containment": round(got.containment, 3), "offtopic_refused": 0.0}


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="mlbot-quality-"))
    os.environ.setdefault("MLBOT_CACHE_DIR", str(work / "cache"))
    results = {}
    for name, writer in WRITERS.items():
        src = corpora.KNOWLEDGE if writer is None else writer(work / f"src-{len(results)}")
        results[name] = {"mlbot": ours(src, work, name), "llama_index_stock": stock(src, name)}
        print(name, json.dumps({k: v["containment"] for k, v in results[name].items()}), flush=True)
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "quality.json").write_text(json.dumps(results, indent=2))
    print(f"\n{'corpus':18} {'mlbot contains':>15} {'refused':>8} {'stock contains':>15}")
    for name, r in results.items():
        m, s = r["mlbot"], r["llama_index_stock"]
        print(
            f"{name:18} {m['containment']:>15.3f} {m['offtopic_refused']:>8.3f} "
            f"{s['containment']:>15.3f}"
        )
    print("targets: containment >= 0.90 on each, >= stock; 100% off-topic refused;")
    print("no corpus more than 0.03 below (a).")


if __name__ == "__main__":
    main()
