#!/usr/bin/env bash
# One command for a fresh machine: set up, load the sample data into the embedded
# database (SQLite file under var/, in-process cache; no PostgreSQL/Redis needed unless
# DATABASE_URL / REDIS_URL say so), train what is missing, start both servers and
# chat in this terminal. Leaving the chat (/quit or Ctrl-D) stops the servers.
# A local trial: NAVIYAM_DEV_MODE=1 (REST without a token, demo senders, a client clock;
# docs/SECURITY.md). Production uses scripts/serve.sh without it.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export NAVIYAM_DEV_MODE="${NAVIYAM_DEV_MODE:-1}"
setup_envs
say "preparing data (migrations, sample data, indexes, ranker)"
"$APP_ENV/bin/python" -m naviyam.manage prepare
if [[ ! -f models/naviyam.tar.gz || -n "$(find domain data/nlu data/rules data/stories config.yml bot -newer models/naviyam.tar.gz -type f 2>/dev/null | head -1)" ]]; then
  say "training the Rasa model (a few minutes the first time)"
  bash scripts/train.sh
fi
export NAVIYAM_MODEL="$ROOT/models/naviyam.tar.gz"
RASA_PORT="${RASA_PORT:-5005}"; ACTION_PORT="${ACTION_PORT:-5055}"
export NAVIYAM_WEB_CHAT="${NAVIYAM_WEB_CHAT:-1}"  # local trials: the web chat page is on
mkdir -p var
bash scripts/serve.sh > var/serve.log 2>&1 &
SERVE_PID=$!
trap 'kill -TERM $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null; say "stopped"' EXIT INT TERM
say "starting servers (log: var/serve.log)"
wait_http "http://127.0.0.1:$ACTION_PORT/health" 120 || die "action server did not start; see var/serve.log"
wait_http "http://127.0.0.1:$RASA_PORT/webhooks/rest/" 300 || die "Rasa server did not start; see var/serve.log"
wait_http "http://127.0.0.1:${SHOP_PORT:-5060}/healthz" 60 || die "shop service did not start; see var/serve.log"
say "shop console and web chat on http://127.0.0.1:${SHOP_PORT:-5060} (/console, /chat)"
say "Rasa REST API on http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook, actions on :$ACTION_PORT"
say "chatting as ${NAVIYAM_SENDER:-demo_kid_01}; /quit to stop everything"
"$APP_ENV/bin/python" scripts/chat.py --url "http://127.0.0.1:$RASA_PORT" --sender "${NAVIYAM_SENDER:-demo_kid_01}"
