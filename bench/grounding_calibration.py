"""Calibrates the support threshold of the grounding check (bot.llm.grounding.SUPPORT): how
close, in the shipped embedding model, a generated sentence must be to one sentence of its
passage. tests/data/grounding_pairs.yaml holds 80 roadmap sections, each with a faithful
paraphrase of one of its sentences and a plausible sentence the section does not support
(written by hand, the way a model would write them). The threshold is chosen on the first
half (best balanced accuracy) and reported on the second half.

Run after set-up:  .venv/bin/python bench/grounding_calibration.py
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")

import numpy as np  # noqa: E402
import yaml  # noqa: E402


def section_text(doc: str, heading: str) -> str:
    text = (ROOT / "knowledge" / f"{doc}.md").read_text(encoding="utf-8")
    body = re.split(r"^## ", text, flags=re.M)
    for part in body[1:]:
        head, _, rest = part.partition("\n")
        if head.strip() == heading:
            return rest
    raise KeyError(f"{doc}#{heading}")


def scores(encode, cases: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Best similarity of each supported and unsupported sentence to its section's sentences."""
    from bot.llm.grounding import sentences_of

    sup, uns = [], []
    for case in cases:
        units = [
            re.sub(r"^[-*]\s+", "", u)
            for u in sentences_of(section_text(case["doc"], case["section"]))
        ]
        vecs = encode([case["supported"], case["unsupported"], *units])
        sup.append(float(np.max(vecs[2:] @ vecs[0])))
        uns.append(float(np.max(vecs[2:] @ vecs[1])))
    return np.array(sup), np.array(uns)


def balanced(sup: np.ndarray, uns: np.ndarray, t: float) -> tuple[float, float, float]:
    kept = float(np.mean(sup >= t))
    dropped = float(np.mean(uns < t))
    return (kept + dropped) / 2, kept, dropped


def main() -> None:
    from bot.config import Settings
    from bot.llm.grounding import SUPPORT
    from bot.retrieval.embedding import load_encoder, resolve_model

    settings = Settings.from_env()
    encoder = load_encoder(resolve_model(settings.embed_model), str(settings.cache_dir))
    cases = yaml.safe_load((ROOT / "tests/data/grounding_pairs.yaml").read_text())
    tune, report = cases[: len(cases) // 2], cases[len(cases) // 2 :]
    sup, uns = scores(encoder.encode, tune)
    grid = np.round(np.arange(0.30, 0.91, 0.05), 2)
    print("tuning half: threshold, balanced accuracy, supported kept, unsupported dropped")
    for t in grid:
        print("  {:.2f}  {:.3f}  {:.3f}  {:.3f}".format(t, *balanced(sup, uns, t)))
    best = max(grid, key=lambda t: balanced(sup, uns, t)[0])
    rsup, runs = scores(encoder.encode, report)
    print(f"best on the tuning half: {best:.2f}; in use: {SUPPORT:.2f}")
    for t in sorted({float(best), SUPPORT}):
        print("report half at {:.2f}: balanced {:.3f}, supported kept {:.3f}, unsupported dropped {:.3f}"
              .format(t, *balanced(rsup, runs, t)))  # fmt: skip


if __name__ == "__main__":
    main()
