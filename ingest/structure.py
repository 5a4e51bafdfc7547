"""Recover document structure from plain text: title, headings, list items, no web noise.

Admins ingest what they have: articles saved from the web, notes, text pulled out of PDFs.
Those carry their structure in layout rather than markup: a title on the first line, headings
as short lines without a full stop ("Skills Required for the Role", "Step 1: Learn SQL"),
bullets as "- ", "• ", "1. " or "1)" lines, and noise such as "Read also: ..." or cookie
notices. This module turns such text into the small Markdown dialect the chunker reads
('## ' headings, '- ' items), so every format is chunked and cited the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BULLET = re.compile(r"^\s*(?:[-*+•▪◦‣–—]|\d{1,3}[.)]|[a-z][.)])\s+(\S.*)$")
NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(\S.*)$")
STEP_HEADING = re.compile(
    r"^(?:step|part|phase|stage|chapter|section|module|week|month|level)\s+\d{1,3}\b\s*[:.\-–—]?\s*\S",
    re.I,
)
_MD_HEADING = re.compile(r"^#{1,6}\s+\S")

# Lines a web page or newsletter adds around an article; never part of the content.
_NOISE = re.compile(
    r"^(?:read (?:also|more|next)|related(?: posts?| articles?| reading| content)?\s*:|see also\s*:"
    r"|tags?\s*:|categor(?:y|ies)\s*:|filed under|posted in|share (?:this|on|via)|share\s*:"
    r"|follow us|subscribe (?:to|now|for)|sign up (?:for|to)|join our (?:newsletter|mailing)"
    r"|advertisement\b|sponsored\b|click here|download (?:our|the) free|we use cookies"
    r"|this (?:site|website) uses cookies|accept (?:all )?cookies|cookie (?:policy|settings)"
    r"|back to top|skip to (?:main )?content|leave a (?:comment|reply)|print this"
    r"|(?:image|photo|picture)(?: credit)?\s*:|you (?:may|might) also like|recommended for you"
    r"|copyright\b|©|all rights reserved|\d{1,3} min(?:ute)?s? read\b)",
    re.I,
)
_BYLINE = re.compile(
    r"^(?:by|written by|author\s*:)\s+\S.{0,80}(?:\||·|•|\bupdated\b|\bpublished\b|\bmin read\b)"
    r"|^(?:updated|published|last updated)\s*(?:on\s*)?:?\s*\w+\.? \d",
    re.I,
)
_END_PUNCT = ".,;!"


def is_noise(line: str) -> bool:
    """A boilerplate line: share/follow prompts, 'Read also', tags, cookie notices, bylines."""
    s = line.strip()
    return len(s) <= 200 and bool(_NOISE.match(s) or _BYLINE.match(s))


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_][\w'’\-]*", text)


def is_title_like(line: str, *, max_chars: int = 90, max_words: int = 14) -> bool:
    """Short, starts with a capital or digit, no sentence-final punctuation: reads as a heading."""
    s = line.strip()
    if not s or len(s) > max_chars or BULLET.match(s) and not STEP_HEADING.match(s):
        return False
    if s[-1] in _END_PUNCT or s.endswith(":"):
        return False
    words = _words(s)
    if not words or len(words) > max_words:
        return False
    first = s.lstrip("\"'“(")[:1]
    return first.isupper() or first.isdigit()


def _is_step_heading(line: str) -> bool:
    s = line.strip()
    return bool(STEP_HEADING.match(s)) and len(s) <= 100 and s[-1] not in ".,;"


def _is_numbered_heading(line: str) -> bool:
    """'3. Build a Portfolio' stands alone as a heading; '3. build a portfolio.' is an item."""
    m = NUMBERED.match(line)
    if not m:
        return False
    body = m.group(1)
    if not is_title_like(body, max_chars=70, max_words=10):
        return False
    caps = [w for w in _words(body) if len(w) > 3]
    return not caps or sum(w[0].isupper() for w in caps) / len(caps) >= 0.5


def _blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines."""
    out: list[list[str]] = []
    cur: list[str] = []
    for line in lines:
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _continues(prev: str, line: str) -> bool:
    """A hard-wrapped line carries on the previous one's sentence."""
    p, s = prev.rstrip(), line.lstrip()
    if not p or not s or BULLET.match(s):
        return False
    return p[-1] not in ".!?:;" and (s[0].islower() or s[0] in ",;)" or p[-1] in ",-–(")


