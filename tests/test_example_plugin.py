"""The example third-party plugin, installed with pip, governed by the workspace policy."""

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


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """The environment of a command that sees the example: pip-installed into a private directory on its
    PYTHONPATH, never into the shared environment, whose plugins the other tests (and test workers) read meanwhile."""
    site = tmp_path_factory.mktemp("site")
    pip_install(EXAMPLE, site)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def plugins_list(workspace, marker, env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "stillroom.cli", "plugins", "list", "--json", "--workspace", str(workspace.root)],
        capture_output=True, text=True, env={**env, "STILLROOM_EXAMPLE_IMPORT_MARKER": str(marker)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def allow(workspace, rule: dict) -> None:
    (workspace.policy_dir / "plugins.yaml").write_text(yaml.safe_dump({"plugins": {"allow": [rule]}}))
    from tests.people import adopt_policy

    adopt_policy(workspace)  # an edit counts once adopted


def test_not_allowed_the_example_is_refused_and_never_imported(installed, workspace, tmp_path):
    marker = tmp_path / "imported"
    data = plugins_list(workspace, marker, installed)
    example = next(p for p in data["plugins"] if p["name"] == "example")
    assert example["status"] == "refused"
    assert example["distribution"] == "stillroom-plugin-example" and example["version"] == "0.1.0"
    assert "not in the policy's plugins allowlist" in example["reason"]
    assert "lines" not in data["components"]["source"]
    assert not marker.exists()


def test_allowed_the_example_loads_and_its_source_reads_records(installed, workspace, tmp_path):
    allow(workspace, {"name": "stillroom-plugin-example", "version": ">=0.1,<0.2"})
    marker = tmp_path / "imported"
    data = plugins_list(workspace, marker, installed)
    example = next(p for p in data["plugins"] if p["name"] == "example")
    assert example["status"] == "loaded" and example["record_sha256"]
    assert "lines" in data["components"]["source"]
    assert marker.read_text() == "imported\n"

    text = tmp_path / "queries.txt"
    text.write_text("card not arrived\n\nwhere is my refund\n")
    code = (
        "import json, sys\n"
        "from stillroom.workspace import Workspace\n"
        "from stillroom.cli import plugin_manager\n"
        "from stillroom.components import Context\n"
        f"ws = Workspace.open({str(workspace.root)!r})\n"
        "source = plugin_manager(ws).component('source', 'lines')\n"
        f"s = source({{'path': {str(text)!r}}}, Context(ws.root, ws.artifacts))\n"
        "print(json.dumps([r for b in s.read() for r in b]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**installed, "STILLROOM_EXAMPLE_IMPORT_MARKER": str(marker)})
    assert json.loads(result.stdout) == [{"text": "card not arrived"}, {"text": "where is my refund"}]


def test_allowed_version_range_that_excludes_it_refuses(installed, workspace, tmp_path):
    allow(workspace, {"name": "stillroom-plugin-example", "version": ">=1.0"})
    marker = tmp_path / "imported"
    example = next(p for p in plugins_list(workspace, marker, installed)["plugins"] if p["name"] == "example")
    assert example["status"] == "refused" and ">=1.0" in example["reason"]
    assert not marker.exists()
