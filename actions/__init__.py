"""Rasa custom actions (rasa-sdk, app environment). One module per domain.

The action server imports this package and registers every Action subclass found in
its modules. Start it with ``python -m actions.server --actions actions`` (rasa-sdk's
server plus the recommendation engine's warm-up; see ``actions/server.py``).
Importing the package starts nothing; it installs the log masking (every log record of
the action server has personal data masked: ``naviyam.shared.log_masking``).
"""
from naviyam.shared.log_masking import install as _install_log_masking

_install_log_masking()
