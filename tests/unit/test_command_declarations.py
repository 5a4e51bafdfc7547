"""Commands are declared once, in the core: Discord's slash commands (typed options, choices,
ranges, autocomplete, subcommand groups) are generated from the declarations, and an
interaction's option values become the same command text a console user would type."""

from __future__ import annotations

import discord

from bot.adapters.discord.commands import slash_command
from bot.core.messages import Reply
from bot.core.registry import CommandRegistry, Param, Sub, invocation

PARAMS = (
    Param("level", "how hard", required=True, choices=("easy", "hard")),
    Param("rounds", "1 to 9", "int", low=1, high=9, default=3),
    Param("where", "a time zone", complete="zones"),
    Param("note", "one word only", one_word=True),
    Param("sure", "really", "bool", flag="confirm"),
    Param("file", "a document", "file"),
)


async def handler(req, args) -> Reply:  # type: ignore[no-untyped-def]
    return Reply.text(args)


def test_invocation_turns_option_values_into_command_text():
    values = {"level": "hard", "rounds": 5, "note": "a.md confirm", "sure": True, "file": object()}
    assert invocation("/quiz", PARAMS, values) == "/quiz hard 5 a.md confirm"
    assert invocation("/quiz", PARAMS, {"level": "easy", "sure": False}) == "/quiz easy"


async def test_discord_options_come_from_the_declaration():
    reg = CommandRegistry()
    reg.add("quiz", "a quiz", handler, params=PARAMS)
    reg.add("club", "a club", handler, subs=(Sub("join", "join it", (PARAMS[0],), True),))
    ran: list[tuple[str, object]] = []

    async def run(interaction, text, upload) -> None:  # type: ignore[no-untyped-def]
        ran.append((text, upload))

    async def zones(interaction, current):  # type: ignore[no-untyped-def]
        return []

    tree = discord.app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    quiz = slash_command(reg.get("quiz"), run, {"zones": zones})
    payload = quiz.to_dict(tree)["options"]
    options = {o["name"]: o for o in payload}
    assert payload[0]["name"] == "level"  # required options first
    assert [c["value"] for c in options["level"]["choices"]] == ["easy", "hard"]
    assert options["level"]["required"] and not options["rounds"].get("required")
    assert (options["rounds"]["type"], options["rounds"]["min_value"]) == (4, 1)
    assert options["rounds"]["max_value"] == 9 and options["where"]["autocomplete"]
    assert (options["sure"]["type"], options["file"]["type"]) == (5, 11)
    await quiz.callback(None, level="hard", rounds=3, note="x y", sure=True, file="F")
    assert ran == [("/quiz hard 3 x confirm", "F")]
    club = slash_command(reg.get("club"), run, {})
    assert isinstance(club, discord.app_commands.Group)
    assert [c.name for c in club.commands] == ["join"]
    assert reg.get("club").needs_chat_admin("join now") and not reg.get("quiz").needs_chat_admin("")
    assert reg.get("quiz").takes_file and not reg.get("club").takes_file
    reg.add("rate", "rate", handler, hidden=True)
    reg.add("secret", "admin only", handler, admin=True)
    assert [c.name for c in reg.listed()] == ["quiz", "club"]
    assert [c.name for c in reg.listed(admin=True)] == ["quiz", "club", "secret"]
