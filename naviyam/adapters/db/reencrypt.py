"""Key rotation: re-encrypt every stored card and phone number with the current data key.

Rotation (docs/SECURITY.md): put the new key first in NAVIYAM_DATA_KEY and keep the old one,
restart, run ``python -m naviyam.manage reencrypt``, then drop the old key. Plain values left
from before migration 0004 are encrypted on the way. One transaction.
"""
from __future__ import annotations

from sqlalchemy import text

from naviyam.adapters import crypto
from naviyam.adapters.db.session import unit_of_work

COLUMNS = (("foodcard_users", "card_number"), ("users", "phone_number"))


def reencrypt_all(url: str | None = None) -> int:
    """Rewrite every value not sealed with the current key; returns how many were rewritten."""
    current = crypto.get_keys().data[0][0]
    rewritten = 0
    with unit_of_work(url) as session:
        for table, column in COLUMNS:
            label = f"{table}.{column}"
            rows = session.execute(text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
            for row_id, value in rows:
                if crypto.key_id_of(value) == current:
                    continue
                plain = crypto.decrypt(value, label) if crypto.is_encrypted(value) else value
                values = {"v": crypto.encrypt(plain, label), "id": row_id}
                extra = ""
                if column == "card_number":
                    extra, values["h"] = ", card_number_hash = :h", crypto.lookup_hash(plain)
                session.execute(text(f"UPDATE {table} SET {column} = :v{extra} WHERE id = :id"), values)
                rewritten += 1
    return rewritten
