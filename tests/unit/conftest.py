"""Unit fixtures: a learning service over a fresh SQLite file with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.learning.db import open_database
from bot.learning.service import LearningService
from tests.doubles import FakeClock


@pytest.fixture
async def svc(tmp_path, curriculum):
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}")
    yield LearningService(db, curriculum, FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    await db.close()
