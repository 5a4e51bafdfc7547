"""Follow-up questions: "and statistics?", "why?", "give me an example", "how long does that
take?" lean on the question before them. Each is turned into the full question it means, so
the extractive answerer (which sees one question at a time) can answer it.

Two kinds of follow-up:
- a topic swap ("and statistics?", "what about for NLP?", "same for computer vision"): the
  new topic replaces the word or phrase of the previous question closest to it in meaning
  ("what maths do i need" + "and statistics?" -> "what statistics do i need");
- a question about the previous one ("why?", "give me an example", "is that enough for a
  junior job?", "any free resources for it?"): it is asked about the previous question's
  subject, so the two are searched together.

A message no rule reads ("which parts matter most", "any tips to prep") still continues the
conversation when the knowledge base matches it far better joined to the previous question
than alone. A message that stands on its own (a full question with its own subject) starts
afresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.core.answers import MIN_MIXED  # below it, a message is not covered
from bot.retrieval.resources import asks_for_resources
from bot.textutil import sentences as split_sentences
from bot.textutil import terms

# "and X", "what about (for) X", "how about X", "same for X", "also X": a new topic.
_SWAP = re.compile(
    r"^(?:and|also|plus|what about|how about|what of|and what about|and how about|(?:and )?same)"
    r"(?:\s+(?P<prep>for|in|with|on|about|as))?\s+(?:an?\s+|the\s+)?(?P<topic>.+?)\s*\??$",
    re.I,
)
# Words that point back at the previous question or answer.
_REFERS = re.compile(
    r"\b(it|its|that|this|those|these|them|they|there|then|one|ones|the other|such|same)\b", re.I
)
# A whole message that needs a subject: "why?", "example?", "tell me more".
_BARE = re.compile(
    r"^(why|how|how so|how come|really|examples?|an example|more|tell me more|go on|e\.? ?g\.?|"
    r"such as|like what|for example|what'?s? next|and then|then what|sources?|links?|"
    r"(what'?s|what is) the diff\w*|which (one )?is better|which one|compare( them)?)[\s?!.]*$",
    re.I,
)
_EXAMPLE = re.compile(
    r"^(e\.? ?g\.?|examples?|an example|for example|like what|such as|"
    r"(?:got|have|any) (?:an? )?examples?|"
    r"(give|show) me (an?|some) (examples?|code examples?))[\s?!.]*$",
    re.I,
)
# An object pronoun after a verb or preposition ("use it instead of", "skip them") stands
# for the previous subject even in a longer follow-up; "is it too late..." is not one.
_WORTH_IT = re.compile(r"\bworth\s+(?:it|them)$", re.I)
_OBJECT = re.compile(r"(?<!\bis )(?<!\bwas )(?<!\bare )\b(it|them)\b(?!')", re.I)
# The start of a message asking more about the previous subject: "give me an example",
# "explain it simply", "how long does that take" (with a word pointing back, see below).
_ABOUT = re.compile(
    r"^(give me an? (example|analogy)|show me|explain|tell me more|example of|how long|"
    r"how hard|how much|how many|is it hard|which (one )?first|what next)\b",
    re.I,
)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "we",
        "you",
        "your",
        "do",
        "does",
        "did",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "is",
        "are",
        "be",
        "am",
        "can",
        "could",
        "should",
        "would",
        "will",
        "what",
        "which",
        "who",
        "how",
        "why",
        "when",
        "where",
        "need",
        "needed",
        "know",
        "learn",
        "learning",
        "get",
        "become",
        "ml",
        "machine",
        "engineer",
        "engineering",
        "as",
        "and",
        "or",
        "with",
        "about",
        "into",
        "from",
        "it",
        "this",
        "that",
        "those",
        "there",
        "really",
        "actually",
        "exactly",
        "good",
        "best",
        "first",
        "whats",
        "its",
        "other",
        "one",
        "ones",
        "they",
        "them",
        "those",
        "these",
        "tho",
        "pls",
        "please",
    ]
)
# Words of _STOP that belong to a phrase when they follow a content word: "deep learning",
# "classic ML algorithms", "software engineering".
_JOINS = frozenset(["ml", "machine", "learning", "engineer", "engineering"])
# The words a question opens with before its subject: "what is", "should i learn", "how do i".
_LEAD = frozenset(
    [
        "what",
        "whats",
        "which",
        "how",
        "why",
        "when",
        "where",
        "who",
        "is",
        "are",
        "was",
        "do",
        "does",
        "did",
        "should",
        "can",
        "could",
        "would",
        "will",
        "i",
        "me",
        "my",
        "you",
        "u",
        "we",
        "a",
        "an",
        "the",
        "to",
        "learn",
        "know",
        "need",
        "get",
        "use",
        "study",
        "start",
        "become",
        "much",
        "many",
        "there",
        "if",
        "explain",
        "describe",
    ]
)
# Words that colour a question without being its subject: "what is mlops exactly".
_FILLER = frozenset(
    ["about", "now", "really", "actually", "even", "exactly", "just", "tho"]
    + ["someone", "somebody", "anyone", "anybody", "pls", "plz", "please"]  # "can someone explain"
    + ["simply", "briefly"]  # "can u explain gradient descent simply"
)
_FILLER_TERMS = frozenset(terms(" ".join(_FILLER), keep_stopwords=True))
# A question's first word that stands for something said before it: "is it important".
# What was said is then the subject, without its chat words ("im learning sql rn").
_SAID_FILLER = frozenset(["im", "i'm", "rn", "currently", "right"])
_STANDS_FOR = frozenset(["it", "this", "that", "they", "them", "these", "those"])
_ELABORATION = re.compile(
    r"^(?:like|e\.?\s?g\.?|such as|or|i mean|say|for example|for instance)\b", re.I
)
# A sentence that asks: a question word, or a yes/no opener (_YES_NO below).
_WH = re.compile(r"^\s*(?:what\w*|which|how|why|when|where|who)\b", re.I)
# "is it too late to switch careers", "is it worth doing a bootcamp": that "it" stands for the
# clause after it; in "is it hard?" or "is it hard to learn?" it stands for the subject.
# "is it worth learning as a beginner": the verb has no object there, so "it" is the subject.
_DUMMY = re.compile(  # also "how long does it take to learn ML from zero"
    r"^\s*(?:is|was|isn't|wasn't|how (?:long|hard|easy|much time) (?:does|will|would|is|was))"
    r" (?P<it>it)\b[^?!.]*?\b(?:to \w+|\w+ing)\s+"
    r"(?!(?:as|for|at|in|on|now|or|if|when|first|later|yet|still|too|tho|though|because|so|"
    r"with|without|before|after)\b)\w+",
    re.I,
)
# "is it worth learning as a beginner or later", "is that still used": a verdict on "it".
_IS_IT = re.compile(
    r"^\s*(?:is|was|isn't|are)\s+(?P<it>it|that|this|they|those|these)\s+"
    r"(?:(?:still|really|even|actually|too|that|so)\s+)*"
    r"(?:worth|hard|easy|difficult|necessary|needed|required|important|useful|enough|possible|"
    r"good|bad|relevant|used|dead|outdated|overrated)\b",
    re.I,
)
# Words that judge a subject without naming one: "worth the money tho", "too hard?".
_VERDICT = frozenset(
    [
        "worth",
        "money",
        "time",
        "hard",
        "easy",
        "difficult",
        "late",
        "early",
        "good",
        "bad",
        "useful",
        "necessary",
        "needed",
        "important",
        "enough",
        "possible",
        "ok",
        "okay",
        "fine",
        "still",
        "too",
        "tho",
        "though",
        "even",
        "cost",
        "costs",
        "expensive",
        "effort",
        "doing",
        "long",
        "take",
        "takes",
        "many",
        "much",
        "hours",
        "hour",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "day",
        "days",
    ]
)
# "why?" after a yes/no question asks why its answer holds: "why should i learn X first?"
_WHY = re.compile(
    r"^(but )?(why|how come|why is that|why so|how so|why not)( tho| though)?[\s?!.]*$", re.I
)
_YES_NO = re.compile(
    r"^\s*(is|are|was|do|does|did|should|can|could|would|will|must|shall|isn't|don't)\b", re.I
)
_VERSUS = re.compile(r"^(?:and\s+)?(?:vs\.?|versus|compared to)\s+(?P<other>.+?)[\s?!.]*$", re.I)
# A bare qualifier: "for a beginner?", "in production?", "without a degree?".
# Who a question is for: "for beginners?" qualifies the previous question, it swaps nothing.
_AUDIENCE = frozenset(
    [
        "beginner",
        "beginners",
        "junior",
        "juniors",
        "newbie",
        "newbies",
        "student",
        "students",
        "me",
        "someone",
        "kids",
        "teens",
        "adults",
        "seniors",
        "novice",
        "novices",
        "starters",
    ]
)
_QUALIFIER = re.compile(
    r"^(?P<prep>for|in|with|without|on|as)\s+(?P<topic>[^\s?!.]+(?:\s+[^\s?!.]+){0,3})[\s?!.]*$",
    re.I,
)
_DIFF_WITH = re.compile(
    r"^(?:what'?s|what is) the diff\w*\s+(?:with|from|to|vs\.?|and)\s+(?P<other>.+?)[\s?!.]*$", re.I
)
# Chat spellings of the words the rules above read ("wat about dropout", "shud i"); the index
# vocabulary the spelling corrector knows has no question words in it.
_CHAT = {
    "wat": "what",
    "wut": "what",
    "wht": "what",
    "abt": "about",
    "shud": "should",
    "shld": "should",
    "hw": "how",
    "y": "why",
    "u": "you",
    "wud": "would",
    "cud": "could",
    "exmaple": "example",
    "exmple": "example",
    "exampel": "example",
}
_CHAT_WORD = re.compile(r"\b(" + "|".join(_CHAT) + r")\b", re.I)
# A verdict with no subject of its own: "worth learning as a beginner?", "hard to pick up?".
_SUBJECTLESS = re.compile(
    r"^(worth|too|hard|easy|necessary|needed|required|important|useful|enough|possible)\b", re.I
)
# "the difference between X and Y" + "which one pays more": "one" is X or Y.
_DIFFERENCE = re.compile(r"^(?:the\s+)?diff\w*\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)$", re.I)
# A second question or a purpose in the same message: "what are LLMs and why is everyone
# talking about them", "how do I deploy a model so my app can use it".
_SECOND_CLAUSE = re.compile(
    r"\s+(?:(?:and|but|or)\s+(?:why|how|what|which|when|where|who|is|are|do|does|should|can)|"
    r"so\s+(?:that\s+)?(?:i|my|we|our|you|your|it|they|people))\b.*$",
    re.I,
)
# "how do people clean data" + "why tho": why they do it ("why clean data").
_WHAT_DO = re.compile(
    r"^(?:what|which) (?P<thing>.+?) (?P<modal>do|should|must) (?:i|you|we) (?:really |actually )?"
    r"(?P<verb>need to learn|need to know|need|learn|know|study)(?P<rest>\b.*)$",
    re.I,
)
_HOW_DO = re.compile(
    r"^how (?:do|does|can|should) (?:i|you|we|people|one|they) (?P<rest>.+)$", re.I
)
# A message that defines its own subject before pointing back at it: "What is Docker and why
# do ML engineers use it?" is a new question, whatever came before.
_OWN_SUBJECT = re.compile(
    r"^(?:what|who)(?:'s|\s+is|\s+are)\s+(?!(?:it|that|this|those|these|them|they)\b)"
    r"[\w+#-]+(?:\s+[\w+#-]+){0,3}\s+and\s+",
    re.I,
)
# A message that says it changes the subject: "random but is kaggle still worth it",
# "unrelated q: ...", "btw ...", "separately, ..." ("random forest vs ..." is not one).
_NEW_TOPIC = re.compile(
    r"^(?:(?:random|unrelated|separate|different|other|side|new|off[- ]topic)"
    r"(?:\s+(?:q|qn|question|thing|topic))?(?:\s+but\b|\s*[,:;-])|"
    r"(?:separately|unrelated|btw|by the way|on another note|changing (?:the )?(?:topic|subject))\b)",
    re.I,
)
# Words that open a reply before its question: "ok and how long", "realistically how long".
_ACK = re.compile(
    r"^(?:(?:ok(?:ay)?|k|so|but|hmm+|well|right|alright|cool|thanks|thx|got it|i see|"
    r"realistically|honestly)[\s,!.]+)+",
    re.I,
)
_ASKED_AFTER_COMMA = re.compile(
    r",\s+(?P<ask>(?:can|could|should|do|does|is|are|how|what|which|will|would)\b.*)$", re.I
)
_ASKS_ABOUT_THEM = re.compile(
    r"^\s*(?:do|does|did|are|is|will|would|can|could|should)\s+(?:they|those|these)\b", re.I
)
MAX_FOLLOWUP_WORDS = 9  # a follow-up is short; a longer message is a question of its own
# (four words more when it points back with "it" or "them")
# A message no rule reads as a follow-up still is one when the knowledge base matches it far
# better together with the previous question than alone ("which parts matter most", "any
# tips to prep"): unrelated questions have their own subject and gain little. Chosen on the
# two-turn sets 1-8 (unrelated second questions gained at most 0.201; most follow-ups more
# than 0.22) and reported on sets written after it.
JOINED_GAIN = 0.22
MAX_JOINED_WORDS = 12
ANSWERED_ALONE = 0.40  # a message this well matched alone is a question of its own...


@dataclass(frozen=True)
class Resolved:
    question: str  # the full question to answer
    kind: str  # "swap", "about" or "new"
    previous: str | None = None  # the question before it, when the conversation continued


Encode = Callable[[list[str]], np.ndarray]


def resolve(
    text: str,
    previous: str | None,
    encode: Encode,
    spell: Callable[[str], str] | None = None,
    strength: Callable[[str], float] | None = None,
) -> Resolved:
    """The question `text` means after `previous` (the last question, already resolved).
    `spell` corrects typos first ("give me an exmaple"); a new question is kept as typed.
    `strength` scores how well the knowledge base matches a question (see JOINED_GAIN)."""
    if _NEW_TOPIC.match(text.strip()) or _OWN_SUBJECT.match(text.strip()):
        return Resolved(text, "new")  # said to change the subject, or names its own
    meant = _by_rules(text, previous, encode, spell)
    if meant.kind != "new" or previous is None or strength is None:
        return meant
    if not 0 < len(_words(text)) <= MAX_JOINED_WORDS:
        return meant
    joined = f"{previous.rstrip(' ?.!')}: {text.strip()}"
    alone, together = strength(text), strength(joined)
    if together - alone >= JOINED_GAIN and not _own_question(
        text, previous, alone, together, strength
    ):
        return Resolved(joined, "about")
    if _REFERS.search(text) and alone < MIN_MIXED <= together:
        return Resolved(joined, "about")  # "wouldnt that mess up the model": only with it
    return meant


def _own_question(
    text: str, previous: str, alone: float, together: float, strength: Callable[[str], float]
) -> bool:
    """ "what stats do i need" after "should i learn pytorch or tensorflow first?": matched well
    alone, with a word the previous question did not use, and joined it matches no better
    than the previous question did without it, so the joined score only measures that one.
    A request for resources ("any books or courses u recommend") matches every resource list
    well alone: its topic is still the previous one's."""
    if alone < ANSWERED_ALONE or asks_for_resources(text):
        return False
    ignored = set(terms(previous)) | _FILLER_TERMS  # "bachelors" after "...or a bachelors"
    if all(t in ignored for t in terms(text)):
        return False
    return together <= strength(previous) + 0.02


