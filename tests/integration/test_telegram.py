"""The Telegram adapter: real python-telegram-bot against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.adapters.telegram.adapter import TelegramAdapter, TelegramSettings, send_reply
from bot.core.messages import Bullets, Paragraph, Reply
from bot.learning.models import AuditEntry, Learner
from bot.nudges.delivery import Limits
from tests.fakes.telegram import FakeTelegram, html_problem, visible

USER = 4242
GROUP = -100777


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):  # Telegram behaviour does not depend on the database
    return f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"


@pytest.fixture
async def tg(app):
    fake = FakeTelegram()
    await fake.start()
    adapter = TelegramAdapter(
        app.core, TelegramSettings(token=fake.token, base_url=fake.base_url, poll_timeout=1)
    )
    app.queue.add_deliverer("telegram", adapter.deliverer)
    await adapter.start()
    yield fake, adapter
    await adapter.stop()
    await fake.stop()


async def ask(fake: FakeTelegram, text: str, user: int = USER, **kw):
    before = len(fake.messages())
    fake.push_message(user, text, **kw)
    return await fake.wait_for(lambda: fake.messages()[before:] or None)


async def test_commands_are_registered_with_descriptions(tg):
    fake, _ = tg
    names = {c["command"]: c["description"] for c in fake.commands}
    for name in (
        "start",
        "today",
        "done",
        "skip",
        "snooze",
        "plan",
        "progress",
        "streak",
        "settings",
        "link",
        "export",
        "forget",
        "help",
        "ask",
        "group",
        "leaderboard",
    ):
        assert names.get(name), name


async def test_private_question_gets_cited_html_answer(tg):
    fake, _ = tg
    [msg] = await ask(fake, "what math do I need?")
    assert msg.params["parse_mode"] == "HTML" and html_problem(msg.text) is None
    assert "linear algebra" in msg.text and "<b>Sources</b>" in msg.text
    assert "Math for ML › Which math do I need?" in visible(msg.text)


async def test_every_command_answers_in_a_private_chat(tg, tmp_path):
    fake, _ = tg
    for command in (
        "/help",
        "/start",
        "/start part-time",
        "/settings tz Europe/Berlin",
        "/today",
        "/done",
        "/skip",
        "/snooze 30",
        "/plan",
        "/streak",
        "/settings",
        "/link",
        "/topics",
        "/about",
        "/ask do I need a degree?",
    ):
        replies = await ask(fake, command)
        assert replies and all(html_problem(m.text) is None for m in replies), command
    before = len(fake.sent)
    fake.push_message(USER, "/progress")
    await fake.wait_for(lambda: any(s.method == "sendPhoto" for s in fake.sent[before:]))
    before = len(fake.sent)
    fake.push_message(USER, "/export")
    doc = await fake.wait_for(lambda: [s for s in fake.sent[before:] if s.method == "sendDocument"])
    assert doc[0].params["document"]["filename"] == "mlbot-export.json"
    [confirm] = await ask(fake, "/forget")
    assert confirm.reply_markup["inline_keyboard"][0][0]["callback_data"] == "/forget confirm"
    assert fake.rejected == []


async def test_buttons_answer_first_then_act_and_a_double_tap_does_nothing(tg):
    fake, _ = tg
    [welcome] = await ask(fake, "/start")
    buttons = [b["callback_data"] for b in welcome.reply_markup["inline_keyboard"][0]]
    assert "/start part-time" in buttons
    before = len(fake.messages())
    fake.push_callback(USER, welcome, "/start part-time")
    fake.push_callback(USER, welcome, "/start part-time")  # impatient second tap
    await fake.wait_for(lambda: fake.messages()[before:] or None)
    await fake.settle()
    replies = fake.messages()[before:]
    assert len(replies) == 1 and "enrolled" in replies[0].text
    answers = [m for m, _ in fake.calls if m == "answerCallbackQuery"]
    assert len(answers) == 2
    methods = [m for m, _ in fake.calls]
    first_answer = methods.index("answerCallbackQuery")
    assert first_answer < methods.index("editMessageReplyMarkup")
    assert welcome.reply_markup is None  # keyboard removed after the tap
    [task] = await ask(fake, "/today")
    before = len(fake.messages())
    fake.push_callback(USER, task, "/done")
    fake.push_callback(USER, task, "/done")
    await fake.wait_for(lambda: fake.messages()[before:] or None)
    await fake.settle()
    done = fake.messages()[before:]
    assert len(done) == 1 and "Day 1 of" in done[0].text


async def test_a_quiz_question_is_answered_by_button_once_and_explained(tg):
    fake, _ = tg
    await ask(fake, "/start full-time UTC")
    await ask(fake, "/done")  # the first task's sections bring their questions
    [question] = await ask(fake, "/quiz")
    row = question.reply_markup["inline_keyboard"][0]
    assert [b["text"] for b in row] == ["1", "2", "3", "4"][: len(row)] and len(row) >= 3
    assert all(len(b["callback_data"].encode()) <= 64 for b in row)
    before = len(fake.messages())
    fake.push_callback(USER, question, row[0]["callback_data"])
    fake.push_callback(USER, question, row[0]["callback_data"])  # a double tap
    await fake.wait_for(lambda: fake.messages()[before:] or None)
    await fake.settle()
    [verdict] = fake.messages()[before:]
    print(f"\n{question.text}\n{question.reply_markup}\n---\n{verdict.text}")
    assert ("Right" in verdict.text or "Not quite" in verdict.text) and "Sources" in verdict.text
    assert "I'll ask it again" in verdict.text and fake.rejected == []
    # Tapping an old question's button after it was answered counts nothing more.
    [again] = await ask(fake, row[0]["callback_data"])
    assert "already answered" in again.text


async def test_group_admin_enrols_non_admin_refused_and_chatter_ignored(tg, app):
    fake, _ = tg
    fake.members[(str(GROUP), "1")] = "administrator"
    [refused] = await ask(
        fake, "/group setup part-time Europe/Berlin 19:00", user=2, chat_id=GROUP, kind="supergroup"
    )
    assert "Only the chat's admins" in refused.text
    [ok] = await ask(
        fake, "/group setup part-time Europe/Berlin 19:00", user=1, chat_id=GROUP, kind="supergroup"
    )
    assert "now follows Part-time" in ok.text
    # Chatter is ignored; a mention, a reply to the bot and /ask are answered.
    before = len(fake.messages())
    fake.push_message(3, "anyone watching the game tonight?", chat_id=GROUP, kind="supergroup")
    await fake.settle()
    assert fake.messages()[before:] == []
    [mention] = await ask(
        fake, "@mlbot_test_bot what math do I need?", user=3, chat_id=GROUP, kind="supergroup"
    )
    assert "linear algebra" in mention.text
    bot_msg = {
        "message_id": mention.message_id,
        "date": 0,
        "chat": fake.chat(GROUP, "supergroup"),
        "from": fake.me,
        "text": "x",
    }
    [replied] = await ask(
        fake, "do I need a degree?", user=3, chat_id=GROUP, kind="supergroup", reply_to=bot_msg
    )
    assert "Careers and Degrees" in visible(replied.text)
    [asked] = await ask(
        fake,
        "/ask what projects should a beginner build?",
        user=3,
        chat_id=GROUP,
        kind="supergroup",
    )
    assert "Sources" in asked.text
    assert [m for m, _ in fake.calls].count("getChatMember") == 2  # only for admin commands


async def test_group_post_at_its_time_and_members_done(tg, app, clock):
    fake, _ = tg
    fake.members[(str(GROUP), "1")] = "creator"
    await ask(fake, "/group setup fast-track UTC 18:00", user=1, chat_id=GROUP, kind="supergroup")
    clock.set(datetime(2026, 3, 4, 18, 2, tzinfo=UTC))
    await app.engine.tick()
    await app.queue.join()
    post = await fake.wait_for(
        lambda: [m for m in fake.messages(GROUP) if "Group task 1" in m.text]
    )
    assert post[0].reply_markup["inline_keyboard"][0][0]["callback_data"] == "/done"
    before = len(fake.messages(GROUP))
    fake.push_callback(5, post[0], "/done", name="Grace")
    fake.push_callback(6, post[0], "/done", name="Alan")
    await fake.wait_for(lambda: len(fake.messages(GROUP)) >= before + 2)
    texts = " ".join(m.text for m in fake.messages(GROUP)[before:])
    assert "Grace finished" in texts and "Alan finished" in texts
    assert post[0].reply_markup is not None  # the group keeps its button for everyone
    [board] = await ask(fake, "/leaderboard", user=5, chat_id=GROUP, kind="supergroup")
    assert "Grace: 1" in board.text and "Alan: 1" in board.text


async def test_nudge_at_local_time_then_429_and_403(tg, app, clock):
    fake, adapter = tg
    await ask(fake, "/start part-time Asia/Kolkata 07:30")
    clock.set(datetime(2026, 3, 4, 1, 50, tzinfo=UTC))  # 07:20 in Kolkata
    await app.engine.tick()
    await app.queue.join()
    assert not [m for m in fake.messages(USER) if "Time to study" in m.text]
    clock.set(datetime(2026, 3, 4, 2, 1, tzinfo=UTC))  # 07:31
    fake.force_429.append(1)
    t0 = time.monotonic()
    await app.engine.tick()
    await app.queue.join()
    nudge = [m for m in fake.messages(USER) if "Time to study" in m.text]
    assert len(nudge) == 1 and time.monotonic() - t0 >= 1.0 and fake.count_429 == 1
    assert [b["callback_data"] for b in nudge[0].reply_markup["inline_keyboard"][0]] == [
        "/done",
        "/skip",
        "/snooze",
    ]
    fake.blocked.add(str(USER))
    clock.set(datetime(2026, 3, 5, 2, 1, tzinfo=UTC))
    await app.engine.tick()
    await app.queue.join()
    async with app.db.sessions() as s:
        learner = (await s.execute(select(Learner))).scalar_one()
        assert learner.nudges_paused and "blocked" in learner.pause_reason


async def test_long_reply_is_split_into_valid_html_parts(tg):
    fake, adapter = tg
    tricky = "Tip <b>&amp; tricks</b> _*[ ]* 🧠 עברית & more. "
    reply = Reply(
        (
            Paragraph(tricky * 70),
            Bullets(tuple(f"{tricky} {i}" for i in range(50)), tuple(range(50))),
        )
    )
    assert (
        sum(
            len(p.text) if isinstance(p, Paragraph) else sum(map(len, p.items))
            for p in reply.blocks
        )
        > 5000
    )
    await send_reply(adapter.application.bot, USER, reply)
    parts = fake.messages(USER)
    assert len(parts) >= 2 and fake.rejected == []
    assert all(html_problem(p.text) is None and len(visible(p.text)) <= 4096 for p in parts)
    assert (
        "".join(visible(p.text) for p in parts).count("tricks</b>") == 120
    )  # cuts fall only between words


@pytest.mark.parametrize(
    "text",
    [
        "<b>what</b> math do I need?",
        "math & stats?",
        "_*[ what math do I need ]*_",
        "what math do I need? 🤖🧮",
        "מה מתמטיקה אני צריך? what math do I need?",
        "/bogus<b>&amp;_*[",
        "@everyone what math do I need?",
    ],
)
async def test_hostile_text_is_echoed_safely(tg, text):
    fake, _ = tg
    replies = await ask(fake, text)
    assert replies and fake.rejected == []
    if text.startswith("/bogus"):
        assert "/bogus&lt;b&gt;&amp;amp;_*[" in replies[0].text


async def test_empty_and_huge_messages_get_friendly_replies(tg):
    fake, _ = tg
    [empty] = await ask(
        fake,
        "",
        sticker={
            "file_id": "x",
            "file_unique_id": "y",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert "only read text" in empty.text
    [huge] = await ask(fake, "why?" * 5000)
    assert "20,000 characters" in huge.text


async def test_restart_loses_no_update_and_answers_none_twice(app):
    fake = FakeTelegram()
    await fake.start()
    settings = TelegramSettings(token=fake.token, base_url=fake.base_url, poll_timeout=1)
    first = TelegramAdapter(app.core, settings)
    await first.start()
    fake.push_message(USER, "/start")
    await fake.wait_for(lambda: fake.messages(USER) or None)
    await first.stop()
    # Answered but, with the bot gone, never confirmed to Telegram: it will be redelivered.
    fake.confirmed = 0
    fake.push_message(USER, "hello")  # arrives while the bot is down
    second = TelegramAdapter(app.core, settings)
    await second.start()
    try:
        await fake.wait_for(lambda: len(fake.messages(USER)) >= 2)
        await fake.settle()
        texts = [m.text for m in fake.messages(USER)]
        assert len(texts) == 2 and "Welcome" in texts[0] and "Hi!" in texts[1]
    finally:
        await second.stop()
        await fake.stop()


async def test_delivery_respects_limits_of_the_fake(app, tmp_path):
    """Nudge-style sends through the real adapter with the fake enforcing Telegram's limits."""
    from bot.nudges.delivery import DeliveryQueue, SendJob, Target

    fake = FakeTelegram(enforce_limits=True)
    await fake.start()
    adapter = TelegramAdapter(
        app.core, TelegramSettings(token=fake.token, base_url=fake.base_url, poll_timeout=1)
    )
    await adapter.application.initialize()
    queue = DeliveryQueue({"telegram": adapter.deliverer}, {"telegram": Limits(per_second=29)})
    try:
        for i in range(60):
            await queue.put(SendJob(Target("telegram", str(1000 + i)), Reply.text(f"nudge {i}")))
        for _ in range(3):  # three posts to one group chat in a row: paced at 1/s? groups: 20/min
            await queue.put(
                SendJob(Target("telegram", str(GROUP), "group"), Reply.text("group post"))
            )
        await asyncio.wait_for(queue.join(), 60)
        assert len(fake.messages()) == 63 and fake.count_429 == 0
    finally:
        await queue.stop()
        await adapter.application.shutdown()
        await fake.stop()


