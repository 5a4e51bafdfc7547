"""Admin features through the console adapter (the console user is an admin) and the core."""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest
from sqlalchemy import select

from bot.adapters.plain import render_plain
from bot.bootstrap import build_app
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.core.messages import Request
from bot.learning.models import AuditEntry, Learner
from bot.nudges.delivery import Limits
from tests.conftest import N_DOCS
from tests.doubles import MemoryDeliverer
from tests.integration.test_learning_commands import say

FAST = Limits(per_second=10_000, per_chat_interval=0.0, per_group_per_minute=10_000)


@pytest.fixture
async def admin_app(kb_settings, clock, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, knowledge)
    data = tmp_path / "data"
    shutil.copytree(kb_settings.data_dir, data)  # the same documents, so re-ingest is incremental
    settings = kb_settings.with_(
        data_dir=data,
        knowledge_dir=knowledge,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'state.db'}",
        admins={"telegram": frozenset({"1"})},
    )
    deliverers = {"console": MemoryDeliverer("console"), "telegram": MemoryDeliverer("telegram")}
    app = await build_app(
        settings, clock=clock, deliverers=deliverers, limits={p: FAST for p in deliverers}
    )
    yield app
    await app.close()


async def tg(app, user: str, text: str) -> str:
    return render_plain(
        await app.core.handle(Request(platform="telegram", user_id=user, text=text, user_name=user))
    )


async def finished_report(app) -> str:
    await app.reingester.current.finished.wait()
    await app.queue.join()
    sent = app.queue.deliverers["console"].sent
    return render_plain(sent[-1][1])


async def test_non_admins_are_refused_and_the_attempt_is_logged(admin_app):
    for user in ("2", "mallory"):
        assert "only for this bot's admins" in await tg(admin_app, user, "/admin reingest")
    assert "/admin" not in await tg(admin_app, "2", "/help")
    assert "/admin" in await tg(admin_app, "1", "/help")  # a configured Telegram admin
    discord = render_plain(
        await admin_app.core.handle(Request(platform="discord", user_id="1", text="/admin stats"))
    )
    assert "only for this bot's admins" in discord  # admin ids are per platform
    async with admin_app.db.sessions() as s:
        refused = (
            (await s.execute(select(AuditEntry).where(AuditEntry.result.like("refused%"))))
            .scalars()
            .all()
        )
    assert len(refused) == 3 and {e.platform for e in refused} == {"telegram", "discord"}
    assert admin_app.reingester.current is None


async def test_reingest_in_background_one_at_a_time_with_a_report(admin_app):
    doc = admin_app.settings.knowledge_dir / "17-trends.md"
    doc.write_text(
        doc.read_text() + "\n## Tiny models\n\nTiny language models now run on phones offline.\n"
    )
    (admin_app.settings.knowledge_dir / "broken.md").write_bytes(b"\x00\x01 not text")
    started = await say(admin_app, "/admin reingest")
    assert "Re-ingest started" in started
    second = await tg(admin_app, "1", "/admin reingest")
    assert "already running" in second and "started by you (console)" in second
    report = await finished_report(admin_app)
    assert "1 changed" in report and "1 failed" in report and "broken.md: binary data" in report
    got = admin_app.core.answerer.answer("can tiny language models run on phones?")
    assert got.answered and any("phones" in line.text for line in got.lines)
    audit = await say(admin_app, "/admin audit")
    assert "/admin reingest -> started" in audit and "refused: already running" in audit


async def test_questions_during_a_reingest_never_fail(admin_app):
    import uuid

    doc = admin_app.settings.knowledge_dir / "04-math.md"
    # Sentences never embedded before, so the re-ingest takes long enough to ask during it
    # (vectors of unchanged text come from the cache).
    notes = " ".join(f"Study note {i} for this run is {uuid.uuid4()}." for i in range(60))
    doc.write_text(
        doc.read_text().replace("three areas of mathematics", "three big areas of mathematics")
        + f"\n\n## Study notes\n\n{notes}\n"
    )
    questions = [
        "what math do I need?",
        "do I need a degree?",
        "how long does it take?",
        "what is pca",
    ]
    asked = failures = 0

    async def ask_continuously() -> None:
        nonlocal asked, failures
        while admin_app.reingester.current is None or admin_app.reingester.current.running:
            reply = await say(admin_app, questions[asked % len(questions)])
            asked += 1
            if "Sources:" not in reply or "went wrong" in reply:
                failures += 1
            await asyncio.sleep(0.01)

    asker = asyncio.create_task(ask_continuously())
    await asyncio.sleep(0.05)
    await say(admin_app, "/admin reingest")
    await finished_report(admin_app)
    await asker
    print(f"\nquestions during re-ingest: {asked} asked, {failures} failed or empty")
    assert asked >= 10 and failures == 0