def _by_rules(
    text: str, previous: str | None, encode: Encode, spell: Callable[[str], str] | None
) -> Resolved:
    """The reading of the rules: topic swaps, pronouns, bare "why?", verdicts, examples."""
    asked = text
    if previous is not None:
        text = _CHAT_WORD.sub(lambda m: _CHAT[m.group(1).lower()], text)
        text = _ACK.sub("", text) or text  # "ok and how long...", "realistically how long..."
    if spell is not None and previous is not None:
        text = spell(text)
    words = _words(text)
    pointing = _OBJECT.search(text) or _ASKS_ABOUT_THEM.match(text)  # "need it if", "do they"
    longest = MAX_FOLLOWUP_WORDS + (4 if pointing else 0)
    if previous is None or not words or len(words) > longest:
        return Resolved(asked, "new")
    qualifier = _QUALIFIER.match(text.strip())
    if qualifier and _bare(qualifier["topic"].split()[-1]) in _AUDIENCE:  # "for beginners?"
        return Resolved(f"{previous.rstrip(' ?.!')} {text.strip().rstrip(' ?.!')}?", "about")
    swap = _SWAP.match(text.strip()) or qualifier
    if swap and not _REFERS.search(swap["topic"]):
        return Resolved(swap_topic(previous, swap["topic"], encode, swap["prep"]), "swap")
    versus = _VERSUS.match(text.strip())  # "vs tensorflow?"
    if versus:
        return Resolved(f"{_subject(previous)} vs {versus['other']}", "about")
    why = _why(text, previous)
    if why:
        return Resolved(why, "about")
    if _OWN_SUBJECT.match(text.strip()):
        return Resolved(asked, "new")
    which = _which_of_pair(text, previous)
    if which:
        return Resolved(which, "about")
    own = _content(words)
    refers = _pointer(text, own)
    if refers:
        subject = _subject(previous)
        return Resolved(f"{text[: refers[0]]}{subject}{text[refers[1] :]}", "about")
    other = _DIFF_WITH.match(text.strip())  # "whats the diff with rag"
    if other:
        return Resolved(f"difference between {_subject(previous)} and {other['other']}", "about")
    if _SUBJECTLESS.match(text.strip()):  # "worth learning as a beginner or later?"
        return Resolved(f"is {_subject(previous)} {text.strip()}", "about")
    cue = _ABOUT.match(text.strip())
    after_cue = _content(_words(text.strip()[cue.end() :])) if cue else []
    if _EXAMPLE.match(text.strip()):  # "e.g.?": examples of the subject, not of the question
        return Resolved(f"examples of {_subject(previous)}", "about")
    bare = _BARE.match(text.strip()) or not own or (cue and (refers or len(after_cue) <= 1))
    if bare or not [w for w in own if w not in _VERDICT]:  # "worth the time?": no topic of its own
        return Resolved(f"{previous.rstrip(' ?.!')}: {text.strip()}", "about")
    return Resolved(asked, "new")


