"""Fakes of third-party servers (Kakao callback, Telegram Bot API) for tests."""
