"""The fake Discord (tests/fakes/discord.py) against a real discord.py 2.7 client, no bot code."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest
from discord import app_commands

from tests.fakes.discord import FakeDiscord

NO_PINGS = discord.AllowedMentions(everyone=False, roles=False, users=False)


class TaskView(discord.ui.View):
    """A persistent view: fixed custom_ids and no timeout, registered with client.add_view."""

    def __init__(self, clicked: list[int]) -> None:
        super().__init__(timeout=None)
        self.clicked = clicked

    @discord.ui.button(label="Done", custom_id="x:done", style=discord.ButtonStyle.success)
    async def done(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicked.append(interaction.message.id)
        await interaction.response.send_message(
            "Marked as done.", ephemeral=True, allowed_mentions=NO_PINGS
        )

    @discord.ui.button(label="Undo", custom_id="x:undo")
    async def undo(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="Undone.", view=None)


class Feedback(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="What went well?", custom_id="feedback:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"Thanks: {self.text.value}", allowed_mentions=NO_PINGS
        )


class Bot(discord.Client):
    def __init__(self, **options) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.1, **options)
        self.tree = app_commands.CommandTree(self)
        self.received: list[discord.Message] = []
        self.clicked: list[int] = []
        tree = self.tree

        @tree.command(description="Slow answer: defer, then follow up")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.defer()
            await asyncio.sleep(0.05)
            await interaction.followup.send("pong", allowed_mentions=NO_PINGS)

        @tree.command(description="Slow answer: defer, then edit the original response")
        async def think(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="thought about it")

        @tree.command(description="Repeat some text")
        @app_commands.describe(text="What to repeat")
        async def echo(interaction: discord.Interaction, text: str) -> None:
            await interaction.response.send_message(f"echo: {text}", allowed_mentions=NO_PINGS)

        @tree.command(description="Never answers")
        async def silent(interaction: discord.Interaction) -> None:
            return None

        @tree.command(description="Open a feedback form")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback())

        @tree.command(description="Pick a topic")
        async def topic(interaction: discord.Interaction, name: str) -> None:
            await interaction.response.send_message(name, allowed_mentions=NO_PINGS)

        @topic.autocomplete("name")
        async def topic_names(interaction: discord.Interaction, current: str):
            names = ["linear algebra", "logistic regression", "calculus"]
            return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

        study = app_commands.Group(name="study", description="Study log")

        @study.command(name="add", description="Log study time")
        async def study_add(interaction: discord.Interaction, topic: str, minutes: int) -> None:
            await interaction.response.send_message(
                f"added {topic} for {minutes} min", allowed_mentions=NO_PINGS
            )

        tree.add_command(study)

    async def setup_hook(self) -> None:
        self.add_view(TaskView(self.clicked))

    async def on_message(self, message: discord.Message) -> None:
        if message.author.id != self.user.id:
            self.received.append(message)


async def start(client: discord.Client) -> asyncio.Task:
    task = asyncio.create_task(client.start("fake-token"))
    deadline = time.monotonic() + 10
    while not client.is_ready():
        if task.done():
            task.result()  # raises what went wrong
        assert time.monotonic() < deadline, "client never became ready"
        await asyncio.sleep(0.01)
    return task


async def stop(client: discord.Client, task: asyncio.Task) -> None:
    await client.close()
    await asyncio.wait_for(task, 10)


@pytest.fixture(scope="module")
async def env():
    fake = await FakeDiscord().start()
    with fake.patch_discord():
        bot = Bot()
        task = await start(bot)
        try:
            yield fake, bot
        finally:
            await stop(bot, task)
    await fake.stop()


async def test_connects_gets_ready_and_caches_the_guild(env):
    fake, bot = env
    assert bot.user.id == fake.app_id and bot.application_id == fake.app_id
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None and not guild.unavailable
    assert isinstance(guild.get_channel(fake.channel_id), discord.TextChannel)
    assert guild.me is not None and guild.me.guild_permissions.send_messages
    assert guild.default_role.id == fake.guild_id
    assert fake.identifies[0]["intents"] == discord.Intents.default().value
    paths = [(c.method, c.path) for c in fake.calls]
    assert ("GET", "/users/@me") in paths and ("GET", "/oauth2/applications/@me") in paths
    await fake.wait_for(lambda: fake.heartbeats >= 1)  # discord.py beats right after HELLO


async def test_tree_sync_is_recorded_globally_and_per_guild(env):
    fake, bot = env
    synced = await bot.tree.sync()
    names = {c["name"] for c in fake.synced_commands}
    assert names == {"ping", "think", "echo", "silent", "feedback", "topic", "study"}
    assert {c.name for c in synced} == names and all(c.id for c in synced)
    echo = next(c for c in fake.synced_commands if c["name"] == "echo")
    assert echo["options"][0]["name"] == "text" and echo["options"][0]["type"] == 3

    guild = discord.Object(fake.guild_id)
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    assert {c["name"] for c in fake.synced_guild_commands[fake.guild_id]} == names
    assert ("PUT", f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands") in [
        (c.method, c.path) for c in fake.calls
    ]


async def test_deferred_slash_command_then_followup(env):
    fake, _ = env
    iid = await fake.slash("ping")
    [reply] = await fake.wait_for(lambda: fake.followups(iid))
    assert reply["content"] == "pong" and reply["allowed_mentions"]["parse"] == []
    assert [r["type"] for r in fake.responses(iid)] == [5]
    assert iid not in fake.interaction_deadlines()

    iid = await fake.slash("think")
    [reply] = await fake.wait_for(lambda: fake.replies(iid))
    assert reply["content"] == "thought about it" and reply["via"] == "interaction"
    assert [r["type"] for r in fake.responses(iid)] == [5]


async def test_slash_command_with_string_option_in_guild_and_dm(env):
    fake, _ = env
    iid = await fake.slash("echo", {"text": "hello"})
    [reply] = await fake.wait_for(lambda: fake.replies(iid))
    assert reply["content"] == "echo: hello" and reply["via"] == "interaction"
    assert reply["channel_id"] == fake.channel_id
    assert fake.responses(iid)[0]["type"] == 4

    dm = await fake.slash("echo", {"text": "private"}, guild=False)
    [reply] = await fake.wait_for(lambda: fake.replies(dm))
    assert (
        reply["content"] == "echo: private"
        and reply["channel_id"] == fake.dm_channels[fake.default_user_id]
    )


async def test_subcommand_with_typed_options(env):
    fake, _ = env
    iid = await fake.slash("study", {"topic": "svm", "minutes": 25}, subcommand="add")
    [reply] = await fake.wait_for(lambda: fake.replies(iid))
    assert reply["content"] == "added svm for 25 min"


async def test_autocomplete_answers_with_choices(env):
    fake, _ = env
    iid = await fake.autocomplete("topic", "name", "l")
    [cb] = await fake.wait_for(lambda: fake.responses(iid))
    assert cb["type"] == 8
    assert [c["value"] for c in cb["data"]["choices"]] == ["linear algebra", "logistic regression"]


async def test_unanswered_interaction_misses_the_deadline(env):
    fake, _ = env
    iid = await fake.slash("silent")
    await asyncio.sleep(0.3)
    assert iid in fake.interaction_deadlines(max_seconds=0.2)
    assert fake.responses(iid) == []


async def test_persistent_view_button_on_a_message_the_client_never_saw(env):
    fake, bot = env
    unseen = fake.snowflake()
    iid = await fake.click("x:done", unseen)
    [reply] = await fake.wait_for(lambda: fake.replies(iid))
    assert bot.clicked[-1] == unseen
    assert reply["content"] == "Marked as done." and reply["flags"] & 64  # ephemeral
    assert fake.responses(iid)[0]["type"] == 4


async def test_button_updates_the_message_it_is_on(env):
    fake, bot = env
    channel = bot.get_channel(fake.channel_id)
    sent = await channel.send("Study task", view=TaskView(bot.clicked), allowed_mentions=NO_PINGS)
    iid = await fake.click("x:undo")  # finds the newest message carrying that custom_id
    await fake.wait_for(lambda: fake.responses(iid))
    assert fake.responses(iid)[0]["type"] == 7
    stored = next(m for m in fake.messages if m["id"] == sent.id)
    assert stored["content"] == "Undone." and stored["components"] == []


async def test_modal_is_shown_and_submitted(env):
    fake, _ = env
    iid = await fake.slash("feedback")
    [cb] = await fake.wait_for(lambda: fake.responses(iid))
    assert cb["type"] == 9 and cb["data"]["title"] == "Feedback"
    sub = await fake.submit_modal(values={"feedback:text": "clear examples"})
    [reply] = await fake.wait_for(lambda: fake.replies(sub))
    assert reply["content"] == "Thanks: clear examples"


async def test_messages_reach_on_message(env):
    fake, bot = env
    before = len(bot.received)
    await fake.message("hi there", dm=True)
    await fake.message("what is a tensor?", mentions_bot=True)
    await fake.message("chatting among ourselves")
    await fake.wait_for(lambda: len(bot.received) >= before + 3)
    dm, mention, plain = bot.received[before : before + 3]
    assert dm.content == "hi there" and isinstance(dm.channel, discord.DMChannel)
    assert dm.author.id == fake.default_user_id
    assert bot.user in mention.mentions and mention.content.endswith("what is a tensor?")
    assert mention.guild.id == fake.guild_id
    assert plain.content == ""  # no message_content intent: Discord blanks guild messages


async def test_channel_send_records_allowed_mentions(env):
    fake, bot = env
    channel = bot.get_channel(fake.channel_id)
    safe = await channel.send("hello @everyone", allowed_mentions=NO_PINGS)
    loose = await channel.send("no allowed_mentions here")
    stored = {m["id"]: m for m in fake.messages}
    assert stored[safe.id]["allowed_mentions"]["parse"] == []
    assert stored[safe.id]["via"] == "channel" and stored[safe.id]["channel_id"] == channel.id
    flagged = {m["id"] for m in fake.check_allowed_mentions()}
    assert loose.id in flagged and safe.id not in flagged


async def test_dm_to_a_user_with_closed_dms_is_forbidden(env):
    fake, bot = env
    user_id = 1200000000000009999
    fake.closed_dms.add(user_id)
    user = await bot.fetch_user(user_id)
    with pytest.raises(discord.Forbidden) as err:
        await user.send("your daily task")
    assert err.value.code == 50007 and err.value.status == 403

    ok = await bot.fetch_user(fake.default_user_id)
    sent = await ok.send("your daily task", allowed_mentions=NO_PINGS)
    assert sent.channel.id == fake.dm_channels[fake.default_user_id]


async def test_forced_429_is_slept_off_and_retried(env):
    fake, bot = env
    channel = bot.get_channel(fake.channel_id)
    fake.force_429.append(0.3)
    t0 = time.monotonic()
    sent = await channel.send("after the limit", allowed_mentions=NO_PINGS)
    assert time.monotonic() - t0 >= 0.3
    assert fake.count_429 == 1 and sent.content == "after the limit"
    posts = [c for c in fake.calls if c.path == f"/channels/{channel.id}/messages"]
    assert posts[-1].at - posts[-2].at >= 0.3


async def test_limits_and_threads(env):
    fake, bot = env
    channel = bot.get_channel(fake.channel_id)
    long = await channel.send("x" * 2001, allowed_mentions=NO_PINGS)
    embed = discord.Embed(title="t" * 257, description="d")
    for i in range(26):
        embed.add_field(name=f"f{i}", value="v")
    fat = await channel.send(embed=embed, allowed_mentions=NO_PINGS)
    problems = fake.check_message_limits()
    assert any(f"message {long.id}: content is 2001" in p for p in problems)
    assert any(f"message {fat.id}: embeds[0].title" in p for p in problems)
    assert any(f"message {fat.id}: embeds[0].fields is 26" in p for p in problems)

    question = await channel.send("A question", allowed_mentions=NO_PINGS)
    thread = await question.create_thread(name="Q&A")
    assert thread.id == question.id and thread.parent_id == channel.id
    await thread.send("in the thread", allowed_mentions=NO_PINGS)
    assert fake.messages[-1]["channel_id"] == thread.id
    other = await channel.create_thread(name="Weekly", type=discord.ChannelType.public_thread)
    assert other.id in fake.threads and other.name == "Weekly"

    before = len(bot.received)
    asked = await fake.message("how do I start?", mentions_bot=True)
    await fake.wait_for(lambda: len(bot.received) > before)
    from_user = await bot.received[-1].create_thread(name="Getting started")
    assert from_user.id == asked and fake.threads[asked]["name"] == "Getting started"


async def test_gateway_restart_resumes_and_replays_missed_events(env):
    fake, bot = env
    resumes, before = len(fake.resumes), len(bot.received)
    await fake.disconnect_all()
    await fake.message("sent while you were away", dm=True)
    await fake.wait_for(lambda: len(fake.resumes) > resumes and fake.live_sessions())
    await fake.wait_for(lambda: len(bot.received) > before)
    assert bot.received[-1].content == "sent while you were away"
    assert bot.is_ready() and bot.get_guild(fake.guild_id) is not None


async def test_auto_sharded_client_connects():
    async with FakeDiscord() as fake:
        with fake.patch_discord():
            client = discord.AutoShardedClient(
                intents=discord.Intents.default(), guild_ready_timeout=0.1
            )
            task = await start(client)
            try:
                assert client.shard_count == 1 and client.get_guild(fake.guild_id)
                assert fake.identifies[0]["shard"] == [0, 1]
                assert ("GET", "/gateway/bot") in [(c.method, c.path) for c in fake.calls]
            finally:
                await stop(client, task)
