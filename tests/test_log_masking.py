"""Every log record is masked, whatever logger, handler or format prints it."""
from __future__ import annotations

import io
import logging
import subprocess
import sys

from naviyam.shared.log_masking import MaskingFilter, install, installed

PHONE = "공일공 일이삼사 오육칠팔"


def test_every_logger_and_traceback_is_masked():
    install()
    install()  # idempotent
    assert installed()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    for name in ("sanic.access", "rasa.core.processor", "some.library"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        try:
            logger.warning("message %r from %s", "010.1234.5678", "kid@example.com")
            try:
                float("０１０－１２３４－５６７８")
            except ValueError:
                logger.exception("NLU failed on %s", PHONE)
        finally:
            logger.removeHandler(handler)
    out = stream.getvalue()
    for secret in ("1234", "5678", "kid@example.com", "오육칠팔", "０１０"):
        assert secret not in out, out
    assert out.count("[전화번호]") >= 6 and "[이메일]" in out and "Traceback" in out


def test_records_without_personal_data_keep_their_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s명 %d원", ("3", 5000), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "3명 5000원"


def test_action_server_package_and_cli_install_it():
    code = ("import logging, actions; from naviyam.shared.log_masking import installed; "
            "assert installed(); import naviyam.manage")
    subprocess.run([sys.executable, "-c", code], check=True)
