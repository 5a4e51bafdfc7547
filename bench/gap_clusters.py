"""How well /admin gaps groups questions: adjusted Rand index between its clusters and the
hand-made groups, over a range of similarity thresholds on the tuning log, then the chosen
threshold (bot.admin.gaps.SAME_NEED) on the separate test log.

Run after set-up:  .venv/bin/python bench/gap_clusters.py [--data-dir DIR]
(DIR holds an index; one is built from knowledge/ into a temporary folder when omitted.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")

import yaml  # noqa: E402


def load(name: str) -> tuple[list[str], list[str]]:
    """(questions, their group labels), small talk and other languages left out as gaps do."""
    from bot.admin.gaps import is_content_question

    qs, labels = [], []
    for group in yaml.safe_load((ROOT / "tests/data" / name).read_text()):
        for q in group["questions"]:
            if is_content_question(q):
                qs.append(q)
                labels.append(group["topic"])
    return qs, labels


def score(retriever, name: str, same_need: float) -> tuple[float, float, float]:
    """(adjusted Rand index, pair precision, pair recall): of the question pairs put in one
    cluster, the share on the same topic; of the same-topic pairs, the share put together."""
    from sklearn.metrics import adjusted_rand_score

    from bot.admin.gaps import clusters

    qs, labels = load(name)
    found = [0] * len(qs)
    for n, members in enumerate(clusters(retriever.encoder().encode(qs), same_need)):
        for i in members:
            found[i] = n
    pairs = [(i, j) for i in range(len(qs)) for j in range(i + 1, len(qs))]
    together = [(i, j) for i, j in pairs if found[i] == found[j]]
    same = [(i, j) for i, j in pairs if labels[i] == labels[j]]
    precision = sum(labels[i] == labels[j] for i, j in together) / max(1, len(together))
    recall = sum(found[i] == found[j] for i, j in same) / max(1, len(same))
    return adjusted_rand_score(labels, found), precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    from bot.admin.gaps import SAME_NEED
    from bot.config import Settings
    from bot.retrieval.retriever import Retriever

    data = args.data_dir or tempfile.mkdtemp(prefix="gaps-")
    if not args.data_dir:
        subprocess.run([sys.executable, "-m", "bot.cli", "ingest", "--data-dir", data], check=True,
                       capture_output=True)  # fmt: skip
    retriever = Retriever(Settings.from_env(data_dir=Path(data)))
    print("tuning log: threshold, adjusted Rand index, pair precision, pair recall")
    for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6):
        print("  {:.2f}  ARI {:.3f}  precision {:.3f}  recall {:.3f}".format(
            t, *score(retriever, "gaps_tuning.yaml", t)))  # fmt: skip
    test = score(retriever, "gaps_test.yaml", SAME_NEED)
    print("chosen {:.2f}, on the separate test log: ARI {:.3f}  precision {:.3f}  recall {:.3f}"
          .format(SAME_NEED, *test))  # fmt: skip


if __name__ == "__main__":
    main()
