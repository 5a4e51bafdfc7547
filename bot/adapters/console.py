"""The local console chat: the same Request -> core -> Reply path as Discord and Telegram.

Works interactively and with piped stdin, so it can be scripted and tested; ends cleanly on
EOF, /quit or Ctrl-C. Files a reply carries (the progress chart, an export) are saved to the
outbox folder and their paths printed; nudges from the scheduler are printed in the chat.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.adapters.plain import render_plain
from bot.core.bot import BotCore
from bot.core.messages import Attachment, Reply, Request
from bot.nudges.delivery import SendPart, Target

BANNER = (
    "ML career assistant \u2014 local console. Ask a question (e.g. \u201cwhat math do I need?\u201d), "
    "type /help for commands, /quit to leave."
)
QUIT = {"/quit", "/exit", "quit", "exit"}
CONSOLE_USER = "local"


def save_attachments(reply: Reply, outbox: Path | None) -> list[Path]:
    if outbox is None or not reply.attachments:
        return []
    outbox.mkdir(parents=True, exist_ok=True)
    paths = []
    for att in reply.attachments:
        path = outbox / att.filename
        path.write_bytes(att.data)
        paths.append(path.resolve())
    return paths


REPLY_END = "\n" + "─" * 20


def without_hidden_buttons(core: BotCore, reply: Reply) -> Reply:
    """Buttons for commands listed in no menu (👍/👎 under answers) are for tapping; typed
    out after every answer in a text console they are noise."""
    shown = tuple(
        b
        for b in reply.buttons
        if not getattr(core.registry.for_text(b.action)[0], "hidden", False)
    )
    return reply if shown == reply.buttons else replace(reply, buttons=shown)


def render_console(reply: Reply, outbox: Path | None) -> str:
    body = render_plain(reply)
    for path in save_attachments(reply, outbox):
        body += f"\n\nSaved {path}"
    return body


class ConsoleDeliverer:
    """Nudges for the local console user are printed into the chat."""

    platform = "console"

    def __init__(self, stdout: TextIO | None = None, outbox: Path | None = None) -> None:
        self.stdout = stdout or sys.stdout
        self.outbox = outbox

    def parts(self, target: Target, reply: Reply) -> list[SendPart]:
        return [lambda: self.send(target, reply)]

    async def send(self, target: Target, reply: Reply) -> None:
        print(f"\n[nudge] {render_console(reply, self.outbox)}\n", file=self.stdout, flush=True)


MAX_CONSOLE_UPLOAD = 64 * 1024 * 1024


def read_regular_file(path: Path, limit: int) -> tuple[bytes, int] | None:
    """(bytes, size) of a regular file, or None for anything else.

    Never follows a symbolic link (a `.md` link to /etc/passwd must not be published), never
    opens a FIFO or device in a way that blocks (/dev/zero would be read until memory runs
    out), and reads at most `limit` + 1 bytes whatever stat() said. A file over the limit
    comes back empty with its size, so the core can say it is too large.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if info.st_size > limit:
            return b"", info.st_size
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
        return (b"", len(data)) if len(data) > limit else (data, len(data))
    except OSError:
        return None
    finally:
        os.close(fd)


def console_request(text: str, user_id: str) -> Request:
    """The console's way to send a file: /admin add PATH [replace] uploads a local file."""
    parts = text.split()
    attachments: tuple[Attachment, ...] = ()
    if len(parts) >= 3 and parts[:2] == ["/admin", "add"] and parts[2] != "replace":
        path = Path(parts[2]).expanduser()
        got = read_regular_file(path, MAX_CONSOLE_UPLOAD)
        if got is not None:  # otherwise not a readable file: the core says what it expects
            data, size = got
            attachments = (Attachment(path.name, data, "application/octet-stream", size=size),)
            text = " ".join(["/admin", "add", *parts[3:]])
    return Request(
        platform="console",
        user_id=user_id,
        text=text,
        where="console",
        user_name="you",
        attachments=attachments,
    )


class Typing:
    """In an interactive console, a generated answer is printed as it arrives; the checked
    answer with its sources follows (sentences the check dropped are not in it)."""

    def __init__(self, stdout: TextIO) -> None:
        self.stdout = stdout
        self.shown = 0

    async def show(self, text: str) -> None:
        if not self.shown:
            print("bot (writing)> ", end="", file=self.stdout)
        print(text[self.shown :], end="", file=self.stdout, flush=True)
        self.shown = len(text)

    def done(self) -> None:
        if self.shown:
            print("\n", file=self.stdout, flush=True)
        self.shown = 0


async def run_console(
    core: BotCore,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user_id: str = CONSOLE_USER,
    outbox: Path | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    if interactive:
        print(BANNER, file=stdout)
    try:
        while True:
            if interactive:
                print("\nyou> ", end="", file=stdout, flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line:  # EOF
                break
            text = line.rstrip("\n")
            if text.strip().lower() in QUIT:
                break
            if not text.strip() and not interactive:
                continue  # blank lines in a script are separators, not questions
            req = console_request(text, user_id)
            typing = Typing(stdout)
            if interactive:  # piped output stays one clean reply per question
                req = replace(req, on_partial=typing.show)
            reply = without_hidden_buttons(core, await core.handle(req))
            typing.done()
            body = render_console(reply, outbox)
            print(body if not interactive else f"bot> {body}", file=stdout, flush=True)
            if not interactive:
                print(REPLY_END, file=stdout, flush=True)  # where one reply ends in a pipe
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    if interactive:
        print("\nBye! Good luck with your studies.", file=stdout)
    return 0
