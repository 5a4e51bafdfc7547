"""The quiz bank (knowledge/quizzes.yaml): multiple-choice review questions, each checking a
point its knowledge section states. Links are validated at load like curriculum links: a
question whose section is gone (an admin removed or renamed it) is skipped and reported, so a
re-ingest never leaves a learner with a question about text that no longer exists."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.learning.curriculum import Curriculum, SectionRef, knowledge_sections

_ID = re.compile(r"^[a-z0-9-]{3,40}$")  # short enough for a 64-byte button
MAX_OPTION = 120
MAX_CHOICES = 4  # a question offers 3 or 4 options, answered by number ("/quiz 2", "2")
MAX_EXPLANATION = 300
log = logging.getLogger(__name__)


class QuizBankError(ValueError):
    """The file cannot be used at all (not YAML, not the expected shape)."""


@dataclass(frozen=True)
class Question:
    id: str
    stage: str
    section: SectionRef
    text: str
    options: tuple[str, ...]
    answer: int
    explanation: str


@dataclass(frozen=True)
class QuizBank:
    questions: dict[str, Question]

    def for_sections(self, sections: set[tuple[str, str]]) -> list[Question]:
        """Questions whose section is one of these (doc stem, heading) pairs."""
        return [
            q for q in self.questions.values() if (q.section.doc, q.section.heading) in sections
        ]


EMPTY = QuizBank({})


def load_quiz_bank(
    path: Path, knowledge_dir: Path, curriculum: Curriculum
) -> tuple[QuizBank, list[str]]:
    """(bank, problems): questions with a problem are left out and described. A missing file
    is an empty bank."""
    if not Path(path).exists():
        return EMPTY, []
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuizBankError(f"{path}: cannot be read as YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list):
        raise QuizBankError(f"{path}: expected a mapping with a 'questions' list")
    docs = knowledge_sections(knowledge_dir)
    questions: dict[str, Question] = {}
    problems: list[str] = []
    for n, item in enumerate(raw["questions"], 1):
        try:
            q = _question(item, n, docs, curriculum)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if q.id in questions:
            problems.append(f"question '{q.id}': duplicate id (the second is skipped)")
            continue
        questions[q.id] = q
    return QuizBank(questions), problems


def _question(item: object, n: int, docs: dict, curriculum: Curriculum) -> Question:
    if not isinstance(item, dict):
        raise ValueError(f"question #{n}: expected a mapping")
    qid = str(item.get("id") or f"#{n}")
    where = f"question '{qid}'"
    if not _ID.match(qid):
        raise ValueError(f"{where}: id must be 3-40 lowercase letters, digits and hyphens")
    stage = str(item.get("stage") or "")
    if stage not in curriculum.stages:
        raise ValueError(f"{where}: unknown stage {stage!r}")
    doc, _, heading = str(item.get("section") or "").partition("#")
    doc, heading = doc.strip().removesuffix(".md"), heading.strip()
    if doc not in docs or heading not in docs[doc][1]:
        raise ValueError(f"{where}: section '{doc}#{heading}' is not in the knowledge folder")
    options = tuple(str(o).strip() for o in item.get("options") or ())
    answer = item.get("answer")
    if not 3 <= len(options) <= MAX_CHOICES or len(set(options)) != len(options):
        raise ValueError(f"{where}: needs 3 or 4 different options")
    if any(not o or len(o) > MAX_OPTION for o in options):
        raise ValueError(f"{where}: options must be 1-{MAX_OPTION} characters")
    if not isinstance(answer, int) or not 0 <= answer < len(options):
        raise ValueError(f"{where}: answer must be the index of one option")
    text, explanation = str(item.get("question") or "").strip(), str(item.get("explanation") or "")
    if not text or not explanation.strip() or len(explanation) > MAX_EXPLANATION:
        raise ValueError(f"{where}: needs a question and an explanation of 1-{MAX_EXPLANATION}")
    ref = SectionRef(doc, heading, docs[doc][0])
    return Question(qid, stage, ref, text, options, answer, explanation.strip())


class BankSource:
    """The current bank, reloaded when the file changes or the curriculum is reloaded (after
    a re-ingest), so questions on removed sections drop out while the bot runs."""

    def __init__(
        self, path: Path, knowledge_dir: Path, curriculum: Callable[[], Curriculum]
    ) -> None:
        self.path, self.knowledge_dir, self.curriculum = Path(path), knowledge_dir, curriculum
        self._key: tuple[int, float] | None = None
        self._bank = EMPTY
        self.problems: list[str] = []

    def __call__(self) -> QuizBank:
        cur = self.curriculum()
        mtime = self.path.stat().st_mtime if self.path.exists() else 0.0
        if (id(cur), mtime) != self._key:
            try:
                self._bank, self.problems = load_quiz_bank(self.path, self.knowledge_dir, cur)
            except QuizBankError as exc:
                self.problems = [str(exc)]  # the previous bank keeps serving
            for problem in self.problems:
                log.warning("quiz bank: %s (skipped)", problem)
            self._key = (id(cur), mtime)
        return self._bank
