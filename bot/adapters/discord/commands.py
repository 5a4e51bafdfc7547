"""Discord slash commands generated from the core's command declarations: typed options,
choices, ranges and autocomplete come from each command's `Param`s, subcommands become a
command group, and a call is turned back into the command text the core understands."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands

from bot.core.registry import Command, CommandRegistry, Param, invocation

# Runs a command text for an interaction, with the uploaded files if any.
Runner = Callable[[discord.Interaction, str, discord.Attachment | None], Awaitable[None]]
Completer = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]


def _annotation(p: Param) -> object:
    if p.kind == "int":
        return app_commands.Range[int, p.low, p.high] if p.low is not None else int
    return {"bool": bool, "file": discord.Attachment}.get(p.kind, str)


def _default(p: Param) -> object:
    if p.required:
        return inspect.Parameter.empty
    if p.default is not None:
        return p.default
    return False if p.kind == "bool" else None


def _callback(path: str, params: tuple[Param, ...], run: Runner):  # type: ignore[no-untyped-def]
    file_param = next((p.name for p in params if p.kind == "file"), None)

    async def callback(interaction: discord.Interaction, **values: object) -> None:
        upload = values.get(file_param) if file_param else None
        await run(interaction, invocation(path, params, values), upload)  # type: ignore[arg-type]

    ordered = sorted(params, key=lambda p: not p.required)  # Discord lists required ones first
    signature = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        ),
        *(
            inspect.Parameter(
                p.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(p),
                default=_default(p),
            )
            for p in ordered
        ),
    ]
    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    return callback


def _decorate(callback, params: tuple[Param, ...], completers: dict[str, Completer]):  # type: ignore[no-untyped-def]
    if params:
        callback = app_commands.describe(**{p.name: p.description[:100] for p in params})(callback)
    choices = {
        p.name: [app_commands.Choice(name=c, value=c) for c in p.choice_list()[:25]]
        for p in params
        if p.choice_list()
    }
    if choices:
        callback = app_commands.choices(**choices)(callback)
    complete = {p.name: _completer(p, completers) for p in params if p.complete in completers}
    if complete:
        callback = app_commands.autocomplete(**complete)(callback)
    return callback


def _completer(p: Param, completers: dict[str, Completer]) -> Completer:
    source = completers[p.complete]
    if p.complete_when is None:
        return source
    other, wanted = p.complete_when

    async def when(interaction: discord.Interaction, current: str) -> list:  # type: ignore[type-arg]
        if getattr(interaction.namespace, other, None) == wanted:
            return await source(interaction, current)
        return []

    return when


def _slash(name: str, summary: str, path: str, params, run, completers) -> app_commands.Command:  # type: ignore[no-untyped-def]
    callback = _decorate(_callback(path, params, run), params, completers)
    return app_commands.Command(name=name, description=summary[:100], callback=callback)


def slash_command(
    cmd: Command, run: Runner, completers: dict[str, Completer]
) -> app_commands.Command | app_commands.Group:
    """One command (or a group of its subcommands) as Discord declares it."""
    if not cmd.subs:
        return _slash(cmd.name, cmd.summary, f"/{cmd.name}", cmd.params, run, completers)
    group = app_commands.Group(name=cmd.name, description=cmd.summary[:100])
    for sub in cmd.subs:
        path = f"/{cmd.name} {sub.name}"
        group.add_command(_slash(sub.name, sub.summary, path, sub.params, run, completers))
    return group


def build_tree(
    tree: app_commands.CommandTree,
    registry: CommandRegistry,
    run: Runner,
    completers: dict[str, Completer],
) -> None:
    for cmd in registry.listed(admin=True):  # /admin checks its caller in the core
        tree.add_command(slash_command(cmd, run, completers))
