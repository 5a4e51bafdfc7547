"""Checking a document an admin uploads before it goes into the knowledge folder.

The name must be a plain file name (no folders, no '..', no hidden files), the type must be
one we ingest and must match the content (a program renamed .pdf is refused), the size must be
under the limit, and an existing document is only replaced when the admin says so.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from ingest.loaders import PROGRAM_MAGIC, SUPPORTED_SUFFIXES, LoadError, parse_bytes, read_checked

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ ()-]{0,99}$")


class UploadRefused(ValueError):
    """The message is shown to the admin as is."""


def check_upload(
    filename: str,
    data: bytes,
    size: int,
    knowledge_dir: Path,
    max_bytes: int,
    replace: bool = False,
) -> Path:
    """The target path in the knowledge folder, or UploadRefused with the reason."""
    name = filename.strip()
    if not name or "/" in name or "\\" in name or ".." in name or not _NAME.match(name):
        raise UploadRefused(
            f"\u201c{filename[:60]}\u201d is not a safe file name. Use a plain name like "
            "my-notes.md (letters, digits, dashes; no folders)."
        )
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadRefused(
            "I can add Markdown (.md), text (.txt), PDF (.pdf) and HTML (.html) documents only."
        )
    if size > max_bytes:
        raise UploadRefused(
            f"{name} is {size / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.1f} MB."
        )
    if data.startswith(PROGRAM_MAGIC):
        raise UploadRefused(f"{name} looks like a program or an archive, not a {suffix} document.")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / f"upload{suffix}"
        probe.write_bytes(data)
        try:
            parse_bytes(probe, name, read_checked(probe, max_bytes=max_bytes))
        except LoadError as exc:
            raise UploadRefused(f"{name} can't be used: {exc}.") from None
    target = Path(knowledge_dir) / name
    if target.exists() and not replace:
        raise UploadRefused(
            f"{name} already exists. To replace it, send it again with /admin add replace."
        )
    return target
