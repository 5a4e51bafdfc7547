"""Ingest and answers through a real Chroma server (`chroma run`) on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.bootstrap import build_core
from ingest.pipeline import run_ingest
from tests.helpers import write_doc

CHROMA = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    if not Path(CHROMA).exists():
        pytest.skip("the `chroma` command from the chromadb package is not installed")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma server did not start within 30 s")
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_reingest_and_answer_through_a_chroma_server(chroma_server, make_settings, tmp_path):
    folder = tmp_path / "srv"
    write_doc(
        folder,
        "a.md",
        "Server Notes",
        {
            "Lighthouses": "The lighthouse keeper lights the lamp at dusk and logs every passing ship.",
        },
    )
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=chroma_server)
    first = run_ingest(settings, [folder], progress=False)
    assert first.chunks_embedded == 1 and first.version == 1
    assert not (settings.data_dir / "index" / "manifest.json").exists()  # kept in the server

    core = build_core(settings)
    got = core.answerer.answer("what does the lighthouse keeper do at dusk?")
    assert got.answered and "lights the lamp" in got.lines[0].text

    write_doc(
        folder,
        "b.md",
        "More Notes",
        {
            "Bakeries": "Bakers start before sunrise so the bread is fresh when the shop opens.",
        },
    )
    second = run_ingest(settings, [folder], progress=False)
    assert second.docs_added == ["srv/b.md"] and second.chunks_embedded == 1
    fresh = build_core(settings).answerer.answer("why do bakers start before sunrise?")
    assert fresh.answered and fresh.index_version == 2
