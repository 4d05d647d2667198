"""Issue 11 item 8 (and the policy part of 12): hostile YAML in a spec or a policy is refused, cheaply.

A 688-byte "billion laughs" file exhausted memory; a spec of 10^6 leaves wrote a
69 MB ``run.start`` entry into the append-only ledger for good; a policy allowed
egress to ``"not a host!!"``. Each is now one sentence, exit 2, nothing written.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stillroom.config import MAX_SPEC_BYTES, load_spec
from stillroom.errors import ConfigError
from stillroom.store import crud
from stillroom.yamlsafe import MAX_NODES
from tests.people import adopt_policy


def billion_laughs() -> str:
    """The classic alias bomb: ten levels of ten references, 10^9 leaves from under 700 bytes."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def many_leaves(n: int) -> str:
    return ("name: x\nsource: {type: jsonl, path: d.jsonl}\nteacher: {path: t}\nstudent:\n  config:\n    leaves: ["
            + ",".join("1" for _ in range(n)) + "]\n")


def stillroom(*args, env=None):
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture
def operator(workspace):
    from tests.people import setup_user

    setup_user(workspace, "op", ["operator"], "correct horse battery", actor="admin")
    return {"STILLROOM_PASSPHRASE": "correct horse battery"}


def test_the_bomb_is_small_and_the_loader_refuses_its_first_anchor(tmp_path):
    bomb = billion_laughs()
    assert len(bomb) < 700
    spec = tmp_path / "bomb.yaml"
    spec.write_text(bomb)
    with pytest.raises(ConfigError) as caught:
        load_spec(spec)
    assert str(caught.value) == f"{spec}: line 1: YAML anchors (&a) are not allowed; write the value out"


def test_an_alias_alone_is_refused_too(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("name: x\nsource: {type: jsonl, path: d.jsonl}\nteacher: {path: *t}\n")
    with pytest.raises(ConfigError, match=r"line 3: YAML aliases \(\*name\) are not allowed"):
        load_spec(spec)


def test_a_million_leaf_spec_is_refused_at_the_node_cap(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text(many_leaves(MAX_NODES + 10))
    with pytest.raises(ConfigError, match=rf"more than {MAX_NODES} values, the most a spec or policy may hold$"):
        load_spec(spec)
    spec.write_text(many_leaves(1_000_000))
    with pytest.raises(ConfigError, match=r"the file is larger than 1000 kB"):
        load_spec(spec)


def test_a_spec_too_big_for_the_ledger_is_refused(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text(many_leaves(MAX_SPEC_BYTES // 2 + 100))
    with pytest.raises(ConfigError, match=rf"the spec is \d+ kB, more than the {MAX_SPEC_BYTES // 1000} kB a run may "
                                          "write into the ledger$"):
        load_spec(spec)


@pytest.mark.parametrize("attack", ["bomb", "leaves"])
def test_stillroom_run_refuses_the_attack_spec_and_the_ledger_does_not_grow(tmp_path, workspace, operator, attack):
    spec = tmp_path / "p.yaml"
    spec.write_text(billion_laughs() if attack == "bomb" else many_leaves(MAX_SPEC_BYTES // 2 + 100))
    before = workspace.ledger().size()
    result = stillroom("run", str(spec), "--workspace", str(workspace.root), "--as", "op", env=operator)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {spec}: ") and len(result.stderr.strip().splitlines()) == 1
    assert workspace.ledger().size() == before
    with workspace.session() as s:
        assert crud.list_runs(s) == []


def test_policy_check_refuses_an_alias_bomb_in_a_policy_file(workspace):
    policy = workspace.policy_dir / "egress.yaml"
    policy.write_text(billion_laughs().replace("a: &a", "egress: &a", 1))
    result = stillroom("policy", "check", "--workspace", str(workspace.root))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {policy}: line 1: YAML anchors (&a) are not allowed; write the value out"


@pytest.mark.parametrize(("rule", "found"), [('{host: "not a host!!"}', "not a host!!"),
                                             ('{host: "db..internal"}', "db..internal"),
                                             ('{host: "10.0.0.0/33"}', "10.0.0.0/33")])
def test_policy_check_refuses_an_egress_host_that_is_not_a_host(workspace, rule, found):
    policy = workspace.policy_dir / "egress.yaml"
    policy.write_text(f"egress:\n  allow:\n    - {rule}\n")
    result = stillroom("policy", "check", "--workspace", str(workspace.root))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {policy}: egress.allow.0.host: expected a host name (db.internal), an IP address (10.0.0.5) "
        f"or a CIDR network (10.0.0.0/8), found {found!r}")


def test_policy_check_refuses_an_egress_port_out_of_range_or_a_boolean(workspace):
    policy = workspace.policy_dir / "egress.yaml"
    for port in ("0", "70000", "true"):
        policy.write_text(f"egress:\n  allow:\n    - {{host: db.internal, port: {port}}}\n")
        result = stillroom("policy", "check", "--workspace", str(workspace.root))
        assert result.returncode == 2 and "egress.allow.0.port" in result.stderr, result.stderr
    policy.write_text("egress:\n  allow:\n    - {host: db.internal, port: 5432}\n    - {host: 10.0.0.0/8}\n")
    valid = stillroom("policy", "check", "--workspace", str(workspace.root))
    assert valid.returncode == 1 and "egress.yaml changed since the policy in force was adopted" in valid.stderr
    adopt_policy(workspace)
    assert stillroom("policy", "check", "--workspace", str(workspace.root)).returncode == 0
