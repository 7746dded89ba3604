#!/usr/bin/env bash
# Run every benchmark script in benchmarks/ (each prints its own figures).
# Benchmarks never assert timings; they are for people to read and compare.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
for script in benchmarks/*.py; do
  [[ -e "$script" ]] || continue
  say "benchmark: $script"
  "$APP_ENV/bin/python" "$script" "$@" || say "benchmark $script failed (exit $?)"
done
