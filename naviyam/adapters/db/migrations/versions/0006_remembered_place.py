"""the last confirmed place of each user, used again until it expires (issue 12)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Adds ``users.last_place_name``, ``last_place_lat``, ``last_place_lng`` and
``last_place_at``: the gazetteer area the user last searched around (a named place, or
the area a shared position falls in) and its centre, never the shared position itself
(docs/PLACES.md). ``NAVIYAM_PLACE_MEMORY_DAYS`` says how long it is used again.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_place_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('last_place_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('last_place_lng', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('last_place_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_place_at')
        batch_op.drop_column('last_place_lng')
        batch_op.drop_column('last_place_lat')
        batch_op.drop_column('last_place_name')
