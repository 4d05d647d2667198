"""The ray executor against a real Ray cluster on this host: one head node with 2 CPUs, labelled region ``dc-2``.

Started once for this module with ``ray start --head --block`` (usage reporting
off, dashboard off) and stopped by ending that process. Each test runs real
built-in components (Presidio, a tiny Hugging Face classifier, logit KD) and a
fresh workspace per executor, so no label cache hides work.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
import yaml

from stillroom.workspace import init_workspace
from tests.distributions import pip_install, plugin_project
from tests.people import adopt_policy, setup_user

pytestmark = pytest.mark.ray
# Ray's command line through this interpreter: a venv's bin/ray script may name another venv's Python (a
# copied venv keeps its origin's), whose workers would then import another checkout's Stillroom
RAY = [sys.executable, "-m", "ray.scripts.scripts"]
PASS = "correct horse battery"


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """Where these tests pip-install third-party plugins: on the Ray node's PYTHONPATH, and on this process's
    path for the test that installs one; never the shared environment, whose plugins other test workers read."""
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="module")
def cluster(plugin_site):
    # token auth, as docs/scale.md asks of a cluster: tests/conftest.py sets RAY_AUTH_MODE and RAY_AUTH_TOKEN
    # before anything imports Ray, whose core reads them once per process
    assert os.environ.get("RAY_AUTH_MODE") == "token" and os.environ.get("RAY_AUTH_TOKEN")
    pytest.importorskip("ray")
    port = _free_port()
    temp = f"/tmp/sr-ray-{secrets.token_hex(3)}"  # short: Ray's socket paths live under it
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(plugin_site), os.environ.get("PYTHONPATH")]))}
    head = subprocess.Popen(
        [*RAY, "start", "--head", "--block", f"--port={port}",
         f"--dashboard-agent-listen-port={_free_port()}",  # not Ray's fixed default: another Ray may hold it
         "--num-cpus=2", "--node-ip-address=127.0.0.1", "--include-dashboard=false", "--disable-usage-stats",
         "--labels=stillroom.io/region=dc-2", f"--temp-dir={temp}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while subprocess.run([*RAY, "status", f"--address={address}"],
                             env=env, capture_output=True).returncode != 0:
            assert head.poll() is None and time.time() < deadline, "the Ray head did not start"
            time.sleep(2)
        yield address
        if head.poll() is None:
            _end_ray_datas_coordinator(address)
    finally:
        import ray

        ray.shutdown()
        head.terminate()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait()
        shutil.rmtree(temp, ignore_errors=True)


def _end_ray_datas_coordinator(address: str) -> None:
    """Ray Data leaves a detached actor on the node, its autoscaling coordinator, which holds up the node's
    graceful stop for 30 s: end it first."""
    import ray

    ray.shutdown()
    try:
        ray.init(address=address, log_to_driver=False)
        ray.kill(ray.get_actor("AutoscalingCoordinator", namespace="AutoscalingCoordinator"))
    except Exception:  # none was started, or the node is going: the head's own stop ends it, only more slowly
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def residency(workspace, *, boundary: list[str], required: list[str] | None = None) -> None:
    """Regions on-prem (this host's files) and dc-2 (the cluster node's label), with ``boundary``; adopted."""
    path = workspace.policy_dir / "residency.yaml"
    policy = yaml.safe_load(path.read_text())
    rules = policy["residency"]
    rules["regions"]["dc-2"] = {"hosts": ["*.dc2.internal"]}
    rules["boundary"] = list(boundary)
    for rule in rules["classifications"].values():
        rule["allowed_regions"] = list(boundary)
    if required is not None:
        rules["required_entities"] = required
    path.write_text(yaml.safe_dump(policy))
    adopt_policy(workspace)


def pipeline(tmp_path, **overrides) -> dict:
    """1,100 toy intent requests with an e-mail address or a name each: three scrub batches, two label batches."""
    from tests import tinymodels as tm

    texts, labels = tm.toy_split(1100, 7)
    rows = [{"text": f"{t}, write to jane.doe{i}@example.com" if i % 2 else f"{t}, says Peter Smith {i}",
             "label": list(tm.INTENTS)[y]} for i, (t, y) in enumerate(zip(texts, labels))]
    data = tmp_path / "requests.jsonl"
    if not data.exists():
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
        tm.classifier_dir(tmp_path / "teacher")
    return {"name": "intents", "source": {"type": "jsonl", "path": str(data), "classification": "confidential"},
            "teacher": {"type": "hf", "path": str(tmp_path / "teacher")}, "data": {"label_field": "label"},
            "scrub": {"type": "presidio", "workers": 1}, "student": {"layers": 1, "epochs": 1, "batch_size": 32},
            "baseline": False, "evaluators": ["task"], "exporters": [], **overrides}


# a one-layer student from a config with dropout off, two epochs: see the tolerance where it is compared
STUDENT = {"init": "config", "epochs": 2, "batch_size": 32, "lr": 3e-3,
           "config": {"num_hidden_layers": 1, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}}


def stage_entries(workspace, run_id) -> dict[str, dict]:
    return {e.kind.removeprefix("stage."): e.payload for e in workspace.ledger().entries(run_id=run_id, limit=1000)
            if e.kind.startswith("stage.")}


def test_the_same_spec_gives_the_same_digests_locally_and_on_ray(cluster, tmp_path, monkeypatch):
    from stillroom.config import parse_spec
    from stillroom.run import run_pipeline

    monkeypatch.setenv("RAY_ADDRESS", cluster)
    runs = {}
    for executor in ("local", "ray"):
        workspace = init_workspace(tmp_path / executor, name=executor)  # its own label cache
        residency(workspace, boundary=["on-prem", "dc-2"])
        spec = parse_spec(pipeline(tmp_path, executor=executor, student=STUDENT))
        runs[executor] = (workspace, run_pipeline(workspace, spec, initiator="op", progress=False))
    (_, local), (workspace, on_ray) = runs["local"], runs["ray"]
    for role in ("ingested", "scrubbed", "scrub_report", "curation_funnel", "dataset",
                 "labels.train", "labels.validation", "labels.test"):
        assert local.artifacts[role] == on_ray.artifacts[role], role
    assert on_ray.summaries["scrub"]["entities"]["EMAIL_ADDRESS"] == 550
    assert not any(on_ray.summaries["label"]["outputs"][split]["cached"] for split in ("train", "validation", "test"))
    # Training ran on two Ray Train workers (DDP, gloo) on the same artifacts: the same seeded batches, each
    # rank's loss weighted by its share, the gradients averaged, so the same optimizer steps as one process up
    # to float summation order and per-rank padding width (dropout is off in STUDENT: each rank would draw
    # its own masks). A loss within 1e-4 relative, and predictions that differ on one test example at most.
    trained = {name: [e.payload for e in ws.ledger().entries(run_id=r.run_id, limit=1000) if e.kind == "train.epoch"]
               for name, (ws, r) in runs.items()}
    assert len(trained["ray"]) == len(trained["local"]) == 2
    for a, b in zip(trained["local"], trained["ray"], strict=True):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-4) and b["steps"] == a["steps"], (a, b)
    first, last = trained["local"][0]["loss"], trained["local"][-1]["loss"]
    assert abs(last - first) > 1e-3 * first  # the weights moved: not two runs that stood still compared
    ours, theirs = (r.summaries["evaluate"]["metrics"]["student"]["task"] for _, r in runs.values())
    assert theirs["accuracy"] == pytest.approx(ours["accuracy"], abs=1 / len(local.dataset.test) + 1e-9)
    stages = stage_entries(workspace, on_ray.run_id)
    host = socket.gethostname()
    for name in ("ingest", "scrub", "curate", "label"):
        assert stages[name]["executor"] == {"name": "ray", "ran_on": "ray workers", "nodes": [host]}, name
    assert stages["train"]["executor"] == {"name": "ray", "ran_on": "ray train workers", "nodes": [host],
                                           "workers": 2, "backend": "gloo"}
    assert stages["train"]["writes"]["student"] == on_ray.artifacts["student"]
    preflight = stages["preflight"]["outputs"]["executor"]
    assert preflight["address"] == cluster
    assert [(n["host"], n["region"]) for n in preflight["nodes"]] == [(host, "dc-2")]  # by its label


def test_runs_show_json_lists_each_stages_digests_executor_and_nodes(cluster, tmp_path):
    """Through the CLI: --executor and --address override the spec, and the ledger says what ran."""
    workspace = init_workspace(tmp_path / "ws", name="cli")
    residency(workspace, boundary=["on-prem", "dc-2"])
    setup_user(workspace, "op", ["operator"], PASS)
    spec = tmp_path / "local.yaml"
    # keyed pseudonyms: the workspace secret never reaches a worker, so the scrub runs on the coordinator
    spec.write_text(yaml.safe_dump(pipeline(tmp_path, evaluators=[], scrub={"type": "presidio", "workers": 1,
                                                                             "operator": "pseudonym"},
                                            student={"layers": 1, "epochs": 1, "parallel": "fsdp"})))
    env = {**os.environ, "STILLROOM_PASSPHRASE": PASS}
    env.pop("RAY_ADDRESS", None)
    stillroom = [sys.executable, "-m", "stillroom.cli"]
    ran = subprocess.run([*stillroom, "run", str(spec), "--workspace", str(workspace.root), "--as", "op",
                          "--no-progress", "--executor", "ray", "--address", cluster],
                         capture_output=True, text=True, env=env)
    assert ran.returncode == 0, ran.stderr
    run_id = ran.stdout.split("run ")[-1].split()[0]
    start = workspace.ledger().entries(kind="run.start", run_id=run_id)[0].payload
    assert start["executor"] == "ray" and start["spec"]["executor"] == "ray"
    shown = subprocess.run([*stillroom, "runs", "show", run_id, "--json", "--workspace", str(workspace.root)],
                           capture_output=True, text=True, env=env)
    assert shown.returncode == 0, shown.stderr
    stages = {st["name"]: st for st in json.loads(shown.stdout)["stages"]}
    assert stages["scrub"]["executor"] == {"name": "ray", "ran_on": "coordinator"}
    assert set(stages["scrub"]["writes"]) == {"scrubbed", "scrub_report"}
    scrubbed = workspace.artifacts.read_bytes(stages["scrub"]["writes"]["scrubbed"]).decode()
    assert "<EMAIL_ADDRESS_" in scrubbed and "jane.doe" not in scrubbed
    assert stages["label"]["executor"]["ran_on"] == "ray workers"
    assert set(stages["label"]["writes"]) == {"labels.train", "labels.validation", "labels.test"}
    assert stages["train"]["executor"]["ran_on"] == "ray train workers" and set(stages["train"]["writes"]) == {"student"}
    # the student was sharded over the two Ray Train workers (student.parallel: fsdp), and the ledger says so
    kept = [e.payload for e in workspace.ledger().entries(kind="train.kept", run_id=run_id)]
    assert [(k["ranks"], k["parallel"]) for k in kept] == [(2, "fsdp")]


def test_a_node_labelled_outside_the_boundary_refuses_the_run_before_any_data_moves(cluster, tmp_path, monkeypatch):
    from stillroom.config import parse_spec
    from stillroom.errors import RunRefused
    from stillroom.run import run_pipeline
    from stillroom.store import crud

    monkeypatch.setenv("RAY_ADDRESS", cluster)
    workspace = init_workspace(tmp_path / "ws", name="outside")
    residency(workspace, boundary=["on-prem"])
    spec = parse_spec(pipeline(tmp_path, executor="ray"))
    with pytest.raises(RunRefused, match=r"^Ray node .* \(.*\) is in region 'dc-2', outside the boundary "
                                         r"\(on-prem\); no data was sent to the cluster$"):
        run_pipeline(workspace, spec, initiator="op", progress=False)
    with workspace.session() as s:
        run = crud.list_runs(s)[0]
        assert run.status == "refused"
        assert [st.name for st in crud.list_stages(s, run_id=run.id)] == ["preflight"]
    assert "ingested" not in run.summary["artifacts"]
    assert not [e for e in workspace.ledger().entries(run_id=run.id) if e.kind == "stage.ingest"]


def test_a_cluster_off_this_host_without_token_authentication_is_refused(workspace, tmp_path):
    """Nothing connects: the refusal comes before Ray is asked to join."""
    setup_user(workspace, "op", ["operator"], PASS)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"name": "remote", "source": {"type": "jsonl", "path": str(tmp_path / "x.jsonl"),
                                                                  "classification": "public"},
                                    "teacher": {"path": str(tmp_path)}}))
    env = {key: value for key, value in os.environ.items() if key != "RAY_AUTH_MODE"}
    ran = subprocess.run([sys.executable, "-m", "stillroom.cli", "run", str(spec), "--workspace", str(workspace.root),
                          "--as", "op", "--executor", "ray", "--address", "10.20.30.40:6379"],
                         capture_output=True, text=True, env={**env, "STILLROOM_PASSPHRASE": PASS})
    assert ran.returncode == 2
    assert ran.stderr.strip() == ("error: the Ray cluster at 10.20.30.40:6379 is not on this host and token "
                                  "authentication is off; start it and this process with RAY_AUTH_MODE=token "
                                  "(docs/scale.md)")
    with workspace.session() as s:
        from stillroom.store import crud

        assert crud.list_runs(s) == []


PHONE_HOME = '''
import re
import socket

from stillroom import hookimpl
from stillroom.components import ScrubReport, Scrubber, Span


class PhoningScrubber(Scrubber):
    """Masks digits, and tries to send each batch's size home first."""

    name = "phoning"
    accepts = frozenset({"fields", "port"})

    def entities(self):
        return {"NUMBER": "pattern"}

    def find(self, texts):  # what the core calls, for the spans and for the residual scan
        self.phone(len(texts))
        return [[Span("NUMBER", m.start(), m.end(), 1.0) for m in re.finditer(r"\\d+", t)] for t in texts]

    def phone(self, n):
        try:
            socket.create_connection(("127.0.0.1", self.options["port"]), timeout=1).sendall(b"%d" % n)
        except PermissionError:
            pass

    def scrub(self, batch):
        self.phone(len(batch))
        clean = [{**r, "text": re.sub(r"\\d+", "<NUMBER>", r["text"])} for r in batch]
        return clean, ScrubReport(len(batch), {}, {"NUMBER": "pattern"})


