"""Text of a PDF with its layout read back: headings by font size, paragraphs by spacing.

Plain text extraction loses what a reader sees at once: a larger or bold line is a heading, a
wider gap ends a paragraph. pdfplumber gives each line's characters with their font and
position, which is enough to put that structure back before the text heuristics run.
"""

from __future__ import annotations

import io
import os
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from ingest.structure import BULLET

_JUNK_TITLE = re.compile(
    r"^(untitled|document\d*|microsoft word\b|slide \d+)|\.(docx?|pdf|txt)$", re.I
)
DEFAULT_MAX_PAGES = 300


class TooManyPages(ValueError):
    """A PDF over the page budget (MLBOT_MAX_PDF_PAGES)."""


def max_pages() -> int:
    """Pages one PDF may have: reading is about 17 pages a second on 2 cores, so a budget keeps one
    huge upload from holding the ingest (and its memory) for minutes."""
    try:
        return max(1, int(os.environ.get("MLBOT_MAX_PDF_PAGES", DEFAULT_MAX_PAGES)))
    except ValueError:
        return DEFAULT_MAX_PAGES


@dataclass(frozen=True)
class PdfText:
    title: str  # from the metadata, when it is a real title
    text: str  # headings as '## ' lines, blank lines between paragraphs


@dataclass(frozen=True)
class _Line:
    text: str
    top: float
    bottom: float
    size: float
    bold: bool
    right: float


def _lines(page) -> list[_Line]:
    out = []
    for line in page.extract_text_lines(keep_blank_chars=False):
        chars = [c for c in line["chars"] if c["text"].strip()]
        text = " ".join(line["text"].split())
        if not chars or not text:
            continue
        size = Counter(round(c["size"], 1) for c in chars).most_common(1)[0][0]
        bold = sum("bold" in c["fontname"].lower() for c in chars) > len(chars) / 2
        out.append(_Line(text, line["top"], line["bottom"], size, bold, line["x1"]))
    return out


def _metadata_title(meta: dict) -> str:
    title = " ".join(str(meta.get("Title") or "").split())
    if not title or _JUNK_TITLE.search(title) or len(title) > 150:
        return ""
    return title


def read_pdf(data: bytes) -> PdfText:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        title = _metadata_title(pdf.metadata or {})
        limit = max_pages()
        if len(pdf.pages) > limit:
            raise TooManyPages(
                f"the PDF has {len(pdf.pages)} pages; the limit is {limit} "
                "(MLBOT_MAX_PDF_PAGES); split it or raise the limit"
            )
        pages = [_lines(p) for p in pdf.pages]
    all_lines = [ln for page in pages for ln in page]
    if not all_lines:
        return PdfText(title, "")
    weights: Counter[float] = Counter()
    for ln in all_lines:
        weights[ln.size] += len(ln.text)
    body_size = weights.most_common(1)[0][0]
    body_bold = sum(len(ln.text) for ln in all_lines if ln.bold) > sum(weights.values()) / 2
    gaps = [
        b.top - a.bottom
        for page in pages
        for a, b in zip(page, page[1:], strict=False)
        if a.size == body_size == b.size
    ]
    usual_gap = statistics.median(gaps) if gaps else 2.0
    rights = sorted(ln.right for ln in all_lines if ln.size == body_size)
    full_width = rights[int(len(rights) * 0.9)] if rights else 0.0
    out: list[str] = []
    for page in pages:
        prev: _Line | None = None
        prev_heading = False
        for ln in page:
            heading = len(ln.text) <= 150 and (
                ln.size >= body_size * 1.15 or (ln.bold and not body_bold and ln.size >= body_size)
            )
            if heading:
                if prev is not None and prev_heading and _same_heading(prev, ln):
                    out[-2] = f"{out[-2]} {ln.text}"  # a heading wrapped over two lines
                else:
                    out.extend(["", f"## {ln.text}", ""])
            else:
                new_para = (
                    prev is None or prev_heading or ln.top - prev.bottom > usual_gap * 1.6 + 1
                )
                if new_para:
                    out.extend(["", ln.text])
                elif BULLET.match(ln.text) or not out[-1] or prev.right < full_width * 0.8:
                    # A line that stops well short of the margin ended its paragraph or item.
                    out.append(ln.text)
                else:
                    out[-1] = f"{out[-1]} {ln.text}"  # lines of one paragraph, wrapped by layout
            prev, prev_heading = ln, heading
        out.append("")
    return PdfText(title, "\n".join(out))


def _same_heading(a: _Line, b: _Line) -> bool:
    return a.size == b.size and a.bold == b.bold and b.top - a.bottom < a.size * 0.8
