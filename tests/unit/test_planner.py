"""The planner as a pure function: properties with hypothesis, rules with fixed dates."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.learning.planner import (
    REVIEW_OFFSETS,
    LearnerState,
    ordered_tasks,
    plan_day,
    stage_finished_on,
)

START = date(2026, 3, 2)  # a Monday


def finish_slot(state: LearnerState, plan, day: date) -> LearnerState:
    """What /done does, in state terms."""
    done, reviews = dict(state.done), dict(state.reviews_done)
    current, sessions = state.current_task, state.sessions_done
    if plan.kind == "review":
        reviews[plan.review.id] = day
    elif plan.kind == "task":
        if plan.warmup:
            reviews[plan.warmup.id] = day
        if plan.session >= plan.sessions:
            done[plan.task.id] = day
            current, sessions = None, 0
        else:
            current, sessions = plan.task.id, plan.session
    return dataclasses.replace(
        state,
        done=done,
        reviews_done=reviews,
        current_task=current,
        sessions_done=sessions,
        completed_on=state.completed_on | {day},
        last_active=day,
    )


def skip(state: LearnerState, plan) -> LearnerState:
    if plan.kind == "review":
        return dataclasses.replace(
            state, reviews_done={**state.reviews_done, plan.review.id: plan.date}
        )
    tid = plan.task.id
    if tid in state.postponed:
        return dataclasses.replace(
            state,
            dropped=state.dropped | {tid},
            current_task=None,
            sessions_done=0,
            postponed=tuple(t for t in state.postponed if t != tid),
        )
    return dataclasses.replace(
        state, postponed=state.postponed + (tid,), current_task=None, sessions_done=0
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    track=st.sampled_from(["full-time", "fast-track", "part-time"]),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    pace=st.sampled_from([None, 30, 60, 120, 240, 360]),
    actions=st.lists(
        st.sampled_from(["done"] * 8 + ["skip", "miss", "done-twice"]), min_size=60, max_size=300
    ),
)
def test_planner_invariants(curriculum, track, days, pace, actions):
    state = LearnerState(track=track, active_days=days, daily_minutes=pace)
    track_stages = set(curriculum.tracks[track].stages)
    day = START
    completions: dict[date, int] = {}
    for action in actions:
        plan = plan_day(curriculum, state, day)
        if plan.kind == "finished":
            break
        if plan.kind == "task":
            # Never a task whose prerequisite stages are unfinished.
            for req in curriculum.stages[plan.task.stage].requires:
                if req in track_stages:
                    finished = stage_finished_on(curriculum, state, req)
                    assert finished is not None and finished <= day, (plan.task.id, req)
            assert plan.task.id not in state.done and plan.task.id not in state.dropped
            assert 1 <= plan.session <= plan.sessions
        # Reviews come only after their topic is finished, at their spacing.
        for review in (plan.review, plan.warmup):
            if review is not None:
                assert review.id not in state.reviews_done  # a done review never comes back
                finished = stage_finished_on(curriculum, state, review.stage.id)
                assert finished is not None
                assert finished + timedelta(days=REVIEW_OFFSETS[review.round - 1]) <= day
        if plan.kind in ("task", "review"):
            assert day.weekday() in days
        if action.startswith("done") and plan.kind in ("task", "review"):
            state = finish_slot(state, plan, day)
            completions[day] = completions.get(day, 0) + 1
            # Never two tasks for one slot: the same day is now complete.
            again = plan_day(curriculum, state, day)
            assert again.kind in ("complete", "finished") and again.slot_item is None
        elif action == "skip" and plan.kind in ("task", "review"):
            state = skip(state, plan)
        if action != "done-twice":
            day += timedelta(days=1)
    assert all(n == 1 for n in completions.values())


def test_inactive_day_is_a_rest_day_with_the_next_task_as_preview(curriculum):
    state = LearnerState(track="full-time", active_days=frozenset(range(5)))
    saturday = START + timedelta(days=5)
    plan = plan_day(curriculum, state, saturday)
    assert plan.kind == "rest" and plan.next_task == ordered_tasks(curriculum, state)[0]


def test_long_task_spans_sessions_at_part_time_pace(curriculum):
    state = LearnerState(track="part-time", daily_minutes=60)
    plan = plan_day(curriculum, state, START)
    assert plan.sessions == -(-plan.task.minutes // 60) and plan.session == 1
    state = finish_slot(state, plan, START)
    nxt = plan_day(curriculum, state, START + timedelta(days=1))
    assert nxt.task == plan.task and nxt.session == 2


def test_after_missed_weeks_there_is_one_item_and_a_welcome_back(curriculum):
    state = LearnerState(track="full-time", active_days=frozenset(range(7)))
    day = START
    for _ in range(12):  # finish the first stage and more
        state = finish_slot(state, plan_day(curriculum, state, day), day)
        day += timedelta(days=1)
    back = day + timedelta(days=60)
    plan = plan_day(curriculum, state, back)
    assert plan.welcome_back and plan.kind == "task"
    assert plan.warmup is not None and plan.warmup.round == len(
        REVIEW_OFFSETS
    )  # missed rounds folded
    state = finish_slot(state, plan, back)
    assert plan_day(curriculum, state, back).kind == "complete"


def test_review_takes_its_own_day_on_short_study_days(curriculum):
    state = LearnerState(track="part-time")
    day = START
    while stage_finished_on(curriculum, state, curriculum.tracks["part-time"].stages[0]) is None:
        state = finish_slot(state, plan_day(curriculum, state, day), day)
        day += timedelta(days=1)
    plans = []
    for _ in range(REVIEW_OFFSETS[0] + 3):
        plan = plan_day(curriculum, state, day)
        plans.append(plan.kind)
        state = finish_slot(state, plan, day)
        day += timedelta(days=1)
    assert "review" in plans
    assert "review" not in [a for a, b in zip(plans, plans[1:], strict=False) if a == b == "review"]


def test_skip_twice_drops_and_finished_track_congratulates(curriculum):
    state = LearnerState(track="fast-track")
    first = plan_day(curriculum, state, START)
    state = skip(state, first)
    assert plan_day(curriculum, state, START).task != first.task
    assert first.task.id in state.postponed
    state = skip(state, dataclasses.replace(first, date=START))
    assert first.task.id in state.dropped
    everything = {t.id: START for t in ordered_tasks(curriculum, state)}
    done = dataclasses.replace(state, done=everything)
    assert plan_day(curriculum, done, START + timedelta(days=1)).kind == "finished"


def test_a_finished_review_does_not_come_back(curriculum):
    state = LearnerState(track="part-time")
    day = START
    seen: list[str] = []
    for _ in range(120):
        plan = plan_day(curriculum, state, day)
        if plan.kind == "review":
            assert plan.review.id not in seen
            seen.append(plan.review.id)
        state = finish_slot(state, plan, day)
        day += timedelta(days=1)
    assert len(seen) >= 3  # several stages reviewed, each round once
