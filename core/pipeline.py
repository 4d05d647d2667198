"""Runs a pipeline spec against a workspace, stage by stage (DESIGN §2).

Each stage is a function of the run's state that returns a summary (digests,
counts, metrics; never records). The runner times it, stores it, ledgers it
and tells the plugins; a stage with nothing to do raises ``Skip`` and is
recorded as skipped. Data moves between stages as artifacts in the
content-addressed store, so what a stage read and wrote is named by digest.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from stillroom import residency
from stillroom.artifacts import sha256_bytes
from stillroom.components import Context, Dataset, Evaluation, Split
from stillroom.config import PipelineSpec
from stillroom.egress import guard
from stillroom.isolate import network_isolated
from stillroom.offline import offline_environment
from stillroom.errors import ConfigError, RunRefused, StillroomError
from stillroom.plugin_manager import PluginManager, load_plugins
from stillroom.store import crud
from stillroom.workspace import Workspace

STAGES = ("preflight", "ingest", "scrub", "curate", "label", "train", "evaluate", "export", "request")
BATCH_SIZE = 512


class Skip(Exception):
    """A stage with nothing to do; the message says why."""


@dataclass
class Run:
    """The state one run carries from stage to stage."""

    workspace: Workspace
    spec: PipelineSpec
    plugins: PluginManager
    initiator: str
    run_id: str = field(default_factory=lambda: _new_run_id())
    policy: Any = None
    ctx: Context | None = None
    components: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    dataset: Dataset | None = None
    baseline_dataset: Dataset | None = None  # the training split less the teacher-labelled transfer set
    teacher_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    students: dict[str, Any] = field(default_factory=dict)
    evaluations: dict[str, list[Evaluation]] = field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    stage: str | None = None

    @property
    def info(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "pipeline": self.spec.name, "spec_digest": self.spec.digest,
                "initiator": self.initiator}

    def record(self, kind: str, payload: dict[str, Any], *, signed_by: tuple[str, Any] | None = None) -> None:
        self.workspace.ledger().record(kind, payload, actor=self.initiator, run_id=self.run_id, signed_by=signed_by)

    def egress_blocked(self, attempt: dict[str, Any]) -> None:
        """Ledger a blocked connection, naming the plugin whose code is innermost on the stack."""
        modules = [info.module.split(":")[0] for info in self.plugins.plugins() if info.status == "loaded"]
        frames = [frame.split(":")[0] for frame in attempt.get("stack", [])]
        plugin = next((m for f in frames for m in modules if f == m or f.startswith(m + ".")), None)
        self.record("egress.blocked", {**attempt, "plugin": plugin})


@dataclass
class StageReport:
    name: str
    status: str
    seconds: float
    outputs: dict[str, Any]
    message: str | None = None


def run_pipeline(
    workspace: Workspace,
    spec: PipelineSpec,
    *,
    initiator: str,
    initiator_key: tuple[str, Any] | None = None,
    plugins: PluginManager | None = None,
    progress: bool = True,
    on_stage: Callable[[StageReport], None] = lambda report: None,
) -> Run:
    """Run every stage; raise the stage's error after recording it.

    ``initiator_key`` (key name, private key) signs the run's start, so the
    ledger shows who started it with their own signature.
    """
    policy = workspace.policy()
    plugins = plugins or load_plugins(policy.plugins.allow)
    run = Run(workspace, spec, plugins, initiator, policy=policy)
    with workspace.session() as s:
        crud.create_run(s, run_id=run.run_id, pipeline=spec.name, spec_digest=spec.digest, initiator=initiator)
    run.ctx = Context(
        workspace=workspace.root,
        artifacts=workspace.artifacts,
        secret=workspace.secret(),
        policy=policy.model_dump(mode="json"),
        run_id=run.run_id,
        seed=spec.seed,
        progress=progress,
        record=run.record,
        scratch=workspace.root / "runs" / run.run_id,
    )
    run.record("run.start", {**run.info, "policy_digest": policy.digest, "spec": redacted(spec.model_dump(mode="json")),
                             "plugins": plugins.provenance(), "offline": offline_environment(),
                             "isolated": network_isolated()}, signed_by=initiator_key)
    status, error = "succeeded", None
    # Armed until the last plugin code of the run has finished: closing components and observers too.
    with guard(policy.egress, on_block=run.egress_blocked, context=lambda: {"stage": run.stage}):
        try:
            for position, name in enumerate(STAGES):
                run.stage = name
                report = _run_stage(run, position, name)
                on_stage(report)
                if position == 0:
                    plugins.on_run_start(run.info)
        except StillroomError as exc:
            status, error = ("refused" if isinstance(exc, RunRefused) else "failed"), exc
            raise
        except Exception as exc:
            status, error = "failed", exc
            raise
        finally:
            run.stage = "end"
            message = None if error is None else f"{type(error).__name__}: {error}"
            run.record("run.end", {"status": status, "message": ledger_message(error), "artifacts": run.artifacts})
            with workspace.session() as s:
                crud.finish_run(s, run_id=run.run_id, status=status, message=message,
                                summary={"stages": run.summaries, "artifacts": run.artifacts})
            for component in run.components.values():
                component.close()
            workspace.ledger().checkpoint()
            plugins.on_run_end(run.info, status)
    return run


def ledger_message(error: BaseException | None) -> str | None:
    """What the append-only ledger keeps of a failure. Stillroom's own errors are written never to quote
    data (they name file, line and field); anything else may echo a record or a prompt, so only its type
    and a digest go in, and the full text stays in the run's store row for the operator."""
    if error is None:
        return None
    if isinstance(error, StillroomError):
        return f"{type(error).__name__}: {error}"
    return f"{type(error).__name__} (text withheld from the ledger; sha256 {sha256_bytes(str(error).encode())[:16]})"


