"""The evaluation corpora, written by the tests themselves, and the scores reported on them.

(a) knowledge/ as Markdown; (b) the same documents as plain text, HTML and PDF (no heading or
bullet marks survive, so structure must be read back from layout); (c) tests/data/corpus_web,
web-style career articles in another voice with their own learner questions. Thresholds are
tuned on (a) only; (b) and (c) show whether they generalise. Used by tests/integration/test_corpora.py and
bench/answer_bench.py.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest.chunking import plain_inline

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
KNOWLEDGE = ROOT / "knowledge"
WEB = DATA / "corpus_web"

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+(.*)$")


@dataclass(frozen=True)
class Case:
    question: str
    expect_any: tuple[str, ...]


@dataclass
class Score:
    containment: float
    refused_offtopic: float
    misses: list[str] = field(default_factory=list)
    wrongly_answered: list[str] = field(default_factory=list)


def knowledge_cases() -> list[Case]:
    raw = yaml.safe_load((DATA / "eval_questions.yaml").read_text())
    return [Case(c["question"], tuple(c["expect_any"])) for c in raw]


def knowledge_offtopic() -> list[str]:
    lines = (DATA / "offtopic_questions.txt").read_text().splitlines()
    return [q.strip() for q in lines if q.strip()]


def web_cases() -> list[Case]:
    raw = yaml.safe_load((WEB / "questions.yaml").read_text())
    return [Case(c["question"], tuple(c["expect_any"])) for c in raw]


def web_offtopic() -> list[str]:
    return [q.strip() for q in (WEB / "offtopic.txt").read_text().splitlines() if q.strip()]


def web_corpus(dst: Path) -> Path:
    """Corpus (c): the articles only (not the question files), in a folder of their own."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(WEB.glob("*.txt")):
        if path.name not in {"offtopic.txt", "questions_draft.txt"}:
            (dst / path.name).write_bytes(path.read_bytes())
    return dst


# -- knowledge/ written out in other formats -------------------------------------------------


@dataclass(frozen=True)
class _Block:
    kind: str  # "heading", "item", "para"
    text: str
    level: int = 0


def _parse_markdown(path: Path) -> tuple[str, list[_Block]]:
    text = path.read_text(encoding="utf-8")
    m = _FRONT.match(text)
    title = str(yaml.safe_load(m.group(1)).get("title")) if m else path.stem
    body = text[m.end() :] if m else text
    blocks: list[_Block] = []
    para: list[str] = []
    in_code = False

    def flush() -> None:
        if para:
            blocks.append(_Block("para", plain_inline(" ".join(para))))
            para.clear()

    for line in body.splitlines():
        if line.strip().startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            continue
        if h := _HEADING.match(line):
            flush()
            blocks.append(_Block("heading", plain_inline(h.group(2)), len(h.group(1))))
        elif b := _BULLET.match(line):
            flush()
            blocks.append(_Block("item", plain_inline(b.group(1))))
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
    flush()
    return title, blocks


def knowledge_as_text(dst: Path) -> Path:
    """Title on the first line, bare headings, list items as bare lines: no marks at all."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(KNOWLEDGE.glob("*.md")):
        title, blocks = _parse_markdown(path)
        out = [title, ""]
        for i, b in enumerate(blocks):
            out.append(b.text)
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if not (b.kind == "item" and nxt is not None and nxt.kind == "item"):
                out.append("")
        (dst / f"{path.stem}.txt").write_text("\n".join(out), encoding="utf-8")
    return dst


def knowledge_as_html(dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(KNOWLEDGE.glob("*.md")):
        title, blocks = _parse_markdown(path)
        out = [f"<html><head><title>{html.escape(title)} | Roadmap</title></head><body>"]
        out.append(f"<h1>{html.escape(title)}</h1>")
        in_list = False
        for b in blocks:
            if b.kind == "item" and not in_list:
                out.append("<ul>")
                in_list = True
            elif b.kind != "item" and in_list:
                out.append("</ul>")
                in_list = False
            tag = {"heading": f"h{b.level}", "item": "li", "para": "p"}[b.kind]
            out.append(f"<{tag}>{html.escape(b.text)}</{tag}>")
        if in_list:
            out.append("</ul>")
        out.append("<p>Share this article on Twitter</p></body></html>")
        (dst / f"{path.stem}.html").write_text("\n".join(out), encoding="utf-8")
    return dst


def knowledge_as_pdf(dst: Path) -> Path:
    """Headings in a larger bold face, paragraphs wrapped by the page width, '•' items."""
    import matplotlib
    from fpdf import FPDF

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(KNOWLEDGE.glob("*.md")):
        title, blocks = _parse_markdown(path)
        pdf = FPDF()
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        pdf.set_title(title)
        pdf.add_page()

        def write(text: str, size: float, style: str = "", gap: float = 2, pdf=pdf) -> None:
            pdf.set_font("DejaVu", style, size)
            pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(gap)

        write(title, 20, "B", 4)
        for b in blocks:
            if b.kind == "heading":
                write(b.text, 15 if b.level <= 2 else 13, "B")
            elif b.kind == "item":
                write(f"• {b.text}", 10.5, gap=0.5)
            else:
                write(b.text, 10.5)
        (dst / f"{path.stem}.pdf").write_bytes(bytes(pdf.output()))
    return dst


# -- scoring -----------------------------------------------------------------------------


def score(answer, cases: list[Case], offtopic: list[str]) -> Score:
    """`answer(question) -> (answered, reply text)`: containment of the expected fact and
    the share of off-topic questions refused."""
    misses = []
    for case in cases:
        answered, text = answer(case.question)
        low = text.lower()
        if not (answered and any(e.lower() in low for e in case.expect_any)):
            misses.append(case.question)
    wrong = [q for q in offtopic if answer(q)[0]]
    return Score(
        containment=1 - len(misses) / len(cases),
        refused_offtopic=1 - len(wrong) / len(offtopic) if offtopic else 1.0,
        misses=misses,
        wrongly_answered=wrong,
    )


def ours(answerer):
    """Our extractive answerer as a scorer callback: the reply's quoted lines."""

    def answer(question: str) -> tuple[bool, str]:
        got = answerer.respond(question)
        return got.answered, " ".join(line.text for line in got.lines)

    return answer
