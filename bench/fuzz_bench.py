"""Hostile-input fuzz: N messages through the console, real python-telegram-bot and real discord.py.

Run from the project root after set-up:  .venv/bin/python bench/fuzz_bench.py [--messages 10000]
(--quick: about 1,000 messages). The messages are split a third each over (a) the console
adapter (`run_console` on StringIO, as tests/test_learning_commands.py `say` does), (b) the
Telegram adapter against tests/fakes/telegram.py and (c) the Discord adapter against
tests/fakes/discord.py, several users per platform in private chats and in a group, each
user sending one message at a time. A seeded random generator picks, per message: a command
of the core registry with plausible arguments, the same commands malformed (huge numbers,
wrong types, empty, 5,000-character arguments), a learner's question (typos, other
languages), hostile text (empty, whitespace, NUL, lone surrogates on the console, bidi and
zero-width and combining characters, emoji, Markdown/HTML, @everyone/@here, 10,000
characters) or a button tap (actions from the bot's own replies, or made-up data).

Prints per path and in total: messages sent, crashes (an exception escaping the adapter, an
error logged with a traceback, or the core's internal-error reply), error replies to
valid-shaped commands (state refusals such as "you haven't picked a plan yet" are counted
apart), replies the fakes refused as over the platform's limits (and other refusals), pings
(Discord messages whose allowed_mentions let @everyone or roles through) and process RSS every
1,000 messages with the growth per 1,000 over the second half of the run. Every crash and
error reply comes with its message, path and traceback. Writes bench/results/fuzz_bench.json
and exits 1 when there was a crash.

Memory: `--paths console` runs one path alone; `--malloc-trim` also measures RSS after
gc.collect() and glibc's malloc_trim(0) at each checkpoint (memory still in use, without what
the allocator keeps free); `--tracemalloc` compares snapshots at message 2,000
(`--snapshot-at`) and at the end, top allocations by file:line. Run that one as
`PYTHONTRACEMALLOC=1 .venv/bin/python bench/fuzz_bench.py --tracemalloc ...` so blocks
allocated at start-up are traced too (else a table resized later shows only its new half).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import gc
import inspect
import io
import itertools
import json
import logging
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.answer_bench import EVAL, MLBOT, timed_run  # noqa: E402  (sets offline variables)
from bot.adapters.console import run_console  # noqa: E402
from bot.adapters.discord.adapter import DiscordAdapter, DiscordSettings  # noqa: E402
from bot.adapters.plain import render_plain  # noqa: E402
from bot.adapters.telegram.adapter import TelegramAdapter, TelegramSettings  # noqa: E402
from bot.bootstrap import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.bot import BotCore  # noqa: E402
from tests.doubles import FakeClock  # noqa: E402
from tests.fakes.discord import FakeDiscord  # noqa: E402
from tests.fakes.telegram import FakeTelegram, Sent  # noqa: E402

# The core's reply to an unexpected exception (BotCore.handle in bot/core/bot.py).
INTERNAL_ERROR = "Sorry, something went wrong on my side."
PATHS = ("console", "telegram", "discord")
TIMEOUT = 10.0  # seconds one message may take before it counts as unanswered
BATCH = 100  # messages between housekeeping points (fakes' records tallied and cleared)
TG_GROUP = -100777
MANAGE_CHANNELS = str(1 << 4)

# Error replies that depend on the learner's state or the chat, not on the command's shape.
STATE_REFUSALS = re.compile(
    "|".join(
        (
            r"You haven't picked a study plan yet",
            r"already finished today's study",
            r"rest day, so there's no task",
            r"finished your whole track",
            r"There's no task to (mark done|skip) right now",
            r"I don't know that code",
            r"That code has expired",
            r"belongs to this same account",
            r"Send /forget first",
            r"Group commands work in a group chat",
            r"Only the chat's admins",
            r"This chat has no study plan yet",
            r"first task hasn't been posted yet",
            r"only for this bot's admins",
            r"re-ingest (is already running|started by)",
            r"You can only rate answers to your own questions",
        )
    )
)

CURRENT: contextvars.ContextVar[Msg | None] = contextvars.ContextVar("fuzz_msg", default=None)


# -- what is sent ---------------------------------------------------------------------------


@dataclass(eq=False)
class Msg:
    n: int
    path: str
    stream: str
    category: str  # valid, malformed, question, hostile, button, button-madeup
    via: str  # line, message, callback, slash, dm, mention, chatter, click
    text: str  # what the user typed, the callback data, or the slash command as text
    slash: tuple | None = None  # (name, options, subcommand) for Discord interactions
    replies: list[tuple[str, str]] = field(default_factory=list)  # (kind, plain text)
    errors: list[str] = field(default_factory=list)  # tracebacks attributed to this message
    escaped: bool = False
    timed_out: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class Stream:
    """One user of one path; sends one message at a time, with its own seeded generator."""

    path: str
    name: str
    user_id: int | str
    where: str  # console, dm, group
    rng: random.Random
    admin: bool = False
    buttons: list[str] = field(default_factory=list)  # actions on the bot's last reply
    qids: list[str] = field(default_factory=list)  # question ids this user may rate


TRACKS = ("part-time", "full-time", "fast-track")
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "asia/kolkata")
EXTRA_QUESTIONS = (
    "what math do I need?",
    "do I need a degree?",
    "how long until I'm ready for a junior job?",
    "what projects should a beginner build?",
    "where do I start?",
    "what should I learn after python?",
    "is a bootcamp worth it",
    "pytorch or tensorflow?",
    "how do transformers work",
    "what is overfitting and how do i avoid it",
    "how do I prepare for ML interviews",
    "what's the difference between supervised and unsupervised learning",
    "do I need a GPU to learn deep learning?",
    "how much statistics do i need",
    "can i get an ml job without a phd",
    "what is the weather in Paris tomorrow",
    "write me a poem about cats",
)
OTHER_LANGUAGES = (
    "¿Qué matemáticas necesito para machine learning?",
    "Welche Mathematik brauche ich für maschinelles Lernen?",
    "Quelles mathématiques faut-il pour le machine learning ?",
    "Какая математика нужна для машинного обучения?",
    "机器学习需要什么数学？",
    "機械学習にはどんな数学が必要ですか？",
    "머신러닝에 어떤 수학이 필요한가요?",
    "मशीन लर्निंग के लिए कौन सा गणित चाहिए?",
    "ما هي الرياضيات التي أحتاجها للتعلم الآلي؟",
    "מה מתמטיקה אני צריך ללמידת מכונה?",
    "Makine öğrenimi için hangi matematiğe ihtiyacım var?",
    "Preciso de um diploma para trabalhar com IA?",
    "ما هي الرياضيات المطلوبة؟ what math do I need?",
    "מה מתמטיקה אני צריך? what math do I need?",
)
QUESTIONS = tuple(c["question"] for c in EVAL) + EXTRA_QUESTIONS
BIG_DIGITS = "9" * 5000
HUGE = "99999999999999999999999999999"
COMBINING = [chr(c) for c in range(0x300, 0x370)]
CODE_POINT_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x300, 0x36F),  # combining marks
    (0x590, 0x6FF),  # Hebrew, Arabic
    (0x900, 0x97F),
    (0x200B, 0x200F),  # zero-width and bidi marks
    (0x202A, 0x202E),
    (0x2060, 0x2069),
    (0x3000, 0x30FF),
    (0x4E00, 0x4FFF),
    (0xE000, 0xE0FF),  # private use
    (0xFDD0, 0xFDEF),  # noncharacters
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFF9, 0xFFFF),
    (0x1D400, 0x1D4FF),  # mathematical alphanumerics (NFKC folds them)
    (0x1F300, 0x1FAFF),  # emoji
    (0xE0001, 0xE007F),  # tags
)


def random_unicode(rng: random.Random, n: int, surrogates: bool = False) -> str:
    ranges = CODE_POINT_RANGES + (((0xD800, 0xDFFF),) if surrogates else ())
    out = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def typo(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 3)):
        if len(chars) < 3:
            break
        i = rng.randrange(len(chars) - 1)
        op = rng.randrange(4)
        if op == 0:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        elif op == 1:
            del chars[i]
        elif op == 2:
            chars.insert(i, chars[i])
        else:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return "".join(chars)


def zalgo(rng: random.Random, text: str) -> str:
    return "".join(ch + "".join(rng.choices(COMBINING, k=rng.randint(3, 30))) for ch in text)


def question(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return rng.choice(QUESTIONS)
    if r < 0.75:
        return typo(rng, rng.choice(QUESTIONS))
    if r < 0.9:
        return rng.choice(OTHER_LANGUAGES)
    q = rng.choice(QUESTIONS)
    return rng.choice((q.upper(), q + "?" * rng.randint(2, 20), f"  {q}  ", q.replace(" ", "   ")))


def valid_command(rng: random.Random, s: Stream) -> str:
    """A command of the core registry, shaped the way its usage line says."""
    code = "".join(rng.choices("ABCDEFGHJKMNPQRSTUVWXYZ23456789", k=8))
    forms: list[tuple[int, object]] = [
        (3, lambda: f"/start {rng.choice(('', *TRACKS, 'part'))}".strip()),
        (
            2,
            lambda: (
                f"/start {rng.choice(TRACKS)} {rng.choice(ZONES)} "
                f"{rng.choice(('07:30', '19:00', '7pm', '6.15', '21h30'))}"
            ),
        ),
        (4, "/today"),
        (3, lambda: "/done" + rng.choice(("", " finished the chapter", " gradients clicked"))),
        (2, "/skip"),
        (2, lambda: f"/snooze {rng.choice(('', '5', '30', '90', '720'))}".strip()),
        (2, "/plan"),
        (1, "/progress"),
        (2, "/streak"),
        (1, "/export"),
        (
            3,
            lambda: (
                "/settings"
                + rng.choice(
                    (
                        "",
                        " tz Europe/Berlin",
                        " tz asia/kolkata",
                        " time 07:30",
                        " time 7pm",
                        " days mon-fri",
                        " days every day",
                        " pace 60",
                        " pace 2h",
                        " pause",
                        " resume",
                    )
                )
            ),
        ),
        (2, lambda: "/link" + rng.choice(("", f" {code}"))),
        (1, lambda: "/forget" + rng.choice(("", "", " confirm"))),
        (3, "/help"),
        (2, "/topics"),
        (2, "/about"),
        (4, lambda: "/ask " + question(rng)),
        (
            2,
            lambda: (
                "/group "
                + rng.choice(
                    (
                        "status",
                        "leaderboard",
                        "setup part-time Europe/Berlin 19:00",
                        "pause",
                        "resume",
                    )
                )
            ),
        ),
        (1, "/leaderboard"),
    ]
    if s.qids:  # rating one of this user's own answers
        forms.append((2, lambda: f"/feedback {rng.choice(('up', 'down'))} {rng.choice(s.qids)}"))
    if s.path == "console":  # the console user is an admin: only commands that change nothing
        forms.append((1, lambda: f"/admin {rng.choice(('status', 'docs', 'audit', 'stats'))}"))
        forms.append((1, "/admin remove 04-math.md"))  # asks to confirm first
    else:
        forms.append((1, lambda: f"/admin {rng.choice(('status', 'docs', 'reingest'))}"))
    if s.path == "discord":  # the slash menu offers /feedback with no options at all
        forms.append((1, "/feedback"))
    weights = [w for w, _ in forms]
    _, form = rng.choices(forms, weights)[0]
    text = form() if callable(form) else form
    if s.path == "telegram" and s.where == "group" and rng.random() < 0.2:
        head, sep, rest = text.partition(" ")
        text = f"{head}@mlbot_test_bot{sep}{rest}"
    return text


MALFORMED = (
    "/",
    "/ ",
    "//",
    "/ help",
    "/nosuchcommand",
    "/" + "x" * 5000,
    "/start@someotherbot",
    "/today@" + "x" * 100,
    "/snooze abc",
    "/snooze -5",
    "/snooze 0",
    "/snooze " + HUGE,
    "/snooze " + BIG_DIGITS,
    "/snooze 1e9",
    "/snooze 12.5",
    "/snooze NaN",
    "/snooze 0x1F",
    "/snooze 1_000",
    "/snooze ٣٠٠٠",
    "/snooze 30 minutes please",
    "/settings tz",
    "/settings tz Mars/Base",
    "/settings tz " + "A" * 5000,
    "/settings tz ../../etc/localtime",
    "/settings time",
    "/settings time 25:99",
    "/settings time " + BIG_DIGITS,
    "/settings time -1:00",
    "/settings time 13pm",
    "/settings days",
    "/settings days someday",
    "/settings days " + "mon," * 1500,
    "/settings pace 1e309",
    "/settings pace " + BIG_DIGITS,
    "/settings pace -60",
    "/settings pace 99.9h",
    "/settings volume 11",
    "/settings " + "x" * 5000,
    "/start pirate",
    "/start " + "x" * 5000,
    "/start part-time Not/AZone",
    "/start part-time UTC 99:99",
    "/start part-time UTC " + "1" * 5000,
    "/start 12345 67890",
    "/done " + "n" * 5000,
    "/done " + "n" * 501,
    "/link WRONG123",
    "/link <b>x</b>",
    "/link " + "A" * 5000,
    "/link 🤖🤖",
    "/link " + "1" * 17,
    "/feedback",
    "/feedback up",
    "/feedback up abc",
    "/feedback up -1",
    "/feedback up 0",
    "/feedback up " + HUGE,
    "/feedback up " + BIG_DIGITS,
    "/feedback sideways 1",
    "/feedback up ¹²³",
    "/feedback up ٣",
    "/group setup",
    "/group setup pirate UTC 19:00",
    "/group setup part-time Mars/Base 19:00",
    "/group setup part-time UTC 25:00",
    "/group " + "x" * 5000,
    "/group bogus",
    "/ask",
    "/ask    ",
    "/ask " + "x" * 5000,
    "/topics " + "x" * 5000,
    "/help " + "x" * 5000,
    "/admin",
    "/admin bogus",
    "/admin remove",
    "/admin remove ../../etc/passwd",
    "/admin remove " + "x" * 5000,
)


def hostile(rng: random.Random, surrogates: bool) -> str:
    q = rng.choice(QUESTIONS)
    forms = [
        "",
        " ",
        "\t",
        "   \u3000  \u00a0",
        "\x00",
        "\x00" * rng.randint(2, 50),
        "what\x00 math do I need?",
        "\u202ewhat math do I need?\u202c",
        f"\u200f\u200e{q}\u200f",
        "\u061c\u2067x\u2069\u2066",
        "what\u200b math\u200d do I need?\u2060\ufeff",
        "\u200b" * rng.randint(1, 300),
        zalgo(rng, q),
        "🤖🧮📈",
        "👨‍👩‍👧‍👦" * rng.randint(1, 40),
        "🇺🇸🇩🇪🏳️‍🌈",
        f"{q} 🤔🤔",
        "**bold** _it_ `code` ~~s~~ ||spoiler|| > quote # h [link](http://127.0.0.1/x)",
        "<b>what</b> <script>alert(1)</script> &amp; &lt; &#0; <a href='x'>y</a> </b>",
        rng.choice(("&", "<", ">", "</b>", "<b>", "&#xD800;", "<tg-spoiler>x", "&amp")),
        "@everyone",
        "@here",
        f"@everyone {q} @here <@&123456789012345678>",
        "<@123456789012345678> hi <#1200000000000000200>",
        "@mlbot_test_bot",
        "x" * 10_000,
        " ".join(rng.choice(QUESTIONS) for _ in range(200))[:10_000],
        "🤖" * 10_000,
        "a\u0301" * 5000,
        "\ufdfa" * rng.choice((10, 1000, 5000)),  # NFKC makes each one 18 characters
        "what\nmath\n\n\ndo I need",
        "\r\n".join(rng.sample(QUESTIONS, 3)),
        "\x1b[31mred\x1b[0m \x7f\x08\x07",
        "%s %d %n {0} {question!r} {{}}",
        "'; DROP TABLE learners; --",
        "../../../../etc/passwd",
        "\\" * rng.randint(1, 3000),
        rng.choice(("`", "*", "_", ">", "|", "~")) * rng.randint(1, 5000),
        random_unicode(rng, rng.randint(1, 300), surrogates),
        random_unicode(rng, rng.randint(3000, 10_000), surrogates),
        "/" + random_unicode(rng, rng.randint(1, 60), surrogates),
        "/ask " + random_unicode(rng, rng.randint(1, 200), surrogates),
    ]
    if surrogates:
        forms += ["\ud800", "what \udfff math", "\udc80" * 10, f"{q}\ud83e"]
    return rng.choice(forms)


def made_up_button(rng: random.Random, path: str) -> str:
    data = rng.choice(
        (
            "",
            "x",
            "/",
            "/admin reingest",
            "/admin remove 04-math.md confirm",
            "/feedback up " + HUGE,
            "/feedback down 1",
            "/forget confirm",
            "/snooze 99999",
            "/start " + "x" * 57,
            "\x00",
            "/done\x00",
            "/" + random_unicode(rng, rng.randint(1, 40)),
            random_unicode(rng, rng.randint(1, 40)),
        )
    )
    if path == "telegram":  # callback_data is 1-64 bytes
        return data.encode("utf-8")[:64].decode("utf-8", "ignore")
    if path == "discord":
        # Custom ids are at most 100 characters; discord.py ignores any that does not match
        # our button's template (mlbot:/ and at least one character), as it should.
        return ("mlbot:/" + (data.lstrip("/") or "x"))[:100]
    if data.startswith("/admin"):  # the console user is an admin: this would really run
        return "/admin bogus"
    return data


def next_message(n: int, s: Stream) -> Msg:
    rng = s.rng
    r = rng.random()
    if r < 0.30:
        category, text = "valid", valid_command(rng, s)
    elif r < 0.50:
        category, text = "malformed", rng.choice(MALFORMED)
    elif r < 0.72:
        category, text = "question", question(rng)
    elif r < 0.93:
        category, text = "hostile", hostile(rng, surrogates=s.path == "console")
    elif r < 0.97:
        real = [a for a in s.buttons if not a.startswith("/admin")] or [
            "/done",
            "/skip",
            "/snooze",
            "/today",
            "/start part-time",
        ]
        category, text = "button", rng.choice(real)
    else:
        category, text = "button-madeup", made_up_button(rng, s.path)
    msg = Msg(n, s.path, s.name, category, "line", text)
    if s.path == "console":
        msg.text = text.replace("\n", " ")  # one line is one message on the console
    elif s.path == "telegram":
        msg.via = "callback" if category.startswith("button") else "message"
        if s.where == "group" and msg.via == "message" and not text.startswith("/"):
            if rng.random() < 0.75:
                msg.text = f"@mlbot_test_bot {text}"
            else:
                msg.via = "chatter"  # not addressed to the bot: ignored
    else:
        discord_transport(msg, s, rng)
    return msg


DISCORD_NOARG = {
    "help",
    "topics",
    "about",
    "today",
    "skip",
    "plan",
    "progress",
    "streak",
    "export",
    "feedback",
    "leaderboard",
}


def _slash_start(args: str) -> tuple | None:
    parts = args.split()
    if parts and parts[0] not in TRACKS:
        return None
    opts = dict(zip(("track", "timezone"), parts[:2], strict=False))
    if len(parts) > 2:
        opts["time"] = " ".join(parts[2:])
    return ("start", opts or None, None)


def _slash_settings(args: str) -> tuple | None:
    key, _, value = args.partition(" ")
    if key and key not in ("tz", "time", "days", "pace", "pause", "resume"):
        return None
    opts = {k: v for k, v in (("setting", key), ("value", value.strip())) if v}
    return ("settings", opts or None, None)


def _slash_snooze(args: str) -> tuple | None:
    if not args:
        return ("snooze", None, None)
    ok = args.isascii() and args.isdigit() and len(args) <= 3 and 5 <= int(args) <= 720
    return ("snooze", {"minutes": int(args)}, None) if ok else None


def _slash_group(args: str) -> tuple | None:
    parts = args.split()
    sub = parts[0] if parts else "status"
    if sub in ("status", "leaderboard", "pause", "resume", "leave") and len(parts) <= 1:
        return ("group", None, sub)
    if sub == "setup" and len(parts) == 4 and parts[1] in TRACKS:
        return ("group", {"track": parts[1], "timezone": parts[2], "time": parts[3]}, "setup")
    return None


def _slash_admin(args: str) -> tuple | None:
    parts = args.split()
    if not parts or parts[0] not in ("reingest", "status", "docs", "remove", "audit", "stats"):
        return None
    opts: dict = {"action": parts[0]}
    if len(parts) > 1:
        opts["document"] = parts[1]
    if len(parts) > 2 and parts[2] == "confirm":
        opts["confirm"] = True
    return ("admin", opts, None)


SLASH_FORMS = {
    "ask": lambda args: ("ask", {"question": args}, None) if args else None,
    "start": _slash_start,
    "settings": _slash_settings,
    "snooze": _slash_snooze,
    "done": lambda args: ("done", {"note": args} if args else None, None),
    "link": lambda args: ("link", {"code": args} if args else None, None),
    "forget": lambda args: (
        ("forget", {"confirm": True} if args else None, None) if args in ("", "confirm") else None
    ),
    "group": _slash_group,
    "admin": _slash_admin,
}


def to_slash(text: str) -> tuple | None:
    """The Discord slash command (name, options, subcommand) for a typed command, if Discord's
    client can send it (typed options, choices, ranges); None when only text can say it."""
    head, _, args = text.partition(" ")
    name, args = head[1:], args.strip()
    if not text.startswith("/") or "@" in name:
        return None
    if name in DISCORD_NOARG:
        return (name, None, None) if not args else None
    form = SLASH_FORMS.get(name)
    return form(args) if form else None


def discord_transport(msg: Msg, s: Stream, rng: random.Random) -> None:
    if msg.category.startswith("button"):
        msg.via = "click"
        if not msg.text.startswith("mlbot:"):
            msg.text = ("mlbot:" + msg.text)[:100]
        return
    slash = to_slash(msg.text) if msg.text.startswith("/") else None
    if msg.category == "valid" and msg.text == "/feedback":
        msg.via, msg.slash = "slash", slash  # only valid-shaped as the slash command
        return
    if slash is None and msg.category in ("question", "hostile") and rng.random() < 0.4:
        slash = ("ask", {"question": msg.text}, None)
        msg.text = f"/ask {msg.text}"
    if slash is not None and rng.random() < 0.7:
        msg.via, msg.slash = "slash", slash
    elif s.where == "dm":
        msg.via = "dm"
    else:
        msg.via = "mention" if rng.random() < 0.8 else "chatter"


# -- bookkeeping ----------------------------------------------------------------------------


class Tally:
    """Counts per path; keeps a repro (message, path, replies, traceback) for each problem."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.problems: dict[tuple[str, str], dict] = {}
        self.inflight: dict[tuple[str, str], Msg] = {}
        self.seen_exc: list[BaseException] = []
        self.unattributed: list[dict] = []
        self.warnings: Counter = Counter()
        self.refusals: dict[str, Counter] = defaultdict(Counter)

    def known(self, exc: BaseException | None) -> bool:
        return exc is not None and any(e is exc for e in self.seen_exc)

    def escaped(self, msg: Msg | None, exc: BaseException) -> None:
        self.seen_exc.append(exc)
        text = "".join(traceback.format_exception(exc))
        if msg is None:
            self.unattributed.append({"path": "?", "error": text})
        else:
            msg.escaped = True
            msg.errors.append(text)

    def settle(self, msg: Msg) -> None:
        c = self.counts[msg.path]
        c["sent"] += 1
        c[f"category:{msg.category}"] += 1
        c["replies"] += len(msg.replies)
        c["no reply"] += not msg.replies
        internal = [t for k, t in msg.replies if k == "error" and t.startswith(INTERNAL_ERROR)]
        problem = None
        if msg.escaped or internal or msg.errors:
            c["crashes"] += 1
            problem = "crash"
        elif msg.timed_out:
            c["timeouts"] += 1
            problem = "timeout"
        elif msg.category in ("valid", "button"):
            errors = [t for k, t in msg.replies if k == "error"]
            refused = [t for t in errors if STATE_REFUSALS.search(t)]
            c["valid-shaped"] += 1
            c["state refusals"] += bool(refused)
            if len(errors) > len(refused):
                c["valid errors"] += 1
                problem = "error reply to a valid-shaped command"
        if problem is None:
            return
        error_line = msg.errors[-1].strip().splitlines()[-1] if msg.errors else ""
        reply = msg.replies[0][1].splitlines()[0] if msg.replies else ""
        what = error_line or reply[:80] or f"{msg.category} via {msg.via}: no answer"
        rec = self.problems.setdefault(
            (problem, what), {"problem": problem, "what": what, "count": 0, "where": Counter()}
        )
        rec["count"] += 1
        rec["where"][f"{msg.path} via {msg.via}"] += 1
        examples = rec.setdefault("examples", {})
        if msg.path not in examples:  # one reproduction per path
            examples[msg.path] = {
                "via": msg.via,
                "stream": msg.stream,
                "category": msg.category,
                "message": msg.text[:200]
                + (f"... ({len(msg.text):,} characters)" * (len(msg.text) > 200)),
                "slash": repr(msg.slash)[:200] if msg.slash else None,
                "replies": [f"[{k}] {t[:300]}" for k, t in msg.replies],
                "errors": [e[-4000:] for e in msg.errors],
            }