def _which_of_pair(text: str, previous: str) -> str | None:
    """ "which (one) pays more" after "the difference between A and B": which of A or B."""
    pair = _DIFFERENCE.match(_subject(previous))
    which = re.match(r"^which\s+(?:ones?\s+)?(?P<rest>.+)$", text.strip(), re.I)
    return f"which {pair['a']} or {pair['b']} {which['rest']}" if pair and which else None


def _pointer(text: str, own: list[str]) -> tuple[int, int] | None:
    """Where the word that stands for the previous subject is: "is that enough for a junior
    job?" (few words of its own), "how long would that take for someone like me?" (a question
    about it, whatever its length), a verdict on it ("is it worth learning as a beginner or
    later"), or an object pronoun ("when should i use it instead")."""
    # "is it worth doing a bootcamp": that "it" has no referent; "is it hard to learn" has.
    dummy = _DUMMY.match(text)
    verdict = None if dummy else _IS_IT.match(text)
    if verdict:
        return verdict.span("it")
    refers = _REFERS.search(text, dummy.end("it") if dummy else 0)  # "...to build one": one
    while refers and _is_numeral(text, refers):  # "in one paragraph": a number, not "it"
        refers = _REFERS.search(text, refers.end())
    if refers and (len(own) <= 3 or _ABOUT.match(text.strip()) or _ASKS_ABOUT_THEM.match(text)):
        found = refers  # "do they do leetcode stuff too or just ml theory": they = it
    else:
        found = _OBJECT.search(text, dummy.end("it") if dummy else 0)
    if found and _WORTH_IT.search(text[: found.end()]) and [w for w in own if w not in _VERDICT]:
        # "is kaggle worth it": that "it" is the kaggle it names, not the last subject; a
        # word after it may still point back ("is linkedin worth it for that").
        found = _REFERS.search(text, found.end())
    return found.span() if found else None


