"""encrypt card and phone numbers at rest; keyed hash for card look-ups (issue 10)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Adds ``foodcard_users.card_number_hash`` (HMAC, unique), widens the two columns for
ciphertext and encrypts every stored plain value (naviyam/adapters/crypto.py). Needs
NAVIYAM_DATA_KEY and NAVIYAM_PSEUDONYM_KEY when rows exist (dev mode generates them).
Downgrade decrypts back to plain text.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

CARD = "foodcard_users.card_number"
PHONE = "users.phone_number"


def _rows(table: str, column: str):
    return op.get_bind().execute(
        sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()


def upgrade() -> None:
    with op.batch_alter_table('foodcard_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_number_hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('card_number', existing_type=sa.String(length=50), type_=sa.String(length=255))
        batch_op.create_index(batch_op.f('ix_foodcard_users_card_number_hash'), ['card_number_hash'],
                              unique=True)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('phone_number', existing_type=sa.String(length=20), type_=sa.String(length=255))

    cards, phones = _rows("foodcard_users", "card_number"), _rows("users", "phone_number")
    if not cards and not phones:
        return
    from naviyam.adapters import crypto  # keys are needed only when there is data to encrypt

    bind = op.get_bind()
    for row_id, value in cards:
        plain = crypto.decrypt(value, CARD) if crypto.is_encrypted(value) else value
        bind.execute(sa.text("UPDATE foodcard_users SET card_number = :v, card_number_hash = :h WHERE id = :id"),
                     {"v": crypto.encrypt(plain, CARD), "h": crypto.lookup_hash(plain), "id": row_id})
    for row_id, value in phones:
        if not crypto.is_encrypted(value):
            bind.execute(sa.text("UPDATE users SET phone_number = :v WHERE id = :id"),
                         {"v": crypto.encrypt(value, PHONE), "id": row_id})


def downgrade() -> None:
    from naviyam.adapters import crypto

    bind = op.get_bind()
    for row_id, value in _rows("foodcard_users", "card_number"):
        if crypto.is_encrypted(value):
            bind.execute(sa.text("UPDATE foodcard_users SET card_number = :v WHERE id = :id"),
                         {"v": crypto.decrypt(value, CARD), "id": row_id})
    for row_id, value in _rows("users", "phone_number"):
        if crypto.is_encrypted(value):
            bind.execute(sa.text("UPDATE users SET phone_number = :v WHERE id = :id"),
                         {"v": crypto.decrypt(value, PHONE), "id": row_id})
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('phone_number', existing_type=sa.String(length=255), type_=sa.String(length=20))
    with op.batch_alter_table('foodcard_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_foodcard_users_card_number_hash'))
        batch_op.alter_column('card_number', existing_type=sa.String(length=255), type_=sa.String(length=50))
        batch_op.drop_column('card_number_hash')
