# Convenience targets; the README's two commands are scripts/run.sh and scripts/test.sh.
SHELL := /bin/bash
APP_PY := .venv-app/bin/python

.PHONY: setup prepare train serve chat run test nlu-eval nlu-cv bench lock

setup:
	bash scripts/setup.sh

prepare: setup
	$(APP_PY) -m naviyam.manage prepare

train: setup
	bash scripts/train.sh

serve:
	NAVIYAM_MODEL=$${NAVIYAM_MODEL:-models/naviyam.tar.gz} bash scripts/serve.sh

chat:
	$(APP_PY) scripts/chat.py --url http://127.0.0.1:$${RASA_PORT:-5005}

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

nlu-eval:
	bash scripts/nlu_eval.sh

nlu-cv:
	bash scripts/nlu_eval.sh --cv

bench:
	bash scripts/bench.sh

lock:
	bash scripts/lock.sh