def _is_numeral(text: str, word: re.Match[str]) -> bool:
    """ "one" before a noun counts it ("in one paragraph", "one year"); "build one" and "which
    one is better" stand for something said before."""
    if word.group(0).lower() != "one":
        return False
    after = _words(text[word.end() :])[:1]
    return bool(after) and after[0] not in _STOP and after[0] not in ("is", "of", "or", "for")


def _why(text: str, previous: str) -> str | None:
    """ "why?" after a yes/no question asks why its answer holds ("why should i learn X
    first?"); after "how do people clean data" it asks why they do it ("why clean data?")."""
    if not _WHY.match(text.strip()):
        return None
    previous = _split_question(previous)[1]  # not what the message told around it
    if _YES_NO.match(previous):
        return f"why {previous.rstrip(' ?.!')}?"
    what = _WHAT_DO.match(previous.strip().rstrip(" ?.!"))
    if what:  # "what stats do i need" -> "why do i need stats"
        return f"why {what['modal']} i {what['verb']} {what['thing']}{what['rest']}?"
    how = _HOW_DO.match(previous.strip())
    return f"why {how['rest'].rstrip(' ?.!')}?" if how else None


def _subject(previous: str) -> str:
    """What the previous question was about: it without its question words ("should i learn
    deep learning after classic ml" -> "deep learning after classic ml"). Unlike _content it
    keeps "learning", "ml" and small words inside the phrase. A question that points back at
    what the message told first ("im learning sql rn, is it actually important") is about
    that ("learning sql")."""
    told, question = _split_question(previous)
    kept = _without_question_words(_SECOND_CLAUSE.sub("", question.rstrip(" ?.!")))
    if told and kept and _bare(kept[0]) in _STANDS_FOR and not _DUMMY.match(question):
        said = _without_question_words(told.rstrip(" ,;:?.!"), _SAID_FILLER)
        return " ".join(said or kept)
    return " ".join(kept or question.rstrip(" ?.!").split())


