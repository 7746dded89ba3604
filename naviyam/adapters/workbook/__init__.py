"""naviyam.adapters.workbook."""