@hookimpl
def register_scrubbers(register):
    register(PhoningScrubber)
'''


@contextmanager
def installed(source, site, monkeypatch):
    """``source`` pip-installed into ``site`` (the Ray node's PYTHONPATH) and on this process's path, until the
    block ends."""
    before = set(site.iterdir())
    pip_install(source, site)
    monkeypatch.syspath_prepend(str(site))
    try:
        yield
    finally:
        for path in set(site.iterdir()) - before:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


@pytest.fixture
def phoning_plugin(tmp_path, plugin_site, monkeypatch):
    """A third-party plugin distribution, installed where this process and the cluster's node import from."""
    with installed(plugin_project(tmp_path / "phoning", "stillroom_phoning", PHONE_HOME), plugin_site, monkeypatch):
        yield


def test_a_plugins_egress_from_a_ray_worker_is_blocked_and_ledgered_with_stage_node_and_plugin(
        cluster, phoning_plugin, tmp_path, monkeypatch):
    from stillroom.config import parse_spec
    from stillroom.run import run_pipeline

    monkeypatch.setenv("RAY_ADDRESS", cluster)
    workspace = init_workspace(tmp_path / "ws", name="egress")
    (workspace.policy_dir / "plugins.yaml").write_text(
        yaml.safe_dump({"plugins": {"allow": [{"name": "stillroom-phoning", "version": "==0.1.0"}]}}))
    (workspace.policy_dir / "egress.yaml").write_text(
        yaml.safe_dump({"egress": {"allow": [{"host": "127.0.0.1", "port": 5432}]}}))
    residency(workspace, boundary=["on-prem", "dc-2"], required=["NUMBER"])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    spec = parse_spec(pipeline(tmp_path, executor="ray", scrub={"type": "phoning", "port": port}, evaluators=[]))
    try:
        run = run_pipeline(workspace, spec, initiator="op", progress=False)
        with pytest.raises(socket.timeout):
            listener.accept()  # nothing arrived
    finally:
        listener.close()
    blocked = [e.payload for e in workspace.ledger().entries(run_id=run.run_id, limit=1000)
               if e.kind == "egress.blocked"]
    assert len(blocked) == 6  # two per scrub batch of the core's 512 records: its spans, its residual scan
    assert {(b["target"], b["stage"], b["node"], b["plugin"]) for b in blocked} == \
        {(f"127.0.0.1:{port}", "scrub", socket.gethostname(), "stillroom_phoning")}


IMPORT_TELEMETRY = '''
import socket