def _without_question_words(text: str, filler: frozenset[str] = frozenset()) -> list[str]:
    drop = _LEAD | _FILLER | filler
    return [t for t in text.split() if _bare(t) not in drop]


def _split_question(text: str) -> tuple[str, str]:
    """What a message tells first, and its question: "I'm a frontend dev, mostly React. Do I
    need to learn Python to get into ML?" -> its last question; "I'm a product manager, can I
    switch into ML?" -> the clause after the comma. A last sentence that only elaborates the
    one before ("...? like p values and stuff?", "...? drop them?") is not the question."""
    sentences = split_sentences(text)
    asks = [i for i, s in enumerate(sentences) if s.endswith("?")]
    while len(asks) > 1 and _elaborates(sentences[asks[-1]]):
        asks.pop()
    at = asks[-1] if len(sentences) > 1 and asks else None
    told = " ".join(sentences[:at]) if at is not None else ""
    question = sentences[at] if at is not None else text
    clause = _ASKED_AFTER_COMMA.search(question)  # "I'm a PM, can I switch into ML?"
    if clause:
        told = f"{told} {question[: clause.start('ask')]}".strip()
        question = question[clause.start("ask") :]
    return told, question


def _elaborates(sentence: str) -> bool:
    """ "like p values and stuff?", "drop them?", "or nah?": no question of its own."""
    words = _words(sentence)
    asks = _WH.match(sentence) or _YES_NO.match(sentence)
    return bool(_ELABORATION.match(sentence)) or (len(words) <= 3 and not asks)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'+#-]+", text.lower())


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in _STOP and len(w) > 1]


