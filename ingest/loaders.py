"""Read roadmap files (Markdown, text, PDF, HTML) into llama-index Documents, or say why not.

Every way a file can be unusable gets a plain-language reason, because the admin who dropped
it into the folder needs to know which file to fix and how, and one bad file must never stop
the others from being indexed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest.structure import drop_noise, is_noise, split_title, structure_text

# Bump when parsing or chunking changes, so every document is re-embedded once.
PARSER_VERSION = "9"

TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text"}
HTML_SUFFIXES = {".html": "html", ".htm": "html"}
PDF_SUFFIXES = {".pdf": "pdf"}
SUPPORTED_SUFFIXES = {**TEXT_SUFFIXES, **HTML_SUFFIXES, **PDF_SUFFIXES}

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_H1 = re.compile(r"^#[ \t]+(.+?)\s*#*\s*$", re.M)
_MD_ANY_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.M)
_HASHLIKE = re.compile(r"^(?=.*\d)[0-9a-f_-]{8,}$|^\d+$", re.I)


class LoadError(Exception):
    """A file that cannot be indexed; the message is the reason shown to the admin."""


@dataclass
class LoadedDoc:
    source: str  # stable key and what citations point at, e.g. "knowledge/04-math.md"
    path: Path
    kind: str
    title: str
    topics: list[str]
    text: str  # Markdown-ish body: headings as '#' lines
    content_hash: str
    extra: dict[str, object] = field(default_factory=dict)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(PARSER_VERSION.encode() + b"\0" + data).hexdigest()


def _humanize(stem: str) -> str:
    stem = re.sub(r"^\d+[-_ ]*", "", stem)
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Untitled"


def _fallback_title(path: Path, body: str) -> str:
    """The file name, unless it is a hash or a number; then the first heading or line."""
    if not _HASHLIKE.match(path.stem):
        return _humanize(path.stem)
    for line in body.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= 80 else line[:77].rsplit(" ", 1)[0] + "…"
    return "Untitled document"


_KIND_NAMES = {
    "markdown": "Markdown document",
    "text": "text document",
    "html": "HTML page",
    "pdf": "PDF",
}
# Programs and archives renamed to a document type: refused by content, whatever the name.
PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"PK\x03\x04", b"#!")


def _check_bytes(path: Path, data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise LoadError(
            f"too large ({len(data) / 1048576:.1f} MB; the limit is {limit / 1048576:.1f} MB)"
        )
    if not data.strip():
        raise LoadError("empty file")
    if data.startswith(PROGRAM_MAGIC):
        kind = _KIND_NAMES.get(SUPPORTED_SUFFIXES.get(path.suffix.lower(), ""), "document")
        raise LoadError(f"a program or an archive, not a {kind} (checked by its content)")


def _decode_text(data: bytes) -> str:
    if b"\0" in data[:8192]:
        raise LoadError("binary data, not text (it contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not valid UTF-8 text (bad byte at offset {exc.start})") from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:8192]) // 100):
        raise LoadError("binary data, not text (too many control characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _split_front_matter(text: str) -> tuple[dict, str]:
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoadError(f"front-matter is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise LoadError("front-matter must be a mapping of keys like 'title:' and 'topics:'")
    return meta, text[m.end() :]


def _topics(meta: dict) -> list[str]:
    raw = meta.get("topics") or []
    if isinstance(raw, str):
        raw = [t.strip() for t in raw.split(",")]
    return [str(t).strip() for t in raw if str(t).strip()]


def _load_markdown_or_text(path: Path, data: bytes, kind: str) -> tuple[str, list[str], str]:
    text = _decode_text(data)
    meta, body = _split_front_matter(text)
    title = str(meta.get("title") or "").strip()
    if kind == "markdown":
        body = drop_noise(body)
        if not title and (m := _H1.search(body)):
            title = m.group(1).strip()
        if not _MD_ANY_HEADING.search(body):
            # Markdown in name only: no heading marks, so read its layout like plain text.
            found, body = split_title(body)
            title, body = title or found, structure_text(body)
    else:
        found, rest = split_title(body)
        title, body = title or found, structure_text(rest if found else body)
    if not body.strip():
        raise LoadError("no text after the front-matter")
    return title, _topics(meta), body


_HTML_DROP = ["script", "style", "noscript", "nav", "footer", "header", "form", "aside", "iframe"]
_HTML_NOISE_CLASS = re.compile(
    r"share|social|cookie|newsletter|subscribe|related|advert|promo", re.I
)


def _load_html(data: bytes) -> tuple[str, list[str], str]:
    from bs4 import BeautifulSoup

    text = _decode_text(data)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(_HTML_DROP):
        tag.decompose()
    for tag in soup.find_all(class_=_HTML_NOISE_CLASS):
        if tag.name not in {"html", "body", "main", "article"}:
            tag.decompose()
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    h1 = ""
    lines: list[str] = []
    body = soup.body or soup
    tags = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td", "dt", "dd"]
    for el in body.find_all(tags):
        if el.find_parent(["li", "blockquote", "pre"]) is not None and el.name != "li":
            continue
        content = " ".join(el.get_text(" ", strip=True).split())
        if not content or is_noise(content):
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            level = int(el.name[1])
            if level == 1 and not h1:
                h1 = content
                continue  # the title, not a section
            lines.append(f"\n{'#' * level} {content}\n")
        elif el.name == "li":
            lines.append(f"- {content}")
        else:
            lines.append(f"\n{content}\n")
    out = "\n".join(lines).strip()
    if not out:
        raise LoadError("no readable text in the HTML")
    # A page title often carries the site's name ("Guide | Site"); the h1 is the article's.
    return h1 or re.split(r"\s+[|·–—]\s+", page_title)[0], [], out


def _load_pdf(path: Path, data: bytes) -> tuple[str, list[str], str]:
    if not data.startswith(b"%PDF-"):
        raise LoadError("not a PDF file (it does not start with %PDF)")
    from ingest.pdf import PdfText, TooManyPages, read_pdf

    try:
        pdf: PdfText = read_pdf(data)
    except TooManyPages as exc:
        raise LoadError(str(exc)) from None
    except Exception as exc:  # PDF parsers raise many kinds; the admin needs the reason
        raise LoadError(f"the PDF could not be read ({type(exc).__name__}: {exc})") from None
    if not pdf.text.strip():
        raise LoadError("no text could be extracted from the PDF (is it a scanned image?)")
    found, rest = split_title(pdf.text)
    title = pdf.title or found
    # The first line is the title unless the metadata names another one.
    body = structure_text(rest if found and found == title else pdf.text)
    return title, [], body


def read_checked(path: Path, *, max_bytes: int) -> bytes:
    """The file's bytes, refusing unsupported, oversized and empty files before parsing."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type '{path.suffix}'")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(
                f"too large ({size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.1f} MB)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror or exc})") from None
    _check_bytes(path, data, max_bytes)
    return data


