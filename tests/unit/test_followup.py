"""Reading a follow-up as the full question it means, without the model: a tiny encoder
that knows which made-up phrases are alike stands in for it."""

from __future__ import annotations

import numpy as np

from bot.core.followup import resolve

ALIKE = {"maths": 0, "statistics": 0, "probability": 0, "engineer": 1, "job": 1}


def encode(texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), 3))
    for i, t in enumerate(texts):
        out[i, ALIKE.get(t.lower(), 2)] = 1.0
    return out


def test_a_new_topic_replaces_the_closest_phrase_or_what_follows_the_same_preposition():
    swap = resolve("and statistics?", "what maths do i need to become an ml engineer?", encode)
    assert (swap.kind, swap.question) == (
        "swap",
        "what statistics do i need to become an ml engineer?",
    )
    prep = resolve("what about for NLP?", "which python libraries should i learn for ml", encode)
    assert prep.question == "which python libraries should i learn for NLP?"
    article = resolve(
        "what about a phd?", "do i need a masters degree to be an ml engineer", encode
    )
    assert "phd" in article.question and "masters" not in article.question


def test_a_question_about_the_previous_one_is_asked_about_its_subject():
    why = resolve("why?", "should i learn pytorch or tensorflow first", encode)
    assert why.kind == "about" and why.question.startswith("should i learn pytorch")
    that = resolve("is that enough for a junior job?", "what projects go in a portfolio", encode)
    assert that.kind == "about" and "portfolio" in that.question and "junior job" in that.question


def test_a_question_of_its_own_starts_afresh():
    for text in (
        "what is the vanishing gradient problem",
        "can i become an ml engineer without a degree?",
        "how do you monitor a model once it is deployed in production and serving traffic?",
    ):
        assert resolve(text, "what is a confusion matrix", encode).kind == "new"
    assert resolve("and statistics?", None, encode).kind == "new"  # nothing to lean on
