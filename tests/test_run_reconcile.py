"""Issue 11 item 12: a run whose process was SIGKILLed must not stay ``running`` forever.

A real child process runs a pipeline whose teacher blocks; the test kills it
with SIGKILL mid-stage. While it lives, opening the workspace leaves it alone;
once it is dead, the next open (here: ``stillroom runs list``) marks it
``interrupted`` and ledgers a ``run.interrupted`` entry, once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from stillroom.store import crud
from stillroom.workspace import Workspace
from tests.conftest import REPO

CHILD = textwrap.dedent("""
    import json, sys, time
    from stillroom import hookimpl
    from stillroom.config import parse_spec
    from stillroom.pipeline import run_pipeline
    from stillroom.plugin_manager import PluginInfo, PluginManager
    from stillroom.workspace import Workspace
    from tests.test_pipeline import KeywordTeacher, TestPlugin

    class BlockingTeacher(KeywordTeacher):
        name = "blocking"

        def predict(self, texts):
            print("labelling", flush=True)
            time.sleep(300)

    class Blocking:
        @hookimpl
        def register_teachers(self, register):
            register(BlockingTeacher)

    manager = PluginManager()
    for name, plugin in (("test-components", TestPlugin()), ("blocking", Blocking())):
        manager.pm.register(plugin, name=name)
        manager.infos[name] = PluginInfo(name, "test", "tests", "loaded")
    manager.load(entry_points=[])
    ws = Workspace.open(sys.argv[1])
    spec = parse_spec({"name": "t", "source": {"type": "jsonl", "path": sys.argv[2], "classification": "public"},
                       "teacher": {"type": "blocking"}, "data": {"label_field": "label"}, "curate": False,
                       "exporters": ["json"]})
    run_pipeline(ws, spec, initiator="op", plugins=manager, progress=False)
""")


def kinds(workspace, run_id):
    return [e.kind for e in Workspace.open(workspace.root).ledger().entries(run_id=run_id, limit=1000)]


def test_a_sigkilled_run_is_marked_interrupted_on_the_next_open(workspace):
    data = workspace.root / "data.jsonl"
    data.write_text("".join(json.dumps({"text": f"my card {i}", "label": "card"}) + "\n" for i in range(40)))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(workspace.root), str(data)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert child.stdout.readline().strip() == "labelling", child.stderr.read()
        with workspace.session() as s:
            (run,) = crud.list_runs(s)
        alive = Workspace.open(workspace.root)  # an open while the run lives must not touch it
        with alive.session() as s:
            assert crud.get_run(s, run.id).status == "running"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert "run.end" not in kinds(workspace, run.id)

    listed = subprocess.run([sys.executable, "-m", "stillroom.cli", "runs", "list", "--json",
                             "--workspace", str(workspace.root)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["id"] == run.id and row["status"] == "interrupted"
    assert row["message"].startswith("interrupted: the process running it stopped without recording an outcome")
    assert kinds(workspace, run.id).count("run.interrupted") == 1
    Workspace.open(workspace.root)
    assert kinds(workspace, run.id).count("run.interrupted") == 1
    assert not (workspace.root / "runs" / run.id / ".running").exists()


def test_a_run_that_ends_leaves_no_lock_and_is_never_reconciled(workspace):
    from tests.test_pipeline import TestPlugin  # noqa: F401  (the same throwaway components, in process)
    from stillroom.plugin_manager import PluginInfo, PluginManager
    from stillroom.pipeline import run_pipeline
    from tests.test_pipeline import spec

    manager = PluginManager()
    manager.pm.register(TestPlugin(), name="test-components")
    manager.infos["test-components"] = PluginInfo("test-components", "test", "tests", "loaded")
    manager.load(entry_points=[])
    data = workspace.root / "data.jsonl"
    data.write_text("".join(json.dumps({"text": f"refund {i}", "label": ["card", "refund"][i % 2]}) + "\n"
                            for i in range(40)))
    run = run_pipeline(workspace, spec(data), initiator="op", plugins=manager, progress=False)
    assert not (workspace.root / "runs" / run.run_id / ".running").exists()
    Workspace.open(workspace.root)
    with workspace.session() as s:
        assert crud.get_run(s, run.run_id).status == "succeeded"
    assert "run.interrupted" not in kinds(workspace, run.run_id)
