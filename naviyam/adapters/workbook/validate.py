"""Read a sample-data workbook and check it before anything is written (seed 004 §7.2).

Checks: sheets and header columns, required fields, types, ranges and enumerations
(the model's CHECK lists), business-hours format, duplicate ids and unique keys
(shop_name+address_name, shop_id+menu_name, external_user_id, ...), references between
sheets and to rows already in the database (orphans), and row rules (coupon discount
kinds, validity periods, wallet expiry after issue, status USED ⇔ used_at).

Every problem becomes an ``Issue(sheet, row, column, message)`` where ``row`` is the
Excel row number (the header is row 1).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from naviyam.adapters.workbook.cells import CellError, from_cell, is_blank
from naviyam.adapters.workbook.row_rules import row_problems
from naviyam.adapters.workbook.schema import REQUIRED_SHEETS, SHEETS, Sheet


@dataclass(frozen=True, order=True)
class Issue:
    sheet: str
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class ImportFileError(Exception):
    """The file cannot be read as a workbook (missing, not .xlsx, ...)."""


class ImportValidationError(Exception):
    """The workbook has bad rows; nothing was written. ``issues`` lists every one."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(issues, key=lambda i: (_SHEET_ORDER.get(i.sheet, 99), i.row, i.column or ""))
        bad_rows = len({(i.sheet, i.row) for i in self.issues})
        super().__init__(
            f"{len(self.issues)} problem(s) in {bad_rows} row(s); nothing was imported. "
            f"First: {self.issues[0]}" if self.issues else "invalid workbook"
        )


_SHEET_ORDER = {s.name: n for n, s in enumerate(SHEETS)}


@dataclass
class ParsedSheet:
    spec: Sheet
    present: list[str]                      # columns found in the header, in spec order
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    bad_ids: set[Any] = field(default_factory=set)  # ids of rows with problems (no cascade of orphans)

    def ids(self) -> set[Any]:
        return {row["id"] for row in self.rows if row.get("id") is not None}


@dataclass
class ExistingState:
    """What the database already holds: ids per table and unique keys → id."""

    ids: dict[str, set[Any]] = field(default_factory=dict)
    keys: dict[tuple[str, tuple[str, ...]], dict[tuple, Any]] = field(default_factory=dict)


def read_workbook(path: Path | str) -> tuple[dict[str, ParsedSheet], list[Issue]]:
    """Parse every known sheet; cell problems become issues (the row is kept out)."""
    from openpyxl import load_workbook

    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"sample data file not found: {path}")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds
        raise ImportFileError(f"cannot read {path} as an .xlsx workbook: {exc}") from exc

    issues: list[Issue] = []
    parsed: dict[str, ParsedSheet] = {}
    try:
        known = {s.name for s in SHEETS}
        for name in wb.sheetnames:
            if name not in known:
                issues.append(Issue(name, 1, None, f"unknown sheet (expected: {', '.join(sorted(known))})"))
        for spec in SHEETS:
            if spec.name not in wb.sheetnames:
                if spec.name in REQUIRED_SHEETS:
                    issues.append(Issue(spec.name, 1, None, "sheet is missing"))
                continue
            sheet = _parse_sheet(wb[spec.name], spec, issues)
            if sheet is not None:
                parsed[spec.name] = sheet
    finally:
        wb.close()
    return parsed, issues


def _parse_sheet(ws: Any, spec: Sheet, issues: list[Issue]) -> ParsedSheet | None:
    rows = ws.iter_rows(values_only=True)
    header_cells = next(rows, None)
    if header_cells is None:
        issues.append(Issue(spec.name, 1, None, "sheet is empty (no header row)"))
        return None
    header = [str(h).strip() if not is_blank(h) else None for h in header_cells]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        if name is None:
            continue
        if name not in spec.by_name:
            issues.append(Issue(spec.name, 1, name, "unknown column"))
        elif name in positions:
            issues.append(Issue(spec.name, 1, name, "column appears twice"))
        else:
            positions[name] = index
    missing = [c.name for c in spec.columns if c.required and c.name not in positions]
    for name in missing:
        issues.append(Issue(spec.name, 1, name, "required column is missing"))
    if missing:
        return None

    sheet = ParsedSheet(spec, [c.name for c in spec.columns if c.name in positions])
    for excel_row, cells in enumerate(rows, start=2):
        cells = tuple(cells)
        if all(is_blank(v) for v in cells):
            continue
        row: dict[str, Any] = {}
        ok = True
        for column in spec.columns:
            if column.name not in positions:
                row[column.name] = column.blank_value()
                continue
            index = positions[column.name]
            raw = cells[index] if index < len(cells) else None
            try:
                row[column.name] = from_cell(column, raw)
            except CellError as exc:
                issues.append(Issue(spec.name, excel_row, column.name, str(exc)))
                ok = False
        if ok:
            for column, message in row_problems(spec.name, row):
                issues.append(Issue(spec.name, excel_row, column, message))
                ok = False
        if ok:
            sheet.rows.append(row)
            sheet.row_numbers.append(excel_row)
        else:
            sheet.bad_rows.add(excel_row)
            if row.get("id") is not None:
                sheet.bad_ids.add(row["id"])
    return sheet


