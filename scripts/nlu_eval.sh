#!/usr/bin/env bash
# NLU quality: evaluate the model on the held-out test set (tests/nlu_test, never
# trained on) and, with --cv, cross-validate on data/nlu. Reports, confusion matrix
# and histogram go to results/nlu (and results/nlu_cv); exits non-zero when intent
# accuracy or macro F1 on the held-out set is below the thresholds.
#
#   bash scripts/nlu_eval.sh                      # trains if needed, evaluates
#   bash scripts/nlu_eval.sh --model models/x.tar.gz
#   bash scripts/nlu_eval.sh --cv [--folds 3]     # also cross-validation (trains FOLDS models)
#   NLU_MIN_ACCURACY=0.9 NLU_MIN_MACRO_F1=0.9     # thresholds (defaults 0.90)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

MODEL=""
CV="${NLU_CV:-0}"
FOLDS="${NLU_CV_FOLDS:-3}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="$2"; shift 2 ;;
    --cv) CV=1; shift ;;
    --folds) FOLDS="$2"; shift 2 ;;
    *) die "unknown option $1 (use --model PATH, --cv, --folds N)" ;;
  esac
done

export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" TF_NUM_INTEROP_THREADS="${TF_NUM_INTEROP_THREADS:-1}"
if [[ -z "$MODEL" ]]; then
  MODEL="$ROOT/models/naviyam.tar.gz"
  say "training (skipped by Rasa when nothing changed)"
  bash scripts/train.sh
fi
[[ -f "$MODEL" ]] || die "model not found: $MODEL"

mkdir -p results
say "rasa test nlu on the held-out set tests/nlu_test → results/nlu"
rm -rf results/nlu
"$RASA_ENV/bin/rasa" test nlu --model "$MODEL" --domain domain --nlu tests/nlu_test --out results/nlu --successes

if [[ "$CV" == "1" ]]; then
  say "cross-validation on data/nlu ($FOLDS folds) → results/nlu_cv"
  rm -rf results/nlu_cv
  "$RASA_ENV/bin/rasa" test nlu --domain domain --nlu data/nlu --config config.yml --cross-validation \
    --folds "$FOLDS" --out results/nlu_cv
fi

"$RASA_ENV/bin/python" scripts/check_nlu_report.py results/nlu/intent_report.json \
  --min-accuracy "${NLU_MIN_ACCURACY:-0.90}" --min-macro-f1 "${NLU_MIN_MACRO_F1:-0.90}" \
  --summary results/nlu/summary.json