class Capture(logging.Handler):
    """Errors logged anywhere (the core's log.exception, PTB's and discord.py's 'Ignoring
    exception'), attributed to the message being handled when there is one."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(logging.WARNING)
        self.tally = tally
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.ERROR:
            self.tally.warnings[record.name] += 1
            return
        exc = record.exc_info[1] if record.exc_info else None
        if self.tally.known(exc):
            return
        if exc is not None:
            self.tally.seen_exc.append(exc)
        text = self.format(record)
        msg = CURRENT.get()
        if msg is not None:
            msg.errors.append(text)
        else:
            path = next((p for p in PATHS if record.name.startswith(p)), "?")
            self.tally.unattributed.append({"path": path, "error": text[-4000:]})


@contextlib.asynccontextmanager
async def handling(tally: Tally, platform: str, user_id: object):
    """Around an adapter entry point: which fuzz message it is handling, and what escapes."""
    msg = tally.inflight.get((platform, str(user_id)))
    token = CURRENT.set(msg)
    try:
        yield msg
    except Exception as exc:
        tally.escaped(msg, exc)
        raise
    finally:
        CURRENT.reset(token)
        if msg is not None:
            msg.done.set()


def record_replies(core: BotCore, streams: dict[tuple[str, str], Stream]) -> None:
    """Wrap core.handle: every Reply is noted on the message being handled, and the stream
    remembers its buttons (to tap later) and the question ids it may rate."""
    handle = core.handle

    async def recording(req):  # type: ignore[no-untyped-def]
        reply = await handle(req)
        msg = CURRENT.get()
        if msg is not None:
            msg.replies.append((reply.kind, render_plain(reply)))
        s = streams.get((req.platform, req.user_id))
        if s is not None and reply.buttons:
            s.buttons = [b.action for b in reply.buttons]
            ids = [b.action.split()[-1] for b in reply.buttons if b.action.startswith("/feedback")]
            s.qids = (s.qids + ids)[-10:]
        return reply

    core.handle = recording  # type: ignore[method-assign]


# -- the three paths ------------------------------------------------------------------------


class FuzzTelegram(TelegramAdapter):
    tally: Tally

    async def on_message(self, update, context) -> None:  # type: ignore[no-untyped-def]
        async with handling(self.tally, "telegram", update.effective_user.id):
            await super().on_message(update, context)

    async def on_callback(self, update, context) -> None:  # type: ignore[no-untyped-def]
        async with handling(self.tally, "telegram", update.effective_user.id):
            await super().on_callback(update, context)


class FuzzDiscord(DiscordAdapter):
    tally: Tally

    async def run(self, interaction, text, attachments=()) -> None:  # type: ignore[no-untyped-def]
        async with handling(self.tally, "discord", interaction.user.id):
            await super().run(interaction, text, attachments)

    async def on_button(self, interaction, action) -> None:  # type: ignore[no-untyped-def]
        async with handling(self.tally, "discord", interaction.user.id):
            await super().on_button(interaction, action)

    async def on_message(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.author.bot:  # our own replies echoed back by the gateway
            return await super().on_message(message)
        async with handling(self.tally, "discord", message.author.id):
            await super().on_message(message)


class Paths:
    """Starts the adapters against the fakes and sends one message of a stream at a time."""

    def __init__(self, app, tally: Tally, enabled: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
        self.app, self.tally, self.enabled = app, tally, enabled
        self.tg_fake: FakeTelegram | None = None
        self.dc_fake: FakeDiscord | None = None
        self.tg: FuzzTelegram | None = None
        self.dc: FuzzDiscord | None = None
        self._patch = None
        self._msg_ids = itertools.count(10**9)
        self.streams: list[Stream] = []

    def make_streams(self, seed: int) -> None:
        def add(path: str, name: str, user_id: int | str, where: str, admin=False) -> None:
            rng = random.Random(f"{seed}:{name}")
            self.streams.append(Stream(path, name, user_id, where, rng, admin))

        if "console" in self.enabled:
            add("console", "console", "local", "console")
        if "telegram" in self.enabled:
            for i in range(4):
                add("telegram", f"tg-dm{i}", 5001 + i, "dm")
            add("telegram", "tg-group-admin", 6001, "group", admin=True)
            add("telegram", "tg-group", 6002, "group")
        if "discord" in self.enabled:
            for i in range(4):
                add("discord", f"dc-dm{i}", 1300000000000000001 + i, "dm")
            add("discord", "dc-guild-admin", 1300000000000000011, "group", admin=True)
            add("discord", "dc-guild", 1300000000000000012, "group")

    async def start(self) -> None:
        core = self.app.core
        if "telegram" in self.enabled:
            self.tg_fake = FakeTelegram()
            await self.tg_fake.start()
            self.tg_fake.members[(str(TG_GROUP), "6001")] = "administrator"
            self.tg = FuzzTelegram(
                core,
                TelegramSettings(
                    token=self.tg_fake.token, base_url=self.tg_fake.base_url, poll_timeout=1
                ),
            )
            self.tg.tally = self.tally
            await self.tg.start()
        if "discord" in self.enabled:
            self.dc_fake = await FakeDiscord(reject_invalid=True).start()
            self._patch = self.dc_fake.patch_discord()
            self.dc = FuzzDiscord(
                core,
                DiscordSettings(
                    token="test-token",
                    api_base=self.dc_fake.api_base,
                    gateway_url=self.dc_fake.gateway_url,
                    guild_ready_timeout=0.1,
                ),
            )
            self.dc.tally = self.tally
            tally = self.tally

            async def on_tree_error(interaction, error) -> None:  # type: ignore[no-untyped-def]
                original = getattr(error, "original", error)
                msg = tally.inflight.get(("discord", str(interaction.user.id)))
                if not tally.known(original):
                    tally.escaped(msg, original)
                if msg is not None:
                    msg.done.set()

            self.dc.tree.on_error = on_tree_error  # type: ignore[method-assign]
            await self.dc.start()
            # Registered, so the fake refuses what a real Discord client could not send.
            await self.dc.sync(self.dc_fake.guild_id)

    async def stop(self) -> None:
        if self.tg is not None:
            await self.tg.stop()
            await self.tg_fake.stop()
        if self.dc is not None:
            await self.dc.stop()
            self._patch.restore()
            await self.dc_fake.stop()

    async def send(self, s: Stream, msg: Msg) -> None:
        key = (s.path, str(s.user_id))
        self.tally.inflight[key] = msg
        try:
            if s.path == "console":
                await self._console(s, msg)
            elif s.path == "telegram":
                self._telegram(s, msg)
            else:
                await self._discord(s, msg)
            try:
                await asyncio.wait_for(msg.done.wait(), TIMEOUT)
            except TimeoutError:
                msg.timed_out = True
        finally:
            self.tally.inflight.pop(key, None)

    async def _console(self, s: Stream, msg: Msg) -> None:
        token = CURRENT.set(msg)
        try:
            out = io.StringIO()
            await run_console(
                self.app.core, stdin=io.StringIO(msg.text + "\n"), stdout=out, user_id=s.user_id
            )
        except Exception as exc:
            self.tally.escaped(msg, exc)
        finally:
            CURRENT.reset(token)
            msg.done.set()

    def _telegram(self, s: Stream, msg: Msg) -> None:
        fake = self.tg_fake
        chat = TG_GROUP if s.where == "group" else s.user_id
        kind = "supergroup" if s.where == "group" else "private"
        if msg.via == "callback":
            shown = Sent(
                "sendMessage", str(chat), "a message with buttons", None, next(self._msg_ids)
            )
            fake.push_callback(s.user_id, shown, msg.text)
        else:
            fake.push_message(s.user_id, msg.text, chat_id=chat, kind=kind)

    async def _discord(self, s: Stream, msg: Msg) -> None:
        fake = self.dc_fake
        guild = s.where == "group"
        perms = MANAGE_CHANNELS if s.admin else "0"
        if msg.via == "slash":
            name, options, sub = msg.slash
            try:
                await fake.slash(
                    name, options, user_id=s.user_id, guild=guild, permissions=perms, subcommand=sub
                )
                return
            except ValueError:  # a real client could not send it: typed as a message instead
                self.tally.counts["discord"]["slash refused by the fake, typed instead"] += 1
                msg.via, msg.slash = ("dm" if not guild else "mention"), None
                if msg.text == "/feedback":
                    msg.category = "malformed"  # only its slash form was valid-shaped
        if msg.via == "click":
            await fake.click(
                msg.text,
                fake.snowflake(),  # an older message of the bot's: a stub, as after a restart
                user_id=s.user_id,
                guild=guild,
                permissions=perms,
            )
        else:
            await fake.message(
                msg.text, user_id=s.user_id, dm=not guild, mentions_bot=msg.via == "mention"
            )

    def housekeeping(self) -> None:
        """Tally what the fakes refused or let ping, then drop their records (they would
        otherwise grow with the run and be measured as the bot's memory)."""
        t = self.tally
        if self.tg_fake is not None:
            fake = self.tg_fake
            for _, reason in fake.rejected:
                t.refusals["telegram"][reason] += 1
            fake.rejected.clear()
            fake.sent.clear()
            fake.calls.clear()
            fake.updates[:] = [u for u in fake.updates if u["update_id"] > fake.confirmed]
        if self.dc_fake is not None:
            fake = self.dc_fake
            for _, reason in fake.rejected:
                t.refusals["discord"][reason] += 1
            for problem in fake.check_message_limits():
                t.refusals["discord"]["sent over a limit: " + problem.split(": ", 1)[-1]] += 1
            t.counts["discord"]["pings"] += len(fake.check_allowed_mentions())
            t.counts["discord"]["late acks (>3 s)"] += len(fake.interaction_deadlines(3.0))
            fake.clear()


# -- running --------------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def malloc_trim() -> None:
    """Give glibc's free memory back to the system, so what RSS still holds is memory in use."""
    import ctypes

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def slope_per_1000(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per 1,000 messages."""
    if len(points) < 2:
        return float("nan")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return 1000 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var


def top_diffs(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, limit: int) -> list:
    # Only tracemalloc's own blocks are left out: a table allocated while importing (and
    # freed later) must show, or a resize looks like growth.
    keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before, after = before.filter_traces(keep), after.filter_traces(keep)
    return after.compare_to(before, "lineno")[:limit]


def where(stat: tracemalloc.StatisticDiff) -> str:
    frame = stat.traceback[0]
    path = frame.filename
    for prefix in (str(ROOT) + "/", str(Path(sys.prefix)) + "/"):
        path = path.replace(prefix, "")
    return f"{path}:{frame.lineno}"


async def setup(work: Path) -> tuple[Settings, float]:
    """A fresh data dir, SQLite database and copy of knowledge/ (console /admin may touch it),
    indexed by `mlbot ingest` in a child process as bench/answer_bench.py does."""
    knowledge = work / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    data = work / "data"
    env = dict(os.environ, MLBOT_KNOWLEDGE_DIR=str(knowledge))
    wall, _, _ = timed_run([*MLBOT, "ingest", "--data-dir", str(data), "--json"], env)
    settings = Settings.from_env(
        data_dir=data,
        knowledge_dir=knowledge,
        database_url=f"sqlite+aiosqlite:///{work / 'fuzz.db'}",
    ).with_(admins={})
    return settings, wall


async def fuzz(args: argparse.Namespace) -> dict:
    t_start = time.perf_counter()
    tally = Tally()
    logging.basicConfig(level=logging.WARNING, handlers=[Capture(tally)], force=True)
    assert INTERNAL_ERROR in inspect.getsource(BotCore.handle), "the core's error text changed"
    work = Path(tempfile.mkdtemp(prefix="mlbot-fuzz-"))
    try:
        settings, ingest_s = await setup(work)
        clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # a Monday
        app = await build_app(settings, clock=clock)
        paths = Paths(app, tally, args.paths)
        paths.make_streams(args.seed)
        record_replies(app.core, {(s.path, str(s.user_id)): s for s in paths.streams})
        await paths.start()
        by_path = {p: [s for s in paths.streams if s.path == p] for p in args.paths}
        setup_s = time.perf_counter() - t_start
        rss = [(0, rss_mb())]
        trimmed: list[tuple[int, float]] = []
        snapshots: dict[int, tracemalloc.Snapshot] = {}
        if args.tracemalloc and not tracemalloc.is_tracing():  # PYTHONTRACEMALLOC: from start
            tracemalloc.start(args.trace_frames)
        t0 = time.perf_counter()
        sent = 0
        while sent < args.messages:
            batch = range(sent, min(args.messages, sent + BATCH))
            per_stream: dict[int, list[int]] = defaultdict(list)
            for n in batch:
                path = args.paths[n % len(args.paths)]
                streams = by_path[path]
                s = streams[(n // len(args.paths)) % len(streams)]
                per_stream[id(s)].append(n)
            stream_of = {id(s): s for s in paths.streams}

            async def drive(s: Stream, ns: list[int]) -> None:
                for n in ns:
                    msg = next_message(n, s)
                    await paths.send(s, msg)
                    tally.settle(msg)

            await asyncio.gather(*(drive(stream_of[k], ns) for k, ns in per_stream.items()))
            sent = batch.stop
            paths.housekeeping()
            clock.advance(hours=3)  # days go by: new tasks, streaks, rest days
            if sent % args.rss_every == 0 or sent == args.messages:
                rss.append((sent, rss_mb()))
                line = f"  {sent:>7,} messages  RSS {rss[-1][1]:7.1f} MB"
                if args.malloc_trim:
                    malloc_trim()
                    trimmed.append((sent, rss_mb()))
                    line += f", after malloc_trim {trimmed[-1][1]:7.1f} MB"
                if not args.json_only:
                    print(line, flush=True)
            if args.tracemalloc and sent in (args.snapshot_at, args.messages):
                gc.collect()
                snapshots[sent] = tracemalloc.take_snapshot()
        took = time.perf_counter() - t0
        await paths.stop()
        await app.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = report(args, tally, rss, took, setup_s, ingest_s)
    if trimmed:
        half = [p for p in trimmed if p[0] >= args.messages / 2]
        result["rss_after_malloc_trim_mb"] = [[n, round(m, 1)] for n, m in trimmed]
        result["trimmed_growth_second_half_kb_per_1000"] = round(slope_per_1000(half) * 1024, 1)
    if len(snapshots) == 2:
        a, b = (snapshots[k] for k in sorted(snapshots))
        result["tracemalloc"] = {
            "between": sorted(snapshots),
            "traced_mb": [
                round(sum(s.size for s in x.statistics("filename")) / 2**20, 2) for x in (a, b)
            ],
            "top": [
                {
                    "where": where(d),
                    "size_diff_kb": round(d.size_diff / 1024, 1),
                    "count_diff": d.count_diff,
                }
                for d in top_diffs(a, b, args.top)
            ],
        }
    result["total_s"] = round(time.perf_counter() - t_start, 1)
    return result


def report(args, tally: Tally, rss, took: float, setup_s: float, ingest_s: float) -> dict:  # type: ignore[no-untyped-def]
    paths = {}
    for p in args.paths:
        c = tally.counts[p]
        refusals = tally.refusals.get(p, Counter())
        over = sum(n for r, n in refusals.items() if "too long" in r or "(max " in r)
        unattributed = sum(1 for u in tally.unattributed if u["path"] == p)
        paths[p] = {
            "sent": c["sent"],
            "crashes": c["crashes"] + unattributed,
            "valid_shaped": c["valid-shaped"],
            "valid_errors": c["valid errors"],
            "state_refusals": c["state refusals"],
            "over_limit": None if p == "console" else over,
            "other_refusals": None if p == "console" else sum(refusals.values()) - over,
            "pings": c["pings"] if p == "discord" else None,
            "timeouts": c["timeouts"],
            "replies": c["replies"],
            "no_reply": c["no reply"],
            "late_acks": c["late acks (>3 s)"] if p == "discord" else None,
            "slash_refused": c["slash refused by the fake, typed instead"],
            "categories": {
                k.split(":", 1)[1]: v for k, v in c.items() if k.startswith("category:")
            },
            "refusal_reasons": dict(refusals),
        }
    total = {
        k: sum(v[k] or 0 for v in paths.values())
        for k in (
            "sent",
            "crashes",
            "valid_shaped",
            "valid_errors",
            "state_refusals",
            "over_limit",
            "other_refusals",
            "pings",
            "timeouts",
            "replies",
            "no_reply",
        )
    }
    total["crashes"] += sum(1 for u in tally.unattributed if u["path"] == "?")
    half = [p for p in rss if p[0] >= args.messages / 2]
    growth = slope_per_1000(half)
    return {
        "messages": args.messages,
        "seed": args.seed,
        "paths": paths,
        "total": total,
        "rss_every": args.rss_every,
        "rss_mb": [[n, round(m, 1)] for n, m in rss],
        "rss_growth_second_half_kb_per_1000": round(growth * 1024, 1),
        "messages_s": round(took, 1),
        "messages_per_s": round(args.messages / took, 1),
        "setup_s": round(setup_s, 1),
        "ingest_s": round(ingest_s, 1),
        "problems": [
            {**p, "where": dict(p["where"])}
            for p in sorted(tally.problems.values(), key=lambda p: -p["count"])
        ],
        "unattributed_errors": tally.unattributed[:20],
        "warnings_by_logger": dict(tally.warnings),
    }


def print_report(r: dict) -> None:
    def show(v) -> str:  # type: ignore[no-untyped-def]
        return "-" if v is None else f"{v:,}"

    cols = (
        ("sent", "sent"),
        ("crashes", "crashes"),
        ("valid_shaped", "valid cmds"),
        ("valid_errors", "errors to valid"),
        ("state_refusals", "state refusals"),
        ("over_limit", "over limit"),
        ("other_refusals", "other refused"),
        ("pings", "pings"),
        ("timeouts", "timeouts"),
        ("replies", "replies"),
    )
    print()
    print(f"{'path':9}" + "".join(f"{h:>16}" for _, h in cols))
    for name, row in [*r["paths"].items(), ("total", r["total"])]:
        print(f"{name:9}" + "".join(f"{show(row.get(k)):>16}" for k, _ in cols))
    for name, row in r["paths"].items():
        extra = [f"no reply {row['no_reply']:,}"]
        if row["late_acks"] is not None:
            extra.append(f"interactions acked after 3 s {row['late_acks']:,}")
            extra.append(f"slash commands the fake refused (sent typed) {row['slash_refused']:,}")
        if row["refusal_reasons"]:
            extra.append(f"refusals {row['refusal_reasons']}")
        print(f"  {name}: " + "; ".join(extra) + f"; mix {row['categories']}")
    print(f"\nRSS (MB) after each {r['rss_every']:,} messages:")
    print("  " + "  ".join(f"{n:,}: {m:.1f}" for n, m in r["rss_mb"]))
    print(
        f"RSS growth over the second half: {r['rss_growth_second_half_kb_per_1000']:+.1f} KB per "
        f"1,000 messages ({r['rss_growth_second_half_kb_per_1000'] * 1.024:+.2f} bytes/message)"
    )
    if "rss_after_malloc_trim_mb" in r:
        print("RSS (MB) after gc.collect() and malloc_trim(0) at the same points:")
        print("  " + "  ".join(f"{n:,}: {m:.1f}" for n, m in r["rss_after_malloc_trim_mb"]))
        g = r["trimmed_growth_second_half_kb_per_1000"]
        print(f"  growth over the second half: {g:+.1f} KB per 1,000 messages")
    if "tracemalloc" in r:
        t = r["tracemalloc"]
        print(
            f"\ntracemalloc, message {t['between'][0]:,} -> {t['between'][1]:,}: traced "
            f"{t['traced_mb'][0]} -> {t['traced_mb'][1]} MB; top differences by file:line"
        )
        for d in t["top"]:
            print(f"  {d['size_diff_kb']:>+9.1f} KB {d['count_diff']:>+7} blocks  {d['where']}")
    print(
        f"\ntime: {r['messages_s']} s for {r['messages']:,} messages ({r['messages_per_s']}/s); "
        f"set-up {r['setup_s']} s (ingest {r['ingest_s']} s); total {r['total_s']} s"
    )
    if r["warnings_by_logger"]:
        print(f"warnings logged: {r['warnings_by_logger']}")
    print_problems(r)


def print_problems(r: dict) -> None:
    """Each distinct crash or error reply once: where it happened, one reproduction per path."""
    for p in r["problems"]:
        print(f"\n--- {p['problem']} x{p['count']}: {p['what']}")
        print(f"    where: {p['where']}")
        for path, ex in p["examples"].items():
            print(f"    {path} ({ex['via']}, {ex['category']}, {ex['stream']}): {ex['message']!r}")
            if ex["slash"]:
                print(f"      slash command: {ex['slash']}")
            for reply in ex["replies"]:
                print(f"      reply: {reply[:160]!r}")
        errors = next((ex["errors"] for ex in p["examples"].values() if ex["errors"]), [])
        for err in errors[:1]:
            print("      " + err[-2500:].replace("\n", "\n      "))
    for u in r["unattributed_errors"]:
        print(f"\n--- error logged outside any message ({u['path']}):\n    " + u["error"][-2500:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="a 1,000-message smoke run")
    parser.add_argument("--seed", type=int, default=20260302)
    parser.add_argument("--paths", default=",".join(PATHS), help="comma-separated subset")
    parser.add_argument("--rss-every", type=int, default=1000)
    parser.add_argument(
        "--malloc-trim",
        action="store_true",
        help="also measure RSS after gc and glibc malloc_trim(0) at each checkpoint",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="snapshot diff (slower)")
    parser.add_argument("--snapshot-at", type=int, default=2000)
    parser.add_argument("--trace-frames", type=int, default=1)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json-only", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    if args.quick:
        args.messages = 1000
        args.rss_every = min(args.rss_every, 100)
        args.snapshot_at = min(args.snapshot_at, 200)
    args.paths = tuple(p for p in PATHS if p in args.paths.split(","))
    if args.rss_every % BATCH or args.snapshot_at % BATCH:
        parser.error(f"--rss-every and --snapshot-at must be multiples of {BATCH}")
    result = asyncio.run(fuzz(args))
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2)  # ASCII: repro messages may hold lone surrogates
    (out / "fuzz_bench.json").write_text(text)
    if args.json_only:
        print(text)
    else:
        print_report(result)
    sys.exit(1 if result["total"]["crashes"] else 0)


if __name__ == "__main__":
    main()
