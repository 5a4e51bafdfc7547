"""The Discord adapter: real discord.py against a fake REST + gateway server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.adapters.discord.adapter import DiscordAdapter, DiscordSettings
from bot.core.messages import Reply
from bot.learning.models import AuditEntry, Learner
from bot.nudges.delivery import Limits
from tests.fakes.discord import FakeDiscord

FAST = Limits(per_second=1000, per_chat_interval=0.0, per_group_per_minute=1000)
MANAGE_CHANNELS = str(1 << 4)
ALL_COMMANDS = {
    "ask",
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
    "topics",
    "about",
    "group",
    "leaderboard",
}


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):  # Discord behaviour does not depend on the database
    return f"sqlite+aiosqlite:///{tmp_path / 'state.db'}"


async def start_adapter(app, fake: FakeDiscord) -> DiscordAdapter:
    adapter = DiscordAdapter(
        app.core,
        DiscordSettings(
            token="test-token",
            api_base=fake.api_base,
            gateway_url=fake.gateway_url,
            guild_ready_timeout=0.1,
        ),
    )
    app.queue.add_deliverer("discord", adapter.deliverer, FAST)
    await adapter.start()
    await adapter.sync()  # so the fake refuses options a real client could not send
    return adapter


@pytest.fixture
async def dc(app):
    fake = await FakeDiscord().start()
    patch = fake.patch_discord()
    adapter = await start_adapter(app, fake)
    yield fake, adapter
    await adapter.stop()
    patch.restore()
    await fake.stop()


async def slash(fake: FakeDiscord, name: str, options=None, **kw) -> list[dict]:
    iid = await fake.slash(name, options, **kw)
    await fake.wait_for(lambda: fake.followups(iid) or None)
    await fake.settle(0.2)
    return fake.followups(iid)


def text(msgs: list[dict]) -> str:
    return "\n".join(m.get("content") or "" for m in msgs)


def assert_clean(fake: FakeDiscord) -> None:
    assert fake.interaction_deadlines(3.0) == []
    assert fake.check_allowed_mentions() == []
    assert fake.check_message_limits() == []


async def test_sync_registers_every_command_with_typed_options(dc):
    fake, adapter = dc
    await adapter.sync(fake.guild_id)
    commands = {c["name"]: c for c in fake.synced_guild_commands[fake.guild_id]}
    assert set(commands) >= ALL_COMMANDS
    assert "feedback" not in commands  # button-only: a bare /feedback could only fail
    assert all(c["description"] for c in commands.values())
    ask = commands["ask"]["options"][0]
    assert (ask["name"], ask["type"], ask.get("required")) == ("question", 3, True)
    snooze = commands["snooze"]["options"][0]
    assert (snooze["type"], snooze["min_value"], snooze["max_value"]) == (4, 5, 720)
    start = {o["name"]: o for o in commands["start"]["options"]}
    assert [c["value"] for c in start["track"]["choices"]] == [
        "full-time",
        "fast-track",
        "part-time",
    ]
    assert start["timezone"].get("autocomplete") is True
    assert {o["name"] for o in commands["group"]["options"]} >= {
        "setup",
        "leaderboard",
        "pause",
        "resume",
        "leave",
    }


async def test_ask_is_deferred_then_answered_with_citations(dc):
    fake, _ = dc
    iid = await fake.slash("ask", {"question": "what math do I need?"})
    await fake.wait_for(lambda: fake.followups(iid) or None)
    assert fake.responses(iid)[0]["type"] == 5  # deferred at once
    body = text(fake.followups(iid))
    assert (
        "linear algebra" in body
        and "**Sources**" in body
        and "Math for ML › Which math do I need?" in body
    )
    assert_clean(fake)


async def test_time_zone_autocomplete(dc):
    fake, _ = dc
    iid = await fake.autocomplete("start", "timezone", "berl")
    await fake.wait_for(lambda: fake.responses(iid) or None)
    choices = fake.responses(iid)[0]["data"]["choices"]
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in choices


async def test_every_command_in_a_dm(dc):
    fake, _ = dc
    runs = [
        ("help", None),
        ("start", None),
        ("start", {"track": "part-time", "timezone": "Europe/Berlin", "time": "19:00"}),
        ("today", None),
        ("done", {"note": "nice"}),
        ("skip", None),
        ("snooze", {"minutes": 30}),
        ("plan", None),
        ("streak", None),
        ("settings", {"setting": "time", "value": "07:30"}),
        ("link", None),
        ("topics", None),
        ("about", None),
        ("forget", None),
    ]
    for name, options in runs:
        replies = await slash(fake, name, options, guild=False)
        assert replies, name
    progress = await slash(fake, "progress", guild=False)
    assert any(a["filename"] == "progress.png" for m in progress for a in m.get("files") or [])
    export = await slash(fake, "export", guild=False)
    assert any(a["filename"] == "mlbot-export.json" for m in export for a in m.get("files") or [])
    assert "Daily nudge: 07:30" in text(await slash(fake, "settings", guild=False))
    assert_clean(fake)


async def test_slow_work_is_deferred_within_the_deadline(app):
    async def slow(req, args) -> Reply:
        await asyncio.sleep(3.5)
        return Reply.text("finished the slow work")

    app.core.registry.add("slowtest", "a deliberately slow command", slow)
    fake = await FakeDiscord(enforce_deadline=True).start()
    patch = fake.patch_discord()
    adapter = await start_adapter(app, fake)
    try:
        iid = await fake.slash("slowtest")
        await fake.wait_for(lambda: fake.followups(iid) or None, timeout=10)
        assert "finished the slow work" in text(fake.followups(iid))
        assert_clean(fake)
    finally:
        await adapter.stop()
        patch.restore()
        await fake.stop()


async def test_buttons_work_before_and_after_a_restart(app):
    fake = await FakeDiscord().start()
    patch = fake.patch_discord()
    adapter = await start_adapter(app, fake)
    try:
        await slash(fake, "start", {"track": "full-time", "timezone": "UTC"}, guild=False)
        task = await slash(fake, "today", guild=False)
        ids = [c["custom_id"] for row in task[-1]["components"] for c in row["components"]]
        assert ids == ["mlbot:/done", "mlbot:/skip", "mlbot:/snooze"]
        message_id = task[-1]["id"]
        await adapter.stop()
        adapter = await start_adapter(app, fake)  # a new process: no view state in memory
        # An impatient double tap on an old message: both taps race in before the buttons go.
        first = await fake.click("mlbot:/skip", message_id, guild=False)
        second = await fake.click("mlbot:/skip", message_id, guild=False)
        await fake.wait_for(lambda: fake.followups(first) and fake.followups(second))
        replies = text(fake.followups(first)) + text(fake.followups(second))
        assert replies.count("moves to the end of this stage") == 1 and "Already done" in replies
        assert_clean(fake)
    finally:
        await adapter.stop()
        patch.restore()
        await fake.stop()


async def test_a_quiz_answer_button_after_a_restart_counts_once(app):
    fake = await FakeDiscord().start()
    patch = fake.patch_discord()
    adapter = await start_adapter(app, fake)
    try:
        await slash(fake, "start", {"track": "full-time", "timezone": "UTC"}, guild=False)
        await slash(fake, "done", guild=False)
        question = await slash(fake, "quiz", guild=False)
        ids = [c["custom_id"] for row in question[-1]["components"] for c in row["components"]]
        assert len(ids) >= 3 and all(i.startswith("mlbot:/quiz answer ") for i in ids)
        assert all(len(i) <= 100 for i in ids)
        await adapter.stop()
        adapter = await start_adapter(app, fake)  # a new process: no view state in memory
        message_id = question[-1]["id"]
        first = await fake.click(ids[1], message_id, guild=False)
        second = await fake.click(ids[1], message_id, guild=False)
        await fake.wait_for(lambda: fake.followups(first) and fake.followups(second))
        replies = text(fake.followups(first)) + text(fake.followups(second))
        print(f"\n{question[-1]['content']}\n{question[-1]['components']}\n---\n{replies}")
        assert replies.count("I'll ask it again") == 1 and "Already done" in replies
        assert "**Sources**" in replies
        assert_clean(fake)
    finally:
        await adapter.stop()
        patch.restore()
        await fake.stop()


async def test_group_setup_needs_manage_channels_and_daily_post_goes_out(dc, app, clock):
    fake, _ = dc
    refused = await slash(
        fake,
        "group",
        {"track": "fast-track", "timezone": "UTC", "time": "18:00"},
        subcommand="setup",
    )
    assert "Only the chat's admins" in text(refused)
    ok = await slash(
        fake,
        "group",
        {"track": "fast-track", "timezone": "UTC", "time": "18:00"},
        subcommand="setup",
        permissions=MANAGE_CHANNELS,
    )
    assert "now follows Fast track" in text(ok)
    clock.set(datetime(2026, 3, 4, 18, 1, tzinfo=UTC))
    await app.engine.tick()
    await app.queue.join()
    posts = [
        m
        for m in fake.messages_in(fake.channel_id, via="channel")
        if "Group task 1" in (m["content"] or "")
    ]
    assert len(posts) == 1
    assert posts[0]["components"][0]["components"][0]["custom_id"] == "mlbot:/done"
    iid = await fake.click("mlbot:/done", posts[0]["id"], user_id=fake.default_user_id)
    await fake.wait_for(lambda: fake.followups(iid) or None)
    assert "finished" in text(fake.followups(iid))
    board = await slash(fake, "group", subcommand="leaderboard")
    assert ": 1" in text(board)
    assert "paused" in text(
        await slash(fake, "group", subcommand="pause", permissions=MANAGE_CHANNELS)
    )
    assert_clean(fake)


async def test_mentions_and_dms_are_answered_other_chatter_ignored(dc):
    fake, _ = dc
    before = len(fake.messages)
    await fake.message("anyone up for lunch?")
    await fake.settle(0.4)
    assert len(fake.messages) == before
    await fake.message("what math do I need?", mentions_bot=True)
    reply = await fake.wait_for(lambda: fake.messages[before:] or None)
    assert "linear algebra" in reply[0]["content"] and reply[0]["channel_id"] == fake.channel_id
    before = len(fake.messages)
    await fake.message("do I need a degree?", dm=True)
    dm = await fake.wait_for(lambda: fake.messages[before:] or None)
    assert "Careers and Degrees" in dm[0]["content"]
    assert_clean(fake)


@pytest.mark.parametrize(
    "question",
    [
        "@everyone what math do I need? @here <@&123>",
        "**what** _math_ do I `need`? ~~x~~ > quote",
        "what\u200b math\u200d do I need?\u2060",
        "x" * 10_000,
    ],
)
async def test_hostile_input_is_answered_safely(dc, question):
    fake, _ = dc
    replies = await slash(fake, "ask", {"question": question})
    body = text(replies)
    assert replies and "Traceback" not in body
    if question.startswith("x"):
        assert "10,000 characters" in body
    else:
        assert "linear algebra" in body
    assert "@everyone" not in body and "@here" not in body
    assert_clean(fake)


async def test_dm_nudge_with_429_then_closed_dms_pause_and_tell(dc, app, clock):
    fake, _ = dc
    user = fake.default_user_id
    await slash(
        fake,
        "start",
        {"track": "part-time", "timezone": "Asia/Kolkata", "time": "07:30"},
        guild=False,
    )
    clock.set(datetime(2026, 3, 4, 2, 1, tzinfo=UTC))  # 07:31 in Kolkata
    fake.force_429.append(0.5)
    await app.engine.tick()
    await app.queue.join()
    nudges = [
        m
        for m in fake.messages_in(fake.dm_channel_id(user))
        if "Time to study" in (m["content"] or "")
    ]
    assert len(nudges) == 1 and fake.count_429 == 1
    assert [c["custom_id"] for c in nudges[0]["components"][0]["components"]] == [
        "mlbot:/done",
        "mlbot:/skip",
        "mlbot:/snooze",
    ]
    fake.closed_dms.add(user)
    clock.set(datetime(2026, 3, 5, 2, 1, tzinfo=UTC))
    await app.engine.tick()
    await app.queue.join()
    async with app.db.sessions() as s:
        learner = (await s.execute(select(Learner))).scalar_one()
        assert learner.nudges_paused
    told = text(await slash(fake, "streak", guild=False))
    assert "can't message you" in told and "paused nudges" in told
    assert_clean(fake)


async def test_a_queued_multi_part_post_with_a_429_on_part_two_sends_each_part_once(dc, app):
    """The delivery queue retries from the part that failed, not the whole reply."""
    from bot.core.messages import Paragraph
    from bot.nudges.delivery import SendJob, Target

    fake, _ = dc
    user = fake.default_user_id
    await slash(fake, "help", guild=False)  # opens the DM channel
    reply = Reply(
        tuple(Paragraph(f"Paragraph {i}: " + "study a little every day. " * 20) for i in range(8))
    )
    channel = fake.dm_channel_id(user)
    before = len(fake.messages_in(channel))
    fake.fail_create_number = fake._creates + 2  # the second part
    await app.queue.put(SendJob(Target("discord", str(user)), reply))
    await asyncio.wait_for(app.queue.join(), 30)
    parts = [m["content"] for m in fake.messages_in(channel)[before:]]
    assert len(parts) >= 3 and fake.count_429 == 1
    assert len(parts) == len(set(parts)), [p[:20] for p in parts]  # every part exactly once
    assert all(f"Paragraph {i}:" in "".join(parts) for i in range(8))
    assert app.queue.stats["discord"].sent == 1


async def test_both_platforms_one_process_linked_learner_sees_same_progress(dc, app):
    from bot.adapters.telegram.adapter import TelegramAdapter, TelegramSettings
    from tests.fakes.telegram import FakeTelegram

    fake, _ = dc
    tg_fake = FakeTelegram()
    await tg_fake.start()
    tg = TelegramAdapter(
        app.core, TelegramSettings(token=tg_fake.token, base_url=tg_fake.base_url, poll_timeout=1)
    )
    await tg.start()
    try:
        await slash(fake, "start", {"track": "full-time", "timezone": "UTC"}, guild=False)
        await slash(fake, "today", guild=False)
        total = len(app.learning.curriculum.track_tasks("full-time"))
        assert f"1 of {total}" in text(await slash(fake, "done", guild=False))
        code = text(await slash(fake, "link", guild=False)).split("link code is ")[1].split(".")[0]
        n = len(tg_fake.messages())
        tg_fake.push_message(4242, f"/link {code}")
        await tg_fake.wait_for(lambda: len(tg_fake.messages()) > n)
        assert "Linked" in tg_fake.messages()[-1].text
        n = len(tg_fake.messages())
        tg_fake.push_message(4242, "/plan")
        await tg_fake.wait_for(lambda: len(tg_fake.messages()) > n)
        assert f"1 of {total} tasks done" in tg_fake.messages()[-1].text
    finally:
        await tg.stop()
        await tg_fake.stop()


@pytest.mark.slow
async def test_mlbot_run_with_both_tokens_serves_both_platforms(
    kb_settings, subprocess_env, tmp_path
):
    import shutil
    import signal
    import sys

    from tests.fakes.telegram import FakeTelegram

    dfake = await FakeDiscord().start()
    tfake = FakeTelegram()
    await tfake.start()
    data = tmp_path / "both"
    shutil.copytree(kb_settings.data_dir, data)
    env = {
        **subprocess_env,
        "TELEGRAM_TOKEN": tfake.token,
        "TELEGRAM_BASE_URL": tfake.base_url,
        "DISCORD_TOKEN": "test-token",
        "DISCORD_API_BASE": dfake.api_base,
        "DISCORD_GATEWAY_URL": dfake.gateway_url,
        "MLBOT_KNOWLEDGE_DIR": str(kb_settings.knowledge_dir),
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
        await tfake.wait_for(lambda: tfake.commands or None, timeout=60)
        await dfake.wait_connected(timeout=60)
        await dfake.settle(0.5)
        tfake.push_message(4242, "/start part-time UTC 18:00")
        await tfake.wait_for(lambda: tfake.messages(4242) or None, timeout=30)
        iid = await dfake.slash("ask", {"question": "what math do I need?"})
        await dfake.wait_for(lambda: dfake.followups(iid) or None, timeout=30)
        assert "linear algebra" in text(dfake.followups(iid))
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        log = err.decode()
        assert proc.returncode == 0 and "stopped cleanly" in log and "Traceback" not in log, log
        assert "TelegramAdapter" in log and "DiscordAdapter" in log
    finally:
        if proc.returncode is None:
            proc.kill()
        await dfake.stop()
        await tfake.stop()


async def test_discord_sync_command_registers_commands_on_demand(
    kb_settings, subprocess_env, tmp_path
):
    import sys

    fake = await FakeDiscord().start()
    env = {
        **subprocess_env,
        "DISCORD_TOKEN": "test-token",
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "MLBOT_KNOWLEDGE_DIR": str(kb_settings.knowledge_dir),
    }
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "discord-sync",
            "--guild",
            str(fake.guild_id),
            "--data-dir",
            str(tmp_path / "d"),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert f"guild {fake.guild_id}" in out.decode()
        synced = {c["name"] for c in fake.synced_guild_commands[fake.guild_id]}
        assert synced >= ALL_COMMANDS
        assert not fake.identifies  # syncing needs no gateway session
    finally:
        await fake.stop()


async def test_admin_command_refused_for_non_admins(dc):
    fake, _ = dc
    refused = await slash(fake, "admin", {"action": "reingest"}, guild=False)
    assert "only for this bot's admins" in text(refused)
    assert_clean(fake)


async def test_non_admin_upload_is_refused_without_downloading_the_file(dc, app):
    """The admin check comes before the attachment fetch: no 25 MB downloads for strangers."""
    fake, _ = dc
    knowledge = sorted(p.name for p in app.settings.knowledge_dir.iterdir())
    for guild in (False, True):
        file = fake.upload("notes.md", b"# Notes\n\nSome notes.\n")
        refused = await slash(fake, "admin", {"action": "add", "file": file}, guild=guild)
        assert "only for this bot's admins" in text(refused)
    assert fake.downloads == []
    assert sorted(p.name for p in app.settings.knowledge_dir.iterdir()) == knowledge
    assert app.reingester.current is None
    async with app.db.sessions() as s:
        entries = (await s.execute(select(AuditEntry))).scalars().all()
    assert [e.result for e in entries] == ["refused: not an admin"] * 2
    # An admin's upload is still downloaded and checked (a program is refused by its content).
    app.core.settings = replace(
        app.core.settings, admins={"discord": frozenset({str(fake.owner_id)})}
    )
    file = fake.upload("report.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    program = await slash(
        fake, "admin", {"action": "add", "file": file}, user_id=fake.owner_id, guild=False
    )
    assert "looks like a program" in text(program)
    assert fake.downloads == [int(file["value"])]
    assert_clean(fake)


async def test_an_unreachable_discord_is_retried_and_a_bad_token_is_not(app, caplog):
    import socket

    from bot.ops.connect import CannotConnect, connect

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeDiscord(token="test-token")
    settings = DiscordSettings(
        token="test-token",
        api_base=f"http://127.0.0.1:{port}/api/v10",
        gateway_url=f"ws://127.0.0.1:{port}/gateway",
        guild_ready_timeout=0.1,
    )
    adapter = DiscordAdapter(app.core, settings)
    stop = asyncio.Event()
    caplog.set_level("WARNING", logger="mlbot.connect")
    task = asyncio.create_task(connect(adapter, "Discord", stop, first_delay=0.2))
    for _ in range(200):
        if sum("Discord is unreachable" in r.message for r in caplog.records) >= 2:
            break
        await asyncio.sleep(0.05)
    assert not task.done()
    await fake.start(port)  # the network comes back
    patch = fake.patch_discord()
    try:
        assert await asyncio.wait_for(task, 60) is True
        assert adapter.client.is_ready()
        assert any("connected after" in r.message for r in caplog.records)
        await adapter.stop()
        bad = DiscordAdapter(app.core, replace(settings, token="wrong-token"))
        with pytest.raises(CannotConnect, match="refused the bot token"):
            await connect(bad, "Discord", asyncio.Event(), first_delay=0.2)
        await bad.stop()
    finally:
        patch.restore()
        await fake.stop()


async def test_the_weekly_digest_arrives_in_dms_with_its_chart(dc, app, clock):
    fake, _ = dc
    user = fake.default_user_id
    await slash(
        fake, "start", {"track": "part-time", "timezone": "UTC", "time": "09:00"}, guild=False
    )
    clock.set(datetime(2026, 3, 8, 9, 1, tzinfo=UTC))  # a Sunday
    await app.engine.tick()
    await app.queue.join()
    digests = [
        m for m in fake.messages_in(fake.dm_channel_id(user)) if "Your week" in (m["content"] or "")
    ]
    assert len(digests) == 1
    print("\n" + digests[0]["content"])
    assert "Next week's focus" in digests[0]["content"]
    assert "Streak: starts with your first study day" in digests[0]["content"]
    files = [
        f["filename"]
        for m in fake.messages_in(fake.dm_channel_id(user))
        for f in m.get("files") or []
    ]
    assert "weekly.png" in files
    assert_clean(fake)


async def test_a_reply_to_the_bots_answer_continues_the_conversation(dc):
    fake, _ = dc
    before = len(fake.messages)
    await fake.message("what maths do i need?", mentions_bot=True)
    [answer] = await fake.wait_for(lambda: fake.messages[before:] or None)
    before = len(fake.messages)
    await fake.message("and statistics?", reply_to=int(answer["id"]))
    [follow] = await fake.wait_for(lambda: fake.messages[before:] or None)
    assert "what statistics do i need?" in follow["content"]
    assert "Statistics for ML" in follow["content"]
    assert_clean(fake)
