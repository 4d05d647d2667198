"""A workspace as the demo leaves it, without the ML: people, a finished run, its evidence artifacts and a
pending release request opened through the core (test_release.py's pattern, with every artifact the
Request page reads). The numbers are made up but shaped exactly as the evaluators write them."""

from __future__ import annotations

from datetime import timedelta

from stillroom.approvals import open_request
from stillroom.gates import compute_gates
from stillroom.store import crud
from stillroom.store.models import utcnow
from tests.people import setup_user

PEOPLE = {
    "olga": ["operator"],
    "sam": ["security"],
    "lena": ["legal"],
    "ada": ["admin"],
}
RUN = "run-20250101-120000-abcdef"


def passphrase(name: str) -> str:
    return f"{name}-passphrase-42"


def evaluation() -> dict:
    def slices(shift: float) -> dict:
        return {"label": {
            "card_arrival": {"n": 40.0, "accuracy": 0.92 - shift, "teacher_accuracy": 0.95, "agreement": 0.93,
                             "drop": 0.03 + shift},
            "lost_or_stolen_card": {"n": 35.0, "accuracy": 0.88 - shift, "teacher_accuracy": 0.91,
                                    "agreement": 0.9, "drop": 0.03 + shift},
            "top_up_failed": {"n": 25.0, "accuracy": 0.84 - shift, "teacher_accuracy": 0.9, "agreement": 0.86,
                              "drop": 0.06 + shift},
        }}

    def role(shift: float) -> list[dict]:
        return [
            {"evaluator": "task", "metrics": {"accuracy": 0.89 - shift, "teacher_accuracy": 0.92,
                                              "macro_f1": 0.87 - shift, "teacher_macro_f1": 0.9,
                                              "retained": (0.89 - shift) / 0.92}, "slices": {}},
            {"evaluator": "fidelity", "metrics": {"agreement": 0.9 - shift, "mean_kl": 0.12 + shift}, "slices": {}},
            {"evaluator": "slices", "metrics": {"worst_slice_drop": 0.06 + shift, "slices_counted": 3.0},
             "slices": slices(shift)},
            {"evaluator": "latency", "metrics": {"size_mb": 17.4, "p50_ms": 3.1, "p95_ms": 4.8,
                                                 "teacher_p50_ms": 21.0}, "slices": {}},
        ]

    return {"student": role(0.0), "baseline": role(0.07)}


