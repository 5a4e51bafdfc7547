"""The answer engine at 100,000 sentence units: knowledge/ repeated and perturbed.

Run from the project root after set-up:  .venv/bin/python bench/scale_bench.py [--units N]
Each copy of a document gets its own title ("... (copy 17)") and about one word in ten
swapped for another word of the same document, so no two copies embed alike. Reports ingest
throughput (units per second, full ingest in a new process, peak RSS), then, in a fresh
serving process: index load time, warm answer p50/p95 over the evaluation questions, and
serving RSS. Prints a table; writes bench/results/scale.json. Takes 10-20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVE = r"""
import json, os, resource, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import yaml
from bot.config import Settings
from bot.core.answers import Answerer
from bot.retrieval.retriever import Retriever
t0 = time.perf_counter()
retriever = Retriever(Settings.from_env(data_dir=Path(sys.argv[1])))
snap = retriever.current()
answerer = Answerer(retriever)
answerer.answer("warm-up question about something else entirely")
load = time.perf_counter() - t0
qs = [c["question"] for c in yaml.safe_load(open(Path(sys.argv[2]) / "tests/data/eval_questions.yaml"))]
lat = []
for q in qs:
    t = time.perf_counter()
    answerer.respond(q)
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
print(json.dumps({
    "units": len(snap.unit_texts), "chunks": len(snap.chunks), "load_s": round(load, 2),
    "p50_ms": round(lat[len(lat) // 2], 2), "p95_ms": round(lat[int(len(lat) * 0.95)], 2),
    "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
"""


def perturbed_copies(dst: Path, target_units: int, units_per_copy: int) -> int:
    copies = max(1, -(-target_units // units_per_copy))
    rng = random.Random(7)
    for k in range(copies):
        for path in sorted((ROOT / "knowledge").glob("*.md")):
            text = path.read_text()
            text = re.sub(r"^title: (.*)$", rf"title: \1 (copy {k})", text, count=1, flags=re.M)
            head, _, body = text.partition("\n---\n")
            words = re.findall(r"[A-Za-z]{4,}", body)

            def swap(m: re.Match[str], words: list[str] = words) -> str:
                return rng.choice(words) if rng.random() < 0.1 else m.group(0)

            body = re.sub(r"(?<![#\w])[A-Za-z]{4,}", swap, body)
            (dst / f"{path.stem}-copy{k:03d}.md").write_text(f"{head}\n---\n{body}")
    return copies


def child(args: list[str], env: dict) -> tuple[float, str, float]:
    """Wall seconds, stdout and the child's own peak RSS in MB (via wait4)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status):
            err.seek(0)
            raise SystemExit(f"{args[:4]} failed:\n{err.read()[-2000:]}")
    return wall, out, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlbot-scale-"))
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.setdefault("MLBOT_CACHE_DIR", str(work / "cache"))
    sys.path.insert(0, str(ROOT))
    from ingest.chunking import chunk_document
    from ingest.loaders import discover, parse_bytes, read_checked

    files, _ = discover([ROOT / "knowledge"])
    per_copy = sum(
        len(c.units)
        for f in files
        for c in chunk_document(
            parse_bytes(f.path, f.source, read_checked(f.path, max_bytes=1 << 24))
        )
    )
    src = work / "corpus"
    src.mkdir()
    copies = perturbed_copies(src, args.units, per_copy)
    data = work / "data"
    mlbot = [sys.executable, "-m", "bot.cli"]
    # The ONNX export is made once per cache; do it on the small corpus first, untimed.
    child([*mlbot, "ingest", "--data-dir", str(work / "warm"), "--json"], env)
    wall, out, rss = child(
        [*mlbot, "ingest", "--source", str(src), "--data-dir", str(data), "--json"], env
    )
    report = json.loads(out)
    serve = json.loads(child([sys.executable, "-c", SERVE, str(data), str(ROOT)], env)[1])
    units = serve["units"]
    result = {
        "copies": copies,
        "ingest": {
            "wall_s": round(wall, 1),
            "units_per_s": round(units / wall, 1),
            "chunks": report["chunks"]["total"],
            "peak_rss_mb": round(rss),
        },
        "serve": serve,
    }
    out_dir = ROOT / "bench/results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "scale.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
