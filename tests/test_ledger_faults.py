"""Faults with real processes: SIGKILL in the middle of a batch, and four writers at once."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from stillroom import signing
from tests.ledger_helpers import new_ledger, stage_drafts

WORKER = Path(__file__).with_name("ledger_worker.py")


@pytest.fixture
def node_key(tmp_path):
    key = signing.generate_key()
    path = tmp_path / "node.key"
    signing.save_private_key(path, key, None)
    return key, path


def worker(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), *map(str, args)], stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("mode", "marker", "delay", "batch"), [
    ("kill-while-signing", "started", 0.3, 20000),  # signing alone takes seconds: the kill lands mid-batch
    ("kill-mid-insert", "inserted", 0.0, 2000),
    ("kill-after-commit", "committed", 0.0, 2000),
])
def test_sigkill_during_a_batch_leaves_all_of_it_or_none_and_a_log_that_verifies(database_url, node_key, mode, marker,
                                                                                 delay, batch):
    key, key_path = node_key
    ledger = new_ledger(database_url, key=key)
    ledger.record_many(stage_drafts(10))
    ledger.checkpoint()
    before = ledger.size()

    process = worker(mode, database_url, key_path, batch)
    try:
        assert process.stdout.readline().strip() == "started"
        while marker != "started" and process.stdout.readline().strip() != marker:
            pass
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    after = new_ledger(database_url, key=key)
    expected = before + batch if mode == "kill-after-commit" else before
    assert after.size() == expected
    after.record("after.crash", {}, actor="operator")
    after.checkpoint()
    report = after.verify()
    assert report.ok, report
    assert report.entries == expected + 1


def test_four_processes_appending_at_once_get_contiguous_seqs_and_a_log_that_verifies(database_url, node_key):
    key, key_path = node_key
    ledger = new_ledger(database_url, key=key)  # migrated, still empty: the writers race for the genesis too
    processes = [worker("append", database_url, key_path, f"writer-{n}", 500) for n in range(4)]
    for process in processes:
        assert process.wait(timeout=300) == 0

    assert ledger.size() == 2001
    steps = defaultdict(list)
    for seq, leaf, _, _ in ledger.rows():
        entry = json.loads(leaf)
        if entry["kind"] == "worker.step":
            steps[entry["actor"]].append(entry["payload"]["i"])
    assert {actor: values for actor, values in steps.items()} == {f"writer-{n}": list(range(500)) for n in range(4)}
    ledger.checkpoint()
    report = ledger.verify()
    assert report.ok, report
    assert report.entries == 2001