@dataclass
class _Out:
    lines: list[str]

    def heading(self, text: str) -> None:
        self.lines.extend(["", f"## {text.strip().rstrip(':').strip()}", ""])

    def item(self, text: str) -> None:
        self.lines.append(f"- {text.strip()}")

    def para(self, text: str) -> None:
        self.lines.extend(["", text.strip(), ""])


def _emit_block(block: list[str], nxt: list[str] | None, out: _Out) -> None:
    if _MD_HEADING.match(block[0]):  # a heading the caller already knows (PDF font size)
        out.heading(block[0].lstrip("#"))
        block = block[1:]
        if not block:
            return
    if len(block) == 1:
        line = block[0].strip()
        has_next = nxt is not None
        if _is_step_heading(line) or (has_next and _is_numbered_heading(line)):
            out.heading(line)
        elif BULLET.match(line):
            out.item(BULLET.match(line).group(1))  # type: ignore[union-attr]
        elif nxt is not None and _heads_next_block(line, nxt):
            out.heading(line)
        else:
            out.para(line)
        return
    first = block[0].strip()
    rest = block[1:]
    if (is_title_like(first) or _is_step_heading(first)) and _heads(first, rest):
        out.heading(first)
        _emit_lines(rest, out)
        return
    _emit_lines(block, out)


def _heads_next_block(line: str, nxt: list[str]) -> bool:
    """A line alone heads the block after it: a title-like line, a question answered
    below it, or a short label ("Key skills:") over a list."""
    return (
        is_title_like(line)
        or _is_question_heading(line, nxt)
        or (_is_label(line) and bool(BULLET.match(nxt[0])))
    )


def _is_question_heading(line: str, nxt: list[str]) -> bool:
    """'Do I need a degree?' on its own line, followed by its answer."""
    return (
        line.endswith("?")
        and len(line) <= 80
        and len(_words(line)) <= 12
        and not nxt[0].strip().endswith("?")
    )


def _is_label(line: str) -> bool:
    """'Key skills:' — a short label that names the list under it."""
    return line.endswith(":") and len(line) <= 40 and len(_words(line)) <= 3


def _heads(first: str, rest: list[str]) -> bool:
    """A title-like first line heads the lines under it, unless it is one of a run of lines
    of the same shape (a list of questions written without marks)."""
    if all(BULLET.match(s) for s in rest):
        return True  # a heading with its list right under it
    if first.endswith("?") and sum(s.rstrip().endswith("?") for s in rest) * 2 >= len(rest):
        return False
    return len(" ".join(s.strip() for s in rest)) >= 80


def _emit_lines(lines: list[str], out: _Out) -> None:
    """A multi-line block: bullets are items, wrapped lines join, other lines stand alone."""
    merged: list[str] = []
    for line in lines:
        if merged and _continues(merged[-1], line):
            merged[-1] = f"{merged[-1].rstrip()} {line.strip()}"
        else:
            merged.append(line.strip())
    if len(merged) == 1:
        m = BULLET.match(merged[0])
        out.item(m.group(1)) if m else out.para(merged[0])
        return
    out.lines.append("")
    for line in merged:
        m = BULLET.match(line)
        if m:
            out.item(m.group(1))
        elif line.endswith(":") or (len(line) > 160 and line[-1] in ".!?"):
            out.para(line)  # a lead-in, or a paragraph that happens to sit on one line
        else:
            out.item(line)  # consecutive short lines: a list written without marks
    out.lines.append("")


def split_title(text: str) -> tuple[str, str]:
    """(title, rest) when the first non-noise line is a heading or reads as a title, else
    ("", text)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or is_noise(s):
            continue
        plain = s.lstrip("#").strip() if _MD_HEADING.match(s) else s
        if (
            _MD_HEADING.match(s)
            or is_title_like(plain, max_chars=150, max_words=25)
            or (plain.endswith("?") and len(plain) <= 150)
        ):  # a heading at the top (a PDF's largest line) is the title too
            return plain, "\n".join(lines[i + 1 :])
        return "", text
    return "", text


def structure_text(text: str) -> str:
    """Plain text (or text extracted from a PDF) as Markdown with '##' headings and '-' items."""
    lines = [line for line in text.split("\n") if not is_noise(line)]
    blocks = _blocks(lines)
    out = _Out([])
    for i, block in enumerate(blocks):
        _emit_block(block, blocks[i + 1] if i + 1 < len(blocks) else None, out)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out.lines)).strip() + "\n"


def drop_noise(text: str) -> str:
    """Markdown stays as written, less the web boilerplate lines."""
    return "\n".join(line for line in text.split("\n") if not is_noise(line))
