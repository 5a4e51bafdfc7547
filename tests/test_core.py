"""The core through its one entry point, as every adapter uses it."""

from __future__ import annotations

import pytest

from bot.adapters.plain import render_plain
from bot.core.messages import Request


async def ask(core, text: str):
    return await core.handle(Request(platform="test", user_id="u1", text=text))


@pytest.mark.parametrize("text", ["hi", "Hello!", "hey there 👋", "good morning", "thanks!", "bye"])
async def test_greetings_get_a_friendly_reply(core, text):
    reply = await ask(core, text)
    assert reply.kind == "smalltalk"


@pytest.mark.parametrize("text", ["help", "/help", "?", "what can you do?"])
async def test_help_lists_commands_from_the_registry(core, text):
    body = render_plain(await ask(core, text))
    for name in core.registry.names():
        assert f"/{name}" in body


async def test_question_gets_cited_answer(core):
    reply = await ask(core, "what math do I need?")
    assert reply.kind == "answer"
    body = render_plain(reply)
    assert "linear algebra" in body and "[1] Math for ML › Which math do I need?" in body


async def test_ask_command_and_botname_suffix(core):
    reply = await ask(core, "/ask@MlBot do I need a degree?")
    assert reply.kind == "answer"
    assert any("Careers and Degrees" in c.label for c in reply.citations)


@pytest.mark.parametrize(
    "text,expect",
    [
        ("", "didn't catch"),
        ("   \n\t ", "didn't catch"),
        ("\u200b\u200d\u2060", "didn't catch"),
        ("/ask", "What would you like to know"),
        ("/frobnicate now", "don't know the command /frobnicate"),
        ("/" + "x" * 500, "don't know the command"),
        ("x" * 10_000, "10,000 characters"),
        ("what's the weather in Paris?", "doesn't cover that"),
        ("asdfgh", "doesn't cover that"),
    ],
)
async def test_bad_input_gets_a_friendly_reply(core, text, expect):
    reply = await ask(core, text)
    assert expect in render_plain(reply)
    assert reply.kind != "answer"


@pytest.mark.parametrize(
    "text",
    [
        "<b>what</b> math do I need? & more",
        "what *math* do _I_ need? [link](x)",
        "what math do I need? 🤔🧮",
        "\u200bwhat\u200d math do\u2060 I need?",
        "ما هي الرياضيات التي أحتاجها؟ what math do I need?",
        "@everyone what math do I need?",
    ],
)
async def test_odd_unicode_and_markup_still_answer(core, text):
    reply = await ask(core, text)
    assert reply.kind == "answer"
    assert "linear algebra" in render_plain(reply)


async def test_topics_and_about(core):
    topics = render_plain(await ask(core, "/topics"))
    assert "Math for ML" in topics and "17 roadmap documents" in topics
    about = render_plain(await ask(core, "/about"))
    assert "17 documents" in about
