"""One registry of commands: the core owns it, every adapter lists and dispatches from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.messages import Reply, Request

Handler = Callable[[Request, str], Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    handler: Handler
    usage: str = ""
    admin: bool = False


class CommandRegistry:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}

    def add(
        self, name: str, summary: str, handler: Handler, *, usage: str = "", admin: bool = False
    ) -> None:
        key = name.lower().lstrip("/")
        if key in self._commands:
            raise ValueError(f"command /{key} is registered twice")
        self._commands[key] = Command(key, summary, handler, usage, admin)

    def command(self, name: str, summary: str, *, usage: str = "", admin: bool = False):
        def wrap(fn: Handler) -> Handler:
            self.add(name, summary, fn, usage=usage, admin=admin)
            return fn

        return wrap

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower().lstrip("/"))

    def all(self) -> list[Command]:
        return list(self._commands.values())

    def names(self) -> list[str]:
        return list(self._commands)
