"""`mlbot` as a user runs it: real subprocesses over a built index."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli import main
from tests.conftest import N_DOCS
from tests.helpers import write_doc

MLBOT = [sys.executable, "-m", "bot.cli"]


pytestmark = pytest.mark.slow  # a subprocess or a Chroma server per test


def run(args, env, stdin: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*MLBOT, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout
    )


def test_ask_json_shape(kb_settings, subprocess_env):
    out = run(
        ["ask", "--json", "--data-dir", str(kb_settings.data_dir), "what math do I need?"],
        subprocess_env,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert set(got) == {"answer", "answered", "sources", "took_ms"}
    assert got["answered"] is True and isinstance(got["took_ms"], float)
    assert "linear algebra" in got["answer"]
    src = got["sources"][0]
    assert set(src) == {"title", "section", "source", "score", "text"}
    assert (src["title"], src["section"], src["source"]) == (
        "Math for ML",
        "Which math do I need?",
        "knowledge/04-math.md",
    )
    assert isinstance(src["score"], float) and src["text"]


def test_ask_batch_one_json_per_line(kb_settings, subprocess_env, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("what math do I need?\n\nwhat's the weather in Paris?\nhello\n")
    out = run(
        ["ask", "--batch", str(questions), "--json", "--data-dir", str(kb_settings.data_dir)],
        subprocess_env,
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["question"] for r in rows] == [
        "what math do I need?",
        "what's the weather in Paris?",
        "hello",
    ]
    assert [r["answered"] for r in rows] == [True, False, False]
    assert "doesn't cover that" in rows[1]["answer"] and rows[1]["sources"] == []


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_ask_batch_with_a_bad_questions_file_says_so_without_a_traceback(
    kb_settings, subprocess_env, tmp_path, what
):
    path = tmp_path / "nope.txt" if what == "missing" else tmp_path
    out = run(
        ["ask", "--batch", str(path), "--json", "--data-dir", str(kb_settings.data_dir)],
        subprocess_env,
    )
    assert out.returncode == 2
    assert "Cannot read the questions file" in out.stderr and "Traceback" not in out.stderr


def test_separate_index_answers_only_from_its_own_sources(tmp_path, subprocess_env, cache_dir):
    other = tmp_path / "other"
    write_doc(
        other,
        "cooking.md",
        "Kitchen Basics",
        {
            "Knife skills": "Keep your knife sharp: a sharp knife slips less than a dull one.",
        },
    )
    data = tmp_path / "x"
    assert main(["ingest", "--source", str(other), "--data-dir", str(data), "--json"]) == 0
    out = run(["ask", "--json", "--data-dir", str(data), "why keep a knife sharp?"], subprocess_env)
    got = json.loads(out.stdout)
    assert got["answered"] and {s["source"] for s in got["sources"]} == {"other/cooking.md"}
    out = run(["ask", "--json", "--data-dir", str(data), "what math do I need?"], subprocess_env)
    assert json.loads(out.stdout)["answered"] is False


def test_ask_without_index_says_how_to_build_it(tmp_path, subprocess_env):
    out = run(["ask", "--data-dir", str(tmp_path / "none"), "hi"], subprocess_env)
    assert out.returncode == 2 and "mlbot ingest" in out.stderr


def test_console_chat_driven_through_stdin(kb_settings, subprocess_env):
    script = "hello\nwhat math do I need?\n/help\n/bogus\n\n" + "y" * 5000 + "\n"
    out = run(["chat", "--data-dir", str(kb_settings.data_dir)], subprocess_env, stdin=script)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Hi! I'm your ML career assistant" in text
    assert "[1] Math for ML › Which math do I need?" in text
    assert "/topics" in text and "don't know the command /bogus" in text
    assert "5,000 characters" in text
    assert "Traceback" not in text + out.stderr


def test_consecutive_console_lines_are_one_conversation(kb_settings, subprocess_env):
    """The console is a private chat: "why?" leans on the question before it (it was read as
    a group message once, where only replies to the bot continue, and got the refusal)."""
    script = "pytorch or tensorflow first?\nwhy?\n"
    out = run(["chat", "--data-dir", str(kb_settings.data_dir)], subprocess_env, stdin=script)
    assert out.returncode == 0, out.stderr
    replies = [r for r in out.stdout.split("─" * 20) if r.strip()]
    assert len(replies) == 2, replies
    assert "PyTorch" in replies[1] and "doesn't cover" not in replies[1], replies[1]


def test_console_exits_cleanly_on_eof_and_quit(kb_settings, subprocess_env):
    assert (
        run(["chat", "--data-dir", str(kb_settings.data_dir)], subprocess_env, stdin="").returncode
        == 0
    )
    out = run(
        ["chat", "--data-dir", str(kb_settings.data_dir)],
        subprocess_env,
        stdin="/quit\nwhat math do I need?\n",
    )
    assert out.returncode == 0 and "linear algebra" not in out.stdout


def test_ingest_cli_reports_no_change(kb_settings, capsys):
    assert main(["ingest", "--data-dir", str(kb_settings.data_dir)]) == 0
    out = capsys.readouterr().out
    assert f"0 added, 0 updated, 0 removed, {N_DOCS} unchanged (skipped), 0 failed" in out
    assert "0 embedded" in out
