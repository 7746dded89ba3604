"""Write the dataset as an .xlsx workbook, the same bytes for the same rows.

Cells are written with the product's own conventions (``naviyam.adapters.workbook``:
the sheet layout and ``to_cell``), so the importer reads back exactly what was built.
Document properties and zip timestamps are fixed.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from naviyam.adapters.workbook.cells import to_cell
from naviyam.adapters.workbook.schema import SHEETS

Rows = dict[str, list[dict[str, Any]]]

# The workbook's creator property: a fixed label (the generator's first module name),
# kept so that regenerating reproduces the committed data/sample_data.xlsx byte for byte.
CREATOR = "naviyam.sampledata.generate"
_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_FIXED_DOC_TIME = datetime(2026, 1, 1, 0, 0, 0)


def _normalise_zip(data: bytes) -> bytes:
    """Fixed timestamps inside the xlsx so the same content gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>2026-01-01T00:00:00Z\g<2>", payload)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, payload)
    return out.getvalue()


def write_workbook(dataset: Rows, path: Path | str) -> Path:
    """One sheet per ``SHEETS`` entry, a bold frozen header, then the rows in order."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    wb.properties.creator = CREATOR
    wb.properties.created = _FIXED_DOC_TIME
    wb.properties.modified = _FIXED_DOC_TIME
    bold = Font(bold=True)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.freeze_panes = "B2"
        header = []
        for name in sheet.column_names:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in dataset[sheet.name]:
            ws.append([to_cell(col, row.get(col.name)) for col in sheet.columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_normalise_zip(buffer.getvalue()))
    return path
