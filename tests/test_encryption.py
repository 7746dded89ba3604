"""Card and phone numbers at rest: encrypted (AES-GCM), found by keyed hash, keys rotate."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from helpers_coupons import make_card, make_user
from naviyam.adapters import crypto
from naviyam.adapters.db.models import FoodcardUser, User
from naviyam.config import ConfigurationError, reset_settings_cache
from tests.conftest import PROJECT_ROOT, migrated_database

KEY_A = crypto.new_data_key("a1")
KEY_B = crypto.new_data_key("b2")
PSEUDONYM = "p" * 40


@pytest.fixture
def keys(monkeypatch):
    def use(data: str | None, pseudonym: str | None = PSEUDONYM, dev: bool = False) -> None:
        for name, value in (("NAVIYAM_DATA_KEY", data), ("NAVIYAM_PSEUDONYM_KEY", pseudonym)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("NAVIYAM_DEV_MODE", "1" if dev else "0")
        reset_settings_cache()
        crypto.reset_keys_cache()
    yield use
    monkeypatch.undo()
    reset_settings_cache()
    crypto.reset_keys_cache()


def test_numbers_are_ciphertext_in_the_database_and_plain_in_the_model(db_session: Session):
    user = make_user(db_session)
    user.phone_number = "010-1234-5678"
    card = make_card(db_session, user, card_number="9410-1111-2222-3333")
    db_session.flush()
    raw_card, card_hash = db_session.execute(
        text("SELECT card_number, card_number_hash FROM foodcard_users WHERE id = :id"), {"id": card.id}).one()
    raw_phone = db_session.execute(text("SELECT phone_number FROM users WHERE id = :id"), {"id": user.id}).scalar()
    assert raw_card.startswith("enc:v1:") and "3333" not in raw_card
    assert raw_phone.startswith("enc:v1:") and "5678" not in raw_phone
    db_session.expire_all()
    assert db_session.get(FoodcardUser, card.id).card_number == "9410-1111-2222-3333"
    assert db_session.get(User, user.id).phone_number == "010-1234-5678"
    # found by the keyed hash, whatever the spacing of the number typed
    assert card_hash == crypto.lookup_hash("9410 1111 2222 3333") != crypto.lookup_hash("9410-1111-2222-3334")
    found = db_session.scalar(select(FoodcardUser).where(
        FoodcardUser.card_number_hash == crypto.lookup_hash("9410111122223333")))
    assert found.id == card.id


def test_the_importer_writes_encrypted_values(loaded_database_url: str):
    engine = create_engine(loaded_database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT card_number, card_number_hash FROM foodcard_users "
                                 "WHERE card_number IS NOT NULL")).all()
    engine.dispose()
    assert rows and all(value.startswith("enc:v1:") and digest for value, digest in rows)


def test_key_rotation_reads_old_values_and_writes_with_the_new_key(keys):
    keys(KEY_A)
    old = crypto.encrypt("9410-0000-0000-0001", "foodcard_users.card_number")
    assert crypto.key_id_of(old) == "a1"
    keys(f"{KEY_B},{KEY_A}")
    assert crypto.decrypt(old, "foodcard_users.card_number") == "9410-0000-0000-0001"
    assert crypto.key_id_of(crypto.encrypt("x", "users.phone_number")) == "b2"
    keys(KEY_B)  # the old key dropped too early: a clear error, not garbage
    with pytest.raises(crypto.DecryptionError, match="a1"):
        crypto.decrypt(old, "foodcard_users.card_number")


def test_tampered_or_moved_values_do_not_decrypt(keys):
    keys(KEY_A)
    sealed = crypto.encrypt("010-1234-5678", "users.phone_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, "foodcard_users.card_number")  # copied into another column
    blob = bytearray(base64.urlsafe_b64decode(sealed.rsplit(":", 1)[1] + "=="))
    blob[-1] ^= 1
    forged = sealed.rsplit(":", 1)[0] + ":" + base64.urlsafe_b64encode(bytes(blob)).decode().rstrip("=")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(forged, "users.phone_number")


def test_pseudonyms_are_keyed(keys):
    keys(KEY_A, "k" * 40)
    first = crypto.pseudonym("kakao:abc")
    keys(KEY_A, "q" * 40)
    assert crypto.pseudonym("kakao:abc") != first
    import hashlib

    assert first != hashlib.sha256(b"kakao:abc").hexdigest()[:16]


@pytest.mark.parametrize("data,pseudonym,message", [
    (None, PSEUDONYM, "NAVIYAM_DATA_KEY"), (KEY_A, None, "NAVIYAM_PSEUDONYM_KEY"),
    ("a1:c2hvcnQ", PSEUDONYM, "32 bytes"), ("no-colon", PSEUDONYM, "kid:base64key"),
    (KEY_A, "too-short", "at least 32")])
def test_production_refuses_missing_or_bad_keys(keys, data, pseudonym, message):
    keys(data, pseudonym)
    with pytest.raises(ConfigurationError, match=message):
        crypto.get_keys()


def test_dev_mode_generates_private_keys_once(keys, monkeypatch, tmp_path):
    monkeypatch.setenv("NAVIYAM_VAR_DIR", str(tmp_path))
    keys(None, None, dev=True)
    first = crypto.get_keys()
    path = tmp_path / crypto.DEV_KEYS_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    crypto.reset_keys_cache()
    assert crypto.get_keys() == first and set(json.loads(path.read_text())) == {"data_key", "pseudonym_key"}


def test_the_migration_encrypts_existing_plain_rows(backend, tmp_path):
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "naviyam/adapters/db/migrations"))
    with migrated_database(backend, tmp_path, prefix="naviyam_enc") as url:
        config.attributes["url"] = url
        command.downgrade(config, "0003")  # just before the encryption migration
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, external_user_id, platform, status, phone_number) "
                              "VALUES (901, 'legacy-kid', 'rest', 'ACTIVE', '010-9999-0000')"))
            conn.execute(text("INSERT INTO foodcard_users (user_id, card_number, card_type, balance, "
                              "daily_spent, monthly_spent, target_age_group, status, "
                              "balance_alert_threshold, balance_alert_sent) VALUES (901, '9410-5555-6666-7777', "
                              "'아동급식카드', 1000, 0, 0, '중학생', 'ACTIVE', 5000, false)"))
        command.upgrade(config, "head")
        with engine.connect() as conn:
            card, digest = conn.execute(text("SELECT card_number, card_number_hash FROM foodcard_users")).one()
            phone = conn.execute(text("SELECT phone_number FROM users WHERE id = 901")).scalar()
        with Session(engine) as session:
            assert session.scalar(select(FoodcardUser.card_number)) == "9410-5555-6666-7777"
        engine.dispose()
    assert card.startswith("enc:v1:") and phone.startswith("enc:v1:") and "7777" not in card
    assert digest == crypto.lookup_hash("9410-5555-6666-7777")


def test_reencrypt_moves_every_value_to_the_current_key(keys, backend, tmp_path):
    from naviyam.adapters.db.reencrypt import reencrypt_all

    keys(KEY_A)
    with migrated_database(backend, tmp_path, prefix="naviyam_rot") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            user = User(external_user_id="rot-kid", platform="rest", phone_number="010-2222-3333")
            session.add(user)
            session.flush()
            session.add(FoodcardUser(user_id=user.id, card_number="9410-7777-8888-9999", card_type="아동급식카드",
                                     target_age_group="중학생", balance=0))
            session.commit()
        keys(f"{KEY_B},{KEY_A}")
        assert reencrypt_all(url) == 2
        keys(KEY_B)  # the old key is gone: everything still reads
        with Session(engine) as session:
            assert session.scalar(select(FoodcardUser.card_number)) == "9410-7777-8888-9999"
            assert session.scalar(select(User.phone_number).where(User.external_user_id == "rot-kid")) \
                == "010-2222-3333"
        assert reencrypt_all(url) == 0
        engine.dispose()
