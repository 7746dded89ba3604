"""The sample dataset generator: builds ``data/sample_data.xlsx`` from a fixed seed.

Entry point ``generate`` (``python -m devtools.sampledata.generate``); the sheet layout
and cell conventions it writes are the product's (``naviyam.adapters.workbook``), whose
importer loads the file. See docs/SAMPLE_DATA.md.
"""
