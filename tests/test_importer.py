"""The sample-data importer against a real database (PostgreSQL in CI, else SQLite)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import PROJECT_ROOT, migrated_database
from naviyam.adapters.db import models
from naviyam.adapters.db.session import unit_of_work
from devtools.sampledata.generate import generate_workbook
from naviyam.adapters.workbook.importer import ImportValidationError, import_workbook, main
from naviyam.adapters.workbook.validate import ImportFileError

SAMPLE = PROJECT_ROOT / "data" / "sample_data.xlsx"
TABLES = {
    "shops": models.Shop, "menus": models.Menu, "users": models.User,
    "foodcard_users": models.FoodcardUser, "user_profiles": models.UserProfile,
    "coupons": models.Coupon, "user_coupon_wallet": models.UserCouponWallet,
}


def _counts(url: str) -> dict[str, int]:
    with unit_of_work(url) as session:
        return {name: session.scalar(select(func.count()).select_from(model)) for name, model in TABLES.items()}


@pytest.fixture(scope="module")
def small_workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "small.xlsx"
    generate_workbook(path, seed=11, n_shops=60)
    return path


@pytest.fixture()
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of the session's backend, dropped afterwards."""
    with migrated_database(backend, tmp_path, prefix="naviyam_imp") as url:
        yield url


def _rewrite(source: Path, target: Path, edits) -> Path:
    """Copy a workbook applying ``edits(wb)``."""
    wb = load_workbook(source)
    edits(wb)
    wb.save(target)
    return target


def _col(ws, name: str) -> int:
    return [c.value for c in ws[1]].index(name) + 1


# ---------------------------------------------------------------- the committed sample

def test_loaded_database_holds_the_sample(loaded_database_url):
    counts = _counts(loaded_database_url)
    assert counts["shops"] >= 300 and counts["menus"] >= 2000
    assert counts["users"] >= 35 and counts["coupons"] >= 10 and counts["user_coupon_wallet"] > 0
    with unit_of_work(loaded_database_url) as session:
        kid = session.scalar(select(models.User).where(models.User.external_user_id == "demo_kid_01"))
        assert kid.foodcard.balance > 0 and kid.profile.recent_orders
        shop = session.scalar(select(models.Shop).where(models.Shop.category == "편의점"))
        assert shop.business_hours["monday"]["open"] in ("00:00", "07:00")
        menu = session.scalar(select(models.Menu).where(models.Menu.tags.is_not(None)).limit(1))
        assert isinstance(menu.tags, list) and menu.tags


def test_reimporting_the_same_file_changes_nothing(fresh_url):
    first = import_workbook(SAMPLE, fresh_url)
    assert first.counts["shops"].inserted >= 300 and first.updated == 0
    before = _counts(fresh_url)
    report = import_workbook(SAMPLE, fresh_url)
    assert report.inserted == 0 and report.updated == 0
    assert report.counts["menus"].unchanged == before["menus"]
    assert _counts(fresh_url) == before
    assert "orders" in report.validated_only


def test_insert_only_keeps_what_the_bot_changed(loaded_database_url):
    # other tests of the session may have changed rows of the shared database: an
    # insert-only import must neither add rows nor revert their changes
    before = _counts(loaded_database_url)
    report = import_workbook(SAMPLE, loaded_database_url, update_existing=False)
    assert report.inserted == 0 and report.updated == 0
    assert _counts(loaded_database_url) == before


def test_new_rows_get_ids_after_the_imported_ones(loaded_database_url, db_session):
    top = db_session.scalar(select(func.max(models.Shop.id)))
    shop = models.Shop(shop_name="새로 연 김밥집", category="분식", address_name="서울 광진구 화양동 1-1",
                       latitude=37.54, longitude=127.07)
    db_session.add(shop)
    db_session.flush()
    assert shop.id > top


# ---------------------------------------------------------------- fresh databases

def test_import_into_an_empty_database_then_update(fresh_url, small_workbook, tmp_path):
    first = import_workbook(small_workbook, fresh_url)
    assert first.counts["shops"].inserted == 60 and first.updated == 0
    counts = _counts(fresh_url)
    assert counts["shops"] == 60 and counts["menus"] == first.counts["menus"].inserted

    again = import_workbook(small_workbook, fresh_url)
    assert again.inserted == 0 and again.updated == 0

    def edit(wb):
        shops, menus = wb["shops"], wb["menus"]
        shops.cell(2, _col(shops, "owner_message")).value = "새 메시지예요!"
        shops.cell(3, _col(shops, "business_hours")).value = None  # JSON column back to NULL
        menus.cell(2, _col(menus, "price")).value = 999
    changed = _rewrite(small_workbook, tmp_path / "changed.xlsx", edit)

    keep = import_workbook(changed, fresh_url, update_existing=False)
    assert keep.updated == 0 and keep.inserted == 0
    report = import_workbook(changed, fresh_url)
    assert report.counts["shops"].updated == 2 and report.counts["menus"].updated == 1
    assert report.inserted == 0
    with unit_of_work(fresh_url) as session:
        assert session.get(models.Shop, 1).owner_message == "새 메시지예요!"
        assert session.get(models.Shop, 2).business_hours is None
        assert session.scalar(select(func.count()).select_from(models.Shop)
                              .where(models.Shop.business_hours.is_(None))) == 1
        assert session.get(models.Menu, 1).price == 999
    assert import_workbook(changed, fresh_url).updated == 0