@pytest.mark.slow
async def test_mlbot_run_serves_telegram_and_stops_cleanly_on_sigterm(
    kb_settings, subprocess_env, tmp_path
):
    import shutil
    import signal

    fake = FakeTelegram()
    await fake.start()
    data = tmp_path / "run-data"
    shutil.copytree(kb_settings.data_dir, data)  # the built index; the database is created fresh
    env = {
        **subprocess_env,
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": fake.base_url,
        "MLBOT_KNOWLEDGE_DIR": str(kb_settings.knowledge_dir),
        "MLBOT_TICK_SECONDS": "1",
    }
    proc = await _run_bot(env, data)
    try:
        await fake.wait_for(lambda: fake.commands or None, timeout=120)
        fake.push_message(USER, "what math do I need?")
        [answer] = await fake.wait_for(lambda: fake.messages(USER) or None, timeout=30)
        assert "linear algebra" in answer.text
        from datetime import datetime as _dt

        now = _dt.now(UTC)
        fake.push_message(USER, f"/start part-time UTC {now:%H:%M}")
        nudge = await fake.wait_for(
            lambda: [m for m in fake.messages(USER) if "Time to study" in m.text], timeout=30
        )
        assert "Today's task" in nudge[0].text
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        assert "stopped cleanly" in err.decode() and "Traceback" not in err.decode()
    except AssertionError:
        if proc.returncode is None:
            proc.kill()
        _, err = await proc.communicate()
        sent = [m.text[:60] for m in fake.messages()]
        raise AssertionError(f"sent: {sent}; bot log: {err.decode()[-3000:]}") from None
    finally:
        if proc.returncode is None:
            proc.kill()
        await fake.stop()


