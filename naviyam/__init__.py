"""Naviyam bot business logic: configuration, data access, cache and services.

Imported by the action server (`actions/`), the ML scripts (`ml/`) and tooling.
It never imports Rasa (it runs in the app environment, see docs/ARCHITECTURE.md).
"""