async def test_tasks_pointing_at_a_removed_section_are_reported_and_learners_move_on(admin_app):
    cur = admin_app.learning.curriculum
    first = cur.track_tasks("full-time")[0]
    ref = first.sections[0]
    await say(admin_app, "/start full-time UTC")
    assert first.title in await say(admin_app, "/today")
    path = admin_app.settings.knowledge_dir / f"{ref.doc}.md"
    path.write_text(path.read_text().replace(f"## {ref.heading}\n", "## A renamed heading\n"))
    await say(admin_app, "/admin reingest")
    report = await finished_report(admin_app)
    assert f"task '{first.id}'" in report and f"missing section '{ref.heading}'" in report
    assert "1 learner moved on" in report
    assert "Quiz: 1 question skipped" in report and "question 'py-why-python'" in report
    assert "py-why-python" not in admin_app.quiz.bank().questions
    today = await say(admin_app, "/today")
    assert "Today's task" in today and first.title not in today and "went wrong" not in today
    async with admin_app.db.sessions() as s:
        assert (await s.execute(select(Learner))).scalar_one().current_task != first.id


async def test_docs_and_remove_with_confirmation(admin_app):
    docs = await say(admin_app, "/admin docs")
    assert "knowledge/17-trends.md: Future Trends in ML" in docs and f"{N_DOCS} documents" in docs
    ask = await say(admin_app, "/admin remove 17-trends.md")
    assert "Send /admin remove 17-trends.md confirm" in ask
    assert (admin_app.settings.knowledge_dir / "17-trends.md").exists()
    assert "Which document?" in await say(admin_app, "/admin remove ../../etc/passwd")
    done = await say(admin_app, "/admin remove 17-trends.md confirm")
    assert "Removed knowledge/17-trends.md" in done
    report = await finished_report(admin_app)
    assert "1 removed" in report
    assert f"{N_DOCS - 1} documents" in await say(admin_app, "/admin docs")


async def test_feedback_and_stats(admin_app):
    answer = await tg(admin_app, "5", "what math do I need?")
    qid = answer.split("/feedback up ")[1].split(" ")[0]
    assert "only rate answers to your own" in await tg(admin_app, "6", f"/feedback down {qid}")
    assert "Thanks for the feedback" in await tg(admin_app, "5", f"/feedback up {qid}")
    for _ in range(2):
        await tg(admin_app, "6", "how do I bake sourdough?")
    await tg(admin_app, "7", "what's the weather in Paris?")
    await tg(admin_app, "6", "/start part-time")
    stats = await tg(admin_app, "1", "/admin stats")
    assert "Questions asked: 4" in stats and "100% 👍" in stats
    assert "how do i bake sourdough? (2x)" in stats and "what's the weather in paris? (1x)" in stats
    assert "Learners: 1" in stats