def parse_bytes(path: Path, source: str, data: bytes) -> LoadedDoc:
    """Parse checked bytes into a document; raises LoadError with a friendly reason."""
    kind = SUPPORTED_SUFFIXES[path.suffix.lower()]
    if kind in ("markdown", "text"):
        title, topics, body = _load_markdown_or_text(path, data, kind)
    elif kind == "html":
        title, topics, body = _load_html(data)
    else:
        title, topics, body = _load_pdf(path, data)
    title = " ".join(title.lstrip("#").split())[:120] or _fallback_title(path, body)
    return LoadedDoc(
        source=source,
        path=path,
        kind=kind,
        title=title,
        topics=topics,
        text=body,
        content_hash=content_hash(data),
    )


@dataclass(frozen=True)
class FoundFile:
    path: Path
    source: str


def discover(sources: list[Path]) -> tuple[list[FoundFile], list[tuple[str, str]]]:
    """Files to index under the given files/folders, and (name, reason) for paths that are not.

    The source key is the path relative to the folder's parent (so 'knowledge/04-math.md'),
    which stays stable wherever the project is checked out.
    """
    found: dict[str, FoundFile] = {}
    problems: list[tuple[str, str]] = []
    for src in sources:
        src = Path(src)
        if not src.exists():
            problems.append((str(src), "no such file or folder"))
            continue
        root = src.resolve().parent
        candidates = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
        for p in candidates:
            resolved = p.resolve()
            if src.is_dir() and (p.is_symlink() or not resolved.is_relative_to(src.resolve())):
                # A link could publish any file on the machine (a '.md' link to /etc/passwd).
                rel = p.relative_to(src).as_posix()
                problems.append((f"{src.name}/{rel}", "a symbolic link; links are not followed"))
                continue
            rel_parts = resolved.relative_to(root).parts
            if any(part.startswith(".") for part in rel_parts):
                continue
            key = Path(*rel_parts).as_posix()
            if p.suffix.lower() not in SUPPORTED_SUFFIXES:
                if src.is_file():
                    problems.append((key, f"unsupported file type '{p.suffix or '(none)'}'"))
                continue
            found.setdefault(key, FoundFile(p, key))
    return list(found.values()), problems
