"""group seating on shops; recommendation feedback and closure reports (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:30:00

- ``shops.seats`` (number of seats, NULL = unknown) and ``shops.group_friendly``
  (takes groups / has a group table; NULL = unknown);
- ``recommendation_feedback`` (seed 004 §9.9 ``ml_training.recommendation_feedback`` in the
  project's conventions, plus feedback_shop_id, feedback_kind, excluded_until);
- ``shop_closure_reports``: the operator's queue of "거기 문 닫았던데" reports.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
NOW = sa.text('CURRENT_TIMESTAMP')


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seats', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_friendly', sa.Boolean(), nullable=True))
        batch_op.create_check_constraint('shops_seats_check', 'seats IS NULL OR (seats >= 0 AND seats <= 10000)')

    op.create_table(
        'recommendation_feedback',
        sa.Column('id', BIGID, autoincrement=True, nullable=False),
        sa.Column('recommendation_log_id', BIGID, nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Uuid(), nullable=False),
        sa.Column('recommended_shops', JSON, nullable=False),
        sa.Column('user_action', sa.String(length=50), nullable=False),
        sa.Column('selected_shop_id', sa.Integer(), nullable=True),
        sa.Column('feedback_shop_id', sa.Integer(), nullable=False),
        sa.Column('feedback_kind', sa.String(length=20), nullable=False),
        sa.Column('action_timestamp', sa.DateTime(timezone=True), nullable=False),
        sa.Column('time_to_action_ms', sa.Integer(), nullable=True),
        sa.Column('interaction_details', JSON, nullable=True),
        sa.Column('context_features', JSON, nullable=False),
        sa.Column('user_features', JSON, nullable=False),
        sa.Column('explicit_rating', sa.Integer(), nullable=True),
        sa.Column('implicit_satisfaction', sa.Numeric(4, 3), nullable=True),
        sa.Column('learning_value', sa.Numeric(4, 3), nullable=True),
        sa.Column('is_outlier', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('excluded_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('device_type', sa.String(length=50), nullable=True),
        sa.Column('app_version', sa.String(length=20), nullable=True),
        sa.CheckConstraint("user_action IN ('viewed', 'clicked', 'selected', 'ignored', 'scrolled_past')",
                           name='reco_feedback_action_check'),
        sa.CheckConstraint("feedback_kind IN ('liked', 'disliked', 'rated', 'closed', 'noted')",
                           name='reco_feedback_kind_check'),
        sa.CheckConstraint('explicit_rating IS NULL OR (explicit_rating >= 1 AND explicit_rating <= 5)',
                           name='reco_feedback_rating_check'),
        sa.CheckConstraint("(user_action = 'selected' AND selected_shop_id IS NOT NULL) OR "
                           "(user_action <> 'selected' AND selected_shop_id IS NULL)",
                           name='recommendation_feedback_action_consistency'),
        sa.ForeignKeyConstraint(['recommendation_log_id'], ['recommendations_log.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['selected_shop_id'], ['shops.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['feedback_shop_id'], ['shops.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'recommendation_log_id', 'feedback_shop_id',
                            name='reco_feedback_once_per_shop'),
    )
    op.create_index('ix_reco_feedback_user_created', 'recommendation_feedback', ['user_id', 'created_at'])
    op.create_index('ix_reco_feedback_action', 'recommendation_feedback', ['user_action', 'selected_shop_id'])

    op.create_table(
        'shop_closure_reports',
        sa.Column('id', BIGID, autoincrement=True, nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('feedback_id', BIGID, nullable=True),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('operator_note', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'confirmed', 'dismissed')", name='closure_reports_status_check'),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['feedback_id'], ['recommendation_feedback.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_shop_closure_reports_shop_id', 'shop_closure_reports', ['shop_id'])
    op.create_index('ix_closure_reports_status', 'shop_closure_reports', ['status', 'reported_at'])


def downgrade() -> None:
    op.drop_index('ix_closure_reports_status', table_name='shop_closure_reports')
    op.drop_index('ix_shop_closure_reports_shop_id', table_name='shop_closure_reports')
    op.drop_table('shop_closure_reports')
    op.drop_index('ix_reco_feedback_action', table_name='recommendation_feedback')
    op.drop_index('ix_reco_feedback_user_created', table_name='recommendation_feedback')
    op.drop_table('recommendation_feedback')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_constraint('shops_seats_check', type_='check')
        batch_op.drop_column('group_friendly')
        batch_op.drop_column('seats')