async def test_console_upload_of_each_allowed_type_is_stored_and_ingested(admin_app, tmp_path):
    from tests.helpers import make_pdf

    files = {
        "otters.md": b"---\ntitle: Otter Notes\n---\n\n## Sleeping\n\nSea otters hold hands while they sleep.\n",
        "herons.txt": b"Heron Notes\n\nGrey herons stand still in shallow water to catch fish.\n",
        "tides.pdf": make_pdf(["Tide Notes", "Spring tides happen near new and full moons."]),
        "owls.html": b"<html><head><title>Owl Notes</title></head><body><h2>Hearing</h2>"
        b"<p>Barn owls find mice in total darkness by sound alone.</p></body></html>",
    }
    questions = {
        "otters.md": "do sea otters hold hands while they sleep?",
        "herons.txt": "how do grey herons catch fish?",
        "tides.pdf": "when do spring tides happen?",
        "owls.html": "how do barn owls find mice in darkness?",
    }
    for name, data in files.items():
        path = tmp_path / "uploads" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        reply = await say(admin_app, f"/admin add {path}")
        assert f"Added {name}" in reply, reply
        report = await finished_report(admin_app)
        assert "1 added" in report and "0 failed" in report, report
        assert (admin_app.settings.knowledge_dir / name).read_bytes() == data
        got = admin_app.core.answerer.answer(questions[name])
        assert got.answered and got.sources[0].citation.source == f"knowledge/{name}", name


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "looks like a program"),
        ("big.md", b"# big\n" + b"x" * (50 * 1024 * 1024), "the limit is 5.0 MB"),
        ("../../etc/passwd.md", b"root:x:0:0:root:/root:/bin/bash\n", "not a safe file name"),
        ("..\\..\\evil.md", b"# evil\n", "not a safe file name"),
        (".hidden.md", b"# hidden\n", "not a safe file name"),
        ("tool.exe", b"MZ\x90\x00", "Markdown (.md), text (.txt), PDF"),
        ("04-math.md", b"# Math\n\nnew text\n", "already exists"),
        ("latin1.md", "caf\u00e9".encode("latin-1"), "not valid UTF-8"),
        ("empty.txt", b"", "empty file"),
    ],
)
async def test_disallowed_uploads_are_refused_and_change_nothing(admin_app, name, data, reason):
    from bot.core.messages import Attachment

    before = sorted(p.name for p in admin_app.settings.knowledge_dir.iterdir())
    req = Request(
        platform="console",
        user_id="local",
        text="/admin add",
        where="console",
        attachments=(Attachment(name, data, "application/octet-stream"),),
    )
    reply = render_plain(await admin_app.core.handle(req))
    assert "Not added" in reply and reason in reply, reply
    assert sorted(p.name for p in admin_app.settings.knowledge_dir.iterdir()) == before
    assert admin_app.reingester.current is None
    async with admin_app.db.sessions() as s:
        entry = (
            (await s.execute(select(AuditEntry).order_by(AuditEntry.id.desc()))).scalars().first()
        )
    assert entry.result.startswith("refused")


async def test_add_without_a_file_and_replace(admin_app, tmp_path):
    assert "Send one document" in await say(admin_app, "/admin add")
    path = tmp_path / "04-math.md"
    path.write_text(
        (admin_app.settings.knowledge_dir / "04-math.md").read_text() + "\n## Extra\n\nMore math.\n"
    )
    assert "already exists" in await say(admin_app, f"/admin add {path}")
    assert "Added 04-math.md" in await say(admin_app, f"/admin add {path} replace")
    assert "1 changed" in await finished_report(admin_app)


async def test_uploads_and_refusals_through_the_telegram_fake(admin_app):
    from bot.adapters.telegram.adapter import TelegramAdapter, TelegramSettings
    from tests.fakes.telegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    adapter = TelegramAdapter(
        admin_app.core, TelegramSettings(token=fake.token, base_url=fake.base_url, poll_timeout=1)
    )
    admin_app.queue.add_deliverer("telegram", adapter.deliverer, FAST)
    await adapter.start()

    async def upload(user: int, name: str, data: bytes, **kw) -> str:
        n = len(fake.messages(user))
        fake.push_document(user, name, data, caption="/admin add", **kw)
        await fake.wait_for(lambda: len(fake.messages(user)) > n)
        return fake.messages(user)[n].text

    try:
        refused = await upload(2, "notes.md", b"# Notes\n\nSome notes.\n")
        assert "only for this bot's admins" in refused
        assert fake.downloads == []  # refused before the file was fetched
        exe = await upload(1, "report.pdf", b"MZ\x90\x00" + b"\x00" * 100)
        assert "looks like a program" in exe
        big = await upload(1, "big.md", b"# big", declared_size=50 * 1024 * 1024)
        assert "50.0 MB; the limit is 5.0 MB" in big
        ok = await upload(
            1,
            "otters.md",
            b"---\ntitle: Otter Notes\n---\n\n## Sleeping\n\nSea otters hold hands.\n",
        )
        assert "Added otters.md" in ok
        assert len(fake.downloads) == 2  # the program and the otters (the big one: too big)
        report = await fake.wait_for(
            lambda: [m for m in fake.messages(1) if "Re-ingest finished" in m.text]
        )
        assert "1 added" in report[0].text
        assert (admin_app.settings.knowledge_dir / "otters.md").exists()
        assert fake.rejected == []
    finally:
        await adapter.stop()
        await fake.stop()


