"""The sample dataset: a deterministic generator and a validating importer.

- ``generate``: builds ``data/sample_data.xlsx`` (one sheet per table) from a fixed seed.
- ``schema``: the sheets, their columns and the rules a row must satisfy.
- ``validate``: reads a workbook and checks it (seed 004 §7.2) before anything is written.
- ``importer``: writes a validated workbook in one transaction (idempotent upsert by id).

See docs/SAMPLE_DATA.md.
"""
