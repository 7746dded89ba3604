#!/usr/bin/env bash
# Start the action server, the shop service and the Rasa server in the foreground with the configured
# settings (DATABASE_URL, REDIS_URL, RASA_PORT, ACTION_PORT, NAVIYAM_MODEL). Ctrl-C or
# SIGTERM stops both; if either dies, the other is stopped too.
# With NAVIYAM_LLM_SERVE=1 it also starts the LLM model server (ml/llm/model_server.py,
# NAVIYAM_LLM_BASE_MODEL / NAVIYAM_LLM_ADAPTER / NAVIYAM_LLM_PORT) and points the Rasa
# LLM component at it; with NAVIYAM_LLM_URL set it uses that server instead.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RASA_PORT="${RASA_PORT:-5005}"
ACTION_PORT="${ACTION_PORT:-5055}"
MODEL="${NAVIYAM_MODEL:-$ROOT/models/naviyam.tar.gz}"
export RASA_PORT ACTION_PORT
[[ -x "$APP_ENV/bin/python" && -x "$RASA_ENV/bin/rasa" ]] || die "environments missing: run scripts/setup.sh"
[[ -e "$MODEL" ]] || die "no trained Rasa model at $MODEL: run 'make train' (or scripts/run.sh)"
mkdir -p "$ROOT/var"
ENDPOINTS="$("$APP_ENV/bin/python" scripts/render_endpoints.py "$ROOT/var/endpoints.yml")"

pids=()
stop() {
  trap - INT TERM EXIT
  say "stopping servers"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$APP_ENV/bin/python" -m actions.server --actions actions --port "$ACTION_PORT" &
pids+=($!)
# Shop/operator service (issue 13): staff console, redemption API, web chat (docs/SHOP_CONSOLE.md)
SHOP_PORT="${SHOP_PORT:-5060}"; export SHOP_PORT
"$APP_ENV/bin/python" -m naviyam.shop_service &
pids+=($!)
if [[ "${NAVIYAM_LLM_SERVE:-0}" == "1" && -z "${NAVIYAM_LLM_URL:-}" ]]; then
  LLM_PORT="${NAVIYAM_LLM_PORT:-8800}"
  "$APP_ENV/bin/python" -m ml.llm.model_server --port "$LLM_PORT" &
  pids+=($!)
  export NAVIYAM_LLM_URL="http://127.0.0.1:$LLM_PORT"
  wait_http "$NAVIYAM_LLM_URL/health" 300 || die "the LLM model server did not start"
  say "LLM model server: $NAVIYAM_LLM_URL"
fi
"$RASA_ENV/bin/rasa" run --enable-api --port "$RASA_PORT" --model "$MODEL" \
  --endpoints "$ENDPOINTS" --credentials "$ROOT/credentials.yml" --cors "*" &
pids+=($!)

say "action server: http://127.0.0.1:$ACTION_PORT  (health: /health)"
say "Rasa server:   http://127.0.0.1:$RASA_PORT  (REST: POST /webhooks/rest/webhook)"
say "shop service:  http://127.0.0.1:$SHOP_PORT  (console: /console, API: /docs, chat: /chat)"
say "press Ctrl-C to stop all"
wait -n "${pids[@]}"
die "a server exited; stopping the other"
