"""naviyam.adapters."""
