#!/usr/bin/env bash
# Build (or reuse) both pinned Python environments. Idempotent and quick when nothing changed.
source "$(dirname "$0")/lib.sh"
setup_envs
say "environments ready: .venv-rasa ($(readlink .venv-rasa 2>/dev/null || echo "$RASA_ENV")), .venv-app"
