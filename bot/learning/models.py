"""Tables for learners and their progress. Changed only through Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ALL_DAYS = 0b1111111


class Base(DeclarativeBase):
    pass


class Learner(Base):
    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    display_name: Mapped[str | None] = mapped_column(String(100))
    track: Mapped[str | None] = mapped_column(String(50))
    daily_minutes: Mapped[int | None] = mapped_column(Integer)
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    nudge_minute: Mapped[int] = mapped_column(Integer, default=18 * 60)  # local minutes after 00:00
    active_days: Mapped[int] = mapped_column(Integer, default=ALL_DAYS)  # bit 0 = Monday
    nudges_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(200))
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    enrolled_on: Mapped[date | None] = mapped_column(Date)
    current_task: Mapped[str | None] = mapped_column(String(80))
    sessions_done: Mapped[int] = mapped_column(Integer, default=0)
    streak_current: Mapped[int] = mapped_column(Integer, default=0)
    streak_best: Mapped[int] = mapped_column(Integer, default=0)
    streak_last: Mapped[date | None] = mapped_column(Date)
    forget_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A message to show once, at the learner's next interaction (e.g. why nudges stopped).
    notice: Mapped[str | None] = mapped_column(Text)
    # The finish date the learner agreed to (set when enrolling, moved when they choose to),
    # and the target they were last told they are behind or ahead of (so it is said once).
    target_finish: Mapped[date | None] = mapped_column(Date)
    pace_told_for: Mapped[date | None] = mapped_column(Date)
    # The weekday (0 = Monday) of the weekly digest, sent at the nudge time; None: off.
    digest_day: Mapped[int | None] = mapped_column(Integer, default=6)

    __table_args__ = (Index("ix_learners_due", "tz", "nudge_minute"),)


class Identity(Base):
    """A platform account (Discord user, Telegram user, console) belonging to a learner."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(20))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_identity"),)


class TaskEvent(Base):
    """Every step of progress: done, session, skip, drop, review; the learner's history."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    local_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("study_groups.id", ondelete="SET NULL"))


class NudgeSent(Base):
    """One row per learner and local date, written before the send: the exactly-once guard."""

    __tablename__ = "nudges_sent"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    platform: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("learner_id", "local_date", name="uq_nudge_per_day"),)


class WeeklyDigest(Base):
    """One row per learner and local week (keyed by its Monday), written before the send:
    the weekly digest's exactly-once guard, with the same statuses as NudgeSent."""

    __tablename__ = "weekly_digests"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    week_of: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    platform: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("learner_id", "week_of", name="uq_digest_per_week"),)


class LinkCode(Base):
    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StudyGroup(Base):
    __tablename__ = "study_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    channel_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(100))
    track: Mapped[str] = mapped_column(String(50))
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    nudge_minute: Mapped[int] = mapped_column(Integer, default=18 * 60)
    active_days: Mapped[int] = mapped_column(Integer, default=ALL_DAYS)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("platform", "channel_id", name="uq_group_channel"),)


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("study_groups.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GroupPost(Base):
    """The group's daily task post: one per group and local date, written before the send."""

    __tablename__ = "group_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    task_id: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending")

    __table_args__ = (UniqueConstraint("group_id", "local_date", name="uq_group_post_per_day"),)


class GroupDone(Base):
    __tablename__ = "group_done"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("study_groups.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    task_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProcessedEvent(Base):
    """Platform events already handled (Telegram update ids, button taps): each acts once,
    even when a platform redelivers it after a restart or a user taps twice. The key is a
    digest, so no user or chat id is stored here; old rows are purged daily."""

    __tablename__ = "processed_events"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    """Every admin action and every refused attempt: who, what, when, result."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(Text)

    # Kept after /forget for accountability, with the person replaced by an anonymous id.
    __table_args__ = (
        Index("ix_audit_log_account", "platform", "user_id"),
        {"info": {"account": ("platform", "user_id"), "anonymise": ("user_id", "user_name")}},
    )


class QuestionLog(Base):
    """Questions asked (text, whether the knowledge covered it) and the asker's 👍/👎."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(Boolean)
    top_source: Mapped[str | None] = mapped_column(String(300))
    feedback: Mapped[int | None] = mapped_column(Integer)  # +1 / -1

    __table_args__ = (
        Index("ix_questions_account", "platform", "user_id"),
        {"info": {"account": ("platform", "user_id")}},
    )


class QuizCard(Base):
    """One review question in a learner's deck, with its FSRS scheduling state (the fsrs
    package's Card as JSON). `reps` counts answers, so a second tap on an old question is
    recognised and counts once."""

    __tablename__ = "quiz_cards"

    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    fsrs: Mapped[str] = mapped_column(Text)
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reps: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_quiz_cards_due", "learner_id", "due"),)


class QuizAnswer(Base):
    """Every answer given, right or wrong: the learner's quiz history and accuracy."""

    __tablename__ = "quiz_answers"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(60))
    chosen: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Conversation(Base):
    """The last few questions a person asked in one place (a DM, a channel), so a follow-up
    ("and statistics?") can be read as the full question it means; it expires after an idle
    time and goes with /forget like everything else stored about the person."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(64))  # "dm" or the channel id
    turns: Mapped[str] = mapped_column(Text)  # JSON: [{"asked", "meant", "said"}, ...]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (
        UniqueConstraint("platform", "user_id", "place", name="uq_conversation_place"),
        {"info": {"account": ("platform", "user_id")}},
    )


class LLMUsage(Base):
    """What the model has cost today, so a restart or another replica does not hand out a
    fresh budget: generated answers and tokens per person and UTC day, plus one bot-wide
    row (platform and user_id empty) for the global token budget. A person's rows go with
    /forget; the bot-wide row names no one."""

    __tablename__ = "llm_usage"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = ({"info": {"account": ("platform", "user_id")}},)