async def test_scheduled_reingest_is_off_by_default_and_runs_when_configured(admin_app):
    from bot.nudges.scheduler import NudgeScheduler

    off = NudgeScheduler(admin_app.engine, 60, admin_app.reingester, None)
    await off.start()
    assert off.job_ids() == ["nudge-tick"]
    await off.stop()
    on = NudgeScheduler(admin_app.engine, 60, admin_app.reingester, "03:30")
    await on.start()
    assert set(on.job_ids()) == {"nudge-tick", "reingest"}
    await on.stop()
    await on._reingest()  # what the daily job runs
    await admin_app.reingester.current.finished.wait()
    assert admin_app.reingester.current.started_by == "the daily schedule"
    assert admin_app.reingester.current.report.version >= 1


async def test_uploads_and_refusals_through_the_discord_fake(admin_app):
    from dataclasses import replace

    from bot.adapters.discord.adapter import DiscordAdapter, DiscordSettings
    from tests.fakes.discord import FakeDiscord

    fake = await FakeDiscord().start()
    patch = fake.patch_discord()
    admin_id = fake.owner_id
    admin_app.core.settings = replace(
        admin_app.settings, admins={"discord": frozenset({str(admin_id)})}
    )
    adapter = DiscordAdapter(
        admin_app.core,
        DiscordSettings(
            token="t", api_base=fake.api_base, gateway_url=fake.gateway_url, guild_ready_timeout=0.1
        ),
    )
    admin_app.queue.add_deliverer("discord", adapter.deliverer, FAST)
    await adapter.start()
    await adapter.sync()  # the fake now refuses choices a real client could not send

    async def upload(user: int, name: str, data: bytes, **kw) -> str:
        iid = await fake.slash(
            "admin",
            {"action": "add", "file": fake.upload(name, data, **kw)},
            user_id=user,
            guild=False,
        )
        await fake.wait_for(lambda: fake.followups(iid) or None)
        return "\n".join(m["content"] or "" for m in fake.followups(iid))

    try:
        assert "only for this bot's admins" in await upload(
            fake.default_user_id, "notes.md", b"# Notes\n\nHi.\n"
        )
        assert fake.downloads == []  # refused before the attachment was fetched
        assert "looks like a program" in await upload(
            admin_id, "report.pdf", b"MZ\x90\x00" + b"\x00" * 64
        )
        assert "not a safe file name" in await upload(
            admin_id, "..%2F..%2Fetc%2Fpasswd.md", b"# x\n"
        )
        assert "the limit is 5.0 MB" in await upload(
            admin_id, "big.md", b"# big", declared_size=50 * 1024 * 1024
        )
        ok = await upload(
            admin_id, "herons.txt", b"Heron Notes\n\nGrey herons stand still to catch fish.\n"
        )
        assert "Added herons.txt" in ok
        assert len(fake.downloads) == 3  # the program, the bad name, the herons (not the big one)
        await admin_app.reingester.current.finished.wait()
        iid = await fake.slash(
            "admin",
            {
                "action": "add",
                "replace": True,
                "file": fake.upload("herons.txt", b"Herons\n\nWade.\n"),
            },
            user_id=admin_id,
            guild=False,
        )
        await fake.wait_for(lambda: fake.followups(iid) or None)
        assert "Added herons.txt" in "\n".join(m["content"] or "" for m in fake.followups(iid))
        await admin_app.reingester.current.finished.wait()
        await admin_app.queue.join()
        report = [m for m in fake.messages if "Re-ingest finished" in (m["content"] or "")]
        assert report and "1 added" in report[0]["content"]
        # A document option cannot smuggle in the confirmation: only the confirm option can.
        iid = await fake.slash(
            "admin",
            {"action": "remove", "document": "17-trends.md confirm"},
            user_id=admin_id,
            guild=False,
        )
        await fake.wait_for(lambda: fake.followups(iid) or None)
        asked = "\n".join(m["content"] or "" for m in fake.followups(iid))
        assert "Send /admin remove 17-trends.md confirm" in asked
        assert (admin_app.settings.knowledge_dir / "17-trends.md").exists()
        assert fake.interaction_deadlines(3.0) == [] and fake.check_allowed_mentions() == []
    finally:
        await adapter.stop()
        patch.restore()
        await fake.stop()


