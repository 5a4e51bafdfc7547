"""Fit the hybrid score's weights on the development questions and check them on later ones.

Run from the project root after set-up:  .venv/bin/python bench/fit_fusion.py
For every question, the ten best passages by the first blend (cosine mixed with the best
sentence's, plus a tenth of BM25, minus a small intro penalty) are the candidates; each pair
of a relevant and an irrelevant candidate is one training example for a pairwise logistic
regression over the signals of `bot.retrieval.search.features` (a linear ranking model, as in
RankSVM). Relevant means the section the question was labelled with, or one of its "also"
sections. The weights are fitted on the development sets only, scaled so that the similarity
weights add up to one, and printed beside the first blend's section hit@1, hit@3 and MRR on
both the development and the held-out sets. Nothing is written: the printed weights are
copied into FUSION_WEIGHTS by hand, so a change is a reviewed commit.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests/data"
# Written and used while the answerer was developed, before the held-out sets.
DEV = ["", "_2026", "_2026b", "_2026c", "_2026d", "_2026e"]
# Written blind later; never used to fit these weights.
HELD_OUT = ["_2026f", "_2026g", "_2026h", "_2026i", "_2026j"]
SIGNALS = ["dense", "unit", "unit2", "unit3", "keyword", "heading", "heading_sim", "intro"]
SIMILARITIES = ["dense", "unit", "unit2", "unit3", "heading_sim"]
CANDIDATES = 10


def load(names: list[str]) -> list[dict]:
    cases = []
    for name in names:
        cases += yaml.safe_load((DATA / f"eval_questions{name}.yaml").read_text())
    return [c for c in cases if c["doc"] != "NONE"]


def relevant(case: dict, chunk) -> bool:
    sections = case["section"] if isinstance(case["section"], list) else [case["section"]]
    places = {(case["doc"], s) for s in sections}
    places |= {tuple(ref.split("#", 1)) for ref in case.get("also", ())}
    head = chunk.section.split(" › ")[0]
    return any(chunk.source.endswith(f"/{doc}.md") and head == sec for doc, sec in places)


def candidates(retriever, cases: list[dict]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per question: the candidates' signals (rows) and whether each is relevant."""
    from bot.retrieval.search import features, mix

    snap = retriever.current()
    out = []
    for case in cases:
        res = retriever.search(case["question"], k=1)  # for the query vector and terms
        f = features(snap, res.qvec, res.qterms)
        first = mix(f["dense"], f["unit"]) + 0.1 * f["keyword"] - 0.05 * f["intro"]
        top = np.argsort(-first, kind="stable")[:CANDIDATES]
        rows = np.stack([f[s][top] for s in SIGNALS], axis=1)
        labels = np.array([relevant(case, snap.chunks[i]) for i in top])
        out.append((rows, labels))
    return out


def fit(data: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    pairs, ys = [], []
    for rows, labels in data:
        for i in np.flatnonzero(labels):
            for j in np.flatnonzero(~labels):
                pairs += [rows[i] - rows[j], rows[j] - rows[i]]
                ys += [1, 0]
    model = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000)
    coef = model.fit(np.array(pairs), np.array(ys)).coef_[0]
    scale = sum(c for s, c in zip(SIGNALS, coef, strict=True) if s in SIMILARITIES)
    return {s: round(float(c / scale), 3) for s, c in zip(SIGNALS, coef, strict=True)}


def ranking(data, weights: dict[str, float] | None) -> tuple[float, float, float]:
    """Section hit@1, hit@3 and MRR among the candidates; None is the first blend's order."""
    h1 = h3 = rr = 0.0
    for rows, labels in data:
        if weights is None:
            order = np.arange(len(labels))  # candidates come in the first blend's order
        else:
            w = np.array([weights[s] for s in SIGNALS])
            order = np.argsort(-(rows @ w), kind="stable")
        hits = np.flatnonzero(labels[order])
        if len(hits):
            h1 += hits[0] == 0
            h3 += hits[0] < 3
            rr += 1 / (hits[0] + 1)
    n = len(data)
    return round(float(h1) / n, 3), round(float(h3) / n, 3), round(float(rr) / n, 3)


def main() -> None:
    from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings
    from bot.retrieval.retriever import Retriever
    from ingest.pipeline import run_ingest

    work = Path(tempfile.mkdtemp(prefix="mlbot-fusion-"))
    os.environ.setdefault("MLBOT_CACHE_DIR", str(work / "cache"))
    settings = Settings.from_env(data_dir=work / "kb", knowledge_dir=DEFAULT_KNOWLEDGE_DIR)
    run_ingest(settings, progress=False)
    retriever = Retriever(settings)
    dev = candidates(retriever, load(DEV))
    held = candidates(retriever, load(HELD_OUT))
    weights = fit(dev)
    print("FUSION_WEIGHTS =", weights)
    print(f"{'set':22} {'first blend h@1/h@3/MRR':>26} {'fitted h@1/h@3/MRR':>24}")
    for name, data in ((f"development ({len(dev)})", dev), (f"held out ({len(held)})", held)):
        print(f"{name:22} {str(ranking(data, None)):>26} {str(ranking(data, weights)):>24}")


if __name__ == "__main__":
    main()