SECRET_KEYS = re.compile(r"pass(word|phrase)?|secret|token|api_?key|credential", re.IGNORECASE)


def redacted(value: Any) -> Any:
    """A spec as the ledger may keep it forever: passwords in URLs and secret-named options masked."""
    if isinstance(value, dict):
        return {k: "***" if SECRET_KEYS.search(str(k)) and v else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.password:
            netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=netloc))
    return value


def run_as(person, workspace: Workspace, spec: PipelineSpec, **kwargs: Any) -> Run:
    """A run started by an unlocked user: they need the operator role, and they sign its start."""
    if "operator" not in person.roles:
        raise RunRefused(f"{person.name} cannot start a run: it needs the operator role "
                         f"({person.name} holds {', '.join(person.roles)})")
    return run_pipeline(workspace, spec, initiator=person.name, initiator_key=(person.key_name, person.key), **kwargs)


def _run_stage(run: Run, position: int, name: str) -> StageReport:
    started_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    status, message, outputs, error = "succeeded", None, {}, None
    try:
        outputs = STAGE_FUNCTIONS[name](run)
    except Skip as skip:
        status, message = "skipped", str(skip)
    except BaseException as exc:
        status, message, error = "failed", f"{type(exc).__name__}: {exc}", exc
        raise
    finally:
        seconds = round(time.perf_counter() - started, 3)
        report = StageReport(name, status, seconds, outputs, message)
        run.summaries[name] = {"status": status, "seconds": seconds, "message": message, **outputs}
        logged = message if status != "failed" else ledger_message(error)
        run.record(f"stage.{name}", {"status": status, "seconds": seconds, "message": logged, "outputs": outputs})
        with run.workspace.session() as s:
            crud.add_stage(s, run_id=run.run_id, position=position, name=name, status=status,
                           started_at=started_at, seconds=seconds, outputs=outputs, message=message)
        run.plugins.on_stage_end(run.info, name, {"status": status, "seconds": seconds, "outputs": outputs})
    return report


# -- stages -------------------------------------------------------------------


def preflight(run: Run) -> dict[str, Any]:
    """Build every component and check it against the policy before any data moves."""
    spec, policy, plugins, ctx = run.spec, run.policy, run.plugins, run.ctx
    source = plugins.component("source", spec.source.type)(spec.source.options, ctx)
    teacher = plugins.component("teacher", spec.teacher.type)(spec.teacher.options, ctx)
    ctx.teacher = teacher
    run.components.update(source=source, teacher=teacher)
    checks = [within_boundary(run, "source", source), within_boundary(run, "teacher", teacher)]
    rule = policy.residency.classifications[source.classification]
    scrubber = _scrubber(run, must_scrub=rule.must_scrub)
    if scrubber is not None:
        run.components["scrubber"] = scrubber
        missing = sorted(set(policy.residency.required_entities) - set(scrubber.entities()))
        if missing:
            raise RunRefused(f"the policy requires scrubbing {', '.join(missing)}, which scrubber "
                             f"{scrubber.name!r} cannot detect; configure a scrubber that covers them")
    return {
        "policy_digest": policy.digest,
        "spec_digest": spec.digest,
        "classification": source.classification,
        "locations": checks,
        "teacher_fingerprint": teacher.fingerprint(),
        "scrubber": None if scrubber is None else {"name": scrubber.name, "entities": scrubber.entities()},
        "plugins": len(plugins.provenance()),
    }


