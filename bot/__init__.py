"""Rasa-side code of the Naviyam bot (runs in .venv-rasa): NLU components, channels."""
