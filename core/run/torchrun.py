"""A training job on a ``torch.distributed`` group without Ray, the same job the executors run:

    torchrun --nproc_per_node 2 -m stillroom.run.torchrun JOB OUT

``JOB`` is a directory ``write_job`` made, plain data and no pickle: ``job.json``
(trainer, teacher and the run's scrubber by registered name and options, the student spec, seed,
device, the run's policy and workspace path), ``dataset.json`` and
``teacher_outputs.npz``. Every process is governed as a Ray worker is
(``worker.govern``: plugins under the policy's allowlist, the egress guard
armed) and holds no signing key; rank 0 writes the student's files and
``stillroom-evidence.json`` (its facts, the ledger records the job made, each
rank's node and refused egress attempts) into ``OUT``, for a coordinator to
store and ledger. A rank ends without the interpreter's shutdown (``end_rank``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from stillroom.run.datasets import dataset_data, dataset_from_data
from stillroom.run.portable import ComponentRef
from stillroom.run.training import StudentJob

JOB, DATASET, OUTPUTS = "job.json", "dataset.json", "teacher_outputs.npz"


def write_job(job: StudentJob, directory: Path, *, policy: dict[str, Any], workspace: Path) -> None:
    import numpy as np

    directory.mkdir(parents=True, exist_ok=True)
    refs = {family: {"name": ref.name, "options": ref.options} for family, ref in
            (("trainer", job.trainer), ("teacher", job.teacher), ("scrubber", job.scrubber)) if ref is not None}
    (directory / JOB).write_text(json.dumps({**refs, "student_spec": job.student_spec, "seed": job.seed,
                                             "device": job.device, "policy": policy, "workspace": str(workspace)}))
    (directory / DATASET).write_text(json.dumps(dataset_data(job.dataset)))
    np.savez(directory / OUTPUTS, **{f"{split}/{name}": np.asarray(value)  # type: ignore[arg-type]  # mypy matches the ** dict against numpy's allow_pickle: bool
                                     for split, outputs in job.teacher_outputs.items()
                                     for name, value in outputs.items()})


def read_job(directory: Path) -> tuple[StudentJob, dict[str, Any]]:
    """The job in ``directory`` and the run it belongs to (``policy``, ``workspace``)."""
    import numpy as np

    given = json.loads((directory / JOB).read_text())
    outputs: dict[str, dict[str, Any]] = {}
    with np.load(directory / OUTPUTS, allow_pickle=False) as stored:
        for key in stored.files:
            split, name = key.split("/", 1)
            outputs.setdefault(split, {})[name] = stored[key]
    job = StudentJob(ComponentRef("trainer", given["trainer"]["name"], given["trainer"]["options"]),
                     ComponentRef("teacher", given["teacher"]["name"], given["teacher"]["options"]),
                     given["student_spec"], dataset_from_data(json.loads((directory / DATASET).read_text())),
                     outputs, seed=given["seed"], device=given["device"],
                     scrubber=ComponentRef("scrubber", given["scrubber"]["name"], given["scrubber"]["options"])
                     if "scrubber" in given else None)
    return job, {"policy": given["policy"], "workspace": given["workspace"]}


def main(argv: list[str] | None = None) -> int:
    import torch
    from torch import distributed

    from stillroom.errors import StillroomError
    from stillroom.run.executors.worker import govern, init_group, train_as_rank

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: torchrun --nproc_per_node N -m stillroom.run.torchrun JOB OUT", file=sys.stderr)
        return 2
    source, out = Path(args[0]), Path(args[1])
    if not all((source / name).is_file() for name in (JOB, DATASET, OUTPUTS)):
        print(f"error: {source} is not a training job: it needs {JOB}, {DATASET} and {OUTPUTS} (write_job)",
              file=sys.stderr)
        return 2
    job, run = read_job(source)
    govern(run)
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    init_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        train_as_rank(job, out)
        distributed.barrier()  # ranks leave the group together: none closes a connection a peer still reads
    except StillroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        distributed.destroy_process_group()
    return 0


def end_rank(code: int) -> NoReturn:
    """End this rank's process with ``code``: its exit handlers run, the interpreter's shutdown does not.

    FSDP's DTensors leave the device mesh, and through it the process group, in DTensor's caches (sharding
    propagation, redistribution plans, mesh topology) for the life of the process, so gloo's threads
    outlive ``destroy_process_group`` whatever ``worker.init_group`` does, and one of them that frees a
    tensor during the interpreter's shutdown aborts the rank (``init_group`` says how): SIGABRT, "terminate
    called without an active exception", seen in about one test-suite run in four. Ending here, with every
    output already written and closed, leaves no shutdown for such a thread to meet. The ``atexit`` handlers
    run (logging's flush among them); a rank starts no non-daemon thread of its own, so the shutdown's
    first step, joining those (``threading._shutdown``), has nothing to wait for.
    """
    import atexit

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    try:
        code = main()
    except BaseException:  # an unexpected error ends the rank as a finished one does, with its traceback
        import traceback

        traceback.print_exc()
        code = 1
    end_rank(code)
