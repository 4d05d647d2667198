"""The execution seam: who runs a stage's work (``make_executor``), and what stays the same whoever does.

The components are test_pipeline's throwaway plugins (a keyword teacher, a
majority-class student) plus a digit-masking scrubber, so these tests are
about the runner and its executors, not about models.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import test_pipeline as tp

from stillroom import hookimpl
from stillroom.components import Executor, ScrubReport, Scrubber
from stillroom.config import parse_spec
from stillroom.plugin_manager import DEFAULT_PLUGINS, PluginInfo, PluginManager, load_plugins
from stillroom.run import run_pipeline
from stillroom.store import crud
from tests.people import adopt_policy


class DigitScrubber(Scrubber):
    """Masks every digit; enough PII detection for a test about batches."""

    name = "digits"

    def entities(self):
        return {"NUMBER": "pattern"}

    def find(self, texts):
        from stillroom.components import Span

        return [[Span("NUMBER", m.start(), m.end(), 1.0) for m in re.finditer(r"\d+", t)] for t in texts]

    def scrub(self, batch):
        counts = {}
        clean = []
        for record in batch:
            text, n = re.subn(r"\d+", "<NUMBER>", record["text"])
            counts["text"] = counts.get("text", 0) + n
            clean.append({**record, "text": text})
        return clean, ScrubReport(len(batch), {"NUMBER": counts} if counts else {}, {"NUMBER": "pattern"})


class ThreadedExecutor(Executor):
    """Maps batches on two threads, finishing out of order; results come back in batch order."""

    name = "threads"

    def __init__(self):
        self.work = []

    def map(self, work):
        self.work.append(("map", work.stage))
        with ThreadPoolExecutor(max_workers=2) as pool:
            yield from pool.map(work.fn, work.batches)

    def train(self, work):
        self.work.append(("train", work.stage))
        return work.fn(work.dataset)


class ExecutorPlugin:
    """Provides ``ray`` with the threaded executor: a stand-in for a real Ray plugin, in this process."""

    def __init__(self):
        self.executor = ThreadedExecutor()

    @hookimpl(tryfirst=True)
    def make_executor(self, name):
        return self.executor if name == "ray" else None

    @hookimpl
    def register_scrubbers(self, register):
        register(DigitScrubber)


@pytest.fixture
def plugins():
    manager = PluginManager()
    provider = ExecutorPlugin()
    for name, plugin in (("test-components", tp.TestPlugin()), ("test-executor", provider)):
        manager.pm.register(plugin, name=name)
        manager.infos[name] = PluginInfo(name, "test", __name__, "loaded")
    manager.load(entry_points=[])
    manager.provider = provider
    return manager


@pytest.fixture
def data_file(workspace):
    """1,200 records: three scrub and label batches of the core's fixed size. The workspace policy asks
    only for what the digit scrubber covers."""
    policy = workspace.policy_dir / "residency.yaml"
    text = policy.read_text()
    policy.write_text(re.sub(r"required_entities: \[.*\]", "required_entities: [NUMBER]", text))
    adopt_policy(workspace)
    def word(i):  # distinct texts after scrubbing, so every split gets some
        return "".join(chr(ord("a") + int(d)) for d in str(i))

    rows = [{"text": f"my card {i} is lost {word(i)}", "label": "card"} for i in range(900)]
    rows += [{"text": f"refund {i} please {word(i)}", "label": "refund"} for i in range(300)]
    path = workspace.root / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def spec(data_file, **overrides):
    return tp.spec(data_file, scrub={"type": "digits"}, evaluators=["accuracy"], **overrides)


def ledger(workspace, run_id):
    return [e for e in tp.entries(workspace) if e["run_id"] == run_id]


def test_the_local_executor_is_a_builtin_plugin_and_the_default(workspace):
    manager = load_plugins()
    assert "stillroom.run.executors.local" in DEFAULT_PLUGINS
    local = next(i for i in manager.plugins() if i.name == "stillroom.run.executors.local")
    assert local.status == "loaded" and local.hooks == ["make_executor"]
    assert manager.executor("local", policy=workspace.policy(), workspace=workspace.root).name == "local"


def test_an_executor_no_plugin_provides_is_a_config_error(workspace):
    from stillroom.errors import ConfigError

    with pytest.raises(ConfigError, match="^the pipeline names executor 'slurm', which no installed plugin provides; "
                                          "use `executor: local` \\(the default\\)$"):
        load_plugins().executor("slurm", policy=workspace.policy(), workspace=workspace.root)


def test_executor_ray_without_ray_installed_is_refused_before_anything_is_recorded(workspace, data_file, tmp_path):
    """Ray is made unimportable for the command (a ``ray`` package that raises ImportError first on its path)."""
    from tests.people import setup_user

    setup_user(workspace, "op", ["operator"], "correct horse battery")
    (tmp_path / "no-ray" / "ray").mkdir(parents=True)
    (tmp_path / "no-ray" / "ray" / "__init__.py").write_text("raise ImportError('no ray here')\n")
    path = workspace.root / "ray.yaml"
    path.write_text(f"name: on-ray\nsource: {{type: jsonl, path: {data_file}, classification: public}}\n"
                    "teacher: {path: /nonexistent/teacher}\nexecutor: ray\n")
    before = len(tp.entries(workspace))
    env = {**os.environ, "STILLROOM_PASSPHRASE": "correct horse battery",
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "no-ray"), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "stillroom.cli", "run", str(path), "--workspace", str(workspace.root), "--as", "op"],
        capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: the pipeline names executor 'ray', and Ray is not installed; "
                                     "install it with pip install 'stillroom[ray]'")
    with workspace.session() as s:
        assert crud.list_runs(s) == []
    assert len(tp.entries(workspace)) == before
    assert not (workspace.root / "runs").exists()


def test_a_plugin_that_provides_the_named_executor_runs_the_work_and_the_ledger_says_which(
        workspace, plugins, data_file):
    run = run_pipeline(workspace, spec(data_file, executor="ray"), initiator="op", plugins=plugins, progress=False)
    assert plugins.provider.executor.work == [("map", "ingest"), ("map", "scrub"), ("map", "label"),
                                              ("map", "label"), ("map", "label"), ("train", "train")]
    start = next(e for e in ledger(workspace, run.run_id) if e["kind"] == "run.start")
    assert start["payload"]["executor"] == "threads" and start["payload"]["spec"]["executor"] == "ray"
    assert run.summaries["preflight"]["executor"] == {"name": "threads"}


def test_scrub_and_label_digests_do_not_depend_on_the_executor(workspace, plugins, data_file):
    local = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    threaded = run_pipeline(workspace, spec(data_file, executor="ray"), initiator="op", plugins=plugins, progress=False)
    assert local.summaries["scrub"]["records"] == 1200 and local.summaries["scrub"]["entities"] == {"NUMBER": 1200}
    for role in ("ingested", "scrubbed", "scrub_report", "dataset", "labels.train", "labels.validation",
                 "labels.test", "student"):
        assert local.artifacts[role] == threaded.artifacts[role], role
    assert "<NUMBER>" in workspace.artifacts.read_bytes(local.artifacts["scrubbed"]).decode()


def test_every_stage_ledgers_the_digests_it_read_and_wrote(workspace, plugins, data_file):
    run = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    stages = {e["kind"].removeprefix("stage."): e["payload"] for e in ledger(workspace, run.run_id)
              if e["kind"].startswith("stage.")}
    assert stages["scrub"]["reads"] == {"ingested": run.artifacts["ingested"]}
    assert set(stages["scrub"]["writes"]) == {"scrubbed", "scrub_report"}
    assert stages["train"]["reads"]["dataset"] == stages["curate"]["writes"]["dataset"] == run.artifacts["dataset"]
    assert set(stages["label"]["writes"]) == {"labels.train", "labels.validation", "labels.test"}
    assert stages["train"]["writes"] == {"student": run.artifacts["student"]}
    assert stages["export"]["reads"]["student"] == run.artifacts["student"]


def test_a_stage_that_writes_an_artifact_it_does_not_declare_fails_the_run(workspace, plugins, data_file, monkeypatch):
    from dataclasses import replace

    from stillroom.errors import StillroomError
    from stillroom.run import runner

    monkeypatch.setattr(runner, "PIPELINE", tuple(replace(s, writes=()) if s.name == "ingest" else s
                                                  for s in runner.PIPELINE))
    with pytest.raises(StillroomError, match=r"^stage ingest wrote artifacts it does not declare \(ingested\)"):
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    with workspace.session() as s:
        run = crud.list_runs(s)[0]
        assert run.status == "failed"
        assert [st.status for st in crud.list_stages(s, run_id=run.id)] == ["succeeded", "failed"]


def test_the_trained_student_is_an_artifact_and_export_loads_it_by_digest(workspace, plugins, data_file):
    trained = []
    original = tp.MajorityTrainer.train

    def remember(self, *args):
        trained.append(original(self, *args))
        return trained[-1]

    tp.MajorityTrainer.train = remember
    try:
        run = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    finally:
        tp.MajorityTrainer.train = original
    manifest = workspace.artifacts.read_json(run.artifacts["student"])
    assert manifest["trainer"] == "majority" and manifest["parameters"] == 1
    exported = workspace.artifacts.read_json(run.artifacts["exports"])["json"]["student.json"]
    assert manifest["files"] == {"student.json": exported}
    assert run.live.students["student"] is not trained[0]  # export got the stored one, not the trained object
    assert run.live.students["student"].label == trained[0].label


def _phone_home(port, batch):
    """Portable work that tries to reach a loopback port the egress policy does not allow."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except PermissionError:
        pass
    return len(batch)


@pytest.mark.ray
def test_the_egress_guard_is_armed_in_every_ray_worker_and_the_attempt_comes_back_as_evidence(workspace):
    pytest.importorskip("ray")
    import socket
    from functools import partial

    import ray.cloudpickle

    from stillroom.components import MapWork
    from stillroom.run.executors.ray import RayExecutor

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import the tests folder
    (workspace.policy_dir / "egress.yaml").write_text("egress:\n  allow:\n    - {host: 127.0.0.1, port: 5432}\n")
    adopt_policy(workspace)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    executor = RayExecutor(workspace.policy(), workspace.root)
    try:
        work = MapWork("probe", partial(_phone_home, port), [[1, 2], [3], [4, 5, 6]], portable=True)
        assert list(executor.map(work)) == [2, 1, 3]
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        executor.close()
        listener.close()
    evidence = executor.evidence("probe")
    assert evidence["ran_on"] == "ray workers" and evidence["nodes"] == [socket.gethostname()]
    assert [(b["target"], b["stage"], b["node"]) for b in evidence["blocked"]] == \
        [(f"127.0.0.1:{port}", "probe", socket.gethostname())] * 3
