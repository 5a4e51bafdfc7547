"""Split documents into heading-aligned chunks, and chunks into answer-sized units.

A chunk is one section (or part of a long one) and is what retrieval ranks. A unit is one
sentence or bullet item inside a chunk and is what an extractive answer quotes, so the reply
is a few precise lines instead of a wall of text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.textutil import INTRO_SECTION, SECTION_SEP
from ingest.loaders import LoadedDoc

MAX_CHUNK_CHARS = 1600

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
_INLINE_MD = re.compile(r"(\*\*|__|`)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


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
    unit_kinds: tuple[str, ...] = ()
    unit_lists: tuple[int, ...] = ()

    @property
    def embed_text(self) -> str:
        head = f"{self.title}{SECTION_SEP}{self.section}" if self.section else self.title
        return f"{head}\n{self.text}"


def plain_inline(text: str) -> str:
    """Drop inline Markdown markers so quoted units read cleanly on every platform."""
    return " ".join(_INLINE_MD.sub("", _LINK.sub(r"\1", text)).split())


@dataclass(frozen=True)
class Unit:
    """One quotable line. `kind` is "text" (a sentence), "lead" (a line ending with ':' that
    introduces the list after it) or "item"; `list` is the position of the list's lead-in (or
    first item) inside the chunk, -1 for sentences, so a reply can quote a list whole."""

    text: str
    kind: str = "text"
    list: int = -1


def split_units(body: str) -> list[str]:
    """Sentences and bullet items of a section body, in order; code blocks are not quoted."""
    return [u.text for u in parse_units(body)]


def parse_units(body: str) -> list[Unit]:
    """Sentences, lead-ins and list items of a section body, with the lists they form."""
    raw: list[tuple[str, bool]] = []  # (text, is_item)
    para: list[str] = []
    in_code = False

    def flush() -> None:
        if para:
            text = plain_inline(" ".join(para))
            raw.extend((s.strip(), False) for s in _SENTENCE_END.split(text) if s.strip())
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
            raw.append((plain_inline(m.group(1)), True))
        elif raw and not para and raw[-1][1] and line.startswith((" ", "\t")):
            raw[-1] = (f"{raw[-1][0]} {plain_inline(line)}", True)  # continuation of a bullet
        else:
            para.append(line.strip())
    flush()
    units: list[Unit] = []
    list_id = -1
    for i, (text, is_item) in enumerate(raw):
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
            units.append(Unit(text))
    return units


def _section_path(header_path: str, content: str, title: str) -> tuple[str, str]:
    parts = [p for p in header_path.strip("/").split("/") if p]
    lines = content.split("\n", 1)
    m = _HEADING.match(lines[0])
    body = content
    if m:
        parts.append(m.group(2).strip())
        body = lines[1] if len(lines) > 1 else ""
    if parts and parts[0].strip().lower() == title.strip().lower():
        parts = parts[1:]  # a '# Title' heading repeats the document title
    return SECTION_SEP.join(plain_inline(p) for p in parts), body.strip()


def _split_long(body: str) -> list[str]:
    if len(body) <= MAX_CHUNK_CHARS:
        return [body]
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(chunk_size=300, chunk_overlap=30)
    return splitter.split_text(body)


def chunk_document(doc: LoadedDoc) -> list[Chunk]:
    """Heading-aligned chunks via llama-index's MarkdownNodeParser, long sections re-split."""
    from llama_index.core import Document
    from llama_index.core.node_parser import MarkdownNodeParser

    nodes = MarkdownNodeParser().get_nodes_from_documents([Document(text=doc.text)])
    chunks: list[Chunk] = []
    for node in nodes:
        section, body = _section_path(
            node.metadata.get("header_path", "/"), node.get_content(), doc.title
        )
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
                )
            )
    return chunks