async def _run_bot(env: dict, data) -> asyncio.subprocess.Process:  # type: ignore[no-untyped-def]
    import sys

    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--data-dir",
        str(data),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _lines_until(stream, pattern: str, count: int, timeout: float = 120) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    async def read() -> None:
        while sum(pattern in line for line in seen) < count:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"the bot exited; it said: {seen}")
            seen.append(line.decode())

    await asyncio.wait_for(read(), timeout)
    return seen


@pytest.mark.slow
async def test_mlbot_run_retries_an_unreachable_telegram_and_gives_up_on_a_bad_token(
    kb_settings, subprocess_env, tmp_path
):
    import shutil
    import signal

    port = _free_port()
    data = tmp_path / "run-data"
    shutil.copytree(kb_settings.data_dir, data)
    fake = FakeTelegram()
    env = {
        **subprocess_env,
        "TELEGRAM_TOKEN": fake.token,
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "MLBOT_KNOWLEDGE_DIR": str(kb_settings.knowledge_dir),
        "MLBOT_HTTP_PORT": "off",
    }
    proc = await _run_bot(env, data)
    try:
        said = await _lines_until(proc.stderr, "Telegram is unreachable", 2)
        assert "attempt 1:" in "".join(said) and "Traceback" not in "".join(said)
        await fake.start(port)  # the network comes back
        await fake.wait_for(lambda: fake.commands or None, timeout=120)
        fake.push_message(USER, "what math do I need?")
        [answer] = await fake.wait_for(lambda: fake.messages(USER) or None, timeout=30)
        assert "linear algebra" in answer.text
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0 and "Traceback" not in err.decode(), err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    bad = await _run_bot(
        {**env, "TELEGRAM_TOKEN": "123456:WRONG", "TELEGRAM_BASE_URL": fake.base_url}, data
    )
    _, err = await asyncio.wait_for(bad.communicate(), 120)
    await fake.stop()
    assert bad.returncode == 2, err.decode()
    assert "refused the bot token" in err.decode() and "Traceback" not in err.decode()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _update(update_id: int, text: str, fake: FakeTelegram) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": fake.chat(USER),
            "from": fake.user(USER),
            "text": text,
        },
    }


