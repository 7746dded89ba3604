#!/usr/bin/env bash
# Start the action server, the shop service and the Rasa server in the foreground with the configured
# settings (DATABASE_URL, REDIS_URL, RASA_PORT, ACTION_PORT, NAVIYAM_MODEL, worker counts). Ctrl-C or
# SIGTERM stops both. A crashed action server is restarted with back-off (1 s doubling to
# 30 s; reset after a minute of uptime); if Rasa dies, everything stops.
# With NAVIYAM_LLM_SERVE=1 it also starts the LLM model server (ml/llm/model_server.py,
# NAVIYAM_LLM_BASE_MODEL / NAVIYAM_LLM_ADAPTER / NAVIYAM_LLM_PORT) and points the Rasa
# LLM component at it; with NAVIYAM_LLM_URL set it uses that server instead.
#
# Who can reach what (docs/SECURITY.md):
# - Rasa listens on NAVIYAM_BIND (default 127.0.0.1; a reverse proxy in front publishes the
#   webhooks). Rasa's HTTP API (trackers, model replacement) is served only when
#   RASA_AUTH_TOKEN or RASA_JWT_SECRET (+ RASA_JWT_METHOD, default HS256) is set.
# - CORS: only the origins in NAVIYAM_CORS_ORIGINS (comma-separated; unset: none).
# - The action server binds SANIC_HOST (default 127.0.0.1, naviyam/config/).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RASA_PORT="${RASA_PORT:-5005}"
ACTION_PORT="${ACTION_PORT:-5055}"
MODEL="${NAVIYAM_MODEL:-$ROOT/models/naviyam.tar.gz}"
BIND="${NAVIYAM_BIND:-127.0.0.1}"
export RASA_PORT ACTION_PORT
export SANIC_HOST="${SANIC_HOST:-127.0.0.1}"
[[ -x "$APP_ENV/bin/python" && -x "$RASA_ENV/bin/rasa" ]] || die "environments missing: run scripts/setup.sh"
[[ -e "$MODEL" ]] || die "no trained Rasa model at $MODEL: run 'make train' (or scripts/run.sh)"
mkdir -p "$ROOT/var"
ENDPOINTS="$("$APP_ENV/bin/python" scripts/render_endpoints.py "$ROOT/var/endpoints.yml")"
# Worker counts from the settings (naviyam/config/; docs/PERFORMANCE.md "Sizing workers"):
# NAVIYAM_RASA_WORKERS (Rasa's SANIC_WORKERS; above 1 only with REDIS_URL: the workers share the
# Redis lock and tracker stores), NAVIYAM_ACTION_WORKERS, NAVIYAM_ACTION_THREADS (per action worker).
COUNTS="$("$APP_ENV/bin/python" -c 'from naviyam.config import get_settings as g; s = g()
print(s.rasa_workers, s.action_workers, s.action_threads)')" || die "bad worker settings (see above)"
read -r RASA_WORKERS ACTION_WORKERS ACTION_THREADS <<< "$COUNTS"

rasa_args=(run --interface "$BIND" --port "$RASA_PORT" --model "$MODEL"
           --endpoints "$ENDPOINTS" --credentials "$ROOT/credentials.yml")
if [[ -n "${RASA_AUTH_TOKEN:-}" || -n "${RASA_JWT_SECRET:-}" ]]; then
  rasa_args+=(--enable-api)
  [[ -n "${RASA_AUTH_TOKEN:-}" ]] && rasa_args+=("--auth-token=$RASA_AUTH_TOKEN")  # "=": a token may start with "-"
  [[ -n "${RASA_JWT_SECRET:-}" ]] && rasa_args+=("--jwt-secret=$RASA_JWT_SECRET" --jwt-method "${RASA_JWT_METHOD:-HS256}")
  API_NOTE="HTTP API on (token or JWT required)"
else
  API_NOTE="HTTP API off (set RASA_AUTH_TOKEN or RASA_JWT_SECRET to serve it)"
