"""Training code and model servers (app environment)."""
