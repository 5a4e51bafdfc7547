"""weekly digest: the learner's digest day and one row per learner and local week

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learners", schema=None) as batch_op:
        # Existing learners get the digest too (on by default, on Sundays).
        batch_op.add_column(sa.Column("digest_day", sa.Integer(), nullable=True))
    op.execute("UPDATE learners SET digest_day = 6")
    op.create_table(
        "weekly_digests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "week_of", name="uq_digest_per_week"),
    )


def downgrade() -> None:
    op.drop_table("weekly_digests")
    with op.batch_alter_table("learners", schema=None) as batch_op:
        batch_op.drop_column("digest_day")