def test_a_corrupted_workbook_loads_nothing(fresh_url, small_workbook, tmp_path):
    def corrupt(wb):
        shops, menus = wb["shops"], wb["menus"]
        shops.cell(3, _col(shops, "category")).value = "햄버거"                       # bad category
        shops.cell(4, _col(shops, "shop_name")).value = shops.cell(5, _col(shops, "shop_name")).value
        shops.cell(4, _col(shops, "address_name")).value = shops.cell(5, _col(shops, "address_name")).value
        menus.cell(2, _col(menus, "shop_id")).value = 99999                             # orphan menu
        menus.cell(3, _col(menus, "price")).value = -500                                 # negative price
        menus.cell(4, _col(menus, "menu_name")).value = None                             # missing required
        wallet = wb["user_coupon_wallet"]
        wallet.cell(2, _col(wallet, "status")).value = "USED"                            # USED without used_at
        wallet.cell(2, _col(wallet, "used_at")).value = None
    bad = _rewrite(small_workbook, tmp_path / "bad.xlsx", corrupt)

    with pytest.raises(ImportValidationError) as caught:
        import_workbook(bad, fresh_url)
    found = {(i.sheet, i.row, i.column) for i in caught.value.issues}
    assert ("shops", 3, "category") in found
    assert ("shops", 5, "address_name") in found                # the second of the duplicate pair
    assert ("menus", 2, "shop_id") in found
    assert ("menus", 3, "price") in found
    assert ("menus", 4, "menu_name") in found
    assert ("user_coupon_wallet", 2, "used_at") in found
    expected_rows = {("shops", 3), ("shops", 5), ("menus", 2), ("menus", 3), ("menus", 4), ("user_coupon_wallet", 2)}
    # an order of the orphaned menu may be reported too; nothing else
    assert {(s, r) for s, r, _ in found} - expected_rows <= {(s, r) for s, r, _ in found if s == "orders"}
    assert "nothing was imported" in str(caught.value)
    assert all(n == 0 for n in _counts(fresh_url).values())


def test_a_bad_row_leaves_an_existing_database_untouched(loaded_database_url, tmp_path):
    def corrupt(wb):
        menus = wb["menus"]
        menus.cell(2, _col(menus, "price")).value = 1
        menus.cell(5, _col(menus, "category")).value = "간식"
    bad = _rewrite(SAMPLE, tmp_path / "bad.xlsx", corrupt)
    with unit_of_work(loaded_database_url) as session:
        price = session.get(models.Menu, 1).price
    with pytest.raises(ImportValidationError) as caught:
        import_workbook(bad, loaded_database_url)
    assert [(i.sheet, i.row, i.column) for i in caught.value.issues] == [("menus", 5, "category")]
    with unit_of_work(loaded_database_url) as session:
        assert session.get(models.Menu, 1).price == price


def test_conflict_with_rows_already_in_the_database(fresh_url, small_workbook, tmp_path):
    import_workbook(small_workbook, fresh_url)

    def clash(wb):  # a new id for a shop that already exists under another id
        shops = wb["shops"]
        shops.cell(2, _col(shops, "id")).value = 5000
    renumbered = _rewrite(small_workbook, tmp_path / "renumbered.xlsx", clash)
    with pytest.raises(ImportValidationError) as caught:
        import_workbook(renumbered, fresh_url)
    messages = [str(i) for i in caught.value.issues if i.sheet == "shops"]
    assert any("already exists in the database with id 1" in m for m in messages)


# ---------------------------------------------------------------- command line

def test_cli_reports_bad_rows_and_exit_codes(fresh_url, small_workbook, tmp_path, capsys):
    def corrupt(wb):
        wb["menus"].cell(2, _col(wb["menus"], "price")).value = "공짜"
    bad = _rewrite(small_workbook, tmp_path / "bad.xlsx", corrupt)
    assert main([str(bad), "--database-url", fresh_url]) == 2
    err = capsys.readouterr().err
    assert "menus row 2, column price" in err and "nothing was imported" in err

    assert main([str(tmp_path / "missing.xlsx"), "--database-url", fresh_url]) == 1
    assert "not found" in capsys.readouterr().err

    assert main([str(small_workbook), "--database-url", fresh_url, "--check"]) == 0
    assert _counts(fresh_url)["shops"] == 0
    assert main([str(small_workbook), "--database-url", fresh_url]) == 0
    assert "inserted" in capsys.readouterr().out
    assert _counts(fresh_url)["shops"] == 60


def test_not_a_workbook(tmp_path, fresh_url):
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a spreadsheet")
    with pytest.raises(ImportFileError):
        import_workbook(junk, fresh_url)
