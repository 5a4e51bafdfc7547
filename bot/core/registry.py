"""One registry of commands: the core owns it, every adapter lists and dispatches from it.

A command is declared once, with typed parameters (choices, ranges, an autocomplete source)
and flags (bot admins only; needs the chat's admins). The console's /help, Telegram's command
menu and Discord's slash commands are all generated from these declarations, and a platform's
structured options are turned back into the same command text by `invocation`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.core.messages import Reply, Request

Handler = Callable[[Request, str], Awaitable[Reply]]
Choices = tuple[str, ...] | Callable[[], tuple[str, ...]]


@dataclass(frozen=True)
class Param:
    """One argument, in the order it appears in the command text.

    `flag`: for a bool, the word put in the text when true ("confirm"). `complete`: the name of
    a suggestion source a platform may offer while typing ("zones"), optionally only when
    another option has a value (`complete_when=("setting", "tz")`).
    """

    name: str
    description: str
    kind: Literal["text", "int", "bool", "file"] = "text"
    required: bool = False
    choices: Choices = ()
    low: int | None = None
    high: int | None = None
    default: int | None = None
    flag: str = ""
    complete: str = ""
    complete_when: tuple[str, str] | None = None
    one_word: bool = False  # a value cannot smuggle in more words (e.g. "doc confirm")

    def choice_list(self) -> tuple[str, ...]:
        return self.choices() if callable(self.choices) else self.choices


@dataclass(frozen=True)
class Sub:
    """A subcommand (/group setup ...), for platforms that nest them."""

    name: str
    summary: str
    params: tuple[Param, ...] = ()
    chat_admin: bool = False


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    handler: Handler
    usage: str = ""
    admin: bool = False  # the bot's admins only
    params: tuple[Param, ...] = ()
    subs: tuple[Sub, ...] = ()
    chat_admin: bool = False  # some uses need the chat's admin rights (a platform lookup)
    hidden: bool = False  # reached through buttons only: left out of /help and menus

    def needs_chat_admin(self, args: str) -> bool:
        if self.chat_admin:
            return True
        word = (args.split() or [""])[0].lower()
        return any(s.chat_admin and s.name == word for s in self.subs)

    @property
    def takes_file(self) -> bool:
        return any(p.kind == "file" for p in self.params)


def invocation(path: str, params: tuple[Param, ...], values: Mapping[str, object]) -> str:
    """The command text for structured option values: "/start part-time Europe/Berlin"."""
    words = [path]
    for p in params:
        value = values.get(p.name)
        if value is None or p.kind == "file":
            continue
        if p.kind == "bool":
            words.append(p.flag if value else "")
        elif p.one_word:
            words.append(next(iter(str(value).split()), ""))
        else:
            words.append(str(value))
    return " ".join(w for w in words if w)


@dataclass
class CommandRegistry:
    _commands: dict[str, Command] = field(default_factory=dict)

    def add(
        self,
        name: str,
        summary: str,
        handler: Handler,
        *,
        usage: str = "",
        admin: bool = False,
        params: tuple[Param, ...] = (),
        subs: tuple[Sub, ...] = (),
        chat_admin: bool = False,
        hidden: bool = False,
    ) -> None:
        key = name.lower().lstrip("/")
        if key in self._commands:
            raise ValueError(f"command /{key} is registered twice")
        self._commands[key] = Command(
            key, summary, handler, usage, admin, params, subs, chat_admin, hidden
        )

    def command(self, name: str, summary: str, **kw):  # type: ignore[no-untyped-def]
        def wrap(fn: Handler) -> Handler:
            self.add(name, summary, fn, **kw)
            return fn

        return wrap

    def get(self, name: str) -> Command | None:
        return self._commands.get(name.lower().lstrip("/"))

    def for_text(self, text: str) -> tuple[Command | None, str]:
        """The command a message invokes ("/group@Bot setup ..."), and its arguments."""
        head, _, args = text.strip().partition(" ")
        if not head.startswith("/"):
            return None, text
        return self.get(head[1:].split("@", 1)[0]), args

    def all(self) -> list[Command]:
        return list(self._commands.values())

    def listed(self, *, admin: bool = False) -> list[Command]:
        """The commands to show in /help and platform menus (admin ones only to admins)."""
        return [c for c in self._commands.values() if not c.hidden and (admin or not c.admin)]

    def names(self) -> list[str]:
        return list(self._commands)
