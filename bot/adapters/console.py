"""The local console chat: the same Request -> core -> Reply path as Discord and Telegram.

Works interactively and with piped stdin, so it can be scripted and tested; ends cleanly on
EOF, /quit or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.adapters.plain import render_plain
from bot.core.bot import BotCore
from bot.core.messages import Request

BANNER = (
    "ML career assistant \u2014 local console. Ask a question (e.g. \u201cwhat math do I need?\u201d), "
    "type /help for commands, /quit to leave."
)
QUIT = {"/quit", "/exit", "quit", "exit"}


async def run_console(
    core: BotCore, stdin: TextIO | None = None, stdout: TextIO | None = None, user_id: str = "local"
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
            reply = await core.handle(
                Request(
                    platform="console", user_id=user_id, text=text, where="console", user_name="you"
                )
            )
            body = render_plain(reply)
            print(body if not interactive else f"bot> {body}", file=stdout, flush=True)
            if not interactive:
                print(file=stdout, flush=True)
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    if interactive:
        print("\nBye! Good luck with your studies.", file=stdout)
    return 0
