"""Rasa-side code of the Naviyam bot (runs in .venv-rasa): NLU components, channels."""

# Every log line of the Rasa server is masked (phone, card, resident numbers, e-mails,
# addresses, names): Rasa imports this package before serving (channels, tracker store).
from naviyam.shared.log_masking import install as _install_log_masking

_install_log_masking()
