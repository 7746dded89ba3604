"""shops.free_meal_offer: benefits that need no card balance (issue 12)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

A 착한가게 free meal or a sponsored (pre-paid) menu that a child can have with 0원 on the
card, as the shop describes it ("결식 우려 아동 한 끼 무료 (하루 1회)"); NULL: none. The
zero-balance answer lists such shops (naviyam/usecases/zero_balance.py).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('free_meal_offer', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('free_meal_offer')
