"""`mlbot` command line: ingest, ask, chat, run.

Heavy libraries (torch, sentence-transformers, llama-index) are imported only by the commands
that need them, so `mlbot ask` over a built index starts in about a second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

# Everything runs offline: never let a library reach for a model hub or telemetry.
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    "ANONYMIZED_TELEMETRY": "False",
}.items():
    os.environ.setdefault(_key, _value)

from bot.config import Settings  # noqa: E402
from bot.textutil import plural  # noqa: E402

log = logging.getLogger("mlbot")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors (MLBOT_LOG_FORMAT=json)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler()
    if os.environ.get("MLBOT_LOG_FORMAT", "").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    for noisy in (
        "chromadb",
        "httpx",
        "sentence_transformers",
        "transformers",
        "torch",
        "discord.client",
    ):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(data_dir=getattr(args, "data_dir", None))


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.pipeline import IngestBusy, run_ingest

    settings = _settings(args)
    sources = [Path(s) for s in args.source] if args.source else None
    try:
        report = run_ingest(
            settings,
            sources,
            progress=not args.json,
            full=args.full,
            prune=True if args.prune else None,
            replace=args.replace,
        )
    except IngestBusy as exc:
        print(f"Not started: {exc}.", file=sys.stderr)
        return 3
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.summary())
    has_index = report.version > 0
    return 0 if has_index else 1


def _answer_json(reply, took_ms: float) -> dict:
    from bot.adapters.plain import render_plain

    answer = reply.answer
    sources = []
    if answer is not None and answer.answered:
        sources = [
            {
                "title": s.citation.title,
                "section": s.citation.section,
                "source": s.citation.source,
                "score": s.score,
                "text": s.text,
            }
            for s in answer.sources
        ]
    return {
        "answer": render_plain(reply),
        "answered": reply.kind == "answer",
        "sources": sources,
        "took_ms": round(took_ms, 3),
    }


def _batch_questions(name: str) -> list[str]:
    """One question per non-empty line of a file, or of stdin for '-'."""
    if name == "-":
        return [line.rstrip("\n") for line in sys.stdin if line.strip()]
    with Path(name).open(encoding="utf-8", errors="replace") as fh:
        return [line.rstrip("\n") for line in fh if line.strip()]


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.adapters.plain import render_plain
    from bot.bootstrap import build_core
    from bot.core.messages import Request
    from bot.retrieval.retriever import IndexMissing

    settings = _settings(args)
    core = build_core(settings)
    try:
        core.answerer.retriever.current()
    except IndexMissing as exc:
        print(f"No index yet: {exc}.", file=sys.stderr)
        return 2
    if args.batch:
        try:
            questions = _batch_questions(args.batch)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            print(f"Cannot read the questions file {args.batch}: {reason}.", file=sys.stderr)
            return 2
    elif args.question:
        questions = [" ".join(args.question)]
    else:
        print("Give a question, or --batch FILE.", file=sys.stderr)
        return 2
    for q in questions:
        t0 = time.perf_counter()
        reply = asyncio.run(core.ask(Request(platform="cli", user_id="cli", text=q), q))
        took = (time.perf_counter() - t0) * 1000
        if args.json:
            out = _answer_json(reply, took)
            if args.batch:
                out = {"question": q, **out}
            print(json.dumps(out, ensure_ascii=False), flush=True)
        else:
            print(render_plain(reply, show_paths=True), flush=True)
            if len(questions) > 1:
                print(flush=True)
    return 0


def _ensure_index(settings: Settings) -> bool:
    """Bring the index up to date before chatting: built on first run, refreshed after edits.

    With nothing changed this only hashes the knowledge files (milliseconds).
    """
    from ingest.pipeline import IngestBusy, run_ingest

    try:
        report = run_ingest(settings, progress=True)
    except IngestBusy:
        return True  # someone else is updating it; the serving index is still complete
    if report.changed or report.docs_failed:
        print(report.summary(), file=sys.stderr)
    return report.version > 0


async def _console_session(settings: Settings, *, scheduler: bool) -> int:
    from bot.adapters.console import ConsoleDeliverer, run_console
    from bot.bootstrap import build_app
    from bot.learning.curriculum import CurriculumError

    outbox = settings.data_dir / "outbox"
    try:
        app = await build_app(settings, deliverers={"console": ConsoleDeliverer(outbox=outbox)})
    except CurriculumError as exc:
        print(f"The curriculum is invalid, so the bot cannot start:\n{exc}", file=sys.stderr)
        return 1
    sched = None
    try:
        if scheduler:
            from bot.nudges.leader import Leadership
            from bot.nudges.scheduler import start_scheduler

            sched = await start_scheduler(
                app.engine,
                settings.tick_seconds,
                app.reingester,
                settings.reingest_time,
                Leadership(app.db, settings.data_dir),
                app.housekeeping,
            )
        return await run_console(app.core, outbox=outbox)
    finally:
        if sched is not None:
            await sched.stop()
        await app.close()


def cmd_chat(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not _ensure_index(settings):
        return 1
    return asyncio.run(_console_session(settings, scheduler=False))


async def _serve_platforms(settings: Settings) -> int:
    """Every configured adapter, the nudge scheduler, one core and one database, until a
    SIGTERM or Ctrl-C; then adapters stop taking updates, the queue stops, the DB closes."""
    import signal

    from bot.adapters.telegram.adapter import LIMITS as TELEGRAM_LIMITS
    from bot.adapters.telegram.adapter import TelegramAdapter, TelegramSettings
    from bot.bootstrap import build_app
    from bot.nudges.leader import Leadership
    from bot.nudges.scheduler import start_scheduler
    from bot.ops.connect import CannotConnect, connect_all

    app = await build_app(settings)
    adapters = []
    token = os.environ.get("TELEGRAM_TOKEN", "")
    if token:
        tg = TelegramAdapter(
            app.core,
            TelegramSettings(
                token=token,
                base_url=os.environ.get("TELEGRAM_BASE_URL") or "https://api.telegram.org/bot",
                webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL") or None,
                webhook_port=int(os.environ.get("TELEGRAM_WEBHOOK_PORT") or 8443),
                webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
            ),
        )
        app.queue.add_deliverer("telegram", tg.deliverer, TELEGRAM_LIMITS)
        adapters.append(tg)
    if os.environ.get("DISCORD_TOKEN"):
        from bot.adapters.discord.adapter import LIMITS as DISCORD_LIMITS
        from bot.adapters.discord.adapter import DiscordAdapter

        dc = DiscordAdapter(app.core, discord_settings())
        app.queue.add_deliverer("discord", dc.deliverer, DISCORD_LIMITS)
        adapters.append(dc)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sched = ops = None
    try:
        ops = await start_ops_server(app)
        try:
            if not await connect_all(adapters, stop):
                return 0  # asked to stop before every platform was reachable
        except CannotConnect as exc:
            print(f"mlbot cannot start: {exc}", file=sys.stderr, flush=True)
            return 2
        sched = await start_scheduler(
            app.engine,
            settings.tick_seconds,
            app.reingester,
            settings.reingest_time,
            Leadership(app.db, settings.data_dir),
            app.housekeeping,
        )
        print(
            f"mlbot is running ({', '.join(type(a).__name__ for a in adapters)}); "
            "Ctrl-C or SIGTERM stops it.",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    finally:
        if sched is not None:
            await sched.stop()
        if ops is not None:
            await ops.stop()
        for adapter in adapters:
            await adapter.stop()
        await app.close()
    print("mlbot stopped cleanly.", file=sys.stderr, flush=True)
    return 0


DEFAULT_HTTP_HOST = "127.0.0.1"


async def start_ops_server(app):  # type: ignore[no-untyped-def]
    """/healthz, /readyz and /metrics on MLBOT_HTTP_HOST:MLBOT_HTTP_PORT (default
    127.0.0.1:8080, so /metrics is not open to the network unless asked; "off" disables)."""
    from bot.ops.http import OpsServer

    port = os.environ.get("MLBOT_HTTP_PORT", "8080").strip().lower()
    if port in ("off", "none", ""):
        return None
    server = OpsServer(app, os.environ.get("MLBOT_HTTP_HOST", DEFAULT_HTTP_HOST), int(port))
    try:
        await server.start()
    except OSError as exc:
        log.warning("health/metrics server not started on port %s: %s", port, exc)
        return None
    return server


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.ops.doctor import render, run_checks

    checks = asyncio.run(run_checks(_settings(args)))
    print(render(checks))
    return 0 if all(c.ok for c in checks) else 1


def discord_settings():  # type: ignore[no-untyped-def]
    from bot.adapters.discord.adapter import DiscordSettings

    guild = os.environ.get("DISCORD_GUILD_ID")
    return DiscordSettings(
        token=os.environ.get("DISCORD_TOKEN", ""),
        guild_id=int(guild) if guild else None,
        message_content=os.environ.get("DISCORD_MESSAGE_CONTENT", "").lower()
        in ("1", "true", "yes"),
        sharded=os.environ.get("DISCORD_SHARDED", "").lower() in ("1", "true", "yes"),
        api_base=os.environ.get("DISCORD_API_BASE") or None,
        gateway_url=os.environ.get("DISCORD_GATEWAY_URL") or None,
    )


def cmd_discord_sync(args: argparse.Namespace) -> int:
    """Register the slash commands with Discord, globally or for one guild (instant)."""
    if not os.environ.get("DISCORD_TOKEN"):
        print("Set DISCORD_TOKEN first.", file=sys.stderr)
        return 2

    async def main() -> int:
        from bot.adapters.discord.adapter import DiscordAdapter
        from bot.bootstrap import build_app

        app = await build_app(_settings(args))
        adapter = DiscordAdapter(app.core, discord_settings())
        try:
            await adapter.client.login(adapter.settings.token)
            if adapter.client.application_id is None:
                info = await adapter.client.application_info()
                adapter.client._connection.application_id = info.id
            guild = args.guild or adapter.settings.guild_id
            synced = await adapter.sync(guild)
            where = f"guild {guild}" if guild else "globally (may take up to an hour to appear)"
            print(
                f"Synced {len(synced)} commands {where}: "
                + ", ".join(sorted(c.name for c in synced))
            )
            return 0
        finally:
            await adapter.client.close()
            await app.close()

    return asyncio.run(main())


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not _ensure_index(settings):
        return 1
    if os.environ.get("TELEGRAM_TOKEN") or os.environ.get("DISCORD_TOKEN"):
        return asyncio.run(_serve_platforms(settings))
    return asyncio.run(_console_session(settings, scheduler=True))


def cmd_nudges(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.bootstrap import build_app
    from bot.learning.validate import format_minute

    try:
        when = datetime.fromisoformat(args.due_at)
    except ValueError:
        print(
            f"--due-at needs an ISO date-time like 2026-03-08T23:00:00+00:00, not {args.due_at!r}",
            file=sys.stderr,
        )
        return 2
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)

    async def main() -> int:
        from sqlalchemy import select

        from bot.learning.models import Identity, Learner

        app = await build_app(_settings(args))
        try:
            due = await app.engine.find_due(when)
            print(f"{plural(len(due), 'learner')} due at {when.isoformat()} (nothing is sent):")
            async with app.db.sessions() as s:
                for item in due:
                    learner = await s.get(Learner, item.learner_id)
                    ids = (
                        await s.execute(
                            select(Identity.platform, Identity.platform_user_id).where(
                                Identity.learner_id == item.learner_id
                            )
                        )
                    ).all()
                    local = when.astimezone(ZoneInfo(item.tz))
                    accounts = ", ".join(f"{p}:{u}" for p, u in ids) or "no account"
                    print(
                        f"  learner {item.learner_id} ({accounts}) {item.tz}: local {local:%Y-%m-%d %H:%M}, "
                        f"nudge {format_minute(learner.nudge_minute)} for {item.local_date}"
                    )
            return 0
        finally:
            await app.close()

    return asyncio.run(main())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlbot", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command")

    def command(name: str, help_text: str, func) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        """A subcommand; every one takes --data-dir."""
        p = sub.add_parser(name, help=help_text)
        p.add_argument(
            "--data-dir",
            type=Path,
            help="index and state folder (default ./data or MLBOT_DATA_DIR)",
        )
        p.set_defaults(func=func)
        return p

    p = command("ingest", "build or update the knowledge index", cmd_ingest)
    p.add_argument(
        "--source",
        action="append",
        help="file or folder to add or update (repeatable; default knowledge/); others are kept",
    )
    p.add_argument("--full", action="store_true", help="re-embed everything")
    p.add_argument(
        "--prune",
        action="store_true",
        help="also remove indexed documents under the given sources whose files are gone",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="make the index exactly the given sources (removes every other document)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = command("ask", "answer one question (or a batch) from the index", cmd_ask)
    p.add_argument("question", nargs="*")
    p.add_argument("--batch", help="file with one question per line ('-' for stdin)")
    p.add_argument(
        "--json", action="store_true", help="print JSON (one object per line for --batch)"
    )

    command("chat", "chat in the terminal", cmd_chat)
    p = command("nudges", "who would be nudged at an instant (prints, sends nothing)", cmd_nudges)
    p.add_argument("--due-at", required=True, help="ISO date-time, e.g. 2026-03-08T23:00:00+00:00")
    command("doctor", "check settings, tokens, database, index and model", cmd_doctor)
    p = command("discord-sync", "register the slash commands with Discord", cmd_discord_sync)
    p.add_argument("--guild", type=int, help="a guild id: commands appear there at once")
    command("run", "run the bot (console chat when no platform token is set)", cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run", *(argv or sys.argv[1:])])
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