async def _post(url: str, update: dict, secret: str | None) -> int:
    import aiohttp

    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with aiohttp.ClientSession() as http, http.post(url, json=update, headers=headers) as r:
        return r.status


def _webhook_adapter(app, fake: FakeTelegram, port: int, secret: str | None = None):
    return TelegramAdapter(
        app.core,
        TelegramSettings(
            token=fake.token,
            base_url=fake.base_url,
            webhook_url=f"http://127.0.0.1:{port}/{fake.token}",
            webhook_port=port,
            webhook_listen="127.0.0.1",
            webhook_secret=secret,
        ),
    )


async def test_webhook_mode_sets_a_secret_and_refuses_updates_without_it(app):
    """Only Telegram knows the secret_token, so a forged POST to the webhook is refused."""
    fake = FakeTelegram()
    await fake.start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}/{fake.token}"
    adapter = _webhook_adapter(app, fake, port)
    await adapter.start()
    try:
        assert fake.webhook_url == url
        assert "getUpdates" not in [m for m, _ in fake.calls]
        secret = fake.webhook.get("secret_token")
        assert secret and len(secret) >= 32  # generated: nothing configured
        assert await _post(url, _update(1, "what math do I need?", fake), None) == 403
        assert await _post(url, _update(2, "what math do I need?", fake), "wrong") == 403
        await fake.settle()
        assert fake.messages(USER) == []  # neither forged update was handled
        assert await _post(url, _update(3, "what math do I need?", fake), secret) == 200
        [answer] = await fake.wait_for(lambda: fake.messages(USER) or None)
        assert "linear algebra" in answer.text
    finally:
        await adapter.stop()
        await fake.stop()


