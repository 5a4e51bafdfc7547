"""The learning and group use cases on their own: a SQLite unit of work, a fake clock, the
real curriculum; no model, no index, no network. Each result is also turned into its reply,
so the copy is checked where it is built."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.plain import render_plain
from bot.learning import usecases as uc
from bot.learning.groups import GroupService
from bot.learning.service import LearningService, Who
from bot.replies import groups as group_say
from bot.replies import learning as say

ANN = Who("telegram", "1", "Ann")
BOB = Who("discord", "2", "Bob")


async def run(svc: LearningService, use_case, *args):  # type: ignore[no-untyped-def]
    async with svc.db.sessions() as uow:
        return await use_case(svc, uow, *args)


async def test_enrol_accepts_short_track_names_and_refuses_bad_input(svc):
    menu = await run(svc, uc.enrol, ANN, "", "", "")
    assert menu.status == "menu" and "pick a plan" in render_plain(say.enrolment(svc, menu))
    unknown = await run(svc, uc.enrol, ANN, "nightschool", "", "")
    assert unknown.status == "unknown_track" and unknown.typed == "nightschool"
    bad = await run(svc, uc.enrol, ANN, "fast", "Mars/Base", "19:00")
    assert bad.status == "invalid" and "Mars/Base" in bad.error
    ok = await run(svc, uc.enrol, ANN, "fast", "Europe/Berlin", "19:00")
    assert ok.status == "enrolled" and ok.learner.track == "fast-track"
    assert ok.learner.tz == "Europe/Berlin" and ok.learner.nudge_minute == 19 * 60
    switched = await run(svc, uc.enrol, ANN, "part-time", "", "")
    assert switched.status == "switched" and "still counts" in render_plain(
        say.enrolment(svc, switched)
    )


async def test_enrolling_takes_the_tracks_study_days_and_settings_can_change_them(svc):
    """A full-time plan is five days a week: nudges, streaks and the finish date follow it."""
    full = await run(svc, uc.enrol, ANN, "full-time", "UTC", "09:00")
    assert "Mon-Fri" in render_plain(say.enrolment(svc, full))
    await run(svc, uc.change_setting, ANN, "days", "mon,wed,fri")
    again = await run(svc, uc.enrol, ANN, "full-time", "UTC", "")  # /start again: choice kept
    assert "Mon, Wed, Fri" in render_plain(say.enrolment(svc, again))
    part = await run(svc, uc.enrol, ANN, "part-time", "UTC", "")  # a new plan brings its days
    assert "every day" in render_plain(say.enrolment(svc, part))


async def test_not_enrolled_learners_get_none_from_the_plan_use_cases(svc):
    for use_case in (uc.today, uc.skip, uc.overview):
        assert await run(svc, use_case, ANN) is None
    assert await run(svc, uc.done, ANN, None) is None
    assert await run(svc, uc.snooze, ANN, 30) is None


async def test_today_done_and_one_slot_per_day(svc):
    await run(svc, uc.enrol, ANN, "full-time", "UTC", "")
    today = await run(svc, uc.today, ANN)
    assert today.plan.kind == "task" and today.learner.current_task == today.plan.task.id
    reply = say.describe_plan(svc, today.plan, today.learner)
    text = render_plain(reply)
    assert today.plan.task.title in text and "/done" in text
    body = text.split("Sources:")[0]
    assert len(reply.citations) == 3 and all(f"[{c.n}]" in body for c in reply.citations)
    done = await run(svc, uc.done, ANN, "a note")
    assert done.kind == "done" and done.after.kind == "complete"
    assert "Streak: 1 day." in render_plain(say.done(svc, done))
    again = await run(svc, uc.done, ANN, None)
    told = render_plain(say.done(svc, again))
    assert again.kind == "nothing" and "already finished" in told
    # The same next step as /today gives, not a different promise.
    assert f"Next up: {again.plan.next_task.title}" in told and "Tomorrow brings" not in told
    assert told.split("\n\n")[1] in render_plain(say.describe_plan(svc, again.plan, again.learner))
    snoozed = await run(svc, uc.snooze, ANN, 60)
    assert snoozed.until is None and "nothing to remind you of" in render_plain(
        say.snoozed(snoozed)
    )
    streak = render_plain(say.streak(svc, again.learner))
    assert streak.count("🔥") == 1 and "1 study day in a row" in streak


async def test_a_long_task_at_part_time_pace_is_done_over_several_days(svc):
    await run(svc, uc.enrol, ANN, "part-time", "UTC", "")
    first = await run(svc, uc.today, ANN)
    assert first.plan.sessions > 1  # part-time days are shorter than the first task
    step = await run(svc, uc.done, ANN, None)
    assert step.kind == "session" and "Same task continues" in render_plain(say.done(svc, step))


async def test_skipping_twice_drops_the_task(svc):
    await run(svc, uc.enrol, ANN, "full-time", "UTC", "")
    await run(svc, uc.change_setting, ANN, "days", "every day")  # no weekend rest days here
    first = await run(svc, uc.skip, ANN)
    assert first.kind == "skipped" and "end of this stage" in render_plain(say.skipped(first))
    svc.clock.advance(days=1)
    while (await run(svc, uc.today, ANN)).plan.task.id != first.task.id:
        await run(svc, uc.done, ANN, None)
        svc.clock.advance(days=1)
    second = await run(svc, uc.skip, ANN)
    assert second.kind == "dropped" and second.task.id == first.task.id


async def test_snooze_and_settings(svc):
    await run(svc, uc.enrol, ANN, "full-time", "Asia/Kolkata", "")
    snoozed = await run(svc, uc.snooze, ANN, 90)
    told = render_plain(say.snoozed(snoozed))
    assert "16:00 (Asia/Kolkata)" in told and snoozed.plan.task.title in told  # 10:30 UTC
    unknown = await run(svc, uc.change_setting, ANN, "colour", "blue")
    assert unknown.unknown and "colour" in render_plain(say.settings(svc, unknown))
    bad = await run(svc, uc.change_setting, ANN, "time", "25:99")
    assert bad.error and "Nothing was changed" in render_plain(say.settings(svc, bad))
    paused = await run(svc, uc.change_setting, ANN, "pause", "")
    shown = render_plain(say.settings(svc, paused))
    assert "(paused by you)" in shown and "paused (paused" not in shown
    resumed = await run(svc, uc.change_setting, ANN, "resume", "")
    assert resumed.learner.nudges_paused is False


async def test_linking_two_accounts(svc):
    await run(svc, uc.enrol, ANN, "full-time", "UTC", "")
    code = await run(svc, uc.link, ANN, "")
    assert code.status == "code" and len(code.code) == 8
    assert (await run(svc, uc.link, BOB, "not a code!")).status == "malformed"
    assert (await run(svc, uc.link, ANN, code.code)).status == "same"
    assert (await run(svc, uc.link, BOB, code.code)).status == "ok"
    assert (await run(svc, uc.link, BOB, code.code)).status == "unknown"  # used up
    view = await run(svc, uc.overview, BOB)
    assert view.learner.track == "full-time"


async def test_forget_asks_first_then_deletes_on_every_linked_account(svc):
    assert (await run(svc, uc.forget, ANN, False)).status == "nothing"
    await run(svc, uc.enrol, ANN, "full-time", "UTC", "")
    assert (await run(svc, uc.forget, ANN, True)).status == "confirm_first"
    assert (await run(svc, uc.forget, ANN, False)).status == "asked"
    svc.clock.advance(minutes=5)
    assert (await run(svc, uc.forget, ANN, True)).status == "deleted"
    assert await run(svc, uc.export_data, ANN) is None


async def test_group_setup_post_and_members_done(svc):
    groups = GroupService(svc)
    where = ("telegram", "-100")
    async with svc.db.sessions() as uow:
        unknown = await groups.setup(uow, ANN, where, ["nightschool", "UTC", "09:00"])
        bad = await groups.setup(uow, ANN, where, ["part-time", "UTC", "25:00"])
        ok = await groups.setup(uow, ANN, where, ["part-time", "UTC", "09:30"])
        early = await groups.done(uow, BOB, *where)
    assert unknown.status == "unknown_track" and bad.status == "invalid" and ok.status == "ok"
    assert early.status == "not_posted" and "09:30 (UTC)" in render_plain(
        group_say.group_done_reply(early, "Bob")
    )
    svc.clock.set(datetime(2026, 3, 2, 9, 31, tzinfo=UTC))
    [post] = await groups.due_posts(svc.clock.now(), 360, lambda platform: True)
    assert post.number == 1 and "Group task 1:" in render_plain(group_say.post(post))
    assert await groups.due_posts(svc.clock.now(), 360, lambda platform: True) == []
    async with svc.db.sessions() as uow:
        marked = await groups.done(uow, BOB, *where)
        twice = await groups.done(uow, BOB, *where)
        board = await groups.leaderboard(uow, marked.group)
    assert marked.status == "done" and marked.count == 1 and twice.status == "already"
    assert board == [("Bob", 1)]


async def test_time_zones_by_city_with_suggestions_and_a_warning_for_fixed_offsets(svc):
    await run(svc, uc.enrol, ANN, "full-time", "UTC", "")
    city = await run(svc, uc.change_setting, ANN, "tz", "new york")
    assert city.learner.tz == "America/New_York"
    typo = await run(svc, uc.change_setting, ANN, "tz", "Berlln")
    assert "Did you mean Europe/Berlin?" in render_plain(say.settings(svc, typo))
    fixed = await run(svc, uc.change_setting, ANN, "tz", "est")
    shown = render_plain(say.settings(svc, fixed))
    assert fixed.learner.tz == "EST" and "no daylight saving" in shown
    assert "/settings tz America/New_York" in shown
    pacific = await run(svc, uc.change_setting, ANN, "tz", "PST")  # with summer time
    assert pacific.learner.tz == "America/Los_Angeles"
    ist = render_plain(say.settings(svc, await run(svc, uc.change_setting, ANN, "tz", "IST")))
    assert "Did you mean Asia/Kolkata, Asia/Jerusalem or Europe/Dublin?" in ist
    # Offsets, as a third new-user trial typed them (all were refused).
    plus_one = await run(svc, uc.change_setting, ANN, "tz", "UTC+1")
    assert plus_one.learner.tz == "Etc/GMT-1"
    assert "UTC+1 all year" in render_plain(say.settings(svc, plus_one))
    assert (await run(svc, uc.change_setting, ANN, "tz", "GMT-5")).learner.tz == "Etc/GMT+5"
    half = render_plain(say.settings(svc, await run(svc, uc.change_setting, ANN, "tz", "+05:30")))
    assert "Asia/Kolkata" in half and "Nothing was changed" in half
    plain = render_plain(say.settings(svc, await run(svc, uc.change_setting, ANN, "tz", "berlin")))
    assert "Time zone: Europe/Berlin" in plain and "daylight" not in plain


async def test_start_shows_each_tracks_planned_length_and_what_it_leaves_out(svc):
    menu = render_plain(say.enrolment(svc, await run(svc, uc.enrol, ANN, "", "", "")))
    lines = [line for line in menu.splitlines() if line.startswith("• ")]
    assert len(lines) == 3 and all("Planned length: about " in line for line in lines)
    part = next(line for line in lines if line.startswith("• Part-time"))
    assert "leaves out Computer vision" in part and "optional tasks" in part
    full = next(line for line in lines if line.startswith("• Full-time"))
    assert "leaves out" not in full


async def test_missed_days_re_pace_the_plan_once_with_two_choices(svc):
    from datetime import timedelta

    await run(svc, uc.enrol, ANN, "part-time", "UTC", "")
    first = await run(svc, uc.today, ANN)
    target = first.learner.target_finish
    assert target is not None and first.pace is None  # on track at the start
    svc.clock.advance(days=10)  # ten study days missed
    late = await run(svc, uc.today, ANN)
    assert late.pace.kind == "behind" and late.pace.finish > target and late.pace.minutes > 60
    reply = say.today(svc, late)
    told = render_plain(reply)
    assert "now finish around" in told and f"{target:%a %d %b %Y}" in told
    assert f"{late.pace.minutes} minutes a day" in told
    assert [b.action for b in reply.buttons[:2]] == ["/pace keep", "/pace move"]
    assert (await run(svc, uc.today, ANN)).pace is None  # said once
    kept = await run(svc, uc.repace, ANN, "keep")
    assert kept.kind == "kept" and kept.learner.daily_minutes == late.pace.minutes
    assert kept.pace.finish <= target  # the date holds at the new pace
    assert f"{late.pace.minutes} minutes a day" in render_plain(say.repaced(kept))
    svc.clock.advance(days=21)
    moved = await run(svc, uc.repace, ANN, "move")
    assert moved.kind == "moved" and moved.learner.target_finish == moved.pace.finish
    assert moved.pace.kind == "on_track"
    async with svc.db.sessions() as uow:  # far ahead of a goal set too late: offer the earlier date
        learner = await svc.find_learner(uow, ANN)
        learner.target_finish += timedelta(days=60)
        await uow.commit()
    ahead = await run(svc, uc.today, ANN)
    assert ahead.pace.kind == "ahead" and "ahead of plan" in render_plain(say.today(svc, ahead))


async def test_a_pace_the_learner_chose_is_not_called_missed_days(svc):
    """Found by a new user: a slower pace set in /settings was told as "study days were
    missed", and /pace keep on day one said the date could not be brought back."""
    await run(svc, uc.enrol, ANN, "part-time", "UTC", "")
    on_time = await run(svc, uc.repace, ANN, "keep")
    assert on_time.kind == "status" and on_time.pace.kind == "on_track"
    assert "Nothing needs changing" in render_plain(say.repaced(on_time))
    odd = say.repaced(await run(svc, uc.repace, ANN, "slow"))
    assert odd.kind == "error" and "/pace keep" in render_plain(odd)
    before = (await run(svc, uc.today, ANN)).learner.target_finish
    slower = await run(svc, uc.change_setting, ANN, "pace", "0.5h/day")
    assert slower.learner.target_finish > before  # the agreed date moves with the pace
    shown = render_plain(say.settings(svc, slower))
    assert f"finish around {slower.learner.target_finish:%a %d %b %Y}" in shown  # and is told
    assert (await run(svc, uc.today, ANN)).pace is None  # nothing was missed
    svc.clock.advance(days=10)  # real missed days are still told
    assert (await run(svc, uc.today, ANN)).pace.kind == "behind"


async def test_a_full_time_plan_that_slipped_can_only_move_its_date(svc):
    await run(svc, uc.enrol, ANN, "full-time", "UTC", "")
    await run(svc, uc.today, ANN)
    svc.clock.advance(days=14)
    late = await run(svc, uc.today, ANN)
    assert late.pace.kind == "behind" and late.pace.minutes is None  # a task a day at most
    reply = say.today(svc, late)
    assert "More minutes a day would not bring" in render_plain(reply)
    assert reply.buttons[0].action == "/pace move" and "/pace keep" not in str(reply.buttons)
    assert (await run(svc, uc.repace, ANN, "keep")).kind == "cannot_keep"
