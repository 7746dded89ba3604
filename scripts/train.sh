#!/usr/bin/env bash
# Train the Rasa model (NLU + dialogue) into models/naviyam.tar.gz.
# Rasa's own fingerprint cache (.rasa/) makes a re-run with unchanged data quick.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$RASA_ENV/bin/rasa" train --domain domain --config config.yml \
  --data data/nlu data/rules data/stories \
  --out models --fixed-model-name naviyam "$@"