async def test_webhook_secret_from_the_settings_and_a_bad_one_fails_at_start(app):
    fake = FakeTelegram()
    await fake.start()
    port = _free_port()
    adapter = _webhook_adapter(app, fake, port, secret="my-Secret_42")
    await adapter.start()
    try:
        assert fake.webhook["secret_token"] == "my-Secret_42"
    finally:
        await adapter.stop()
    bad = _webhook_adapter(app, fake, _free_port(), secret="not allowed!")
    try:
        with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
            await bad.start()
    finally:
        await bad.stop()
        await fake.stop()


async def test_admin_command_refused_for_non_admins(tg):
    fake, _ = tg
    [refused] = await ask(fake, "/admin reingest")
    assert "only for this bot's admins" in refused.text


async def test_a_429_in_the_middle_of_a_long_reply_sends_no_part_twice(tg):
    """A rate limit on the second part of a long reply must not resend the first part."""
    fake, adapter = tg
    reply = Reply(
        tuple(Paragraph(f"Paragraph {i}: " + "study a little every day. " * 40) for i in range(8))
    )
    fake.fail_send_number = fake._send_calls + 2  # the second part
    await adapter._send(USER, reply)
    parts = [m.text for m in fake.messages(USER)]
    assert len(parts) >= 2 and fake.count_429 == 1
    assert len(parts) == len(set(parts)), [p[:20] for p in parts]  # every part exactly once
    assert all(f"Paragraph {i}:" in "".join(parts) for i in range(8))


