"""Workspaces: what init writes, what open checks, and how a damaged one is reported."""

from __future__ import annotations

import stat

import pytest

from stillroom import signing
from stillroom.errors import WorkspaceError
from stillroom.policy import load_policy
from stillroom.store import db
from stillroom.workspace import Workspace, init_workspace


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_config_policies_keys_and_a_migrated_store(workspace):
    root = workspace.root
    assert workspace.name == "test-ws" and workspace.origin.startswith("stillroom.local/test-ws/")
    assert {p.name for p in (root / "policies").iterdir()} == {
        "residency.yaml", "egress.yaml", "release_gates.yaml", "approvals.yaml", "plugins.yaml"}
    assert mode(root / "keys" / "node.key") == 0o600 and mode(root / "keys" / "secret") == 0o600
    assert len(workspace.secret()) == 32
    signing.load_private_key(root / "keys" / "node.key")
    assert db.current_revision(workspace.engine) == db.head_revision()
    assert load_policy(workspace.policy_dir).plugins.allow == []


def test_two_workspaces_have_distinct_keys_secrets_and_origins(tmp_path):
    a = init_workspace(tmp_path / "a")
    b = init_workspace(tmp_path / "b")
    assert a.secret() != b.secret() and a.origin != b.origin
    assert signing.public_bytes(a.node_key()) != signing.public_bytes(b.node_key())


def test_open_a_directory_that_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="no Stillroom workspace at .*`stillroom init"):
        Workspace.open(tmp_path)


def test_damaged_config_names_the_file(workspace):
    (workspace.root / "stillroom.toml").write_text("[workspace\nname=")
    with pytest.raises(WorkspaceError, match="stillroom.toml: not valid TOML"):
        Workspace.open(workspace.root)


def test_config_missing_a_key_names_it(workspace):
    (workspace.root / "stillroom.toml").write_text('[workspace]\nname = "x"\n')
    with pytest.raises(WorkspaceError, match=r"\[ledger\] origin is missing"):
        Workspace.open(workspace.root)


def test_bad_workspace_name_is_refused(tmp_path):
    with pytest.raises(WorkspaceError, match="must be letters, digits"):
        init_workspace(tmp_path / "w", name="bad name/../x")


def test_database_url_switches_to_postgres(workspace, monkeypatch, postgres_schema):
    monkeypatch.setenv("STILLROOM_DATABASE_URL", postgres_schema)
    reopened = Workspace.open(workspace.root)
    assert reopened.engine.dialect.name == "postgresql"
    assert db.current_revision(reopened.engine) == db.head_revision()


def test_malformed_policy_names_file_field_expected_and_found(workspace):
    path = workspace.policy_dir / "release_gates.yaml"
    path.write_text(path.read_text().replace("min_fidelity: 0.85", "min_fidelity: high"))
    from stillroom.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        load_policy(workspace.policy_dir)
    message = str(caught.value)
    assert message.startswith(str(path)) and "release_gates.min_fidelity" in message and "'high'" in message
