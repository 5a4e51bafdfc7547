"""Prints the replies to the evaluation questions and the follow-up readings of two-turn
sets, as JSON, for an index folder: run under two hash seeds, the outputs must match."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from bot.config import DEFAULT_KNOWLEDGE_DIR, Settings
from bot.core.answers import Answerer
from bot.core.followup import resolve
from bot.retrieval.retriever import Retriever

DATA = Path(__file__).resolve().parents[1] / "data"


def main(data_dir: str) -> None:
    answerer = Answerer(
        Retriever(Settings(data_dir=Path(data_dir), knowledge_dir=DEFAULT_KNOWLEDGE_DIR))
    )
    out: dict[str, object] = {}
    for name in ("eval_questions_2026b.yaml", "eval_questions_2026f.yaml"):
        for case in yaml.safe_load((DATA / name).read_text()):
            got = answerer.respond(case["question"])
            out[case["question"]] = [line.text for line in got.lines]
    for name in ("followups12.yaml", "followups16.yaml"):
        for case in yaml.safe_load((DATA / name).read_text()):
            a = answerer
            meant = resolve(case["second"], case["first"], a.encode, a.spell, a.strength)
            out[f"{case['first']} / {case['second']}"] = [
                meant.question,
                [line.text for line in a.respond(meant.question).lines],
            ]
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
