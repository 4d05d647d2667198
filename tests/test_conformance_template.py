"""`stillroom plugin new` writes projects that pass the kit; the kit, run by name, refuses components that break it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stillroom.testing.template import KINDS
from tests.distributions import pip_install


def stillroom(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args], capture_output=True, text=True, cwd=cwd)


def kit(*args, cwd, path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path))}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                           *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_every_kind_writes_a_project_that_passes_the_kit(tmp_path):
    for kind in KINDS:
        assert stillroom("plugin", "new", f"acme-{kind}", "--kind", kind, "--out", str(tmp_path)).returncode == 0
    projects = sorted(tmp_path.iterdir())
    assert {p.name for p in projects} == {f"stillroom-plugin-acme-{k}" for k in KINDS}
    for project in projects:
        assert {"pyproject.toml", "README.md", "tests/conftest.py", "tests/test_conformance.py"} <= {
            str(f.relative_to(project)) for f in project.rglob("*") if f.is_file()}
    result = kit(*[str(p / "tests") for p in projects], cwd=tmp_path, path=[p / "src" for p in projects])
    assert result.returncode == 0, result.stdout[-3000:]
    assert "7 passed" in result.stdout  # two source contracts, one for each other family


@pytest.fixture
def installed_scrubber(tmp_path):
    """A generated scrubber plugin, pip-installed into a private target (its entry point visible there only)."""
    assert stillroom("plugin", "new", "acme", "--kind", "scrubber", "--out", str(tmp_path)).returncode == 0
    project, target = tmp_path / "stillroom-plugin-acme", tmp_path / "site"
    pip_install(project, target)
    (tmp_path / "run").mkdir()
    return target / "stillroom_plugin_acme" / "__init__.py", target


def test_the_kit_runs_against_an_installed_plugin_by_its_entry_point_name(installed_scrubber, tmp_path):
    _, target = installed_scrubber
    result = kit("--stillroom-plugin", "acme", cwd=tmp_path / "run", path=[target])
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 passed" in result.stdout and "scrubber:acme" in kit(
        "--stillroom-plugin", "acme", "--collect-only", cwd=tmp_path / "run", path=[target]).stdout


def test_a_scrubber_whose_report_holds_what_it_found_fails_the_kit(installed_scrubber, tmp_path):
    module, target = installed_scrubber
    module.write_text(module.read_text().replace(
        "return out, report", "report.residual.append({'value': EMAIL.search(str(batch)).group()})\n        return out, report"))
    result = kit("--stillroom-plugin", "acme", cwd=tmp_path / "run", path=[target])
    assert result.returncode == 1 and "the scrub report holds 1 detected values" in result.stdout


def test_a_scrubber_that_phones_home_fails_the_kit_even_when_it_swallows_the_refusal(installed_scrubber, tmp_path):
    module, target = installed_scrubber
    module.write_text(module.read_text().replace("    def find(self, texts):\n", (
        "    def find(self, texts):\n        import socket\n        try:\n"
        "            socket.create_connection(('203.0.113.9', 443), timeout=1)\n"
        "        except OSError:\n            pass\n")))
    result = kit("--stillroom-plugin", "acme", cwd=tmp_path / "run", path=[target])
    assert result.returncode == 1 and "acme tried to reach 203.0.113.9" in result.stdout


def test_plugin_new_refuses_a_bad_name_an_unknown_kind_and_an_existing_folder(tmp_path):
    bad = stillroom("plugin", "new", "Acme", "--kind", "source", "--out", str(tmp_path))
    assert bad.returncode == 2 and "must be lower-case" in bad.stderr
    unknown = stillroom("plugin", "new", "acme", "--kind", "sink", "--out", str(tmp_path))
    assert unknown.returncode == 2 and "is not one of source" in unknown.stderr
    assert not any(tmp_path.iterdir())
    assert stillroom("plugin", "new", "acme", "--kind", "source", "--out", str(tmp_path)).returncode == 0
    again = stillroom("plugin", "new", "acme", "--kind", "source", "--out", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr
