"""learner target finish date and the pace notice already given

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learners", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_finish", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("pace_told_for", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("learners", schema=None) as batch_op:
        batch_op.drop_column("pace_told_for")
        batch_op.drop_column("target_finish")
