"""The layers in ARCHITECTURE.md, checked with import-linter: each layer imports only the
layers below it. The second test breaks a rule in a copy of the code to show the check bites."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_layer_imports_only_the_layers_below_it():
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 kept, 0 broken" in run.stdout


def test_a_domain_module_importing_a_reply_module_is_caught(tmp_path):
    for name in ("bot", "ingest"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    clock = tmp_path / "bot" / "learning" / "clock.py"
    clock.write_text(clock.read_text() + "\nfrom bot.replies import learning  # noqa\n")
    run = lint(tmp_path)
    assert run.returncode != 0 and "bot.learning.clock -> bot.replies.learning" in run.stdout
