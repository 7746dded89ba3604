"""naviyam.domain."""