@pytest.mark.parametrize(
    "arg",
    [
        "999999999999999999999",
        "9223372036854775808",
        "0",
        "١٢",
        "-1",
        # Past Python's 4,300-digit limit int() raises instead of overflowing (fuzz_bench).
        pytest.param("9" * 5000, id="5000-digits"),
    ],
)
async def test_feedback_with_an_impossible_id_gets_a_friendly_reply(admin_app, arg):
    reply = await tg(admin_app, "5", f"/feedback down {arg}")
    assert "Use the 👍 and 👎 buttons" in reply and "went wrong" not in reply


async def test_coverage_gaps_group_similar_unanswered_questions(admin_app, clock):
    """A seeded log (tests/data/gaps_test.yaml, not the log the threshold was chosen on):
    uncovered and 👎 questions are grouped; small talk, other languages, answered questions
    and questions older than the window are left out."""
    from datetime import timedelta

    import yaml

    from bot.learning.models import QuestionLog
    from tests.conftest import DATA

    groups = yaml.safe_load((DATA / "gaps_test.yaml").read_text())
    topic_of = {q: g["topic"] for g in groups for q in g["questions"]}
    now = clock.now()
    async with admin_app.db.sessions() as s:
        for n, question in enumerate(topic_of):
            s.add(QuestionLog(at=now - timedelta(days=n % 20), platform="telegram",
                              user_id=str(100 + n), question=question, answered=False))  # fmt: skip
        s.add(QuestionLog(at=now, platform="telegram", user_id="9", question="what math do I need?",
                          answered=True, feedback=-1))  # fmt: skip
        s.add(QuestionLog(at=now, platform="telegram", user_id="9", question="what is a tensor?",
                          answered=True, feedback=1))  # fmt: skip
        s.add(QuestionLog(at=now - timedelta(days=40), platform="telegram", user_id="9",
                          question="how do i become a lighthouse keeper", answered=False))  # fmt: skip
        await s.commit()
    assert "only for this bot's admins" in await tg(admin_app, "5", "/admin gaps")
    assert "Usage: /admin gaps" in await tg(admin_app, "1", "/admin gaps 9999")
    report = await tg(admin_app, "1", "/admin gaps 30")
    print("\n" + report)
    content = [q for q, t in topic_of.items() if t not in ("smalltalk", "non-english")]
    assert f"{len(content) + 1} questions not covered or rated 👎" in report
    for q, t in topic_of.items():
        if t in ("smalltalk", "non-english"):
            assert f"\u201c{q}\u201d" not in report
    assert "lighthouse" not in report and "\u201cwhat is a tensor?\u201d" not in report
    counts = [int(n) for n in re.findall(r"^\d+\. (\d+) questions?", report, re.M)]
    assert len(counts) >= 4 and counts == sorted(counts, reverse=True) and counts[0] >= 3
    first = report.split("\n\n")[1]  # the largest group: its two examples share a topic
    examples = re.findall(r"\u201c([^\u201d]+)\u201d", first.splitlines()[0])
    assert len({topic_of.get(e, "math") for e in examples}) == 1, first
    assert report.count("Suggestion: ") == len(counts)
    assert report.count("Nearest section: ") == len(counts)
    more = re.search(r"…and (\d+) questions? in (\d+) smaller groups?", report)
    assert more and sum(counts) + int(more[1]) == len(content) + 1
