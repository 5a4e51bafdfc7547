"""The console's local-file upload (/admin add PATH) reads only regular files it was given."""

from __future__ import annotations

import os
import threading

from bot.adapters.console import console_request


def test_a_nul_byte_in_the_path_is_not_a_crash():
    req = console_request("/admin add a\x00b.md", "local")
    assert req.attachments == () and req.text == "/admin add a\x00b.md"


def test_a_symlink_is_never_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    link = tmp_path / "passwd.md"
    link.symlink_to(secret)
    zero = tmp_path / "zero.md"
    zero.symlink_to("/dev/zero")
    for path in (link, zero):
        assert console_request(f"/admin add {path}", "local").attachments == ()


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    result = []
    t = threading.Thread(target=lambda: result.append(console_request(f"/admin add {fifo}", "x")))
    t.start()
    t.join(timeout=5)
    assert not t.is_alive() and result[0].attachments == ()


def test_a_regular_file_is_attached(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\nSomething useful.\n")
    req = console_request(f"/admin add {doc} replace", "local")
    assert req.text == "/admin add replace"
    assert [(a.filename, a.data) for a in req.attachments] == [("notes.md", doc.read_bytes())]