def swap_topic(previous: str, topic: str, encode: Encode, prep: str | None = None) -> str:
    """The previous question with its phrase closest in meaning to `topic` replaced by it.
    "and for X?" mirrors "... for Y": what follows the same preposition is replaced."""
    tokens = previous.rstrip(" ?.!").split()
    if prep:
        at = [i for i, t in enumerate(tokens) if t.lower() == prep.lower()]
        if at and at[-1] < len(tokens) - 1:
            # Only the phrase after it, up to the end of its clause or its first question
            # word: "in jupyter, how can others use it" + "what about in production" keeps
            # ", how can others use it"; "for computer vision what should i learn" keeps
            # "what should i learn".
            end = at[-1] + 1
            while end < len(tokens) and not (end > at[-1] + 1 and _bare(tokens[end]) in _LEAD):
                end += 1
                if tokens[end - 1][-1] in ",;:":
                    break
            tail = tokens[end - 1][-1] if tokens[end - 1][-1] in ",;:" else ""
            rest = " ".join([*tokens[: at[-1] + 1], topic + tail, *tokens[end:]])
            return rest + "?"
        # "what maths do i need" + "for NLP"; of a message that told something first, its
        # question alone ("i want to get into NLP, what should i learn first?" + "and for
        # computer vision?": what should i learn first for computer vision?)
        asked = _split_question(previous)[1].rstrip(" ?.!").split()
        return " ".join([*asked, prep, topic]) + "?"
    spans: list[tuple[int, int]] = []  # runs of content words: "masters degree", "nlp"
    for i, token in enumerate(tokens):
        inside = spans and spans[-1][1] == i and _bare(token) in _JOINS  # "classic ML algorithms"
        if _bare(token) in _STOP and not inside:
            continue
        if spans and spans[-1][1] == i:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    if not spans:
        return f"{previous.rstrip(' ?.!')} {topic}"
    phrases = [" ".join(tokens[i:j]) for i, j in spans]
    vectors = encode([topic, *phrases])
    best = int(np.argmax(vectors[1:] @ vectors[0]))
    i, j = spans[best]
    return " ".join([*tokens[:i], topic, *tokens[j:]]) + "?"


def _bare(token: str) -> str:
    return re.sub(r"[^\w+#-]", "", token.lower())
