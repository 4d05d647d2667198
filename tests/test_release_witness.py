"""A release from a workspace with a witness carries a cosigned checkpoint; `release verify --witness` needs it."""

import pytest

from stillroom import signing
from stillroom.release import build_release
from stillroom.workspace import Workspace
from tests.test_release import approve_both, release_request  # noqa: F401 (a fixture)
from tests.witness_helpers import init_witness, node_vkey, running_witness, stillroom


def verify(bundle, *args):
    return stillroom("release", "verify", bundle, *args)


@pytest.fixture
def witnessed_bundle(workspace, release_request, tmp_path):  # noqa: F811
    vkey = init_witness(workspace, tmp_path / "witness")
    approve_both(workspace, release_request)
    with running_witness(tmp_path / "witness") as url:
        config = workspace.root / "stillroom.toml"
        config.write_text(config.read_text() + f'\n[witness]\nurl = "{url}"\nkey = "{vkey}"\n')
        build_release(Workspace.open(workspace.root), release_request.id, tmp_path / "bundle", actor="olga")
    return tmp_path / "bundle", vkey


def test_a_witnessed_bundle_verifies_with_the_witness_key(witnessed_bundle, workspace):
    bundle, vkey = witnessed_bundle
    result = verify(bundle, "--node-key", node_vkey(workspace), "--witness", vkey)
    assert result.returncode == 0, result.stderr
    assert "ok  witness: the checkpoint is cosigned by audit-witness" in result.stdout


def test_another_witness_key_fails(witnessed_bundle, workspace):
    bundle, _ = witnessed_bundle
    from stillroom.witness.cosignature import witness_verifier_key

    other = witness_verifier_key("audit-witness", signing.generate_key().public_key())
    result = verify(bundle, "--node-key", node_vkey(workspace), "--witness", other)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: ledger/checkpoint: the checkpoint carries no cosignature by witness 'audit-witness'"


def test_a_bundle_without_a_witness_fails_when_one_is_required(workspace, release_request, tmp_path):  # noqa: F811
    vkey = init_witness(workspace, tmp_path / "witness")  # exists, but the workspace never asked it
    approve_both(workspace, release_request)
    build_release(workspace, release_request.id, tmp_path / "bundle", actor="olga")
    assert verify(tmp_path / "bundle", "--node-key", node_vkey(workspace)).returncode == 0
    result = verify(tmp_path / "bundle", "--node-key", node_vkey(workspace), "--witness", vkey)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: ledger/checkpoint: the checkpoint carries no cosignature by witness 'audit-witness'"


def test_a_release_is_refused_when_the_configured_witness_is_unusable(workspace, release_request, tmp_path):  # noqa: F811
    vkey = init_witness(workspace, tmp_path / "witness")
    approve_both(workspace, release_request)
    config = workspace.root / "stillroom.toml"
    plain = config.read_text()
    config.write_text(plain + '\n[witness]\nurl = "http://127.0.0.1:9"\nkey = "w+00000000+AAAA"\n')
    result = stillroom("release", release_request.id, "--out", tmp_path / "bundle", "--workspace", workspace.root)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"error: {config}: [witness] key: witness key 'w+00000000+AAAA' is not a "
                                     "cosignature/v1 verifier key (name+keyid+base64(0x04 ‖ Ed25519 key))")
    config.write_text(plain + f'\n[witness]\nurl = "http://127.0.0.1:9"\nkey = "{vkey}"\n')  # nobody listens there
    result = stillroom("release", release_request.id, "--out", tmp_path / "bundle", "--workspace", workspace.root)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: the witness at http://127.0.0.1:9 could not be reached")
    assert not (tmp_path / "bundle").exists()
