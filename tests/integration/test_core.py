"""The core through its one entry point, as every adapter uses it."""

from __future__ import annotations

import pytest

from bot.adapters.plain import render_plain
from bot.core.messages import Request
from tests.conftest import N_DOCS


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
    assert "Math for ML" in topics and f"{N_DOCS} roadmap documents" in topics
    about = render_plain(await ask(core, "/about"))
    assert f"{N_DOCS} documents" in about


# -- issue: answers that hold on any content (typos, languages, small talk, routing) --------


@pytest.mark.parametrize(
    "typed,spelled",
    [
        ("waht math do i ned for machin lerning", "what math do I need for machine learning"),
        ("how to deplyo a modle to production", "how to deploy a model to production"),
    ],
)
async def test_misspelled_questions_get_the_spelled_answer(core, typed, spelled):
    got, want = await ask(core, typed), await ask(core, spelled)
    assert want.kind == "answer" and got.kind == "answer"
    assert [c.label for c in got.citations] == [c.label for c in want.citations]
    assert render_plain(got) == render_plain(want)


async def ask_logged(core, text: str):
    """The reply, and the questions the core handed to its question log (the admins' list)."""
    logged: list[str] = []

    async def record(req, question, reply):
        logged.append(question)
        return reply

    core.on_question, saved = record, core.on_question
    try:
        return await ask(core, text), logged
    finally:
        core.on_question = saved


@pytest.mark.parametrize(
    "text,expect",
    [
        ("¿qué matemáticas necesito para machine learning?", "solo respondo en inglés"),
        ("Welche Mathematik brauche ich für maschinelles Lernen?", "nur auf Englisch"),
    ],
)
async def test_other_languages_are_told_in_their_language_and_not_logged(core, text, expect):
    reply, logged = await ask_logged(core, text)
    assert reply.kind == "not_english" and expect in render_plain(reply)
    assert "?" in render_plain(reply)  # English example questions follow
    assert logged == []


@pytest.mark.parametrize(
    "text", ["ok", "yes", "lol", "what?", "🤖🤔🔥", "cool thanks", "good bot", "you're awesome!"]
)
async def test_small_talk_never_gets_the_refusal_or_reaches_the_admins(core, text):
    reply, logged = await ask_logged(core, text)
    assert reply.kind == "smalltalk" and "doesn't cover" not in render_plain(reply)
    assert logged == []


@pytest.mark.parametrize("text", ["where do i start", "where do I even start?"])
async def test_where_to_start_routes_to_the_learning_order(core, text):
    reply = await ask(core, text)
    assert reply.kind == "answer"
    assert reply.citations[0].label.endswith("The recommended learning order")


async def test_a_section_written_for_the_question_beats_the_general_learning_order(core):
    reply = await ask(core, "what should I learn after python basics?")
    assert reply.citations[0].label.endswith("What should I learn after Python basics?")


async def test_refusal_suggestions_come_from_the_index_and_are_answered(core):
    reply = await ask(core, "how do I bake sourdough bread?")
    assert reply.kind == "not_covered"
    suggestions = reply.answer.suggestions
    assert len(suggestions) >= 3
    chunks = core.answerer.retriever.current().chunks
    headings = {c.section.split(" › ")[-1] for c in chunks}
    titles = {c.title for c in chunks}
    for s in suggestions:
        assert s in headings or any(t.lower() in s.lower() for t in titles), s
        assert (await ask(core, s)).kind == "answer", s


async def test_reply_starts_with_the_answer_and_quotes_a_list_whole(core):
    reply = await ask(core, "what can computer vision do")
    lines = reply.answer.lines
    texts = [line.text for line in lines]
    lead = next(i for i, t in enumerate(texts) if t.endswith(":"))
    assert texts[lead] == "The four core computer vision tasks:"
    assert len([t for t in texts[lead + 1 :] if ":" in t]) >= 4  # every task, not one
    assert not any(t.endswith(":") and len(t) > len(texts[lead]) + 40 for t in texts)


async def test_a_question_asked_as_a_heading_puts_the_sections_point_first(core):
    reply = await ask(core, "what math do I need?")
    first = reply.answer.lines[0].text
    assert first.startswith("Machine learning rests on three areas of mathematics")


async def test_a_long_list_is_quoted_whole_up_to_the_budget(core):
    reply = await ask(core, "where do i start")
    texts = [line.text for line in reply.answer.lines]
    assert texts[0].endswith("builds on the previous ones:")
    assert "Python programming." in texts and "Building APIs." in texts  # items 1 and 15
    assert sum(len(t) for t in texts) <= 1000
