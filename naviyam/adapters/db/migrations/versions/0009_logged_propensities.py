"""logged propensities: recommendations_log.policy_log (issue 15, docs/LEARNING_LOOP.md)

One JSON column per recommendation: the logging policy (exploration rate, ranker) and, for each
menu of the verified pool that could have been shown, its shop and menu, the ranker's score,
the probability that the served list included it, whether it was shown, and the serving
features (dense row and wide crosses) the ranker saw. Off-policy evaluation (SNIPS) and
training from logged choices read it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 03:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('recommendations_log') as batch:
        batch.add_column(sa.Column('policy_log', JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('recommendations_log') as batch:
        batch.drop_column('policy_log')
