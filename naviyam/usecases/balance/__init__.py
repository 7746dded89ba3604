"""naviyam.usecases.balance."""