def build(ws, *, request: bool = True):
    """People, one finished run with stages and evidence, and (by default) its pending release request."""
    for name, roles in PEOPLE.items():
        setup_user(ws, name, roles, passphrase(name), actor="test-admin")
    policy = ws.policy()
    store = ws.artifacts
    scrub_report = store.put_json({"records": 100, "counts": {"PERSON": {"text": 12}, "EMAIL_ADDRESS": {"text": 4}},
                                   "methods": {e: "pattern" for e in policy.residency.required_entities},
                                   "residual": []})
    funnel = store.put_json({"funnel": [{"step": "input", "in": 100, "out": 100, "dropped": {}},
                                        {"step": "dedupe", "in": 100, "out": 93,
                                         "dropped": {"exact_duplicate": 5, "near_duplicate": 2}}],
                             "drops": [], "coverage": {}})
    report = store.put_json(evaluation())
    files = {"hf/model.safetensors": store.put_bytes(b"\x00weights" * 100), "hf/config.json": store.put_json({"a": 1})}
    plugins = [{"name": "stillroom.plugins.evaluators.task", "origin": "builtin",
                "module": "stillroom.plugins.evaluators.task", "distribution": None, "version": None, "record_sha256": None}]
    ledger = ws.ledger()
    ledger.record("run.start", {"run_id": RUN, "pipeline": "intents", "policy_digest": policy.digest},
                  actor="olga", run_id=RUN)
    with ws.session() as s:
        crud.create_run(s, run_id=RUN, pipeline="intents", spec_digest="s" * 64, initiator="olga")
        for position, (name, outputs) in enumerate([("ingest", {"records": 100, "output": "a" * 64}),
                                                    ("scrub", {"report": scrub_report, "residual": 0}),
                                                    ("curate", {"funnel": funnel}),
                                                    ("evaluate", {"report": report})]):
            crud.add_stage(s, run_id=RUN, position=position, name=name, status="succeeded", started_at=utcnow(),
                           seconds=1.5 + position, outputs=outputs)
            ledger.record(f"stage.{name}", {"status": "succeeded", "outputs": outputs}, actor="olga", run_id=RUN)
        crud.finish_run(s, run_id=RUN, status="succeeded", summary={"stages": {}, "artifacts": {}})
        # As the runner does: one stage after another, each starting when the previous one ended.
        run, began = crud.get_run(s, RUN), 0.0
        for stage in crud.list_stages(s, run_id=RUN):
            stage.started_at = run.created_at + timedelta(seconds=began)
            began += stage.seconds
            s.add(stage)
        s.commit()
    ledger.checkpoint()
    if not request:
        return None
    evidence = {f"{e['evaluator']}.{k}": v for e in evaluation()["student"] for k, v in e["metrics"].items()}
    slices = next(e["slices"] for e in evaluation()["student"] if e["evaluator"] == "slices")
    gates = compute_gates({**evidence, "residual_pii": 0}, policy.release_gates, "classification", slices)
    subject = {"run_id": RUN, "pipeline": "intents", "spec_digest": "s" * 64, "policy_digest": policy.digest,
               "teacher": {"name": "hf", "fingerprint": "t" * 64},
               "data": {"source_fingerprint": "d" * 64, "scrub_report": scrub_report, "curation_funnel": funnel,
                        "evaluation": report},
               "student": {"files": files}, "model_card": None, "plugins": plugins, "gates": gates}
    opened = open_request(ws, kind="release", subject=subject, initiator="olga", policy_digest=policy.digest,
                          run_id=RUN, gates=gates)
    ledger.checkpoint()
    return opened


LAST_RUN = "run-20241201-090000-fedcba"
REFUSED_RUN = "run-20250102-080000-aaaaaa"
ENDPOINT = "https://api.example-llm.com/v1"
DETECTION = {"profile": "fast", "detector": "presidio patterns", "residual_detector": "presidio patterns",
             "model": None, "summary": ["measured recall 0.91 on heldout-pii"],
             "measured": [{"name": "heldout-pii", "kind": "human-annotated", "size": 512, "digest": "e" * 64,
                           "source": "benchmarks/pii_heldout", "measured_at": "2025-01-01", "command": "pii.py",
                           "overall": {"precision": 0.88, "recall": 0.91, "f2": 0.9, "support": 300},
                           "recall": {"PERSON": 0.9}, "support": {"PERSON": 200}}]}


def build_desk(ws, tmp_path):
    """The reviewer's desk: ``build``'s pending release, now carrying a model card and the scrubber's measured
    recall, preceded by an approved release of the same pipeline (with other numbers), and a residency
    request opened by a refused run for an external endpoint. Returns (release, last_release, residency)."""
    from stillroom.approvals import decide
    from stillroom.components import Evaluation
    from stillroom.plugins.exporters.card import write_model_card
    from stillroom.users import unlock

    for name, roles in PEOPLE.items():
        setup_user(ws, name, roles, passphrase(name), actor="test-admin")
    policy, store = ws.policy(), ws.artifacts
    last = _release(ws, LAST_RUN, shift=0.03, records=90, card=None, detection=None)
    for name in ("sam", "lena"):
        decide(ws, last.id, unlock(ws, name, passphrase(name)), decision="approve", comment="ok")
    card = write_model_card(
        tmp_path / "card", name="intents", task="classification",
        teacher={"name": "bank-intent-teacher", "location": "file:///models/teacher", "fingerprint": "t" * 64},
        data={"test": "d" * 64}, evaluations=[Evaluation(e["evaluator"], e["metrics"], e["slices"])
                                              for e in evaluation()["student"]],
        intended_use="routing customer messages to the right banking team", license="apache-2.0",
        limitations=["Measured only on the held-out split.", "English messages only."], pii_detection=DETECTION)
    release = _release(ws, RUN, shift=0.0, records=100, card=store.put_file(card), detection=DETECTION)
    residency = _refused_run(ws, policy)
    ws.ledger().checkpoint()
    return release, last, residency


