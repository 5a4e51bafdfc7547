"""Hostile and careless input through the core, for every registry command and free text:
nothing escapes, no internal error, every reply says something, fits the platforms' limits
once rendered, and nothing is "answered" empty. Hypothesis generates the messages; a fixed
sweep makes sure every command meets the classic bad arguments at least once."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.discord.adapter import message_kwargs
from bot.adapters.discord.render import NO_PINGS
from bot.adapters.plain import render_plain
from bot.adapters.telegram.adapter import keyboard
from bot.adapters.telegram.render import render as render_telegram
from bot.core.messages import Request
from tests.fakes.discord import message_problems
from tests.fakes.telegram import html_problem, visible

INTERNAL_ERROR = "something went wrong on my side"
PLATFORMS = ("console", "telegram", "discord")
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "9" * 40,
    "-1",
    "1e309",
    "x" * 5000,
    "<b>bold</b> <script>alert(1)</script>",
    "**bold** __u__ `code` ||spoiler|| [link](https://example.org)",
    "@everyone @here <@&123> <@1>",
    "\u202eevil\u200b\u200d\ufeff",
    "e\u0301\u0301\u0301" * 50,
    "🤖" * 300,
    "confirm",
    "up 1",
    "down 999999999999999999999",
    "Europe/Berlin 25:99",
    "tz Mars/Base",
    "remove ../../etc/passwd confirm",
    "add /dev/zero",
)


@pytest.fixture(scope="module")
def hostile(kb_settings, kb_retriever, curriculum, tmp_path_factory):
    """An app over copies of the knowledge and index (console admin actions may change them),
    driven from a loop of its own so hypothesis can call it from a plain test function."""
    from bot.bootstrap import build_app
    from bot.learning.clock import SystemClock
    from tests.doubles import MemoryDeliverer

    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(kb_settings.knowledge_dir, root / "knowledge")
    shutil.copytree(kb_settings.data_dir, root / "data")
    config = kb_settings.with_(knowledge_dir=root / "knowledge", data_dir=root / "data")
    loop = asyncio.new_event_loop()
    app = loop.run_until_complete(
        build_app(
            config,
            clock=SystemClock(),
            deliverers={p: MemoryDeliverer(p) for p in PLATFORMS},
            curriculum=curriculum,
        )
    )
    yield loop, app
    job = app.reingester.current
    if job is not None:
        loop.run_until_complete(asyncio.wait_for(job.finished.wait(), 300))
    loop.run_until_complete(app.close())
    loop.close()


def check(req: Request, reply) -> None:  # type: ignore[no-untyped-def]
    said = f"{req.platform} {req.where} {req.text[:80]!r}"
    plain = render_plain(reply)
    assert INTERNAL_ERROR not in plain, said
    assert plain.strip(), f"empty reply to {said}"
    if reply.kind == "answer":
        assert reply.answer is not None and reply.answer.lines and reply.answer.sources, said
    for part in render_telegram(reply):
        assert part.strip() and html_problem(part) is None, (said, part[:200])
        assert len(visible(part)) <= 4096, said
    markup = keyboard(reply)
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            assert button.text.strip(), said
            assert 1 <= len(button.callback_data.encode()) <= 64, (said, button.callback_data)
    for kwargs in message_kwargs(reply):
        view = kwargs.get("view")
        payload = {"content": kwargs["content"], "components": view.to_components() if view else []}
        assert kwargs["content"].strip() and message_problems(payload) == [], (said, payload)
        assert kwargs["allowed_mentions"] is NO_PINGS, said


def request(platform: str, text: str, user: str = "7", group: bool = False) -> Request:
    return Request(
        platform=platform,
        user_id=user,
        text=text,
        where="group" if group else "dm",
        channel_id="-100" if group else None,
        user_name="Tester",
    )


def test_every_command_survives_the_classic_bad_arguments(hostile):
    loop, app = hostile
    commands = app.core.registry.all()
    assert len(commands) >= 15
    for cmd in commands:
        for args in NASTY:
            for platform in PLATFORMS:
                for group in (False, True):
                    req = request(platform, f"/{cmd.name} {args}".strip(), group=group)
                    check(req, loop.run_until_complete(app.core.handle(req)))


def _messages(command_names: list[str]):  # type: ignore[no-untyped-def]
    words = st.sampled_from(
        ["confirm", "up", "down", "tz", "time", "days", "pace", "pause", "resume", "part-time",
         "full-time", "fast-track", "UTC", "Europe/Berlin", "19:00", "mon-fri", "30", "setup",
         "post", "status", "leave", "leaderboard", "add", "remove", "docs", "audit", "stats"]
    )  # fmt: skip
    arg = st.one_of(
        words,
        st.integers().map(str),
        st.text(max_size=60),
        st.text(min_size=2000, max_size=4500),
    )
    command = st.builds(
        lambda name, args: f"/{name} " + " ".join(args),
        st.sampled_from(command_names),
        st.lists(arg, max_size=4),
    )
    return st.one_of(command, st.text(max_size=400), st.text(min_size=1000, max_size=6000))


@pytest.fixture(scope="module")
def command_names(hostile) -> list[str]:
    return [c.name for c in hostile[1].core.registry.all()] + [
        "nosuchcommand",
        "START",
        "start@bot",
    ]


def test_generated_messages_never_break_the_core(hostile, command_names):
    loop, app = hostile

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
    )
    @given(
        text=_messages(command_names),
        platform=st.sampled_from(PLATFORMS),
        user=st.sampled_from(["7", "8"]),
        group=st.booleans(),
    )
    def one(text: str, platform: str, user: str, group: bool) -> None:
        req = request(platform, text, user, group)
        check(req, loop.run_until_complete(app.core.handle(req)))

    one()
