"""The first hour (issue 18): ``examples/own-data`` run the way the README's "Your own data" section says,
from a clean workspace: init, people, the teacher fine-tuned from the packaged encoder, one run, a release
request whose student meets its size target. Real models, so ``slow``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from machine import scaled_timeout

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "own-data"
STILLROOM = str(Path(sys.executable).parent / "stillroom")
ADMIN, OPERATOR = "admin passphrase 1", "operator passphrase 1"


def stillroom(ws: Path, *args: str, user: str | None = None, passphrase: str | None = None,
              new: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STILLROOM_")}
    env.update({"STILLROOM_WORKSPACE": str(ws), "HF_HUB_OFFLINE": "1"})
    env.update({k: v for k, v in (("STILLROOM_USER", user), ("STILLROOM_PASSPHRASE", passphrase),
                                  ("STILLROOM_NEW_PASSPHRASE", new)) if v is not None})
    return subprocess.run([STILLROOM, *args], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=scaled_timeout(600))


@pytest.mark.slow
def test_the_own_data_example_runs_from_a_clean_workspace_to_a_release_request_meeting_its_target(tmp_path):
    ws = tmp_path / "ws"
    assert stillroom(ws, "init", str(ws)).returncode == 0
    assert stillroom(ws, "users", "add", "ada", "--role", "admin", new=ADMIN).returncode == 0
    added = stillroom(ws, "users", "add", "olga", "--role", "operator", user="ada", passphrase=ADMIN, new=OPERATOR)
    assert added.returncode == 0, added.stderr
    with open(ws / "policies" / "residency.yaml", "a") as policy:  # the domain's never-PII terms, as the README adds
        policy.write((EXAMPLE / "residency-terms.yaml").read_text())
    adopted = stillroom(ws, "policy", "adopt", user="ada", passphrase=ADMIN)
    assert adopted.returncode == 0, adopted.stderr
    (ws / "data").mkdir(exist_ok=True)
    shutil.copy(EXAMPLE / "queries.csv", ws / "data" / "queries.csv")
    pipeline = str(EXAMPLE / "pipeline.yaml")  # used where it is, as the README does

    prepared = stillroom(ws, "teacher", "prepare", pipeline, "--no-progress", "--json",
                         user="olga", passphrase=OPERATOR)
    assert prepared.returncode == 0, prepared.stderr[-2000:]
    teacher = json.loads(prepared.stdout)  # under --json stdout is the JSON alone; stage lines go to stderr
    assert teacher["labels"] == 8 and teacher["validation_accuracy"] >= teacher["min_accuracy"]

    ran = stillroom(ws, "run", pipeline, "--no-progress", "--json", user="olga", passphrase=OPERATOR)
    outcome = json.loads(ran.stdout)  # under --json stdout is the JSON alone
    assert outcome["request_id"], ran.stderr[-2000:]
    assert " teacher " in ran.stderr and "from cache" in ran.stderr  # the prepared teacher, reused
    # every gate passes: quality, fidelity, slices, PII and size. Latency is measured, not assumed: the
    # CPU time per request on whatever machine runs this, robust to waiting for a core but not to sharing one
    # or to a slower one (on the two test cores at load 15 a 2-layer student's CPU p95 was 9 ms, over the
    # example's 5 ms; CI's machine measured over it too). So the latency gate must agree with the
    # measurement the run reports: fail exactly when its p95 is over the target, and the run then exits 1
    # and says so
    latency = outcome["stages"]["evaluate"]["metrics"]["student"]["latency"]
    over = latency["p95_ms"] > 5
    assert set(outcome["failed_gates"]) == ({"latency_ms_p95[cpu-server]"} if over else set()), \
        (latency, ran.stderr[-3000:])
    assert ran.returncode == (1 if over else 0)
    if over:
        assert ran.stderr.rstrip().endswith("release gates failed: latency_ms_p95[cpu-server]")
