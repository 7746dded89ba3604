"""Data access: models, the engine/session factory and repositories."""
