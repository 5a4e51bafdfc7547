"""BotCore: every request from every platform goes through `handle`.

Adapters only build a Request and render the Reply. Validation, commands, small talk and
questions are decided here once, so Discord, Telegram and the console behave identically.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.config import Settings
from bot.core import language, smalltalk
from bot.core.answers import Answer, Answerer
from bot.core.followup import Resolved, resolve
from bot.core.generated import Generator
from bot.core.messages import Bullets, Paragraph, Reply, Request
from bot.core.registry import CommandRegistry, Param
from bot.learning.conversations import ConversationStore, Place, Turn
from bot.learning.once import first_time
from bot.learning.quizbank import MAX_CHOICES
from bot.learning.service import LearningService, Who
from bot.learning.usecases import track_id
from bot.ops.metrics import ANSWER_LATENCY, ANSWERS
from bot.retrieval.retriever import IndexMissing
from bot.textutil import clean_user_text

log = logging.getLogger(__name__)

EXAMPLES = (
    "what math do I need?",
    "do I need a degree?",
    "how long until I'm ready for a junior job?",
    "what projects should a beginner build?",
)


def answer_reply(answer: Answer) -> Reply:
    if not answer.answered and answer.nearby:
        return Reply(
            (
                Paragraph(
                    "The roadmap doesn't answer that directly, so I won't guess. Nearby, it covers:"
                ),
                Bullets(answer.nearby),
                Paragraph("Ask about one of those, or rephrase your question."),
            ),
            kind="not_covered",
            answer=answer,
        )
    if not answer.answered:
        return Reply(
            (
                Paragraph(
                    "The roadmap doesn't cover that, so I won't guess. "
                    "Here are questions it does answer:"
                ),
                Bullets(answer.suggestions or EXAMPLES),
            ),
            kind="not_covered",
            answer=answer,
        )
    return Reply(
        (
            Bullets(
                tuple(line.text for line in answer.lines),
                tuple(line.cite for line in answer.lines),
                tuple(line.depth for line in answer.lines),
            ),
        ),
        citations=answer.citations,
        kind="answer",
        answer=answer,
    )


RefusedHook = Callable[[Request, str], Awaitable[None]]
QuestionHook = Callable[[Request, str, Reply], Awaitable[Reply]]


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}
_OPTION = re.compile(
    r"^(?:the\s+|option\s+|answer\s+|number\s+)?(?:(?P<n>\d{1,3})|(?P<word>first|second|third|"
    r"fourth|1st|2nd|3rd))(?:\s+(?:one|option|answer))?[\s.)!]*$",
    re.I,
)


_ZONE_TYPED = re.compile(r"^(?:tz|time\s?zone)\s*[:=]?\s+(?P<zone>[\w/+:-]+)$", re.I)


# Questions about the time a learner has or needs: the plans are the bot's own answer.
_STUDY_TIME = re.compile(
    r"\b(\d+(\.\d+)?\s*(h|hrs?|hours?|mins?|minutes?)\s*(a|per|/|each|every)\s*(day|week)|"
    r"part[- ]?time|full[- ]?time|how long (does|will|would|until|till)|hours? a (day|week))",
    re.I,
)


def _typed_track(learning: LearningService, text: str) -> str | None:
    """The plan a bare message names ("part time", "Full-time."), or None."""
    return track_id(learning, re.sub(r"[\s_]+", "-", text.strip(" .!").lower()))


def _option_number(text: str) -> int | None:
    """ "2", "2.", "the second one", "option 3": the option a bare reply chooses, or None."""
    m = _OPTION.match(text.strip())
    if m is None:
        return None
    return int(m["n"]) if m["n"] else _ORDINALS[m["word"].lower()]


class BotCore:
    """Dispatch: commands to their handlers in the registry, everything else to the answerer.

    `learning` (None without a database) tailors answers to enrolled learners and shows
    pending notices; `on_refused` hears refused admin commands and `on_question` every
    question asked (the admin side audits and logs them)."""

    def __init__(
        self,
        settings: Settings,
        answerer: Answerer,
        learning: LearningService | None = None,
        on_refused: RefusedHook | None = None,
        on_question: QuestionHook | None = None,
        conversations: ConversationStore | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.settings = settings
        self.answerer = answerer
        self.registry = CommandRegistry()
        self.learning = learning
        self.on_refused = on_refused
        self.on_question = on_question
        self.conversations = conversations  # None: every question stands alone
        self.generator = generator  # None: extractive answers only (the default)
        self._register_commands()

    # -- entry point -------------------------------------------------------------------
    async def handle(self, req: Request) -> Reply:
        try:
            reply = await self._handle(req)
            return await self._with_notice(req, reply)
        except IndexMissing:
            return Reply.text(
                "My knowledge index isn't built yet, so I can't answer questions. "
                "An admin can build it with `mlbot ingest`.",
                kind="error",
            )
        except Exception:
            log.exception("failed to handle a %s request", req.platform)
            return Reply.text(
                "Sorry, something went wrong on my side. Please try again in a moment.",
                kind="error",
            )

    # -- what adapters ask the core ------------------------------------------------------
    async def first_time(self, platform: str, key: str) -> bool:
        """Whether a platform event (an update, a message, a button tap) is new: each acts
        once, even when redelivered after a restart or tapped twice. Without a database,
        every event is new."""
        if self.learning is None:
            return True
        return await first_time(self.learning.db, platform, key, self.learning.clock.now())

    def needs_chat_admin(self, text: str) -> bool:
        """Whether this command text needs the chat's admin rights (a platform lookup)."""
        cmd, args = self.registry.for_text(text)
        return cmd is not None and cmd.needs_chat_admin(args)

    def takes_file(self, text: str) -> bool:
        """Whether a file sent with this text (as its caption) is for the command."""
        cmd, _ = self.registry.for_text(text)
        return cmd is not None and cmd.takes_file

    @staticmethod
    def unreadable() -> Reply:
        """The reply to a message with nothing to read (a photo, a sticker, a voice note)."""
        return Reply.text(
            "I can only read text messages. Ask me a question, or send /help.", kind="error"
        )

    ALREADY_DONE = "Already done 👍"  # a button tapped a second time

    async def _with_notice(self, req: Request, reply: Reply) -> Reply:
        """Put a pending one-time notice (e.g. why nudges stopped) in front of the reply."""
        if self.learning is None or not req.text.strip().startswith("/"):
            return reply
        notice = await self.learning.take_notice(Who(req.platform, req.user_id, req.user_name))
        if notice is None:
            return reply
        return replace(reply, blocks=(Paragraph(f"⚠️ {notice}"), *reply.blocks))

    async def _handle(self, req: Request) -> Reply:
        text = clean_user_text(req.text)
        if not text:
            return Reply.text(
                "I didn't catch a question there. Ask me anything about becoming an ML "
                f"engineer, for example \u201c{EXAMPLES[0]}\u201d, or type /help."
            )
        chosen = await self._menu_choice(req, text)
        if chosen.startswith("/"):
            return await self._command(req, chosen)
        return await self._point_at_switch(req, text, await self.ask(req, chosen))

    async def _menu_choice(self, req: Request, text: str) -> str:
        """A bare reply to a menu, as the command it chooses: an option's number answers the
        quiz question on screen ("2", "2.", "the second one" -> "/quiz 2"); a plan's name
        typed after the /start menu picks it ("part time" -> "/start part-time") while none
        is chosen yet, and a number then shows the menu again (it names no plan)."""
        if self.learning is None or len(text) > 40 or text.startswith("/"):
            return text
        zone = _ZONE_TYPED.match(text.strip())
        if zone:  # "timezone Europe/Berlin" typed after /settings
            return f"/settings tz {zone['zone']}"
        track = _typed_track(self.learning, text)
        option = _option_number(text)
        if option is None and track is None:
            return text
        enrolled = await self.learning.is_enrolled(req.platform, req.user_id)
        if option is not None:
            if not enrolled:
                return "/start"
            return f"/quiz {option}" if 1 <= option <= MAX_CHOICES else text
        return f"/start {track}" if not enrolled else text

    async def _command(self, req: Request, text: str) -> Reply:
        cmd, args = self.registry.for_text(text)  # "/help@BotName" in Telegram groups too
        head = text.partition(" ")[0]
        if cmd is None:
            shown = head if len(head) <= 40 else head[:40] + "…"
            return Reply.text(
                f"I don't know the command {shown}. Type /help to see what I can do.",
                kind="error",
            )
        if cmd.admin and not self.settings.is_admin(req.platform, req.user_id):
            log.warning("refused %s from %s:%s (not an admin)", head, req.platform, req.user_id)
            if self.on_refused is not None:
                await self.on_refused(req, text)
            return Reply.text(f"Sorry, /{cmd.name} is only for this bot's admins.", kind="error")
        return await cmd.handler(req, args.strip())

    async def ask(self, req: Request, question: str) -> Reply:
        question = clean_user_text(question)
        if not question:
            return Reply.text(
                f"What would you like to know? For example: /ask {EXAMPLES[0]}", kind="error"
            )
        limit = self.settings.max_question_chars
        if len(question) > limit:
            return Reply.text(
                f"That message is {len(question):,} characters long; I can take questions of up "
                f"to {limit:,}. Could you ask it in a sentence or two?",
                kind="error",
            )
        kind = smalltalk.classify(question)
        if kind == "help":
            return self.help_reply(req)
        if kind is not None:
            return self._smalltalk(kind)
        question = language.english_part(question)
        who = (req.platform, req.user_id)
        asked = None  # the learner's own words, when they wrote in another language
        lang = language.detect_non_english(question)
        if lang is not None:
            english = await self.generator.to_english(question, who) if self.generator else None
            if english is None:
                return self._not_english(lang)
            asked, question = question, english
        meant, earlier, where = await self._follow_up(req, question)
        if self.generator is not None:
            turns = [(t.meant, t.said) for t in earlier]
            answer = await self.generator.respond(meant.question, who, turns, req.on_partial, asked)
        else:
            answer = self.answerer.respond(meant.question)
        if where is not None:
            said = " ".join(line.text for line in answer.lines)
            await self.conversations.remember(where, question, meant.question, said)
        ANSWERS.labels(answered=str(answer.answered).lower()).inc()
        ANSWER_LATENCY.observe(answer.took_ms / 1000)
        reply = answer_reply(answer)
        if meant.kind == "swap" or asked is not None:  # say how the question was read
            reply = replace(reply, blocks=(Paragraph(f"↪ {meant.question}"), *reply.blocks))
        if answer.debug.get("route") == "learning_order":
            reply = await self._point_at_today(req, reply)
        elif answer.answered and _STUDY_TIME.search(meant.question):
            reply = await self._point_at_plans(req, reply)
        if self.on_question is not None:
            reply = await self.on_question(req, meant.question, reply)
        return reply

    async def _follow_up(
        self, req: Request, question: str
    ) -> tuple[Resolved, list[Turn], Place | None]:
        """The full question a follow-up means, the conversation's earlier exchanges (for
        the model) and where it is kept. In a DM and the console each message continues
        the conversation; in a group only a reply to the bot's message does."""
        if self.conversations is None:
            return Resolved(question, "new"), [], None
        place = "dm" if req.private else (req.channel_id or "group")
        where = Place(req.platform, req.user_id, place)
        earlier: list[Turn] = []
        if req.private or req.replies_to_bot:
            earlier = await self.conversations.recent(where)
        previous = earlier[-1].meant if earlier else None
        reader = self.answerer
        meant = resolve(question, previous, reader.encode, reader.spell, reader.strength)
        if meant.kind == "new":
            earlier = []  # a fresh question: the earlier ones would only mislead the model
        return replace(meant, previous=previous), earlier, where

    def _not_english(self, lang: str) -> Reply:
        """Said in the learner's language; not a content gap, so not logged as one."""
        try:
            examples = self.answerer.suggestions() or EXAMPLES
        except IndexMissing:
            examples = EXAMPLES
        return Reply(
            (Paragraph(language.not_english_message(lang)), Bullets(tuple(examples[:4]))),
            kind="not_english",
        )

    async def _point_at_today(self, req: Request, reply: Reply) -> Reply:
        """An enrolled learner asking where to start is told where their own plan is."""
        if self.learning is None:
            return reply
        if await self.learning.is_enrolled(req.platform, req.user_id):
            tail = "You're enrolled in a plan: send /today to see today's task."
        else:
            tail = "Want a plan that walks you through it day by day? Send /start."
        return replace(reply, blocks=(*reply.blocks, Paragraph(tail)))

    async def _point_at_switch(self, req: Request, text: str, reply: Reply) -> Reply:
        """An enrolled learner who types a plan's name alone ("full-time") is answered as a
        question, and told how to switch to that plan, which is what they may have meant."""
        if self.learning is None or len(text) > 40:
            return reply
        track = _typed_track(self.learning, text)
        if track is None:
            return reply
        current = await self.learning.current_track(req.platform, req.user_id)
        if current is None or current == track:
            return reply
        name = self.learning.curriculum.tracks[track].name
        tail = f"To switch to the {name} plan, send /start {track}; everything you've done still counts."
        return replace(reply, blocks=(*reply.blocks, Paragraph(tail)))

    async def _point_at_plans(self, req: Request, reply: Reply) -> Reply:
        """A learner asking about study time ("i only have 1 hour a day", "is there a part
        time path") who has no plan yet is told the bot's own plans fit that."""
        if self.learning is None or await self.learning.is_enrolled(req.platform, req.user_id):
            return reply
        tracks = self.learning.curriculum.tracks
        names = ", ".join(f"/start {t}" for t in tracks)
        tail = f"I can also plan it for you, a task a day at your pace: {names}."
        return replace(reply, blocks=(*reply.blocks, Paragraph(tail)))

    # -- replies -----------------------------------------------------------------------
    def _smalltalk(self, kind: str) -> Reply:
        texts = {
            "greeting": "Hi! I'm your ML career assistant. Ask me anything about becoming a "
            f"machine-learning engineer, like \u201c{EXAMPLES[0]}\u201d or "
            f"\u201c{EXAMPLES[1]}\u201d. Type /help for commands.",
            "thanks": "You're welcome! Ask me anything else whenever you like.",
            "bye": "Good luck with your studies! I'm here whenever you have a question.",
            "ack": "👍 Anything else you'd like to know? Ask me a question, or type /help.",
            "confused": "Sorry if that wasn't clear! Ask me a question about becoming an ML "
            f"engineer, for example \u201c{EXAMPLES[0]}\u201d, or type /help.",
            "about": "I'm an ML career assistant: I answer questions about becoming a "
            "machine-learning engineer from a hand-written roadmap, always with its sources, "
            "and /start gives you a daily study plan. What would you like to know?",
            "privacy": "I keep what your plan and our chat need: your settings, progress, "
            "notes and quiz answers, our last few exchanges, and the questions you ask with "
            "your 👍/👎 (so admins see what the roadmap lacks). /export shows all of it and "
            "/forget deletes it, on every account you linked.",
            "task": "I can't write or review that for you: I answer questions from the "
            "roadmap, with its sources. Ask me what it says instead, for example \u201chow do "
            "I present my projects?\u201d or \u201chow do I get experience?\u201d",
            "off_topic": "That's outside what I know: I only help with becoming a "
            f"machine-learning engineer. Try \u201c{EXAMPLES[0]}\u201d, or type /help.",
        }
        return Reply.text(texts[kind], kind="smalltalk")

    def help_reply(self, req: Request | None = None) -> Reply:
        admin = req is not None and self.settings.is_admin(req.platform, req.user_id)
        cmds = [
            f"/{c.name}{(' ' + c.usage) if c.usage else ''} \u2014 {c.summary}"
            for c in self.registry.listed(admin=admin)
        ]
        return Reply(
            (
                Paragraph(
                    "I answer questions about becoming a machine-learning engineer from our "
                    "roadmap, and I always show where the answer comes from. Just type a "
                    "question, for example:"
                ),
                Bullets(EXAMPLES),
                Paragraph("Commands:"),
                Bullets(tuple(cmds)),
            ),
            kind="info",
        )

    # -- commands ----------------------------------------------------------------------
    def _register_commands(self) -> None:
        reg = self.registry

        @reg.command("help", "what I can do and how to ask")
        async def _help(req: Request, args: str) -> Reply:
            return self.help_reply(req)

        question = Param("question", "for example: what math do I need?", required=True)

        @reg.command(
            "ask", "ask a question about the ML roadmap", usage="QUESTION", params=(question,)
        )
        async def _ask(req: Request, args: str) -> Reply:
            return await self.ask(req, args)

        @reg.command("topics", "the roadmap documents I know")
        async def _topics(req: Request, args: str) -> Reply:
            manifest = self.answerer.retriever.current().manifest
            titles = sorted({d.title for d in manifest.docs.values()})
            return Reply(
                (Paragraph(f"I know {len(titles)} roadmap documents:"), Bullets(tuple(titles))),
                kind="info",
            )

        @reg.command("about", "the knowledge index I answer from")
        async def _about(req: Request, args: str) -> Reply:
            snap = self.answerer.retriever.current()
            m = snap.manifest
            return Reply.text(
                f"Knowledge index version {m.version}, built {m.built_at}: "
                f"{len(m.docs)} documents, {m.chunk_count} passages. "
                "Answers are quoted from these documents, never invented.",
            )
