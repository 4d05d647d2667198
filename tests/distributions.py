"""A third-party plugin's source project, as a vendor would ship it, for tests that pip-install one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BUILT = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".venv", ".git")


def plugin_project(root: Path, package: str, body: str) -> Path:
    """Write a setuptools project under ``root`` whose package ``package`` holds ``body`` and registers itself
    as a Stillroom plugin; the distribution is named after the package (``_`` as ``-``)."""
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text(body)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{package.replace("_", "-")}"\nversion = "0.1.0"\n'
        f'[project.entry-points.stillroom]\n{package.removeprefix("stillroom_").replace("_", "-")} = "{package}"\n')
    return root


def source_copy(source: Path, into: Path, *parts: str) -> Path:
    """A copy of the project at ``source`` (only ``parts`` of it where given), without build output: pip builds in
    the folder it is given, and two test workers building in the repository at once would trip over each other."""
    into.mkdir(parents=True, exist_ok=True)
    if not parts:
        shutil.copytree(source, into, ignore=BUILT, dirs_exist_ok=True)
    for part in parts:
        if (source / part).is_dir():
            shutil.copytree(source / part, into / part, ignore=BUILT)
        else:
            shutil.copy2(source / part, into / part)
    return into


def pip_install(source: Path, target: Path) -> Path:
    """The project at ``source`` pip-installed into the private folder ``target``, never the shared environment,
    whose plugins the other test workers read; built from a copy (:func:`source_copy`)."""
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                        "--no-build-isolation", "--target", str(target), str(source_copy(source, Path(scratch)))],
                       check=True)
    return target
