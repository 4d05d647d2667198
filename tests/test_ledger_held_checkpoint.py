"""An auditor's saved checkpoint catches what the store alone cannot: a cut tail, or a rewritten one.

The attacker here writes the database directly (SQLite and PostgreSQL): a DBA
of a shared store, without the node key. They delete the tail entries, the
subtree hashes over them and every checkpoint covering them, so that the
store is consistent with itself and `ledger verify` alone says OK. The
auditor kept the checkpoint `ledger checkpoint` printed earlier.
"""

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from stillroom.ledger.log import Ledger
from stillroom.workspace import init_workspace
from tests.ledger_helpers import stage_drafts


@pytest.fixture
def ws(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("STILLROOM_DATABASE_URL", database_url)
    workspace = init_workspace(tmp_path / "ws", name="held")
    Ledger.for_workspace(workspace).record_many(stage_drafts(9))
    return workspace


def cli(ws, *args):
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args, "--workspace", str(ws.root)],
                          capture_output=True, text=True, timeout=120)


def save_checkpoint(ws, path):
    result = cli(ws, "ledger", "checkpoint")
    assert result.returncode == 0, result.stderr
    path.write_text(result.stdout)
    return path


def cut_tail(ws, keep: int) -> None:
    """What a database-only attacker does: entries, subtree hashes and checkpoints past ``keep``, gone."""
    with ws.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE seq >= :k"), {"k": keep})
        conn.execute(text("DELETE FROM ledger_nodes WHERE (idx + 1) * (1 << level) > :k"), {"k": keep})
        conn.execute(text("DELETE FROM ledger_checkpoints WHERE size > :k"), {"k": keep})


def test_a_cut_tail_passes_alone_and_fails_against_the_auditors_checkpoint(ws, tmp_path):
    save_checkpoint(ws, tmp_path / "early.note")  # size 11
    Ledger.for_workspace(ws).record_many(stage_drafts(6, run_id="run-2"))
    held = save_checkpoint(ws, tmp_path / "auditor.note")  # size 17
    assert cli(ws, "ledger", "verify", "--checkpoint", str(held)).returncode == 0

    cut_tail(ws, 12)
    alone = cli(ws, "ledger", "verify")
    assert alone.returncode == 0 and alone.stdout.startswith("OK 12 entries"), alone.stdout  # the attack, unseen

    result = cli(ws, "ledger", "verify", "--checkpoint", str(tmp_path / "early.note"), "--checkpoint", str(held))
    assert result.returncode == 1
    assert result.stdout.strip() == (f"FAILED ledger: log length: expected at least 17 entries (held checkpoint {held} "
                                     "covers 17), found 12 (the log was truncated)")
    with ws.engine.connect() as conn:  # verification wrote nothing
        assert conn.execute(text("SELECT count(*) FROM ledger_checkpoints WHERE size > 12")).scalar_one() == 0


def test_a_cut_tail_fails_offline_against_the_auditors_checkpoint(ws, tmp_path):
    held = save_checkpoint(ws, tmp_path / "auditor.note")
    cut_tail(ws, 6)
    assert cli(ws, "ledger", "export", str(tmp_path / "export")).returncode == 0
    result = cli(ws, "ledger", "verify", "--offline", str(tmp_path / "export"), "--checkpoint", str(held))
    assert result.returncode == 1
    assert result.stdout.strip() == (f"FAILED ledger: log length: expected at least 11 entries (held checkpoint {held} "
                                     "covers 11), found 6 (the log was truncated)")


def test_a_rewritten_tail_is_a_fork_the_held_checkpoint_names(ws, tmp_path):
    """The node key's holder cuts the tail and appends other entries: same size, another root."""
    held = save_checkpoint(ws, tmp_path / "auditor.note")
    cut_tail(ws, 7)
    Ledger.for_workspace(ws).record_many(stage_drafts(4, run_id="forged"))
    assert cli(ws, "ledger", "verify").returncode == 0  # self-consistent again
    result = cli(ws, "ledger", "verify", "--checkpoint", str(held))
    assert result.returncode == 1
    assert result.stdout.startswith(f"FAILED ledger: held checkpoint {held}: checkpoint root at size 11: expected ")
    assert result.stdout.strip().endswith("(a fork: the log was rewritten)")


def test_a_held_checkpoint_of_another_log_or_unreadable_is_refused(ws, tmp_path, monkeypatch):
    ours = os.environ["STILLROOM_DATABASE_URL"]
    monkeypatch.setenv("STILLROOM_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    other = init_workspace(tmp_path / "other", name="other")
    foreign = save_checkpoint(other, tmp_path / "foreign.note")
    monkeypatch.setenv("STILLROOM_DATABASE_URL", ours)
    result = cli(ws, "ledger", "verify", "--checkpoint", str(foreign))
    assert result.returncode == 1 and result.stdout.startswith(f"FAILED ledger: held checkpoint {foreign}: checkpoint")
    missing = cli(ws, "ledger", "verify", "--checkpoint", str(tmp_path / "nope.note"))
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith(f"error: --checkpoint {tmp_path / 'nope.note'}: cannot be read")
    (tmp_path / "junk.note").write_text("not a note\n")
    junk = cli(ws, "ledger", "verify", "--checkpoint", str(tmp_path / "junk.note"))
    assert junk.returncode == 1 and junk.stdout.startswith(f"FAILED ledger: held checkpoint {tmp_path / 'junk.note'}: checkpoint format")