def within_boundary(run: Run, role: str, component) -> dict[str, Any]:
    """The component's region, or an approved residency exception for exactly this component.

    Outside the boundary, the run is refused and a residency request opens for
    the component's location and fingerprint; once approved under the policy, a
    run by the same initiator may use exactly that fingerprint (another person's
    approved request never admits it: see ``approved_request``). Anything
    changed about it (other data, other weights) is a new request.

    A refused component is never contacted: the request binds to its
    ``identity()``, a digest it makes without reaching its location (an HTTP
    teacher's URL, model name and options; a database's URL and query), not to
    ``fingerprint()``, which for an endpoint would ask it what it serves.
    """
    from stillroom.approvals import approved_request, open_request

    location, classification = component.location(), run.spec.source.classification
    try:
        return residency.check_location(role, location, classification, run.policy.residency)
    except RunRefused as refusal:
        subject = {"role": role, "component": component.name, "location": location,
                   "fingerprint": component.identity(), "classification": classification}
        approved = approved_request(run.workspace, "residency", subject, initiator=run.initiator)
        if approved is not None:
            return {"role": role, "location": location, "region": None, "exception": approved.id}
        opened = open_request(run.workspace, kind="residency", subject=subject, initiator=run.initiator,
                              policy_digest=run.policy.digest, run_id=run.run_id)
        raise RunRefused(f"{refusal}. Residency request {opened.id} is open for exactly this {role}; "
                         "re-run once the policy's reviewers approve it") from None


def _scrubber(run: Run, *, must_scrub: bool):
    configured = run.spec.scrub
    classification = run.spec.source.classification
    if configured is False:
        if must_scrub:
            raise RunRefused(f"the policy requires scrubbing {classification} data, but the pipeline sets "
                             "`scrub: false`; remove it or reclassify the source")
        return None
    if configured is None:
        if not must_scrub:
            return None
        if not run.plugins.names("scrubber"):
            raise RunRefused(f"the policy requires scrubbing {classification} data, and no scrubber "
                             "plugin is installed")
        name, options = run.plugins.names("scrubber")[0], {}
    else:
        name, options = configured.type, configured.options
    options.setdefault("fields", [run.spec.data.text_field])
    return run.plugins.component("scrubber", name)(options, run.ctx)


def ingest(run: Run) -> dict[str, Any]:
    source = run.components["source"]
    limit = run.spec.data.limit
    fields = [run.spec.data.text_field, run.spec.data.label_field, *run.spec.data.slice_fields]
    wanted = [f for f in fields if f]

    def records() -> Iterator[dict[str, Any]]:
        index = 0
        for batch in source.read(BATCH_SIZE):
            for record in batch:
                missing = [f for f in wanted if f not in record]
                if missing:
                    raise ConfigError(f"record {index} from the source has no field {missing[0]!r}, "
                                      "which the pipeline's `data` section names")
                index += 1
                yield {f: record[f] for f in wanted}

    digest, count = _write_jsonl(run, "ingested", _take(records(), limit))
    return {"source": source.name, "location": source.location(), "fingerprint": source.fingerprint(),
            "records": count, "output": digest}


def scrub(run: Run) -> dict[str, Any]:
    scrubber = run.components.get("scrubber")
    if scrubber is None:
        raise Skip("no scrubber configured and the policy does not require one for this classification")
    from stillroom.components import ScrubReport

    report = ScrubReport()
    fields = scrubber.options["fields"]
    threshold = run.policy.residency.residual_threshold

    def scrubbed() -> Iterator[dict[str, Any]]:
        nonlocal report
        for batch in _batches(_read_jsonl(run, run.artifacts["ingested"]), BATCH_SIZE):
            clean, batch_report = scrubber.scrub(batch)
            batch_report.residual = scrubber.residual_scan(clean, fields)
            report = report.merge(batch_report)
            yield from clean

    digest, count = _write_jsonl(run, "scrubbed", scrubbed())
    report_digest = run.workspace.artifacts.put_json(report.as_dict())
    run.artifacts["scrub_report"] = report_digest
    counts = {entity: sum(by_field.values()) for entity, by_field in report.counts.items()}
    summary = {"scrubber": scrubber.name, "records": count, "output": digest, "report": report_digest,
               "entities": counts, "methods": report.methods, "residual": len(report.residual)}
    if len(report.residual) > threshold:
        places = ", ".join(f"record {r['record']} field {r['field']!r} ({r['type']})" for r in report.residual[:5])
        raise RunRefused(f"the residual PII scan found {len(report.residual)} finding(s) after scrubbing "
                         f"(policy allows {threshold}): {places}")
    return summary