fi
if [[ -n "${NAVIYAM_CORS_ORIGINS:-}" ]]; then
  IFS=',' read -r -a origins <<< "$NAVIYAM_CORS_ORIGINS"
  cors=()
  for origin in "${origins[@]}"; do origin="${origin// /}"; [[ -n "$origin" ]] && cors+=("$origin"); done
  [[ " ${cors[*]} " == *" * "* ]] && die "NAVIYAM_CORS_ORIGINS must list origins, not '*'"
  [[ ${#cors[@]} -gt 0 ]] && rasa_args+=(--cors "${cors[@]}")
fi

pids=()
stop() {
  trap - INT TERM EXIT
  say "stopping servers"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

# The action server under a small supervisor: restart on exit, with back-off. It runs in its
# own process group (setsid), so a crash of its main process never leaves Sanic workers behind
# holding the port: the whole group is cleared before the restart.
supervise_actions() {
  local delay=1 child="" started rc
  trap '[[ -n "$child" ]] && kill -TERM -- "-$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    started=$SECONDS
    SANIC_WORKERS="$ACTION_WORKERS" setsid "$APP_ENV/bin/python" -m actions.server --actions actions --port "$ACTION_PORT" &
    child=$!
    rc=0; wait "$child" || rc=$?
    kill -KILL -- "-$child" 2>/dev/null || true
    (( SECONDS - started >= 60 )) && delay=1
    say "action server exited (status $rc); restarting in ${delay}s"
    sleep "$delay" & wait $! || true
    delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
  done
}
supervise_actions &
pids+=($!)
# Shop/operator service (issue 13): staff console, redemption API, web chat (docs/SHOP_CONSOLE.md)
SHOP_PORT="${SHOP_PORT:-5060}"; export SHOP_PORT
"$APP_ENV/bin/python" -m naviyam.shop_service &
pids+=($!)
# The learning loop (issue 15, docs/LEARNING_LOOP.md): the event consumer (Rasa's events →
# conversations, impressions, learning rows), the RabbitMQ relay when NAVIYAM_EVENT_BROKER=pika,
# and the job scheduler (NAVIYAM_SCHEDULER=0 leaves it out on a replica).
EVENT_BROKER="${NAVIYAM_EVENT_BROKER:-sql}"
if [[ "$EVENT_BROKER" != "off" ]]; then
  "$APP_ENV/bin/python" -m naviyam.manage consume-events &
  pids+=($!)
  if [[ "$EVENT_BROKER" == "pika" ]]; then
    "$RASA_ENV/bin/python" -m bot.event_relay --endpoints "$ENDPOINTS" &
    pids+=($!)
  fi
fi
if [[ "${NAVIYAM_SCHEDULER:-1}" == "1" ]]; then
  case "${DATABASE_URL:-sqlite}" in
    postgres*) export NAVIYAM_SCHEDULER_JOBSTORE="${NAVIYAM_SCHEDULER_JOBSTORE:-$DATABASE_URL}" ;;
    *) export NAVIYAM_SCHEDULER_JOBSTORE="${NAVIYAM_SCHEDULER_JOBSTORE:-sqlite:///$ROOT/var/scheduler.db}" ;;
  esac
  "$RASA_ENV/bin/python" -m bot.scheduler --app-python "$APP_ENV/bin/python" &
  pids+=($!)
fi
if [[ "${NAVIYAM_LLM_SERVE:-0}" == "1" && -z "${NAVIYAM_LLM_URL:-}" ]]; then
  LLM_PORT="${NAVIYAM_LLM_PORT:-8800}"
  "$APP_ENV/bin/python" -m ml.llm.model_server --port "$LLM_PORT" &
  pids+=($!)
  export NAVIYAM_LLM_URL="http://127.0.0.1:$LLM_PORT"
  wait_http "$NAVIYAM_LLM_URL/health" 300 || die "the LLM model server did not start"
  say "LLM model server: $NAVIYAM_LLM_URL"
fi
SANIC_WORKERS="$RASA_WORKERS" "$RASA_ENV/bin/python" -m bot.server "${rasa_args[@]}" &  # rasa run, warm and with a compiled response check (bot/server.py)
RASA_PID=$!
pids+=("$RASA_PID")

say "action server: http://$SANIC_HOST:$ACTION_PORT  ($ACTION_WORKERS worker(s) x $ACTION_THREADS threads; health: /health; restarted if it crashes)"
say "Rasa server:   http://$BIND:$RASA_PORT  ($RASA_WORKERS worker(s); webhooks: /webhooks/{rest,kakao,telegram}/webhook; $API_NOTE)"
say "shop service:  http://${SHOP_HOST:-127.0.0.1}:$SHOP_PORT  (console: /console, API: /docs, chat: /chat when NAVIYAM_WEB_CHAT=1)"
say "learning loop: event broker $EVENT_BROKER, consumer and scheduler running ('python -m naviyam.manage jobs')"
say "press Ctrl-C to stop"
wait "$RASA_PID" || true
die "the Rasa server exited; stopping the others"
