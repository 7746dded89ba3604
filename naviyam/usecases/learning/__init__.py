"""The learning loop (issue 15, docs/LEARNING_LOOP.md): the event consumer, scheduled jobs, models."""
