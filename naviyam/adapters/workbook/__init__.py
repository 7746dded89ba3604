"""The sample-data workbook (one sheet per table) and its validating importer.

- ``cells``: column kinds and cell ↔ Python value conversion (shared with the generator).
- ``schema``: the sheets, their columns and unique keys.
- ``row_rules``: rules across the columns of one row (business hours, coupon kinds, ...).
- ``validate``: reads a workbook and checks it (seed 004 §7.2) before anything is written.
- ``importer``: writes a validated workbook in one transaction (idempotent upsert by id).

The generator lives outside the product, in ``devtools.sampledata``. See docs/SAMPLE_DATA.md.
"""
