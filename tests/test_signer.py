"""The node key behind `stillroom signer`: a real process, a real socket, the real CLI and store.

The signer keeps the log's right edge itself, so what a database-only
attacker does (cut the tail, rewrite entries) leaves a store it will no
longer extend; and it does not node-sign who-may-do-what (governance kinds)
once the first admin exists.
"""

import json
import os
import shutil
import signal
import subprocess

import pytest
from sqlalchemy import text

from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import Checkpoint, sign_checkpoint
from stillroom.ledger.entry import canonical_entry, now
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.log import Ledger
from stillroom import signing
from stillroom.release import STATEMENT_PAYLOAD
from stillroom.signer.client import SignerClient, SignerError
from stillroom.workspace import Workspace, init_workspace
from tests.ledger_helpers import stage_drafts
from tests.signer_helpers import init_signer, running_signer, short_dir, stillroom

PASS = "correct horse battery"


@pytest.fixture
def ws(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("STILLROOM_DATABASE_URL", database_url)
    workspace = init_workspace(tmp_path / "ws", name="signed")
    Ledger.for_workspace(workspace).record_many(stage_drafts(5))
    return workspace


@pytest.fixture
def signer(ws):
    """(state dir, socket): the node key moved into a signer that is serving."""
    base = short_dir()
    state, sock = base / "state", base / "signer.sock"
    init_signer(ws, state, sock)
    with running_signer(ws, state, sock):
        yield state, sock
    shutil.rmtree(base, ignore_errors=True)


def count(ws, table):
    with ws.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_init_moves_the_node_key_out_of_the_workspace(ws, signer):
    state, sock = signer
    assert not (ws.root / "keys" / "node.key").exists()
    assert (state / "node.key").exists() and oct(state.stat().st_mode & 0o777) == "0o700"
    assert oct(sock.stat().st_mode & 0o777) == "0o660"
    assert f'socket = "{sock}"' in (ws.root / "stillroom.toml").read_text()


def test_appends_and_checkpoints_go_through_the_signer(ws, signer):
    live = Workspace.open(ws.root)
    Ledger.for_workspace(live).record_many(stage_drafts(4, run_id="run-2"))
    result = stillroom("ledger", "checkpoint", "--workspace", ws.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[1] == "11"
    verified = stillroom("ledger", "verify", "--workspace", ws.root)
    assert verified.returncode == 0 and verified.stdout.startswith("OK 11 entries"), verified.stdout + verified.stderr


def test_after_a_cut_tail_the_signer_refuses_entries_and_checkpoints(ws, signer):
    with ws.engine.begin() as conn:  # a database-only attacker removes entries 4 and 5 and what covers them
        conn.execute(text("DELETE FROM ledger_entries WHERE seq >= 4"))
        conn.execute(text("DELETE FROM ledger_nodes WHERE (idx + 1) * (1 << level) > 4"))
        conn.execute(text("DELETE FROM ledger_checkpoints WHERE size > 4"))
    verified = stillroom("ledger", "verify", "--workspace", ws.root)
    assert verified.returncode == 1
    assert verified.stdout.strip() == ("FAILED ledger: log length: expected at least 7 entries (held checkpoint of the "
                                       "signer's state covers 7), found 4 (the log was truncated)")
    checkpoint = stillroom("ledger", "checkpoint", "--workspace", ws.root)
    assert checkpoint.returncode == 1
    assert checkpoint.stderr.strip() == ("error: the signer refused: the signer signs only the checkpoint of the log it "
                                         f"holds ({ws.origin} at size 7), not one at size 4 with another root")
    with pytest.raises(SignerError, match=r"the signer refused: entry 4 does not extend the log this signer holds \(size 7\)"):
        Ledger.for_workspace(Workspace.open(ws.root)).record("run.start", {"run_id": "forged"}, actor="mallory")
    assert count(ws, "ledger_entries") == 4 and count(ws, "ledger_checkpoints") == 0  # nothing written


def test_a_rewritten_entry_gets_no_further_signature(ws, signer):
    _, sock = signer
    forged = merkle.leaf_hash(b'{"forged":true}')
    with ws.engine.begin() as conn:  # the attacker rewrites entry 5 and the tree over it, consistently
        four = conn.execute(text("SELECT hash FROM ledger_nodes WHERE level = 0 AND idx = 4")).scalar_one()
        conn.execute(text("UPDATE ledger_entries SET leaf_hash = :h WHERE seq = 5"), {"h": forged})
        conn.execute(text("UPDATE ledger_nodes SET hash = :h WHERE level = 0 AND idx = 5"), {"h": forged})
        conn.execute(text("UPDATE ledger_nodes SET hash = :h WHERE level = 1 AND idx = 2"),
                     {"h": merkle.node_hash(bytes(four), forged)})
    # The workspace's own chain check refuses first ...
    result = stillroom("ledger", "checkpoint", "--workspace", ws.root)
    assert result.returncode == 1
    assert result.stderr.startswith("error: the ledger does not verify"), result.stderr
    with pytest.raises(LedgerError, match="the ledger does not verify"):
        Ledger.for_workspace(Workspace.open(ws.root)).record("run.start", {"run_id": "x"}, actor="mallory")
    # ... and the signer, asked directly for the forged tree's checkpoint, holds its own root.
    with ws.engine.connect() as conn:
        leaves = [bytes(h) for h in conn.execute(text("SELECT leaf_hash FROM ledger_entries ORDER BY seq")).scalars()]
    size, root = len(leaves), merkle.root_from_leaves(leaves)
    client = SignerClient(sock, name=ws.node_key_name, origin=ws.origin)
    with pytest.raises(SignerError, match=rf"the signer signs only the checkpoint of the log it holds \({ws.origin} at "
                                          rf"size 7\), not one at size 7 with another root"):
        sign_checkpoint(Checkpoint(ws.origin, size, root), [(ws.node_key_name, client)])
    assert count(ws, "ledger_entries") == 7 and count(ws, "ledger_checkpoints") == 0


def test_the_signer_node_signs_the_bootstrap_admin_and_no_other_governance_entry(ws, signer):
    _, sock = signer
    env = {"STILLROOM_NEW_PASSPHRASE": PASS}
    first = stillroom("users", "add", "ada", "--role", "admin", "--workspace", ws.root, env=env)
    assert first.returncode == 0, first.stderr
    # After the bootstrap an admin's own key signs governance; the signer only observes it.
    second = stillroom("users", "add", "sam", "--role", "security", "--workspace", ws.root,
                       env={**env, "STILLROOM_USER": "ada", "STILLROOM_PASSPHRASE": PASS})
    assert second.returncode == 0, second.stderr
    before = count(ws, "ledger_entries")
    # Asked to node-sign a governance entry (a person key minted by whoever reaches the socket): refused.
    with ws.engine.connect() as conn:
        prev = bytes(conn.execute(text("SELECT leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")).scalar_one())
    leaf = canonical_entry(seq=before, time=now(), kind="key.added", actor="mallory", signer=ws.node_key_name,
                           run_id=None, payload={"verifier_key": signing.verifier_key("sam-k99", signing.generate_key()
                                                                                        .public_key()),
                                                 "role": "person"}, prev=prev.hex())
    client = SignerClient(sock, name=ws.node_key_name, origin=ws.origin)
    with pytest.raises(SignerError, match="the signer refused: the signer does not node-sign a key.added entry: it "
                                          "must be signed by an admin's own key"):
        client.sign(leaf)
    assert count(ws, "ledger_entries") == before


def test_a_connection_from_a_uid_not_allowed_is_refused(ws, tmp_path):
    base = short_dir()
    state, sock = base / "state", base / "signer.sock"
    init_signer(ws, state, sock)
    other_uid = os.getuid() + 4242
    with running_signer(ws, state, sock, "--allow-uid", other_uid):  # the real SO_PEERCRED check, our uid left out
        result = stillroom("ledger", "checkpoint", "--workspace", ws.root)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"error: the signer refused: uid {os.getuid()} may not use this signer "
                                     f"(allowed: {other_uid})")
    shutil.rmtree(base, ignore_errors=True)


def test_without_the_signer_running_nothing_is_signed(ws, tmp_path):
    base = short_dir()
    init_signer(ws, base / "state", base / "signer.sock")
    result = stillroom("ledger", "checkpoint", "--workspace", ws.root)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: the signer at {base / 'signer.sock'} cannot be reached")
    assert count(ws, "ledger_checkpoints") == 0
    shutil.rmtree(base, ignore_errors=True)


def test_rotation_is_refused_while_the_signer_holds_the_key(ws, signer):
    assert stillroom("users", "add", "ada", "--role", "admin", "--workspace", ws.root,
                     env={"STILLROOM_NEW_PASSPHRASE": PASS}).returncode == 0
    result = stillroom("ledger", "rotate-key", "--workspace", ws.root,
                       env={"STILLROOM_USER": "ada", "STILLROOM_PASSPHRASE": PASS})
    assert result.returncode == 2
    assert "the node key is held by the signer at" in result.stderr


def test_the_signer_signs_provenance_statements_and_nothing_else(ws, signer):
    _, sock = signer
    client = SignerClient(sock, name=ws.node_key_name, origin=ws.origin)
    envelope = signing.dsse_sign(b'{"_type": "https://in-toto.io/Statement/v1"}', STATEMENT_PAYLOAD, client,
                                 ws.node_key_name)
    assert signing.dsse_verify(envelope, {ws.node_key_name: client.public_key()})
    with pytest.raises(SignerError, match="the signer refused: the signer signs DSSE envelopes of in-toto statements only"):
        signing.dsse_sign(b"{}", "text/plain", client, ws.node_key_name)
    with pytest.raises(SignerError, match="the signer refused: not an entry, a checkpoint or a provenance statement"):
        client.sign(b"anything at all")
    with pytest.raises(SignerError, match="the signer refused: an entry must have exactly the fields"):
        client.sign(b'{"seq": 6, "kind": "x"}')  # not an entry's canonical bytes; the connection stays usable
    assert client.held_checkpoint().split("\n")[1] == "7"


def test_the_cli_starts_the_signer_when_configured(ws, tmp_path):
    base = short_dir()
    state, sock = base / "state", base / "signer.sock"
    init_signer(ws, state, sock)
    config = ws.root / "stillroom.toml"
    config.write_text(config.read_text() + f'state = "{state}"\n')  # under [signer], the last section
    try:
        result = stillroom("ledger", "checkpoint", "--workspace", ws.root)
        assert result.returncode == 0, result.stderr
        assert sock.exists() and result.stdout.split("\n")[1] == "7"
    finally:
        pid = int((state / "signer.pid").read_text())
        os.kill(pid, signal.SIGTERM)  # the signer outlives the command that started it
        shutil.rmtree(base, ignore_errors=True)


HELLO_AS_ANOTHER_USER = """
import json, socket, sys
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect(sys.argv[1])
try:
    conn.sendall(b'{"op": "sign", "data": "e30="}\\n')
except BrokenPipeError:
    pass  # refused at connect already; the answer is waiting

print(conn.makefile("rb").readline().decode().strip())
"""


@pytest.mark.skipif(os.getuid() != 0 or not os.path.exists("/usr/bin/python3"),
                    reason="switching to another uid needs root (and a system python3 that uid may run)")
def test_another_uid_is_refused_by_its_peer_credentials(ws, signer):
    """A process really running as uid 65534 connects (the socket's mode opened to it for the test): refused."""
    _, sock = signer
    os.chmod(sock.parent, 0o755)
    os.chmod(sock, 0o666)  # past the file permissions, so the peer-credential check alone decides
    result = subprocess.run(["/usr/bin/python3", "-c", HELLO_AS_ANOTHER_USER, str(sock)], user=65534,
                            capture_output=True, text=True, timeout=60)
    assert json.loads(result.stdout) == {"ok": False, "error": f"uid 65534 may not use this signer (allowed: {os.getuid()})"}
    assert count(ws, "ledger_entries") == 7
