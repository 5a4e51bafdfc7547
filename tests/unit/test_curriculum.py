"""The curriculum file: real content validates; broken links and orders fail clearly."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, timedelta

import pytest
import yaml

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.learning.curriculum import TASK_KINDS, CurriculumError, load_curriculum
from bot.learning.planner import LearnerState, plan_day


def test_real_curriculum_has_three_tracks_and_enough_tasks(curriculum):
    assert {"full-time", "fast-track", "part-time"} <= set(curriculum.tracks)
    assert len(curriculum.tasks) >= 120
    kinds = {t.kind for t in curriculum.tasks.values()}
    assert kinds == set(TASK_KINDS)
    assert all(t.minutes > 0 and t.sections for t in curriculum.tasks.values())
    linked_docs = {ref.doc for t in curriculum.tasks.values() for ref in t.sections}
    assert len(linked_docs) == len(list(DEFAULT_KNOWLEDGE_DIR.glob("*.md")))


def _months(curriculum, track_id: str) -> float:
    track = curriculum.tracks[track_id]
    state = LearnerState(track=track_id, active_days=track.active_days)
    start = day = date(2026, 1, 5)
    while (plan := plan_day(curriculum, state, day)).kind != "finished":
        if plan.kind == "review":
            state = dataclasses.replace(
                state,
                reviews_done={**state.reviews_done, plan.review.id: day},
                completed_on=state.completed_on | {day},
            )
        elif plan.kind == "task":
            reviews = {**state.reviews_done, **({plan.warmup.id: day} if plan.warmup else {})}
            if plan.session >= plan.sessions:
                state = dataclasses.replace(
                    state,
                    done={**state.done, plan.task.id: day},
                    current_task=None,
                    sessions_done=0,
                    reviews_done=reviews,
                    completed_on=state.completed_on | {day},
                )
            else:
                state = dataclasses.replace(
                    state,
                    current_task=plan.task.id,
                    sessions_done=plan.session,
                    reviews_done=reviews,
                    completed_on=state.completed_on | {day},
                )
        day += timedelta(days=1)
    return (day - start).days / 30.44


def test_track_lengths_match_what_they_promise(curriculum):
    months = {t: round(_months(curriculum, t), 2) for t in ("full-time", "fast-track", "part-time")}
    print("\ntrack lengths in months:", months)
    assert 6.5 <= months["full-time"] <= 9
    assert 3 <= months["fast-track"] <= 4.7
    assert 6 <= months["part-time"] <= 10


@pytest.fixture
def knowledge_copy(tmp_path):
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, target)
    return target


def _edit(folder, fn) -> None:
    path = folder / "curriculum.yaml"
    raw = yaml.safe_load(path.read_text())
    fn(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


def test_a_task_pointing_at_a_missing_section_fails_validation(knowledge_copy):
    def breaks(raw):
        raw["stages"][0]["tasks"][0]["sections"] = ["04-math#Quantum Chromodynamics"]

    _edit(knowledge_copy, breaks)
    with pytest.raises(CurriculumError) as err:
        load_curriculum(knowledge_copy / "curriculum.yaml")
    first = yaml.safe_load((knowledge_copy / "curriculum.yaml").read_text())["stages"][0]["tasks"][
        0
    ]["id"]
    assert f"task '{first}'" in str(err.value)
    assert "missing section 'Quantum Chromodynamics' in '04-math'" in str(err.value)


def test_a_removed_document_or_renamed_heading_fails_validation(knowledge_copy):
    (knowledge_copy / "04-math.md").unlink()
    with pytest.raises(CurriculumError, match="missing document '04-math'"):
        load_curriculum(knowledge_copy / "curriculum.yaml")


def test_prerequisite_order_and_bad_values_are_reported_together(knowledge_copy):
    def breaks(raw):
        track = raw["tracks"][0]
        track["stages"] = list(reversed(track["stages"]))
        raw["stages"][0]["tasks"][0]["kind"] = "nap"
        raw["stages"][0]["tasks"][1]["minutes"] = -5

    _edit(knowledge_copy, breaks)
    with pytest.raises(CurriculumError) as err:
        load_curriculum(knowledge_copy / "curriculum.yaml")
    msg = str(err.value)
    assert "comes before its prerequisite" in msg
    assert "kind must be one of" in msg and "minutes must be" in msg