def curate(run: Run) -> dict[str, Any]:
    data = run.spec.data
    source_key = "scrubbed" if "scrubbed" in run.artifacts else "ingested"
    records = list(_read_jsonl(run, run.artifacts[source_key]))
    train, validation, test = split_records(records, data.text_field, data.split.validation, data.split.test,
                                            seed=data.split.seed)
    outputs: dict[str, Any] = {"split": {"train": len(train), "validation": len(validation), "test": len(test)}}
    canaries = _canaries(run)
    if run.spec.curate is not False:
        from stillroom.curate import CurateOptions, coverage_refusal, curate as curate_records

        options = run.spec.curate or CurateOptions()
        held_out = validation + test
        result = curate_records(
            train,
            text_field=data.text_field,
            label_field=data.label_field,
            slice_fields=data.slice_fields,
            options=options,
            teacher_probs=_teacher_probs(run),
            generate=_generator(run, train, options),
            scrub=run.components.get("scrubber"),
            eval_texts=[r[data.text_field] for r in held_out],
            # a label or slice value the evaluation split holds is audited even with no training record
            expected={f: [r.get(f) for r in held_out] for f in (data.label_field, *data.slice_fields) if f},
            canaries=canaries,
            transfer=_transferer(run, train, options),
            label_names=sorted({str(r[data.label_field]) for r in train + held_out}) if data.label_field else None,
        )
        if result.transfer_rows:
            run.baseline_dataset = _dataset(result.without_transfer(), validation, test, data)
        train = result.records
        funnel = run.workspace.artifacts.put_json(result.report())
        run.artifacts["curation_funnel"] = funnel
        outputs.update(funnel=funnel, kept=len(train), steps=result.counts())
        refusal = coverage_refusal(result, options)
        if refusal is not None:
            raise RunRefused(refusal)
    elif canaries is not None:
        from stillroom.curate import plant

        train = plant(train, canaries, text_field=data.text_field)
    if canaries is not None:
        outputs["canaries"] = {"planted": canaries.records, "canaries": len(canaries.lines),
                               "copies": canaries.copies, "digest": canaries.digest}
    run.dataset = _dataset(train, validation, test, data)
    for split_name in ("train", "validation", "test"):
        run.artifacts[f"split.{split_name}"] = run.workspace.artifacts.put_json(getattr(run.dataset, split_name).texts)
    outputs["splits"] = {k: v for k, v in run.artifacts.items() if k.startswith("split.")}
    return outputs


def _canaries(run: Run):
    """The canaries a memorization probe named in the spec has the curate stage plant, or None.

    The evaluator draws them (``planting``); the set, its seed included, is
    stored as an artifact whose digest the ledger keeps, and the evaluate stage
    hands the probe exactly that set. They are planted into the training texts
    only, after the scrub stage and after every curation step: scrubbing would
    turn their digits into placeholders, and they must count toward no slice,
    duplicate or overlap with the evaluation split.
    """
    from stillroom.curate import Planting

    for name, options in run.spec.chosen("evaluator") or []:
        probe = run.plugins.component("evaluator", name)
        if not hasattr(probe, "planting"):
            continue
        task = run.components["teacher"].task
        if task not in probe.tasks:
            raise ConfigError(f"evaluator {name!r} probes {', '.join(probe.tasks)} students, and this "
                              f"pipeline's teacher is {task}")
        if run.spec.data.label_field:
            raise ConfigError(f"evaluator {name!r} plants unlabelled canary texts, and this pipeline names "
                              "data.label_field; remove it for a generative run")
        canary_set = probe(options, run.ctx).planting()
        digest = run.workspace.artifacts.put_json(canary_set)
        run.artifacts["canaries"] = digest
        return Planting(tuple(canary_set["lines"]), canary_set["copies"], digest)
    return None


