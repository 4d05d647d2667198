"""The node key in an HSM: SoftHSM2 through PKCS#11 (CKM_EDDSA), behind the real signer process.

Skipped where Debian's softhsm2 or python-pkcs11 is absent (.ci/run installs the first, `make setup` the second).
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stillroom.ledger.log import Ledger
from stillroom.workspace import Workspace
from tests.ledger_helpers import stage_drafts
from tests.signer_helpers import init_signer, running_signer, short_dir, stillroom

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
PIN = "5678"

pytestmark = [
    pytest.mark.skipif(not MODULE.exists() or shutil.which("softhsm2-util") is None,
                       reason="SoftHSM2 is not installed (apt-get install softhsm2)"),
]


@pytest.fixture
def token(tmp_path, monkeypatch):
    pytest.importorskip("pkcs11", reason="python-pkcs11 is not installed (the `hsm` extra)")
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "stillroom", "--so-pin", "1234",
                    "--pin", PIN], check=True, capture_output=True)
    return "stillroom"


def test_a_node_key_in_softhsm2_signs_the_log_through_the_signer(workspace, token, monkeypatch):
    base = short_dir()
    state, sock = base / "state", base / "signer.sock"
    monkeypatch.setenv("STILLROOM_PKCS11_PIN", PIN)
    init_signer(workspace, state, sock, "--pkcs11-module", MODULE, "--token", token)
    assert not (state / "node.key").exists() and not (workspace.root / "keys" / "node.key").exists()
    with running_signer(workspace, state, sock):
        Ledger.for_workspace(Workspace.open(workspace.root)).record_many(stage_drafts(4))
        checkpoint = stillroom("ledger", "checkpoint", "--workspace", workspace.root)
        assert checkpoint.returncode == 0, checkpoint.stderr
        verified = stillroom("ledger", "verify", "--workspace", workspace.root)
    assert verified.returncode == 0 and verified.stdout.startswith("OK 7 entries"), verified.stdout + verified.stderr
    shutil.rmtree(base, ignore_errors=True)


def test_the_hsm_option_refuses_a_log_that_already_has_a_key(workspace, token, monkeypatch):
    Ledger.for_workspace(workspace).record_many(stage_drafts(1))
    base = short_dir()
    monkeypatch.setenv("STILLROOM_PKCS11_PIN", PIN)
    result = stillroom("signer", "init", "--state", base / "state", "--socket", base / "s.sock",
                       "--pkcs11-module", MODULE, "--token", token, "--workspace", workspace.root)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: an HSM key can take over only a new log (what `stillroom init` wrote, "
                                     "before any user, run or other entry); this one has 3 entries")
    assert (workspace.root / "keys" / "node.key").exists() and "[signer]" not in (workspace.root / "stillroom.toml").read_text()
    shutil.rmtree(base, ignore_errors=True)


def test_a_wrong_pin_is_refused(workspace, token, monkeypatch):
    base = short_dir()
    monkeypatch.setenv("STILLROOM_PKCS11_PIN", "0000")
    result = stillroom("signer", "init", "--state", base / "state", "--socket", base / "s.sock",
                       "--pkcs11-module", MODULE, "--token", token, "--workspace", workspace.root)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: PKCS#11 module {MODULE}, token 'stillroom': PinIncorrect while making an Ed25519 key"
    assert os.path.exists(workspace.root / "keys" / "node.key")
    shutil.rmtree(base, ignore_errors=True)