def check_cross_rows(parsed: dict[str, ParsedSheet], existing: ExistingState | None = None) -> list[Issue]:
    """Duplicates, unique keys (also against the database) and references."""
    existing = existing or ExistingState()
    issues: list[Issue] = []
    for sheet in parsed.values():
        issues.extend(_duplicates(sheet, existing))
    known_ids = {name: set(existing.ids.get(name, set())) | sheet.ids() | sheet.bad_ids
                 for name, sheet in parsed.items()}
    for name, ids in existing.ids.items():
        known_ids.setdefault(name, set(ids))
    for sheet in parsed.values():
        issues.extend(_references(sheet, known_ids, parsed))
    return issues


def _duplicates(sheet: ParsedSheet, existing: ExistingState) -> Iterable[Issue]:
    spec = sheet.spec
    seen_ids: dict[Any, int] = {}
    for row, number in zip(sheet.rows, sheet.row_numbers):
        if row["id"] in seen_ids:
            yield Issue(spec.name, number, "id", f"duplicate id {row['id']!r} (also in row {seen_ids[row['id']]})")
        else:
            seen_ids[row["id"]] = number
    for key_columns in spec.unique:
        if not all(c in sheet.present for c in key_columns):
            continue
        seen: dict[tuple, int] = {}
        in_db = existing.keys.get((spec.name, key_columns), {})
        label = "+".join(key_columns)
        for row, number in zip(sheet.rows, sheet.row_numbers):
            key = tuple(row[c] for c in key_columns)
            if any(v is None for v in key):
                continue
            shown = " / ".join(str(v) for v in key)
            if key in seen:
                yield Issue(spec.name, number, key_columns[-1],
                            f"duplicate {label} {shown!r} (also in row {seen[key]})")
                continue
            seen[key] = number
            other = in_db.get(key)
            if other is not None and other != row["id"]:
                yield Issue(spec.name, number, key_columns[-1],
                            f"{label} {shown!r} already exists in the database with id {other}")


def _references(sheet: ParsedSheet, known_ids: dict[str, set[Any]],
                parsed: dict[str, ParsedSheet]) -> Iterable[Issue]:
    spec = sheet.spec
    menus_by_id = {}
    if spec.name == "orders" and "menus" in parsed:
        menus_by_id = {m["id"]: m["shop_id"] for m in parsed["menus"].rows}
    for row, number in zip(sheet.rows, sheet.row_numbers):
        for column in spec.columns:
            if column.ref is None or column.name not in sheet.present:
                continue
            value = row.get(column.name)
            values = value if isinstance(value, list) else ([] if value is None else [value])
            target = known_ids.get(column.ref, set())
            for item in values:
                if item not in target:
                    yield Issue(spec.name, number, column.name,
                                f"refers to {column.ref} id {item!r}, which does not exist")
        if menus_by_id and menus_by_id.get(row["menu_id"], row["shop_id"]) != row["shop_id"]:
            yield Issue(spec.name, number, "menu_id", f"menu {row['menu_id']} is not a menu of shop {row['shop_id']}")


def validate_workbook(path: Path | str, existing: ExistingState | None = None
                      ) -> tuple[dict[str, ParsedSheet], list[Issue]]:
    """Parse and check ``path``; an empty issue list means it can be imported."""
    parsed, issues = read_workbook(path)
    issues.extend(check_cross_rows(parsed, existing))
    return parsed, sorted(set(issues), key=lambda i: (_SHEET_ORDER.get(i.sheet, 99), i.row, i.column or ""))
