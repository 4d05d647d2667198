"""The stage runner, with small throwaway plugins registered for the test (datasette's pattern).

These components are real code (a keyword teacher, a majority-class student),
small enough that the test is about the runner: stages recorded in order,
skips explained, failures and refusals recorded, the ledger written and
checkpointed, observers called.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from stillroom import hookimpl
from stillroom.components import Evaluation, Evaluator, Exporter, Student, Teacher, Trainer
from stillroom.config import parse_spec
from stillroom.errors import RunRefused
from stillroom.pipeline import STAGES, run_pipeline, split_records
from stillroom.plugin_manager import PluginInfo, PluginManager
from stillroom.store import crud

LABELS = ["card", "refund"]


class KeywordTeacher(Teacher):
    name = "keyword"
    task = "classification"
    labels = LABELS

    def location(self):
        return self.ctx.workspace.as_uri()

    def fingerprint(self):
        return "k" * 64

    def predict(self, texts):
        logits = np.array([[2.0 if "card" in t else 0.0, 2.0 if "refund" in t else 0.0] for t in texts])
        return {"logits": logits}


class MajorityStudent(Student):
    task = "classification"

    def __init__(self, label):
        self.label = label

    def predict(self, texts):
        logits = np.zeros((len(texts), len(LABELS)))
        logits[:, self.label] = 1.0
        return {"logits": logits}

    def save(self, directory):
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "student.json"
        path.write_text(json.dumps({"label": self.label}))
        return [path]

    def num_parameters(self):
        return 1


class MajorityTrainer(Trainer):
    name = "majority"
    tasks = ("classification",)

    def train(self, student_spec, data, teacher_outputs, ctx):
        votes = teacher_outputs["train"]["logits"].argmax(axis=1)
        ctx.record("train.epoch", {"epoch": 1, "examples": len(votes)})
        return MajorityStudent(int(np.bincount(votes).argmax()))

    def load_student(self, directory, student_spec):
        return MajorityStudent(json.loads((directory / "student.json").read_text())["label"])


class Accuracy(Evaluator):
    name = "accuracy"
    tasks = ("classification",)

    def evaluate(self, student, teacher, data, ctx):
        predicted = student.predict(data.test.texts)["logits"].argmax(axis=1)
        return Evaluation("accuracy", {"accuracy": float(np.mean(predicted == np.array(data.test.labels)))})


class JsonExporter(Exporter):
    name = "json"

    def export(self, student, dest, texts=None):
        return student.save(dest)


class TestPlugin:
    @hookimpl
    def register_teachers(self, register):
        register(KeywordTeacher)

    @hookimpl
    def register_trainers(self, register):
        register(MajorityTrainer)

    @hookimpl
    def register_evaluators(self, register):
        register(Accuracy)

    @hookimpl
    def register_exporters(self, register):
        register(JsonExporter)


class Observer:
    def __init__(self):
        self.events = []

    @hookimpl
    def on_run_start(self, run):
        self.events.append(("start", run["run_id"]))

    @hookimpl
    def on_stage_end(self, run, stage, result):
        self.events.append((stage, result["status"]))

    @hookimpl
    def on_run_end(self, run, status):
        self.events.append(("end", status))


@pytest.fixture
def plugins():
    manager = PluginManager()
    observer = Observer()
    for name, plugin in (("test-components", TestPlugin()), ("observer", observer)):
        manager.pm.register(plugin, name=name)
        manager.infos[name] = PluginInfo(name, "test", __name__, "loaded")
    manager.load(entry_points=[])
    manager.observer = observer
    return manager


@pytest.fixture
def data_file(workspace):
    rows = [{"text": f"my card {i} is lost", "label": "card"} for i in range(30)]
    rows += [{"text": f"refund {i} please", "label": "refund"} for i in range(10)]
    path = workspace.root / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def entries(workspace) -> list[dict]:
    return [json.loads(leaf) for _seq, leaf, _sig, _hash in workspace.ledger().rows()]


def spec(data_file, **overrides):
    base = {"name": "t", "source": {"type": "jsonl", "path": str(data_file), "classification": "public"},
            "teacher": {"type": "keyword"}, "data": {"label_field": "label"}, "curate": False,
            "exporters": ["json"]}
    return parse_spec({**base, **overrides})


def test_a_run_records_every_stage_in_order(workspace, plugins, data_file):
    run = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    with workspace.session() as s:
        stored = crud.get_run(s, run.run_id)
        stages = crud.list_stages(s, run_id=run.run_id)
    assert stored.status == "succeeded" and stored.initiator == "op"
    assert [st.name for st in stages] == list(STAGES)
    status = {st.name: st.status for st in stages}
    assert status["scrub"] == "skipped" and "does not require one" in next(st.message for st in stages if st.name == "scrub")
    assert status["ingest"] == status["label"] == status["train"] == status["export"] == "succeeded"
    assert next(st for st in stages if st.name == "ingest").outputs["records"] == 40
    exported = workspace.root / "exports" / run.run_id / "json" / "student.json"
    assert json.loads(exported.read_text()) == {"label": 0}


def test_the_ledger_holds_the_run_and_verifies(workspace, plugins, data_file):
    run = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    ledger = workspace.ledger()
    kinds = [e["kind"] for e in entries(workspace) if e["run_id"] == run.run_id]
    assert kinds[0] == "run.start" and kinds[-1] == "run.end"
    assert [k for k in kinds if k.startswith("stage.")] == [f"stage.{s}" for s in STAGES]
    assert "train.epoch" in kinds
    assert ledger.verify().ok
    assert ledger.latest_checkpoint() is not None


def test_ledger_payloads_hold_no_raw_text(workspace, plugins, data_file):
    run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    everything = " ".join(json.dumps(e) for e in entries(workspace))
    assert "is lost" not in everything and "please" not in everything


def test_observers_see_start_every_stage_and_end(workspace, plugins, data_file):
    run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    events = plugins.observer.events
    assert events[0] == ("preflight", "succeeded") and events[1][0] == "start"
    assert [e[0] for e in events[2:-1]] == list(STAGES[1:]) and events[-1] == ("end", "succeeded")


def test_a_second_run_reuses_the_cached_teacher_outputs(workspace, plugins, data_file):
    first = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    second = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    assert all(not v["cached"] for v in first.summaries["label"]["outputs"].values())
    assert all(v["cached"] for v in second.summaries["label"]["outputs"].values())


def test_a_source_outside_the_boundary_refuses_the_run(workspace, plugins, data_file):
    policy = workspace.policy_dir / "residency.yaml"
    policy.write_text(policy.read_text().replace('paths: ["/"]', 'paths: ["/nonexistent-boundary"]'))
    from tests.people import adopt_policy

    adopt_policy(workspace)  # an edit counts once adopted
    with pytest.raises(RunRefused, match="in no region the residency policy knows"):
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    with workspace.session() as s:
        run = crud.list_runs(s)[0]
        assert run.status == "refused"
        assert [st.status for st in crud.list_stages(s, run_id=run.id)] == ["failed"]
    assert [e["kind"] for e in entries(workspace)][-2:] == ["stage.preflight", "run.end"]


def test_confidential_data_with_scrubbing_disabled_is_refused(workspace, plugins, data_file):
    s = spec(data_file, scrub=False, source={"type": "jsonl", "path": str(data_file), "classification": "confidential"})
    with pytest.raises(RunRefused, match="requires scrubbing confidential data, but the pipeline sets `scrub: false`"):
        run_pipeline(workspace, s, initiator="op", plugins=plugins, progress=False)


def test_a_failing_stage_fails_the_run_and_says_why(workspace, plugins, data_file):
    data_file.write_text('{"text": "ok", "label": "card"}\n{not json\n')
    with pytest.raises(Exception, match="line 2"):
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    with workspace.session() as s:
        run = crud.list_runs(s)[0]
        assert run.status == "failed" and "line 2" in run.message
        assert [st.status for st in crud.list_stages(s, run_id=run.id)] == ["succeeded", "failed"]


def test_split_is_deterministic_and_keeps_identical_texts_together():
    records = [{"text": f"q{i % 50}"} for i in range(500)]
    train, val, test = split_records(records, "text", 0.1, 0.2, seed=3)
    assert (train, val, test) == split_records(records, "text", 0.1, 0.2, seed=3)
    assert not {r["text"] for r in train} & {r["text"] for r in val + test}
    assert len(train) + len(val) + len(test) == 500 and test and val


class PhoningTeacher(KeywordTeacher):
    """A teacher that tries to reach a loopback port the egress policy does not allow."""

    name = "phoning"
    port = 0

    def predict(self, texts):
        import socket

        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except PermissionError:
            pass
        return super().predict(texts)


def test_a_blocked_connection_mid_run_is_ledgered_with_stage_and_plugin(workspace, plugins, data_file):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    PhoningTeacher.port = listener.getsockname()[1]
    plugins.catalog["teacher"]["phoning"] = type(plugins.catalog["teacher"]["keyword"])(PhoningTeacher, "test-components")
    (workspace.policy_dir / "egress.yaml").write_text("egress:\n  allow:\n    - {host: 127.0.0.1, port: 5432}\n")
    from tests.people import adopt_policy

    adopt_policy(workspace)  # an edit counts once adopted
    run = run_pipeline(workspace, spec(data_file, teacher={"type": "phoning"}), initiator="op", plugins=plugins,
                       progress=False)
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()
    blocked = [e for e in entries(workspace) if e["kind"] == "egress.blocked" and e["run_id"] == run.run_id]
    assert blocked and blocked[0]["payload"]["target"] == f"127.0.0.1:{PhoningTeacher.port}"
    assert blocked[0]["payload"]["stage"] == "label" and blocked[0]["payload"]["plugin"] == __name__
    start = next(e for e in entries(workspace) if e["kind"] == "run.start")
    assert start["payload"]["offline"]["environment"]["HF_HUB_OFFLINE"] == "1"


def test_outside_the_boundary_opens_a_residency_request_and_approval_admits_exactly_that_data(
        workspace, plugins, data_file):
    from stillroom.approvals import decide, list_requests
    from stillroom.users import unlock
    from tests.people import setup_user

    for name, roles in (("sam", ["security"]), ("lena", ["legal"])):
        setup_user(workspace, name, roles, "correct horse battery", actor="admin")
    outside = workspace.root.parent / "outside.jsonl"
    outside.write_text(data_file.read_text())
    data_file = outside
    policy = workspace.policy_dir / "residency.yaml"
    policy.write_text(policy.read_text().replace('paths: ["/"]', f'paths: ["{workspace.root}"]'))
    from tests.people import adopt_policy

    adopt_policy(workspace)  # an edit counts once adopted
    with pytest.raises(RunRefused, match=r"Residency request (req-\w+) is open for exactly this source"):
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    (request,) = list_requests(workspace, kind="residency")
    assert request.subject["role"] == "source" and request.subject["classification"] == "public"
    for name in ("sam", "lena"):
        decide(workspace, request.id, unlock(workspace, name, "correct horse battery"), decision="approve")

    run = run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    assert run.summaries["preflight"]["locations"][0]["exception"] == request.id

    data_file.write_text(data_file.read_text() + json.dumps({"text": "new card 99", "label": "card"}) + "\n")
    with pytest.raises(RunRefused, match="Residency request"):
        run_pipeline(workspace, spec(data_file), initiator="op", plugins=plugins, progress=False)
    assert len(list_requests(workspace, kind="residency")) == 2


def test_curate_filters_on_teacher_confidence_and_augments_with_every_drop_explained(workspace, plugins, data_file):
    rows = data_file.read_text() + "".join(json.dumps({"text": f"hello there {i}", "label": "card"}) + "\n"
                                           for i in range(10))
    data_file.write_text(rows)
    curated = spec(data_file, curate={"confidence": {"threshold": 0.8}, "augment": {"enabled": True, "per_record": 1}})
    run = run_pipeline(workspace, curated, initiator="op", plugins=plugins, progress=False)
    steps = run.summaries["curate"]["steps"]["steps"]
    funnel = workspace.artifacts.read_json(run.artifacts["curation_funnel"])
    unsure = [d for d in funnel["drops"] if d["reason"].startswith("low_confidence")]
    assert unsure and len(unsure) == steps["confidence"]["in"] - steps["confidence"]["out"]
    assert steps["confidence"]["in"] == 2 * steps["input"]["out"]  # one augmented record per original
    assert "hello there" not in json.dumps(funnel)


def test_the_ledgered_spec_never_holds_credentials():
    from stillroom.pipeline import redacted

    spec = {"source": {"type": "sql", "url": "postgresql+psycopg://etl:S3cr3t@db.internal:5432/claims",
                       "query": "select 1", "api_key": "sk-123", "password": "hunter2"},
            "teacher": {"url": "http://127.0.0.1:8000/v1", "token": ""}}
    clean = redacted(spec)
    text = json.dumps(clean)
    assert "S3cr3t" not in text and "sk-123" not in text and "hunter2" not in text
    assert clean["source"]["url"] == "postgresql+psycopg://etl:***@db.internal:5432/claims"
    assert clean["teacher"] == spec["teacher"] and clean["source"]["query"] == "select 1"


class LeakyTeacher(KeywordTeacher):
    """Fails the way a remote endpoint might: its error text echoes the input."""

    name = "leaky"

    def predict(self, texts):
        raise RuntimeError(f"upstream rejected the prompt: {texts[0]!r}")


def test_a_third_party_error_text_is_not_written_to_the_ledger(workspace, plugins, data_file):
    from stillroom.store import crud

    plugins.catalog["teacher"]["leaky"] = type(plugins.catalog["teacher"]["keyword"])(LeakyTeacher, "test-components")
    with pytest.raises(RuntimeError):
        run_pipeline(workspace, spec(data_file, teacher={"type": "leaky"}), initiator="op", plugins=plugins,
                     progress=False)
    everything = json.dumps(entries(workspace))
    assert "is lost" not in everything and "text withheld from the ledger" in everything
    with workspace.session() as s:
        assert "is lost" in crud.list_runs(s)[0].message  # the operator still sees it locally


def test_a_database_outside_the_boundary_gets_a_residency_request_and_is_never_contacted(workspace, plugins, data_file):
    """The database's host is a loopback listener the residency policy puts outside the boundary:
    a connection attempt would show up as an accepted connection. The request binds to the
    database's address (without credentials) and the query, since its rows cannot be read."""
    from stillroom.approvals import list_requests
    from tests.people import loopback_outside_the_boundary

    with loopback_outside_the_boundary(workspace) as port:
        source = {"type": "sql", "url": f"postgresql+psycopg://reader:s3cret@127.0.0.1:{port}/crm",
                  "query": "SELECT text, label FROM queries", "classification": "public"}
        with pytest.raises(RunRefused, match=r"Residency request req-\w+ is open for exactly this source"):
            run_pipeline(workspace, spec(data_file, source=source), initiator="op", plugins=plugins, progress=False)
    (request,) = list_requests(workspace, kind="residency")
    assert request.subject["location"] == f"postgresql://127.0.0.1:{port}/crm"
    assert "s3cret" not in json.dumps(request.subject)
    other_query = plugins.component("source", "sql")({**source, "query": "SELECT text, label FROM archive"}, None)
    assert other_query.identity() != request.subject["fingerprint"]


def test_an_empty_test_split_stops_the_run_at_evaluate_with_a_clear_error(workspace, plugins, data_file):
    from stillroom.errors import ConfigError

    records = [json.loads(line) for line in data_file.read_text().splitlines()]
    seed = next(s for s in range(1000) if not split_records(records, "text", 0.1, 0.01, seed=s)[2])
    with pytest.raises(ConfigError, match=rf"the test split is empty: data.split.test = 0.01 .*\(seed {seed}\)"):
        run_pipeline(workspace, spec(data_file, evaluators=["accuracy"],
                                     data={"label_field": "label", "split": {"test": 0.01, "seed": seed}}),
                     initiator="op", plugins=plugins, progress=False)
    with workspace.session() as s:
        stages = {st.name: st.status for st in crud.list_stages(s, run_id=crud.list_runs(s)[0].id)}
    assert stages["evaluate"] == "failed" and "export" not in stages