def _teacher_probs(run: Run):
    """Class probabilities from a classifier teacher, through the label cache; None for other tasks."""
    teacher = run.components["teacher"]
    if teacher.task != "classification":
        return None

    def probabilities(texts: list[str]):
        import numpy as np

        from stillroom.labels import label_outputs

        logits = label_outputs(teacher, texts, run.workspace.artifacts).outputs["logits"]
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    return probabilities


def _generator(run: Run, train: list[dict], options):
    """Synthetic records: the teacher's own generations for causal LMs, else TinyBERT-style augmentation."""
    if not options.augment.enabled and options.rebalance != "generate":
        return None
    teacher, data = run.components["teacher"], run.spec.data
    if teacher.task == "causal-lm":
        def generate(seeds: list[dict], per_record: int) -> list[dict]:
            prompts = [str(r[data.text_field]) for r in seeds for _ in range(per_record)]
            return [{**seed, data.text_field: text}
                    for seed, text in zip([r for r in seeds for _ in range(per_record)], teacher.generate(prompts))]
        return generate
    from stillroom.augment import augmenter

    return augmenter(train, text_field=data.text_field, label_field=data.label_field,
                     methods=options.augment.methods, seed=options.seed)


def _transferer(run: Run, train: list[dict], options):
    """The transfer-set generator (``curate.transfer``), or None when the spec asks for none."""
    if not options.transfer.per_record or run.components["teacher"].task != "classification":
        return None
    from stillroom.augment import transferer

    data, transfer = run.spec.data, options.transfer
    return transferer(run.components["teacher"], train, text_field=data.text_field, label_field=data.label_field,
                      methods=transfer.methods, neighbours=transfer.neighbours, seed=options.seed)


def label(run: Run) -> dict[str, Any]:
    from stillroom.labels import label_outputs

    teacher = run.components["teacher"]
    outputs = {}
    for split_name in ("train", "validation", "test"):
        texts = getattr(run.dataset, split_name).texts
        result = label_outputs(teacher, texts, run.workspace.artifacts, progress=run.ctx.progress)
        run.teacher_outputs[split_name] = result.outputs
        outputs[split_name] = {"digest": result.digest, "cached": result.cached, "n": len(texts)}
    return {"teacher": teacher.name, "fingerprint": teacher.fingerprint(), "outputs": outputs}


def train(run: Run) -> dict[str, Any]:
    spec, plugins = run.spec, run.plugins
    task = run.components["teacher"].task
    name = spec.trainer.type if spec.trainer else _default_for(plugins, "trainer", task)
    options = spec.trainer.options if spec.trainer else {}
    trainer = plugins.component("trainer", name)(options, run.ctx)
    run.students["student"] = trainer.train(spec.student, run.dataset, run.teacher_outputs, run.ctx)
    outputs = {"trainer": name, "student_parameters": run.students["student"].num_parameters()}
    for chosen_on_validation in ("search", "layer_importance"):  # trials and choices, all on validation
        if getattr(run.students["student"], chosen_on_validation, None):
            outputs[chosen_on_validation] = getattr(run.students["student"], chosen_on_validation)
    skipped = _no_baseline_because(spec, run.dataset, trainer)
    if skipped is None:
        baseline_spec = {**{k: v for k, v in spec.student.items() if k != "search"}, "method": "labels"}
        baseline_data = run.baseline_dataset or run.dataset  # never the teacher-labelled transfer set
        run.students["baseline"] = trainer.train(baseline_spec, baseline_data, run.teacher_outputs, run.ctx)
        outputs["baseline"] = "labels-only"
        outputs["baseline_train_rows"] = len(baseline_data.train)
    else:
        outputs["baseline_skipped"] = skipped
    return outputs


def _no_baseline_because(spec: PipelineSpec, dataset: Dataset, trainer) -> str | None:
    """Why this run trains no labels-only baseline, in words for the report; None when it trains one."""
    if not spec.baseline:
        return "turned off in the pipeline (baseline: false)"
    if dataset.train.labels is None:
        return "the training data has no labels (the pipeline names no data.label_field)"
    if not getattr(trainer, "supports_baseline", False):
        return f"trainer {trainer.name!r} has no labels-only mode"
    return None


