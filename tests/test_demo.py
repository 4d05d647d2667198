"""`stillroom demo` end to end, then exactly the commands it prints: approve twice, release, verify.

This is the main job on the bundled data with the real packaged MiniLM teacher,
so it is the slowest test (about a minute on two idle cores; its timeouts scale with the machine's load).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from machine import scaled_timeout

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_the_demo_ends_in_a_release_that_verifies_offline(tmp_path):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("STILLROOM_WORKSPACE", None)
    demo = subprocess.run([str(BIN / "stillroom"), "demo", "--workspace", str(tmp_path / "ws")],
                          capture_output=True, text=True, env=env, timeout=scaled_timeout(900))
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "(all gates pass)" in demo.stdout
    lines = demo.stdout.splitlines()
    start = lines.index("Finish the job: approve as each reviewer, release, verify.")
    commands = [line.strip() for line in lines[start + 1:] if line.strip() and "dashboard" not in line]
    assert commands[0].startswith("export STILLROOM_WORKSPACE=")
    assert sum("stillroom approve" in c for c in commands) == 2
    script = " && ".join(commands)
    finished = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env,
                              timeout=scaled_timeout(600))
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert "request is now approved" in finished.stdout
    assert "bundle for req-" in finished.stdout and "verifies" in finished.stdout
    assert "OK " in finished.stdout  # stillroom ledger verify
    bundle = tmp_path / "ws" / "release"
    assert (bundle / "student" / "hf" / "model.safetensors").exists() and (bundle / "MODEL_CARD.md").exists()


@pytest.mark.parametrize("load, expected", [(0.3, 900), (2.0, 900), (8.0, 3600), (100.0, 7200)])
def test_the_demo_timeout_scales_with_the_load_per_core_and_is_capped(monkeypatch, load, expected):
    import machine

    monkeypatch.setattr(machine.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(machine.os, "cpu_count", lambda: 2)
    assert machine.scaled_timeout(900) == expected
