"""A third-party plugin's source project, as a vendor would ship it, for tests that pip-install one."""

from __future__ import annotations

from pathlib import Path


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
