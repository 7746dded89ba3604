"""learning loop: training data queue, training jobs, model versions, performance metrics, NLU training
rows, the event consumer's bookkeeping, job runs, daily shop stats, reminders (issue 15)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 23:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
INT_ARRAY = sa.JSON().with_variant(postgresql.ARRAY(sa.Integer()), 'postgresql')
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
NOW = sa.text('CURRENT_TIMESTAMP')
MODEL_TYPES = "('nlu', 'llm_adapter', 'rag', 'recommendation')"


def _ts(name: str, nullable: bool = True, now: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=NOW if now else None, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        'training_data_queue',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('model_type', sa.String(50), nullable=False),
        sa.Column('raw_data', JSON, nullable=False),
        sa.Column('processed_data', JSON, nullable=True),
        sa.Column('quality_score', sa.Numeric(4, 3), nullable=True),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('source_table', sa.String(100), nullable=False),
        sa.Column('source_key', sa.String(120), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('session_id', sa.Uuid(), nullable=True),
        _ts('created_at', False, True),
        _ts('trained_at'),
        sa.CheckConstraint(f"model_type IN {MODEL_TYPES}", name='data_queue_model_type_check'),
        sa.CheckConstraint("status IN ('pending', 'processing', 'ready', 'training', 'completed', 'rejected', "
                           "'error')", name='data_queue_status_check'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_table', 'source_key', name='data_queue_source_unique'),
    )
    op.create_index('ix_training_data_queue_created_at', 'training_data_queue', ['created_at'])
    op.create_table(
        'training_jobs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('job_name', sa.String(200), nullable=False),
        sa.Column('model_type', sa.String(50), nullable=False),
        sa.Column('training_config', JSON, nullable=False),
        sa.Column('data_count', sa.Integer(), nullable=False),
        sa.Column('data_window', JSON, nullable=True),
        _ts('start_time'),
        _ts('end_time'),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('metrics', JSON, nullable=True),
        sa.Column('model_path', sa.Text(), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('triggered_by', sa.String(50), nullable=False),
        sa.CheckConstraint(f"model_type IN {MODEL_TYPES}", name='training_jobs_model_type_check'),
        sa.CheckConstraint("status IN ('scheduled', 'queued', 'preparing', 'training', 'evaluating', "
                           "'completed', 'failed', 'cancelled')", name='training_jobs_status_check'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'model_versions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('model_type', sa.String(50), nullable=False),
        sa.Column('version', sa.String(40), nullable=False),
        sa.Column('training_job_id', sa.Integer(), nullable=True),
        sa.Column('training_data_stats', JSON, nullable=True),
        sa.Column('performance_metrics', JSON, nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('deployment_status', sa.String(20), nullable=False),
        sa.Column('model_path', sa.Text(), nullable=False),
        sa.Column('checksum', sa.String(64), nullable=True),
        sa.Column('traffic_percentage', sa.Numeric(5, 2), nullable=False),
        _ts('created_at', False, True),
        _ts('deployed_at'),
        _ts('retired_at'),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.CheckConstraint(f"model_type IN {MODEL_TYPES}", name='model_versions_model_type_check'),
        sa.CheckConstraint("deployment_status IN ('development', 'testing', 'canary', 'production', "
                           "'deprecated', 'archived', 'rolled_back')", name='model_versions_status_check'),
        sa.CheckConstraint('traffic_percentage >= 0 AND traffic_percentage <= 100',
                           name='model_versions_traffic_check'),
        sa.ForeignKeyConstraint(['training_job_id'], ['training_jobs.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('model_type', 'version', name='model_versions_unique_version'),
    )
    op.create_table(
        'performance_metrics',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('model_type', sa.String(50), nullable=False),
        sa.Column('model_version_id', sa.Integer(), nullable=True),
        _ts('measured_at', False, True),
        _ts('window_start'),
        _ts('window_end'),
        sa.Column('request_count', sa.Integer(), nullable=False),
        sa.Column('success_count', sa.Integer(), nullable=False),
        sa.Column('model_specific_metrics', JSON, nullable=True),
        sa.ForeignKeyConstraint(['model_version_id'], ['model_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'nlu_training_data',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('event_key', sa.String(120), nullable=False),
        sa.Column('session_id', sa.Uuid(), nullable=True),
        sa.Column('input_text', sa.Text(), nullable=False),
        sa.Column('true_intent', sa.String(80), nullable=True),
        sa.Column('true_entities', JSON, nullable=True),
        sa.Column('predicted_intent', sa.String(80), nullable=True),
        sa.Column('prediction_confidence', sa.Numeric(4, 3), nullable=True),
        sa.Column('label_source', sa.String(50), nullable=False),
        sa.Column('labeler_id', sa.String(100), nullable=True),
        sa.Column('review_status', sa.String(20), nullable=False),
        sa.Column('is_used_for_training', sa.Boolean(), nullable=False),
        sa.Column('training_job_ids', INT_ARRAY, nullable=True),
        _ts('created_at', False, True),
        _ts('updated_at'),
        sa.CheckConstraint("label_source IN ('confident', 'clarified', 'corrected', 'auto', 'manual', "
                           "'verified', 'weak')", name='nlu_training_label_source_check'),
        sa.CheckConstraint("review_status IN ('none', 'pending', 'exported', 'reviewed')",
                           name='nlu_training_review_check'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_key', name='nlu_training_event_unique'),
    )
    op.create_index('ix_nlu_training_data_review_status', 'nlu_training_data', ['review_status'])
    op.create_table(
        'processed_events',
        sa.Column('event_key', sa.String(120), nullable=False),
        _ts('processed_at', False, True),
        sa.PrimaryKeyConstraint('event_key'),
    )
    op.create_index('ix_processed_events_processed_at', 'processed_events', ['processed_at'])
    op.create_table(
        'event_consumer_offsets',
        sa.Column('consumer', sa.String(80), nullable=False),
        sa.Column('position', BIG_ID, nullable=False),
        _ts('updated_at', False, True),
        sa.PrimaryKeyConstraint('consumer'),
    )
    op.create_table(
        'event_dead_letters',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('source', sa.String(80), nullable=False),
        sa.Column('source_position', BIG_ID, nullable=True),
        sa.Column('event_key', sa.String(120), nullable=True),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        _ts('created_at', False, True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'job_runs',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('job_name', sa.String(80), nullable=False),
        sa.Column('slot', sa.String(40), nullable=False),
        _ts('started_at', False),
        _ts('finished_at'),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('runner', sa.String(120), nullable=True),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name='job_runs_status_check'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('job_name', 'slot', name='job_runs_slot_unique'),
    )
    op.create_table(
        'shop_daily_stats',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('impressions', sa.Integer(), nullable=False),
        sa.Column('selections', sa.Integer(), nullable=False),
        sa.Column('feedback_count', sa.Integer(), nullable=False),
        sa.Column('avg_rating', sa.Numeric(4, 3), nullable=True),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('day', 'shop_id', name='shop_daily_stats_unique'),
    )
    op.create_table(
        'reminders_sent',
        sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(40), nullable=False),
        sa.Column('ref_key', sa.String(80), nullable=False),
        _ts('sent_at', False, True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'kind', 'ref_key', name='reminders_sent_unique'),
    )
    op.create_table(
        'reminder_opt_outs',
        sa.Column('user_id', sa.Integer(), nullable=False),
        _ts('created_at', False, True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    for table in ('reminder_opt_outs', 'reminders_sent', 'shop_daily_stats', 'job_runs', 'event_dead_letters',
                  'event_consumer_offsets', 'processed_events', 'nlu_training_data', 'performance_metrics',
                  'model_versions', 'training_jobs', 'training_data_queue'):
        op.drop_table(table)
