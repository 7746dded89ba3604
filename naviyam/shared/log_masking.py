"""Every log record of the process masked before any handler sees it. Standard library only.

``install()`` wraps ``logging``'s record factory, so each record (Rasa's, Sanic's,
rasa-sdk's, ours, any library's, whatever handler or format prints it) has its message,
formatted traceback and stack text passed through ``mask_personal_data`` at creation.
Records below the logger's level are never created, so this costs nothing for them.

Installed where each environment starts (docs/CHANNELS.md "Personal data"): the Rasa
server imports ``bot`` (channels from credentials.yml, the tracker store from
endpoints.yml, the NLU components from the model) and ``bot/__init__.py`` installs it;
the action server and ``python -m rasa_sdk --actions actions`` import ``actions``; the
CLI (``naviyam.manage``) installs it in ``main``. Why not Rasa's ``--logging-config-file``:
it only reaches the handlers named in the file, every launcher would have to pass it,
and Rasa ignores a file that fails to load (logged at debug level). ``MaskingFilter``
is provided for such dictConfig files all the same.
"""
from __future__ import annotations

import logging
from typing import Any

from naviyam.shared.personal_data import mask_personal_data

_MARK = "_naviyam_masking"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask ``record`` in place: message (arguments merged in), traceback, stack."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string is reported by the handler
        return record
    masked = mask_personal_data(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_personal_data(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_personal_data(record.stack_info)
    return record


class MaskingFilter(logging.Filter):
    """For logging config files: ``filters: {mask: {"()": naviyam.shared.log_masking.MaskingFilter}}``."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def install() -> None:
    """Mask every record this process creates from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)


def installed() -> bool:
    return bool(getattr(logging.getLogRecordFactory(), _MARK, False))
