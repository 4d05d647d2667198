#!/usr/bin/env bash
# The GPU path on a lent device, one JSON object on stdout (UNTESTED until a device is lent: docs/scale.md).
#   1. teacher labelling, records/s: the local executor on CPU, then Ray with one GPU actor per GPU
#      (MapWork.accelerated), on a 4-layer, 256-wide random BERT classifier and 4,096 synthetic texts;
#   2. training, seconds per epoch: the same StudentJob in one process on CPU, and under torchrun with one
#      rank per GPU (NCCL), replicated (student.parallel: ddp; DDP wraps the loss from 2 GPUs up, one GPU
#      measures the process-group path) and sharded (student.parallel: fsdp).
# Usage: benchmarks/scale_device.sh            (PYTHON=... to pick the interpreter; about 5 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
export RAY_USAGE_STATS_ENABLED=0 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONPATH=.
exec "${PYTHON:-.venv/bin/python}" - <<'EOF'
import json, socket, subprocess, sys, tempfile, time
from functools import partial
from pathlib import Path

import torch

from stillroom.components import Context, MapWork
from stillroom.run.executors.local import LocalExecutor
from stillroom.run.executors.ray import RayExecutor
from stillroom.run.portable import ComponentRef
from stillroom.run.records import batches
from stillroom.run.stages.label import predict_batch
from stillroom.run.torchrun import write_job
from stillroom.workspace import init_workspace
from tests import tinymodels as tm
from tests.test_run_torchrun import epochs, job_and_context

root = Path(tempfile.mkdtemp(prefix="stillroom-device-"))
ws = init_workspace(root / "ws", name="device")
gpus = torch.cuda.device_count()
out = {"gpus": [torch.cuda.get_device_name(i) for i in range(gpus)], "torch": torch.__version__}
texts = [f"{w} request {i}" for i, w in zip(range(4096), tm.vocabulary() * 4096)]
ctx = Context(workspace=ws.root, artifacts=ws.artifacts, progress=False)
teacher_dir = root / "teacher"
torch.manual_seed(0)
from transformers import BertForSequenceClassification
BertForSequenceClassification(tm.bert_config(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                                             intermediate_size=1024, num_labels=len(tm.INTENTS))).save_pretrained(teacher_dir)
tm.tokenizer().save_pretrained(teacher_dir)
from stillroom.plugins.teachers.hf import HFTeacher
teacher = HFTeacher({"path": str(teacher_dir), "device": "cpu"}, ctx)

def rate(executor, options):
    ref = ComponentRef("teacher", "hf", {"path": str(teacher_dir), **options}, live=teacher if options["device"] == "cpu" else None)
    work = lambda items: MapWork("label", partial(predict_batch, ref), batches(items), portable=True, accelerated=True)
    list(executor.map(work(texts[:512])))  # warm: the model loads once per worker
    started = time.perf_counter()
    list(executor.map(work(texts)))
    return round(len(texts) / (time.perf_counter() - started), 1)

labelling = {"local_cpu": rate(LocalExecutor(), {"device": "cpu"})}
if gpus:
    ray_exec = RayExecutor(ws.policy(), ws.root)
    labelling[f"ray_{gpus}_gpu_actors"] = rate(ray_exec, {"device": "auto"})
    ray_exec.close()
    labelling["gpu_vs_cpu"] = round(labelling[f"ray_{gpus}_gpu_actors"] / labelling["local_cpu"], 2)
out["labelling_records_per_s"] = labelling

job, jctx, records = job_and_context(root / "train", ws)
job.student_spec = {**job.student_spec, "epochs": 3}
started = time.perf_counter()
job(jctx, root / "alone")
training = {"one_process_cpu_s": round(time.perf_counter() - started, 2),
            "one_process_cpu_loss": [e["loss"] for e in epochs(records)]}
if gpus:
    job.device = "auto"
    for parallel in ("ddp", "fsdp"):  # student.parallel: replicated on every GPU, or sharded over them
        job.student_spec = {**job.student_spec, "parallel": parallel}
        write_job(job, root / parallel / "job", policy=ws.policy().model_dump(mode="json"), workspace=ws.root)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
        started = time.perf_counter()
        ran = subprocess.run([sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={gpus}",
                              "--master_addr", "127.0.0.1", f"--master_port={port}", "-m", "stillroom.run.torchrun",
                              str(root / parallel / "job"), str(root / parallel / "out")], capture_output=True, text=True)
        training[f"torchrun_{parallel}_{gpus}_gpu_s"] = round(time.perf_counter() - started, 2)
        if ran.returncode:
            training[f"torchrun_{parallel}_error"] = ran.stderr[-800:]
        else:
            done = json.loads((root / parallel / "out" / "stillroom-evidence.json").read_text())
            training[f"torchrun_{parallel}_{gpus}_gpu_loss"] = [e["loss"] for e in epochs(done["records"])]
out["training"] = training
out["note"] = "wall seconds include process start and model load; training losses should agree within bf16 noise"
print(json.dumps(out))
EOF
