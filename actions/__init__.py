"""Rasa custom actions (rasa-sdk, app environment). One module per domain.

The action server imports this package and registers every Action subclass found in
its modules: ``rasa_sdk --actions actions``.
"""
