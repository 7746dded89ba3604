"""naviyam.shared."""