def evaluate(run: Run) -> dict[str, Any]:
    task = run.components["teacher"].task
    chosen = _chosen(run, "evaluator", task)
    if not chosen:
        raise Skip(f"no evaluator registered for {task} students")
    results: dict[str, Any] = {}
    for role, student in run.students.items():
        evaluations = []
        for name, options in chosen:
            if name == "regression" and "previous" not in options:
                options = {**options, "previous": _last_released_evaluation(run)}
            if "canaries" in run.artifacts and hasattr(run.plugins.component("evaluator", name), "planting"):
                planted = run.workspace.artifacts.read_json(run.artifacts["canaries"])
                options = {**options, "canaries": planted["canaries"]}  # exactly the set the curate stage planted
            evaluator = run.plugins.component("evaluator", name)(options, run.ctx)
            evaluations.append(evaluator.evaluate(student, run.components["teacher"], run.dataset, run.ctx))
        run.evaluations[role] = evaluations
        results[role] = {e.evaluator: e.metrics for e in evaluations}
    digest = run.workspace.artifacts.put_json(
        {role: [e.as_dict() for e in evals] for role, evals in run.evaluations.items()})
    run.artifacts["evaluation"] = digest
    return {"evaluators": [name for name, _ in chosen], "metrics": results, "report": digest}


def export(run: Run) -> dict[str, Any]:
    task = run.components["teacher"].task
    chosen = _chosen(run, "exporter", task)
    if not chosen:
        raise Skip("no exporter configured")
    exported: dict[str, dict[str, str]] = {}
    student = run.students["student"]
    root = run.workspace.root / "exports" / run.run_id
    for name, options in chosen:
        exporter = run.plugins.component("exporter", name)(options, run.ctx)
        residency.check_location("exporter", exporter.location(), run.spec.source.classification,
                                 run.policy.residency)
        dest = root / name
        files = exporter.export(student, dest, texts=run.dataset.test.texts)
        exported[name] = {str(Path(f).relative_to(dest)): run.workspace.artifacts.put_file(Path(f)) for f in files}
    run.artifacts["exports"] = run.workspace.artifacts.put_json(exported)
    card = _model_card(run, root / "card")
    if card is not None:
        run.artifacts["model_card"] = run.workspace.artifacts.put_file(card)
    return {"exporters": [name for name, _ in chosen], "files": exported,
            "model_card": run.artifacts.get("model_card")}


def _chosen(run: Run, family: str, task: str) -> list[tuple[str, dict[str, Any]]]:
    """What the spec names, else every registered component of the family that serves the task by default."""
    named = run.spec.chosen(family)
    if named is not None:
        return named
    return [(name, {}) for name in run.plugins.names(family)
            if task in getattr(run.plugins.component(family, name), "tasks", (task,))
            and getattr(run.plugins.component(family, name), "default", True)]


def _model_card(run: Run, directory: Path) -> Path | None:
    try:
        from stillroom.plugins.exporters.card import write_model_card
    except ImportError:
        return None
    teacher = run.components["teacher"]
    return write_model_card(
        directory,
        name=run.spec.name,
        task=teacher.task,
        teacher={"name": teacher.name, "location": teacher.location(), "fingerprint": teacher.fingerprint()},
        data={k.removeprefix("split."): v for k, v in run.artifacts.items() if k.startswith("split.")},
        evaluations=run.evaluations.get("student", []),
        baseline=run.evaluations.get("baseline", []),
        intended_use=f"{teacher.task} for the {run.spec.name} pipeline, inside the organisation's boundary",
        limitations=["Measured only on the held-out split of the source named above.",
                     "Inherits the teacher's biases; slices below the reporting threshold are not gated."],
    )


def _last_released_evaluation(run: Run) -> str | None:
    """The evaluation digest of the last released student of this pipeline, for the regression check."""
    from stillroom.approvals import list_requests

    released = [r for r in list_requests(run.workspace, status="released", kind="release")
                if r.subject.get("pipeline") == run.spec.name]
    return released[-1].subject["data"].get("evaluation") if released else None


