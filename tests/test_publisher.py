"""Publisher signatures: a plugin pinned to its vendor's key loads only with their signature over its RECORD."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from conftest import REPO
from tests.distributions import pip_install

EXAMPLE = REPO / "examples" / "stillroom-plugin-example"
DIST = "stillroom-plugin-example"


def cli(*args, target, marker=None):
    env = {**os.environ, "PYTHONPATH": str(target)}
    if marker:
        env["STILLROOM_EXAMPLE_IMPORT_MARKER"] = str(marker)
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args], capture_output=True, text=True, env=env)


@pytest.fixture
def site(tmp_path):
    """The example plugin pip-installed into a private target, and two publisher keys: the vendor's and another."""
    target = tmp_path / "site"
    pip_install(EXAMPLE, target)
    keys = {}
    for name in ("acme", "mallory"):
        made = cli("plugin", "keygen", "--name", name, "--out", str(tmp_path / f"{name}.key"), target=target)
        assert made.returncode == 0, made.stderr
        keys[name] = made.stdout.strip()
    return target, keys


def sign(tmp_path, target, key="acme"):
    signed = cli("plugin", "sign", DIST, "--key", str(tmp_path / f"{key}.key"), "--name", key, "--json",
                 target=target)
    assert signed.returncode == 0, signed.stderr
    return json.loads(signed.stdout)


def pin(workspace, rule):
    (workspace.policy_dir / "plugins.yaml").write_text(yaml.safe_dump({"plugins": {"allow": [{"name": DIST, **rule}]}}))
    from tests.people import adopt_policy

    adopt_policy(workspace)


def example(workspace, target, marker):
    listed = cli("plugins", "list", "--json", "--workspace", str(workspace.root), target=target, marker=marker)
    assert listed.returncode == 0, listed.stderr
    return next(p for p in json.loads(listed.stdout)["plugins"] if p["name"] == "example")


def test_a_plugin_signed_by_the_pinned_publisher_loads_and_shows_its_publisher(site, workspace, tmp_path):
    target, keys = site
    signed = sign(tmp_path, target)
    assert signed["verifier_key"] == keys["acme"] and signed["signature"].endswith("SIGNATURE.stillroom.dsse.json")
    pin(workspace, {"publisher": keys["acme"]})
    found = example(workspace, target, tmp_path / "imported")
    assert found["status"] == "loaded" and found["publisher"] == "acme"
    assert found["record_sha256"] == signed["record_sha256"]
    assert (tmp_path / "imported").read_text() == "imported\n"
    table = cli("plugins", "list", "--workspace", str(workspace.root), target=target)
    assert "acme" in table.stdout


def test_a_missing_signature_under_a_publisher_pin_refuses_before_import(site, workspace, tmp_path):
    target, keys = site
    pin(workspace, {"publisher": keys["acme"]})
    found = example(workspace, target, tmp_path / "imported")
    assert found["status"] == "refused" and "has no publisher signature" in found["reason"]
    assert not (tmp_path / "imported").exists()


def test_a_signature_by_another_key_refuses_before_import(site, workspace, tmp_path):
    target, keys = site
    sign(tmp_path, target, key="mallory")
    pin(workspace, {"publisher": keys["acme"]})
    found = example(workspace, target, tmp_path / "imported")
    assert found["status"] == "refused" and "does not verify with acme's key" in found["reason"]
    assert not (tmp_path / "imported").exists()


def test_a_tampered_record_refuses_before_import(site, workspace, tmp_path):
    target, keys = site
    sign(tmp_path, target)
    record = next(target.glob("stillroom_plugin_example-*.dist-info")) / "RECORD"
    record.write_text(record.read_text() + "stillroom_plugin_example/extra.py,,\n")
    pin(workspace, {"publisher": keys["acme"]})
    found = example(workspace, target, tmp_path / "imported")
    assert found["status"] == "refused" and "but acme signed" in found["reason"]
    assert not (tmp_path / "imported").exists()


def test_a_changed_file_under_a_valid_signature_refuses_before_import(site, workspace, tmp_path):
    target, keys = site
    sign(tmp_path, target)
    module = target / "stillroom_plugin_example" / "__init__.py"
    module.write_text(module.read_text() + "\nimport socket\n")
    pin(workspace, {"publisher": keys["acme"], "version": ">=0.1"})
    found = example(workspace, target, tmp_path / "imported")
    assert found["status"] == "refused" and "no longer matches its RECORD hash" in found["reason"]
    assert not (tmp_path / "imported").exists()


def test_a_publisher_pin_that_is_not_a_verifier_key_is_a_policy_error(workspace):
    (workspace.policy_dir / "plugins.yaml").write_text(
        yaml.safe_dump({"plugins": {"allow": [{"name": DIST, "publisher": "acme"}]}}))
    checked = subprocess.run([sys.executable, "-m", "stillroom.cli", "policy", "check", "--workspace",
                              str(workspace.root)], capture_output=True, text=True)
    assert checked.returncode == 2 and "verifier key" in checked.stderr