async def test_a_queued_multi_part_nudge_with_a_429_on_part_two_sends_each_part_once(tg, app):
    """The delivery queue retries from the part that failed, not the whole reply."""
    from bot.nudges.delivery import SendJob, Target

    fake, _ = tg
    reply = Reply(
        tuple(Paragraph(f"Paragraph {i}: " + "study a little every day. " * 40) for i in range(8))
    )
    fake.fail_send_number = fake._send_calls + 2  # the second part
    await app.queue.put(SendJob(Target("telegram", str(USER)), reply))
    await asyncio.wait_for(app.queue.join(), 30)
    parts = [m.text for m in fake.messages(USER)]
    assert len(parts) >= 2 and fake.count_429 == 1
    assert len(parts) == len(set(parts)), [p[:20] for p in parts]  # every part exactly once
    assert all(f"Paragraph {i}:" in "".join(parts) for i in range(8))
    assert app.queue.stats["telegram"].sent == 1


async def _upload(fake: FakeTelegram, user: int, name: str, data: bytes) -> str:
    before = len(fake.messages(user))
    fake.push_document(user, name, data, caption="/admin add")
    await fake.wait_for(lambda: len(fake.messages(user)) > before)
    return fake.messages(user)[before].text


async def test_non_admin_upload_is_refused_without_downloading_the_file(tg, app):
    """The admin check comes before getFile: a stranger cannot make the bot fetch 20 MB."""
    fake, _ = tg
    knowledge = sorted(p.name for p in app.settings.knowledge_dir.iterdir())
    refused = await _upload(fake, USER, "notes.md", b"# Notes\n\nSome notes.\n")
    assert "only for this bot's admins" in refused
    assert "getFile" not in [m for m, _ in fake.calls] and fake.downloads == []
    assert sorted(p.name for p in app.settings.knowledge_dir.iterdir()) == knowledge
    assert app.reingester.current is None
    async with app.db.sessions() as s:
        [entry] = (await s.execute(select(AuditEntry))).scalars().all()
    assert entry.user_id == str(USER) and entry.result == "refused: not an admin"
    # An admin's upload is still downloaded and checked (a program is refused by its content).
    app.core.settings = replace(app.core.settings, admins={"telegram": frozenset({"7"})})
    program = await _upload(fake, 7, "report.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    assert "looks like a program" in program
    assert [m for m, _ in fake.calls].count("getFile") == 1 and len(fake.downloads) == 1


async def test_the_weekly_digest_arrives_as_a_message_and_its_chart(tg, app, clock):
    fake, _ = tg
    await ask(fake, "/start part-time Europe/Berlin 19:00")
    await ask(fake, "/done")
    clock.set(datetime(2026, 3, 8, 18, 1, tzinfo=UTC))  # Sunday 19:01 in Berlin
    await app.engine.tick()
    await app.queue.join()
    [digest] = [m for m in fake.messages(USER) if "Your week" in m.text]
    print("\n" + digest.text)
    assert "<b>" not in digest.text or "</b>" in digest.text  # valid markup, checked by the fake
    assert "Tasks done:" in digest.text and "Next week's focus" in digest.text
    assert "Streak: ended; your best is 1 day" in digest.text
    photos = [s for s in fake.sent if s.method == "sendPhoto" and s.chat_id == str(USER)]
    assert len(photos) == 1
    await app.engine.tick()  # the same Sunday again: nothing more
    await app.queue.join()
    assert len([m for m in fake.messages(USER) if "Your week" in m.text]) == 1


async def test_a_reply_to_the_bots_answer_in_a_group_is_read_as_a_follow_up(tg):
    fake, _ = tg
    [first] = await ask(
        fake, "@mlbot_test_bot what maths do i need?", user=3, chat_id=GROUP, kind="supergroup"
    )
    bot_msg = {"message_id": first.message_id, "date": 0, "chat": fake.chat(GROUP, "supergroup"),
               "from": fake.me, "text": "x"}  # fmt: skip
    [follow] = await ask(
        fake, "and statistics?", user=3, chat_id=GROUP, kind="supergroup", reply_to=bot_msg
    )
    assert "what statistics do i need?" in follow.text and "Statistics for ML" in follow.text
    [dm_first] = await ask(fake, "what maths do i need?")  # in a DM, the next message
    [dm_follow] = await ask(fake, "and statistics?")
    assert "Statistics for ML" in dm_follow.text
