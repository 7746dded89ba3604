"""coupon reservations: a RESERVED wallet state with a redeem code, a shop and an expiry (issue 13)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 20:50:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('ACTIVE', 'USED', 'EXPIRED', 'CANCELLED')"
NEW_STATUSES = "status IN ('ACTIVE', 'RESERVED', 'USED', 'EXPIRED', 'CANCELLED')"
RESERVATION_CHECK = ("status != 'RESERVED' OR (reservation_code IS NOT NULL AND reserved_shop_id IS NOT NULL "
                     "AND reservation_expires_at IS NOT NULL)")


def upgrade() -> None:
    with op.batch_alter_table('user_coupon_wallet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reservation_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reservation_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reserved_shop_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reserved_menu_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('user_coupon_wallet_reservation_code_key', ['reservation_code'])
        batch_op.create_foreign_key('user_coupon_wallet_reserved_shop_id_fkey', 'shops',
                                    ['reserved_shop_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_user_coupon_wallet_reservation_expires_at'),
                              ['reservation_expires_at'], unique=False)
        batch_op.drop_constraint('wallet_status_check', type_='check')
        batch_op.create_check_constraint('wallet_status_check', NEW_STATUSES)
        batch_op.create_check_constraint('wallet_reservation_check', RESERVATION_CHECK)


def downgrade() -> None:
    op.execute("UPDATE user_coupon_wallet SET status = 'ACTIVE' WHERE status = 'RESERVED'")
    with op.batch_alter_table('user_coupon_wallet', schema=None) as batch_op:
        batch_op.drop_constraint('wallet_reservation_check', type_='check')
        batch_op.drop_constraint('wallet_status_check', type_='check')
        batch_op.create_check_constraint('wallet_status_check', OLD_STATUSES)
        batch_op.drop_index(batch_op.f('ix_user_coupon_wallet_reservation_expires_at'))
        batch_op.drop_constraint('user_coupon_wallet_reserved_shop_id_fkey', type_='foreignkey')
        batch_op.drop_constraint('user_coupon_wallet_reservation_code_key', type_='unique')
        batch_op.drop_column('reserved_menu_id')
        batch_op.drop_column('reserved_shop_id')
        batch_op.drop_column('reservation_expires_at')
        batch_op.drop_column('reserved_at')
        batch_op.drop_column('reservation_code')