from stillroom import hookimpl

try:  # a vendor's import-time telemetry: one connection home whenever the module is imported
    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"imported")
except PermissionError:
    pass


@hookimpl
def on_run_end(run, status):
    """The plugin's surface: an observer, so that a run has a reason to import it."""
'''


@pytest.fixture
def telemetry_home(tmp_path, plugin_site, monkeypatch):
    """A listener on loopback and a third-party plugin distribution whose module connects to it when imported,
    installed where this process and the cluster's node import from; yields the listener."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    body = IMPORT_TELEMETRY.format(port=listener.getsockname()[1])
    try:
        with installed(plugin_project(tmp_path / "telemetry", "stillroom_telemetry", body), plugin_site, monkeypatch):
            yield listener
    finally:
        listener.close()


def test_a_plugins_egress_while_a_ray_worker_imports_it_is_blocked_and_ledgered(cluster, telemetry_home, tmp_path,
                                                                                  monkeypatch):
    """The attempt comes from the worker setup hook, before any batch: it is refused there and reaches the ledger
    with the stage whose workers made it, their node and the plugin."""
    from stillroom.config import parse_spec
    from stillroom.run import run_pipeline
    from stillroom.run.stages import PIPELINE

    monkeypatch.setenv("RAY_ADDRESS", cluster)
    workspace = init_workspace(tmp_path / "ws", name="telemetry")
    (workspace.policy_dir / "plugins.yaml").write_text(
        yaml.safe_dump({"plugins": {"allow": [{"name": "stillroom-telemetry", "version": "==0.1.0"}]}}))
    residency(workspace, boundary=["on-prem", "dc-2"])
    spec = parse_spec(pipeline(tmp_path, executor="ray", evaluators=[]))
    stages = PIPELINE[:3]  # preflight, ingest, scrub: workers are set up in each of them
    run = run_pipeline(workspace, spec, initiator="op", progress=False, stages=stages)
    with pytest.raises(socket.timeout):
        telemetry_home.accept()  # nothing arrived, from any process
    blocked = [e.payload for e in workspace.ledger().entries(run_id=run.run_id, limit=1000)
               if e.kind == "egress.blocked"]
    assert blocked, "the workers' import-time attempts were not ledgered"
    # nothing may leave during an import, loopback included: the look-up of the address is refused first
    assert {(b["target"], b["event"], b["node"], b["plugin"], b["during"]) for b in blocked} == \
        {("127.0.0.1", "socket.getaddrinfo", socket.gethostname(), "stillroom_telemetry", "plugin import")}
    assert {b["stage"] for b in blocked} <= {stage.name for stage in stages}
    # the coordinator imported the plugin too, before the run began: refused there and ledgered as the CLI does
    coordinator = [e.payload for e in workspace.ledger().entries(kind="egress.blocked", limit=1000)
                   if e.payload.get("stage") == "plugin-import"]
    # named alike by the coordinator and the workers: by its module, not its entry point (telemetry)
    assert {(b["plugin"], b["event"]) for b in coordinator} == {("stillroom_telemetry", "socket.getaddrinfo")}
