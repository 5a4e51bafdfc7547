"""Generated-answer latency against a fake OpenAI-compatible server with a set model speed:
our overhead beyond the model's own time (retrieval, prompt, the grounding check), and the
fallback path when the model does not start in time, beside the extractive answer alone.

Run after set-up:  .venv/bin/python bench/llm_bench.py [--data-dir DIR]
(DIR holds an index; one is built from knowledge/ into a temporary folder when omitted.)
Nothing is asserted: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")

QUESTIONS = [
    "what math do I need?",
    "how do i fix overfitting",
    "precision vs recall",
    "should i learn pytorch or tensorflow first",
    "what is mlops",
]
ANSWER = (
    "Machine learning rests on three areas of mathematics: linear algebra, calculus and "
    "probability [1]. You do not need to finish a maths degree before you start [1]."
)


def pct(values: list[float], p: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[p - 1]
        if len(values) > 1
        else values[0]
    )


async def run(data_dir: Path, rounds: int) -> None:
    from bot.config import Settings
    from bot.core.answers import Answerer
    from bot.core.generated import Generator
    from bot.llm.client import ChatClient, LLMSettings
    from bot.retrieval.retriever import Retriever
    from tests.fakes.openai import FakeOpenAI, Script

    retriever = Retriever(Settings.from_env(data_dir=data_dir))
    answerer = Answerer(retriever)
    answerer.respond(QUESTIONS[0])  # warm: model, index
    fake = await FakeOpenAI().start()
    try:
        model_ms = 300.0
        client = ChatClient(LLMSettings(fake.base_url, fake.model, first_token_seconds=1.0))
        gen = Generator(answerer, client)
        extractive, generated, fallback = [], [], []
        for i in range(rounds):
            q = QUESTIONS[i % len(QUESTIONS)]
            t0 = time.perf_counter()
            answerer.respond(q)
            extractive.append((time.perf_counter() - t0) * 1000)
            fake.script = Script(text=ANSWER, first_delay=model_ms / 1000)
            t0 = time.perf_counter()
            await gen.respond(q, ("bench", str(i)), [])
            generated.append((time.perf_counter() - t0) * 1000)
        for i in range(max(3, rounds // 5)):
            fake.script = Script(text=ANSWER, first_delay=3.0)  # never starts within 1 s
            t0 = time.perf_counter()
            await gen.respond(QUESTIONS[i % len(QUESTIONS)], ("slow", str(i)), [])
            fallback.append((time.perf_counter() - t0) * 1000)
        await client.close()
    finally:
        await fake.stop()
    overhead = [g - model_ms for g in generated]
    print(f"{'path':<44}{'p50 ms':>10}{'p95 ms':>10}")
    print(
        f"{'extractive answer alone (the baseline)':<44}{pct(extractive, 50):>10.1f}{pct(extractive, 95):>10.1f}"
    )
    print(
        f"{f'generated, model takes {model_ms:.0f} ms to start':<44}{pct(generated, 50):>10.1f}{pct(generated, 95):>10.1f}"
    )
    print(
        f"{'  of which ours (beyond the model)':<44}{pct(overhead, 50):>10.1f}{pct(overhead, 95):>10.1f}"
    )
    print(
        f"{'fallback: model silent past the 1 s limit':<44}{pct(fallback, 50):>10.1f}{pct(fallback, 95):>10.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    data = args.data_dir or tempfile.mkdtemp(prefix="llm-bench-")
    if not args.data_dir:
        subprocess.run([sys.executable, "-m", "bot.cli", "ingest", "--data-dir", data], check=True,
                       capture_output=True)  # fmt: skip
    asyncio.run(run(Path(data), args.rounds))


if __name__ == "__main__":
    main()