def request(run: Run) -> dict[str, Any]:
    """Compute the release gates and open a release request bound to everything above."""
    from stillroom.approvals import open_request
    from stillroom.gates import compute_gates, gates_pass

    if "student" not in run.evaluations or "exports" not in run.artifacts:
        raise Skip("no evaluated, exported student to release")
    task = run.components["teacher"].task
    evidence = {f"{e.evaluator}.{k}": v for e in run.evaluations["student"] for k, v in e.metrics.items()}
    evidence["residual_pii"] = run.summaries.get("scrub", {}).get("residual", 0)
    slices = next((e.slices for e in run.evaluations["student"] if e.evaluator == "slices"), {})
    gates = compute_gates(evidence, run.policy.release_gates, task, slices)
    subject = release_subject(run, gates)
    gates += [dict(f, plugin=True) for f in run.plugins.release_checks({
        "request_id": None, "run_id": run.run_id, "metrics": evidence, "artifacts": run.artifacts})]
    opened = open_request(run.workspace, kind="release", subject={**subject, "gates": gates},
                          initiator=run.initiator, policy_digest=run.policy.digest, run_id=run.run_id, gates=gates)
    return {"request_id": opened.id, "digest": opened.digest, "gates_passed": gates_pass(gates),
            "gates": {g["gate"]: g["passed"] for g in gates}}


def release_subject(run: Run, gates: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything a release request is about, by digest: any change makes a new request."""
    teacher = run.components["teacher"]
    exported = run.workspace.artifacts.read_json(run.artifacts["exports"])
    files = {f"{exporter}/{name}": digest for exporter, named in exported.items() for name, digest in named.items()}
    return {
        "run_id": run.run_id,
        "pipeline": run.spec.name,
        "spec_digest": run.spec.digest,
        "policy_digest": run.policy.digest,
        "teacher": {"name": teacher.name, "fingerprint": teacher.fingerprint()},
        "data": {"source_fingerprint": run.summaries["ingest"]["fingerprint"],
                 **{k: v for k, v in run.artifacts.items() if k not in ("exports", "model_card")}},
        "student": {"files": files},
        "model_card": run.artifacts.get("model_card"),
        "plugins": run.plugins.provenance(),
    }


STAGE_FUNCTIONS: dict[str, Callable[[Run], dict[str, Any]]] = {
    "preflight": preflight, "ingest": ingest, "scrub": scrub, "curate": curate, "label": label,
    "train": train, "evaluate": evaluate, "export": export, "request": request,
}


# -- helpers ------------------------------------------------------------------


def split_records(records: list[dict], text_field: str, validation: float, test: float, *, seed: int
                  ) -> tuple[list[dict], list[dict], list[dict]]:
    """Deterministic split by a seeded hash of the text, so the same text always lands in the same split
    and identical texts can never straddle train and evaluation."""
    train, val, tst = [], [], []
    for record in records:
        u = int(sha256_bytes(f"{seed}:{record[text_field]}".encode())[:15], 16) / 16**15
        (tst if u < test else val if u < test + validation else train).append(record)
    return train, val, tst


def _dataset(train: list[dict], validation: list[dict], test: list[dict], data) -> Dataset:
    label_names = None
    if data.label_field:
        label_names = sorted({str(r[data.label_field]) for r in train + validation + test})
    index = {name: i for i, name in enumerate(label_names or [])}

    def split(records: list[dict]) -> Split:
        return Split(
            texts=[str(r[data.text_field]) for r in records],
            labels=[index[str(r[data.label_field])] for r in records] if data.label_field else None,
            slices={f: [str(r.get(f, "")) for r in records] for f in data.slice_fields},
        )

    return Dataset(split(train), split(validation), split(test), label_names)


def _default_for(plugins: PluginManager, family: str, task: str) -> str:
    for name in plugins.names(family):
        if task in plugins.component(family, name).tasks:
            return name
    raise ConfigError(f"no {family} is registered for {task} teachers; install one or name it in the pipeline")


def _write_jsonl(run: Run, key: str, records) -> tuple[str, int]:
    scratch = run.ctx.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    path = scratch / f"{key}.jsonl"
    count = 0
    with open(path, "wb") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            count += 1
    digest = run.workspace.artifacts.put_file(path)
    path.unlink()
    run.artifacts[key] = digest
    return digest, count


def _read_jsonl(run: Run, digest: str) -> Iterator[dict[str, Any]]:
    for line in run.workspace.artifacts.iter_lines(digest):
        yield json.loads(line)


def _batches(items, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _take(items, limit: int | None):
    for i, item in enumerate(items):
        if limit is not None and i >= limit:
            return
        yield item


def _new_run_id() -> str:
    return f"run-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"

