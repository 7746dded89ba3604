# Shared shell helpers for scripts/*.sh. Source it; do not run it.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RASA_TELEMETRY_ENABLED=false
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
PYTHON_BIN="${NAVIYAM_PYTHON:-python3.11}"
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3
VENV_HOME="${NAVIYAM_VENV_HOME:-$HOME/.cache/naviyam/venvs}"
RASA_ENV="$ROOT/.venv-rasa"
APP_ENV="$ROOT/.venv-app"
# chromium: the headless browser of the Playwright tests (tests/browser; launched by path, never
# downloaded); fonts-nanum, fonts-noto-color-emoji: Korean and emoji glyphs for its screenshots
SYSTEM_PACKAGES=(libfreetype-dev libqhull-dev pkg-config chromium fonts-nanum fonts-noto-color-emoji)

say() { printf '\033[1;34m[naviyam]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[naviyam] error:\033[0m %s\n' "$*" >&2; exit 1; }

check_python() {
  local version
  version="$("$PYTHON_BIN" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
    || die "Python 3.11 is required (set NAVIYAM_PYTHON to its path)."
  [[ "$version" == "3.11" ]] || die "Python 3.11 is required, found $version at $PYTHON_BIN (set NAVIYAM_PYTHON)."
}

ensure_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
    say "installing system packages: ${missing[*]}"
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; } \
      || die "could not install ${missing[*]}"
  else
    die "missing system packages; run as root: apt-get install -y ${missing[*]}"
  fi
}

# build_env NAME LOCKFILE [extra pip args...]
# Builds a virtualenv keyed by the lock file's hash under $VENV_HOME. The marker file
# .naviyam-complete is written only after every package installed and `pip check`
# passed; a directory without it (an interrupted build) is wiped and rebuilt, so a
# half-built environment is never mistaken for a good one. Re-runs are instant.
build_env() {
  local name="$1" lock="$2"; shift 2
  local hash target link
  hash="$( (cat "$lock"; "$PYTHON_BIN" -VV) | sha256sum | cut -c1-16)"
  target="$VENV_HOME/$name-$hash"
  link="$ROOT/.venv-$name"
  if [[ ! -f "$target/.naviyam-complete" ]]; then
    say "building the $name environment in $target (first run takes several minutes)"
    rm -rf "$target"
    mkdir -p "$VENV_HOME"
    "$PYTHON_BIN" -m venv "$target"
    # Build tools first (their pinned versions are in the lock file), with the
    # constraints rasa's old setuptools needs for source builds (matplotlib).
    "$target/bin/python" -m pip install -q $(grep -E '^(pip|setuptools|wheel)==' "$lock") \
      || die "could not prepare pip in $target"
    if ! "$target/bin/python" -m pip install -q --no-deps "$@" -r "$lock"; then
      die "installing $lock failed; re-run the command to retry (nothing half-built is kept)"
    fi
    "$target/bin/python" -m pip check >&2 || die "pip check failed for the $name environment"
    date -u +%FT%TZ > "$target/.naviyam-complete"
  fi
  if [[ "$(readlink "$link" 2>/dev/null || true)" != "$target" ]]; then
    rm -rf "$link"
    ln -s "$target" "$link"
  fi
}

setup_envs() {
  check_python
  ensure_system_packages
  local mplcfg="$VENV_HOME/mplsetup.cfg"
  mkdir -p "$VENV_HOME"
  printf '[libs]\nsystem_freetype = True\nsystem_qhull = True\n' > "$mplcfg"
  MPLSETUPCFG="$mplcfg" build_env rasa "$ROOT/requirements/rasa.lock" --ignore-requires-python
  build_env app "$ROOT/requirements/app.lock"
}

# wait_http URL SECONDS: poll until URL answers (no fixed sleeps).
wait_http() {
  local url="$1" deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    (( SECONDS < deadline )) || return 1
    sleep 0.5
  done
}

# ensure_rabbitmq: the learning-loop tests publish through Rasa's pika broker (issue 15). If
# nothing listens on 127.0.0.1:5672 and this machine has RabbitMQ installed, start it
# (`rabbitmq-server -detached`, as on the CI machine) and wait for the port.
ensure_rabbitmq() {
  port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
  port_open && return 0
  command -v rabbitmq-server >/dev/null 2>&1 || { say "RabbitMQ is not running and not installed"; return 0; }
  say "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 90))
  until port_open; do
    (( SECONDS < deadline )) || die "RabbitMQ did not start within 90 s"
    sleep 1
  done
}
