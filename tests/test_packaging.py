"""`pip install .` (not only -e) must ship every module, the policies, the migrations, the dashboard and the demo data."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile

from conftest import REPO
from tests.distributions import source_copy

ROOTS = {"stillroom": "core", "stillroom.plugins": "plugins", "stillroom.dashboard": "dashboard",
         "stillroom.policies": "policies", "stillroom.examples": "examples"}


def test_every_package_directory_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == ROOTS
    found = set()
    for name, folder in ROOTS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder)
            if "stillroom-plugin-example" in relative.parts:  # its own distribution, not ours
                continue
            found.add(".".join([name, *relative.parts]))
    assert found == set(config["packages"])


def test_the_wheel_carries_policies_migrations_dashboard_and_demo_data(tmp_path):
    source = source_copy(REPO, tmp_path / "src", "pyproject.toml", "README.md", *ROOTS.values())
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(source)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("stillroom-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("stillroom/policies/residency.yaml", "stillroom/policies/plugins.yaml",
                   "stillroom/store/migrations/env.py", "stillroom/store/migrations/versions/0003_governance.py",
                   "stillroom/dashboard/app.py", "stillroom/dashboard/app_pages/request.py",
                   "stillroom/examples/data/banking77_pii_sample.jsonl", "stillroom/plugins/scrubbers/presidio.py",
                   "stillroom/cli.py"):
        assert needed in names, needed
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "stillroom = stillroom.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
