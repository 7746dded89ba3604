"""NLU adapter answers: nlu_training_data.llm_intent / llm_model (issue 15, docs/LEARNING_LOOP.md)

The LLM NLU component's top intent for a message and the adapter version that answered it
(the registry's production or canary NLU adapter). The canary judge compares, per adapter
version, how often its intent agrees with the message's label (confident, clarified or
corrected).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('nlu_training_data') as batch:
        batch.add_column(sa.Column('llm_intent', sa.String(80), nullable=True))
        batch.add_column(sa.Column('llm_model', sa.String(80), nullable=True))
        batch.create_index('ix_nlu_training_data_llm_model', ['llm_model'])


def downgrade() -> None:
    with op.batch_alter_table('nlu_training_data') as batch:
        batch.drop_index('ix_nlu_training_data_llm_model')
        batch.drop_column('llm_model')
        batch.drop_column('llm_intent')
