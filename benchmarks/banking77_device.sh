#!/usr/bin/env bash
# The full three-arm Banking77 benchmark on a lent GPU (the `run` device tool), as one short script:
#   bash benchmarks/banking77_device.sh [TRAIN_CSV]
# Writes banking77-device.json (and the log) under $OUT, or benchmarks/results/ without it. The test set is
# 10% of the training file held out by a fixed shuffle (--holdout 0.1, split seed 0) unless TEST_CSV is set.
set -euo pipefail
train=${1:-../shared/data/banking77/train.csv}
out=${OUT:-benchmarks/results}
test_args=(--holdout 0.1)
if [[ -n "${TEST_CSV:-}" ]]; then test_args=(--test "$TEST_CSV"); fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
timeout 540 .venv/bin/python benchmarks/banking77.py --train "$train" "${test_args[@]}" --device cuda --seeds 3 \
  > "$out/banking77-device.json" 2> "$out/banking77-device.log"
