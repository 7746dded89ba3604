"""Column types for children's data at rest (naviyam/adapters/crypto.py does the cryptography).

``EncryptedString(column)``: the ORM and Core statements see plain text; the database holds
``enc:v1:<kid>:...`` (AES-GCM, the column name as associated data). A value that is already
encrypted passes through unchanged, and a legacy plain value (before migration 0002) reads as
it is. Equality look-ups cannot use an encrypted column (every encryption differs): they use
the keyed-hash column beside it (``card_number_hash``), filled on insert by
:func:`card_number_hash_default` and by the importer on updates.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from naviyam.adapters import crypto


class EncryptedString(TypeDecorator):
    impl = String(255)
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        value = str(value)
        return value if crypto.is_encrypted(value) else crypto.encrypt(value, self.column)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None or not crypto.is_encrypted(value):
            return value
        return crypto.decrypt(value, self.column)


def card_number_hash_default(context: Any) -> str | None:
    """Insert default of ``foodcard_users.card_number_hash`` from the row's card number."""
    value = context.get_current_parameters().get("card_number")
    if value is None:
        return None
    if crypto.is_encrypted(value):
        value = crypto.decrypt(value, "foodcard_users.card_number")
    return crypto.lookup_hash(value)
