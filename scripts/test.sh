#!/usr/bin/env bash
# One command: set up and run the whole test suite (this is what .ci/run calls).
# With CI=true, database/cache tests use the machine's PostgreSQL and Redis and fail
# if those are unreachable; locally they fall back to SQLite + in-process cache.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
setup_envs
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

say "0/6 the shape of the code: import-linter contracts (.importlinter), file and class sizes"
"$APP_ENV/bin/lint-imports" --config .importlinter
"$APP_ENV/bin/python" scripts/check_shape.py

say "1/6 rasa data validate"
"$RASA_ENV/bin/rasa" data validate --domain domain --config config.yml \
  --data data/nlu data/rules data/stories --fail-on-warnings

say "2/6 training the Rasa model"
bash scripts/train.sh
export NAVIYAM_MODEL="$ROOT/models/naviyam.tar.gz"

say "3/6 rasa test (test stories in tests/stories)"
"$RASA_ENV/bin/rasa" test core --model "$NAVIYAM_MODEL" --stories tests/stories \
  --out results/core --fail-on-prediction-errors

say "4/6 NLU quality on the held-out test set"
bash scripts/nlu_eval.sh --model "$NAVIYAM_MODEL"

say "5/6 Rasa-environment tests (NLU components, channels)"
"$RASA_ENV/bin/python" -m pytest tests/rasa_env -p no:cacheprovider -q

say "6/6 app tests (unit, database, cache, RabbitMQ, end-to-end)"
ensure_rabbitmq
"$APP_ENV/bin/python" -m pytest tests -q
