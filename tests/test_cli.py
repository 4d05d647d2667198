"""The command line as a user meets it: fast help, exit codes, one-line errors, JSON listings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("torch", "transformers", "presidio_analyzer", "spacy", "onnxruntime", "streamlit")


def stillroom(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})})


def test_help_imports_no_ml_library():
    code = ("import sys; sys.argv = ['stillroom', '--help']\n"
            "from stillroom.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Governed, on-premise model distillation" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "HEAVY="


def test_init_creates_a_workspace_and_refuses_to_overwrite_it(tmp_path):
    target = tmp_path / "ws"
    first = stillroom("init", str(target))
    assert first.returncode == 0 and "Initialised workspace 'ws'" in first.stdout
    assert (target / "stillroom.toml").exists() and (target / "policies" / "plugins.yaml").exists()
    again = stillroom("init", str(target))
    assert again.returncode == 2 and again.stderr.strip() == f"error: {target} is already a Stillroom workspace"


def test_missing_workspace_is_a_usage_error_naming_the_fix(tmp_path):
    result = stillroom("runs", "list", "--workspace", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "no Stillroom workspace at" in result.stderr and "stillroom init" in result.stderr
    assert "Traceback" not in result.stderr


def test_workspace_comes_from_the_environment(workspace, tmp_path):
    result = stillroom("runs", "list", "--json", cwd=tmp_path, env={"STILLROOM_WORKSPACE": str(workspace.root)})
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_unknown_command_is_exit_code_2():
    assert stillroom("frobnicate").returncode == 2


def test_unknown_run_is_a_clear_error(workspace):
    result = stillroom("runs", "show", "run-nope", "--workspace", str(workspace.root))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: no run 'run-nope' in {workspace.root}; `stillroom runs list` shows the runs"


def test_debug_shows_the_traceback(tmp_path):
    result = stillroom("--debug", "runs", "list", "--workspace", str(tmp_path / "nowhere"))
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_plugins_list_json_shows_builtins_and_the_hook_surface(workspace):
    result = stillroom("plugins", "list", "--json", "--workspace", str(workspace.root))
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert {"jsonl", "csv"} <= set(data["components"]["source"])
    assert set(data["components"]) == {"source", "scrubber", "teacher", "trainer", "evaluator", "exporter"}
    jsonl = next(p for p in data["plugins"] if p["name"] == "stillroom.plugins.sources.jsonl")
    assert jsonl["origin"] == "builtin" and jsonl["status"] == "loaded" and "register_sources" in jsonl["hooks"]


def test_a_run_without_a_user_is_refused(workspace, tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("name: x\nsource: {type: jsonl, path: d.jsonl}\nteacher: {path: t}\n")
    result = stillroom("run", str(spec), "--workspace", str(workspace.root), env={"STILLROOM_USER": ""})
    assert result.returncode == 2 and "--as NAME" in result.stderr
