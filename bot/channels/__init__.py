"""Messenger channels (Rasa input channels): Kakao i Open Builder skills and Telegram.

Runs in the Rasa server environment (.venv-rasa). Every channel passes user text
through the door (``door.py``: validation and rate limiting) and renders the bot's
collected messages with the one shared renderer (``rendering.py``).
See docs/CHANNELS.md for the operator's guide.
"""
