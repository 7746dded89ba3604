"""naviyam.usecases."""
