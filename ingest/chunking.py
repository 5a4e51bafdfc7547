"""Split documents into heading-aligned chunks, and chunks into answer-sized units.

A chunk is one section (or part of a long one) and is what retrieval ranks. A unit is one
sentence or bullet item inside a chunk and is what an extractive answer quotes, so the reply
is a few precise lines instead of a wall of text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.textutil import INTRO_SECTION, SECTION_SEP, section_label
from ingest.loaders import LoadedDoc

MAX_CHUNK_CHARS = 1600

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
_INLINE_MD = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]*)\)")


# The format of the records a chunk writes; raised when they gain a field (2: each sentence
# records its paragraph), so the next ingest chunks unchanged documents again.
CHUNK_FORMAT = 2


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    title: str
    section: str
    text: str  # section body without its heading line
    doc_hash: str
    chunk_hash: str
    position: int
    units: tuple[str, ...]
    unit_kinds: tuple[str, ...]  # Unit.kind of each unit
    unit_lists: tuple[int, ...]  # Unit.list of each unit
    unit_paras: tuple[int, ...]  # Unit.para of each unit

    @property
    def embed_text(self) -> str:
        return f"{section_label(self.title, self.section)}\n{self.text}"


def plain_inline(text: str) -> str:
    """Drop inline Markdown markers so quoted units read cleanly on every platform; a link to
    the web keeps its address after its text, so a recommended course can be opened."""
    return " ".join(_INLINE_MD.sub("", _LINK.sub(_link_text, text)).split())


def _link_text(m: re.Match[str]) -> str:
    text, target = m.group(1), m.group(2).strip()
    return f"{text} ({target})" if target.startswith(("https://", "http://")) else text


@dataclass(frozen=True)
class Unit:
    """One quotable line. `kind` is "text" (a sentence), "lead" (a line ending with ':' that
    introduces the list after it) or "item"; `list` is the position of the list's lead-in (or
    first item) inside the chunk, -1 for sentences, so a reply can quote a list whole."""

    text: str
    kind: str = "text"
    list: int = -1
    para: int = -1  # position of the first sentence of its paragraph (sentences only)


def parse_units(body: str) -> list[Unit]:
    """Sentences, lead-ins and list items of a section body, in order, with the lists and
    paragraphs they form; code blocks are not quoted."""
    raw: list[tuple[str, bool, int]] = []  # (text, is_item, paragraph number)
    para: list[str] = []
    in_code = False

    def flush() -> None:
        if para:
            text = plain_inline(" ".join(para))
            n = len(raw)
            raw.extend((s.strip(), False, n) for s in _SENTENCE_END.split(text) if s.strip())
            para.clear()

    for line in body.splitlines():
        if line.strip().startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code or _HEADING.match(line):
            continue
        if not line.strip():
            flush()
            continue
        m = _BULLET.match(line)
        if m:
            flush()
            raw.append((plain_inline(m.group(1)), True, -1))
        elif raw and not para and raw[-1][1] and line.startswith((" ", "\t")):
            raw[-1] = (f"{raw[-1][0]} {plain_inline(line)}", True, -1)  # continuation of a bullet
        else:
            para.append(line.strip())
    flush()
    units: list[Unit] = []
    list_id = -1
    first_of: dict[int, int] = {}  # paragraph number -> position of its first kept sentence
    for i, (text, is_item, para_no) in enumerate(raw):
        if len(text) < 3:
            continue
        if is_item:
            if list_id < 0:
                list_id = len(units)
            units.append(Unit(text, "item", list_id))
            continue
        nxt_item = i + 1 < len(raw) and raw[i + 1][1]
        if text.endswith(":") and nxt_item:
            list_id = len(units)
            units.append(Unit(text, "lead", list_id))
        else:
            list_id = -1
            units.append(Unit(text, para=first_of.setdefault(para_no, len(units))))
    return units


def _sections(text: str, title: str) -> list[tuple[str, str]]:
    """(heading path, body) for the text before the first heading and under each heading.

    A heading closes the sections of its level and deeper; fenced code is never a heading.
    (llama-index's MarkdownNodeParser does the same, but importing llama-index costs 2.5 s of
    a 10 s ingest budget, so this is the small version.)
    """
    out: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    body: list[str] = []
    in_code = False

    def close() -> None:
        parts = [h for _, h in stack]
        if parts and parts[0].strip().lower() == title.strip().lower():
            parts = parts[1:]  # a '# Title' heading repeats the document title
        out.append((SECTION_SEP.join(plain_inline(p) for p in parts), "\n".join(body).strip()))
        body.clear()

    for line in text.split("\n"):
        if line.strip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _HEADING.match(line)
        if m is None:
            body.append(line)
            continue
        close()
        level = len(m.group(1))
        stack = [(lv, h) for lv, h in stack if lv < level]
        stack.append((level, m.group(2).strip()))
    close()
    return out


def _split_long(body: str) -> list[str]:
    """Sections over MAX_CHUNK_CHARS, cut between paragraphs and lists (never inside a list,
    never right after a lead-in), and a paragraph too long on its own between sentences."""
    if len(body) <= MAX_CHUNK_CHARS:
        return [body]
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", body):
        if len(block) <= MAX_CHUNK_CHARS or _BULLET.match(block):
            blocks.append(block)
            continue
        piece = ""
        for sentence in _SENTENCE_END.split(" ".join(block.split())):
            if piece and len(piece) + len(sentence) + 1 > MAX_CHUNK_CHARS:
                blocks.append(piece)
                piece = ""
            piece = f"{piece} {sentence}".strip()
        if piece:
            blocks.append(piece)
    pieces: list[str] = []
    cur: list[str] = []
    size = 0
    for block in blocks:
        if cur and size + len(block) > MAX_CHUNK_CHARS and not cur[-1].rstrip().endswith(":"):
            pieces.append("\n\n".join(cur))
            cur, size = [], 0
        cur.append(block)
        size += len(block) + 2
    if cur:
        pieces.append("\n\n".join(cur))
    return pieces


def chunk_document(doc: LoadedDoc) -> list[Chunk]:
    """Heading-aligned chunks, long sections cut at paragraph and list boundaries."""
    chunks: list[Chunk] = []
    for section, body in _sections(doc.text, doc.title):
        if not body:
            continue
        section = section or INTRO_SECTION
        for piece in _split_long(body):
            parsed = parse_units(piece)
            if not parsed:
                continue
            chunk_hash = hashlib.sha256(f"{doc.title}\0{section}\0{piece}".encode()).hexdigest()
            position = len(chunks)
            cid = hashlib.sha1(f"{doc.source}\0{position}\0{chunk_hash}".encode()).hexdigest()[:24]
            chunks.append(
                Chunk(
                    id=cid,
                    source=doc.source,
                    title=doc.title,
                    section=section,
                    text=piece,
                    doc_hash=doc.content_hash,
                    chunk_hash=chunk_hash,
                    position=position,
                    units=tuple(u.text for u in parsed),
                    unit_kinds=tuple(u.kind for u in parsed),
                    unit_lists=tuple(u.list for u in parsed),
                    unit_paras=tuple(u.para for u in parsed),
                )
            )
    return chunks