def _release(ws, run_id: str, *, shift: float, records: int, card: str | None, detection: dict | None):
    """One finished run of the `intents` pipeline and its pending release request, as the runner leaves them."""
    policy, store, ledger = ws.policy(), ws.artifacts, ws.ledger()
    report_ = {role: [dict(e, metrics={k: (v - shift if k in ("accuracy", "agreement", "retained") else v)
                                       for k, v in e["metrics"].items()},
                           slices={f: {s: dict(r, accuracy=r["accuracy"] - shift, drop=r["drop"] + shift)
                                       for s, r in t.items()} for f, t in e["slices"].items()})
                      for e in evals] for role, evals in evaluation().items()}
    scrub = store.put_json({"records": records, "counts": {"PERSON": {"text": 12}, "US_SSN": {"text": 2}},
                            "methods": {e: "pattern" for e in policy.residency.required_entities},
                            "residual": [], "detection": detection})
    digest = store.put_json(report_)
    spec = {"name": "intents", "source": {"type": "jsonl", "classification": "confidential"}}
    ledger.record("run.start", {"run_id": run_id, "pipeline": "intents", "policy_digest": policy.digest, "spec": spec},
                  actor="olga", run_id=run_id)
    with ws.session() as s:
        crud.create_run(s, run_id=run_id, pipeline="intents", spec_digest="s" * 64, initiator="olga")
        for position, (name, outputs) in enumerate([
                ("preflight", {"classification": "confidential"}),
                ("ingest", {"source": "jsonl", "location": "file:///data/banking77.jsonl", "records": records,
                            "fingerprint": f"{records:064x}"}),
                ("scrub", {"report": scrub, "residual": 0}), ("evaluate", {"report": digest})]):
            crud.add_stage(s, run_id=run_id, position=position, name=name, status="succeeded", started_at=utcnow(),
                           seconds=1.0, outputs=outputs)
        crud.finish_run(s, run_id=run_id, status="succeeded", summary={})
    student = {f"{e['evaluator']}.{k}": v for e in report_["student"] for k, v in e["metrics"].items()}
    slices = next(e["slices"] for e in report_["student"] if e["evaluator"] == "slices")
    gates = compute_gates({**student, "residual_pii": 0}, policy.release_gates, "classification", slices)
    subject = {"run_id": run_id, "pipeline": "intents", "spec_digest": "s" * 64, "policy_digest": policy.digest,
               "teacher": {"name": "bank-intent-teacher", "fingerprint": "t" * 64},
               "data": {"source_fingerprint": f"{records:064x}", "scrub_report": scrub, "evaluation": digest},
               "student": {"files": {"hf/model.safetensors": store.put_bytes(run_id.encode())}}, "model_card": card,
               "plugins": [{"name": "stillroom.plugins.evaluators.task", "origin": "builtin", "version": "0.1.0"}],
               "gates": gates}
    return open_request(ws, kind="release", subject=subject, initiator="olga", policy_digest=policy.digest,
                        run_id=run_id, gates=gates)


def _refused_run(ws, policy):
    """A run refused at preflight for an HTTP teacher outside the boundary, and the residency request it opened."""
    spec = {"name": "intents-api", "source": {"type": "jsonl", "classification": "confidential"}}
    ws.ledger().record("run.start", {"run_id": REFUSED_RUN, "pipeline": "intents-api", "policy_digest": policy.digest,
                                     "spec": spec}, actor="olga", run_id=REFUSED_RUN)
    with ws.session() as s:
        crud.create_run(s, run_id=REFUSED_RUN, pipeline="intents-api", spec_digest="r" * 64, initiator="olga")
        crud.finish_run(s, run_id=REFUSED_RUN, status="refused", summary={})
    subject = {"role": "teacher", "component": "openai", "location": ENDPOINT, "fingerprint": "f" * 64,
               "classification": "confidential"}
    return open_request(ws, kind="residency", subject=subject, initiator="olga", policy_digest=policy.digest,
                        run_id=REFUSED_RUN)
