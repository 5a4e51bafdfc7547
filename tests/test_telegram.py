"""The Telegram adapter: real python-telegram-bot against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter, TelegramSettings, send_reply
from bot.core.messages import Bullets, Paragraph, Reply
from bot.learning.models import Learner
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
        learner = (await s.execute(__import__("sqlalchemy").select(Learner))).scalar_one()
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


async def test_mlbot_run_serves_telegram_and_stops_cleanly_on_sigterm(
    kb_settings, subprocess_env, tmp_path
):
    import shutil
    import signal
    import sys

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
    proc = await asyncio.create_subprocess_exec(
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
    try:
        await fake.wait_for(lambda: fake.commands or None, timeout=60)
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


async def test_webhook_mode_by_configuration(app):
    import socket

    import aiohttp

    fake = FakeTelegram()
    await fake.start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{fake.token}"
    adapter = TelegramAdapter(
        app.core,
        TelegramSettings(
            token=fake.token,
            base_url=fake.base_url,
            webhook_url=url,
            webhook_port=port,
            webhook_listen="127.0.0.1",
        ),
    )
    await adapter.start()
    try:
        assert fake.webhook_url == url
        assert "getUpdates" not in [m for m, _ in fake.calls]
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": fake.chat(USER),
                "from": fake.user(USER),
                "text": "what math do I need?",
            },
        }
        async with aiohttp.ClientSession() as http, http.post(url, json=update) as resp:
            assert resp.status == 200
        [answer] = await fake.wait_for(lambda: fake.messages(USER) or None)
        assert "linear algebra" in answer.text
    finally:
        await adapter.stop()
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
