"""Preflight: build every component and check it against the policy before any data moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stillroom import residency
from stillroom.errors import ConfigError, RunRefused
from stillroom.run.stages.base import Stage
from stillroom.run.stages.choose import default_for


def preflight(run) -> dict[str, Any]:
    """Build every component and check it against the policy before any data moves."""
    spec, policy, plugins, ctx = run.spec, run.policy, run.plugins, run.ctx
    source = plugins.component("source", spec.source.type)(spec.source.options, ctx)
    run.components["source"] = source
    if spec.teacher.base is None:
        teacher = plugins.component("teacher", spec.teacher.type)(spec.teacher.options, ctx)
        ctx.teacher = run.components["teacher"] = teacher
        role = "teacher"
        # the trainer refuses a student it cannot distill from this teacher (a cross-tokenizer token KD, say)
        trainer = spec.trainer.type if spec.trainer else default_for(plugins, "trainer", teacher.task)
        plugins.component("trainer", trainer)(spec.trainer.options if spec.trainer else {}, ctx).check_student(
            spec.student, teacher)
    else:  # the teacher stage fine-tunes it; here its base is checked like any model the run reads
        teacher = run.components["teacher_base"] = _teacher_base(run)
        role = "teacher base"
    checks = [within_boundary(run, "source", source), within_boundary(run, role, teacher)]
    for author, _where, section in spec.curate.generative_teachers() if spec.curate else []:  # checked like it
        options = {"task": "causal-lm", **section}
        run.components[author] = plugins.component("teacher", options.pop("type", "hf"))(options, ctx)
        checks.append(within_boundary(run, author, run.components[author]))
    rule = policy.residency.classifications[source.classification]
    scrubber = _scrubber(run, must_scrub=rule.must_scrub)
    if scrubber is not None:
        run.components["scrubber"] = scrubber
        if getattr(scrubber, "own_model", False):  # an organisation's own NER model: where it is read from
            checks.append(within_boundary(run, "scrubber model", scrubber))
        missing = sorted(set(policy.residency.required_entities) - set(scrubber.entities()))
        if missing:
            raise RunRefused(f"the policy requires scrubbing {', '.join(missing)}, which scrubber "
                             f"{scrubber.name!r} cannot detect; configure a scrubber that covers them")
    return {
        "student_size": size_student(run, teacher),
        "policy_digest": policy.digest,
        "spec_digest": spec.digest,
        "classification": source.classification,
        "locations": checks,
        f"{role.replace(' ', '_')}_fingerprint": teacher.fingerprint(),
        "scrubber": None if scrubber is None else {"name": scrubber.name, "entities": scrubber.entities()},
        "plugins": len(plugins.provenance()),
        "executor": run.executor.preflight(source.classification),
    }


def deployment_targets(run) -> dict[str, tuple[float, float]]:
    """Every target the student is gated on, name -> (max MB, p95 ms): the policy's, and the spec's own
    (``target:``); a spec target of a policy target's name can tighten it, never loosen it."""
    targets = {name: (t.max_size_mb, t.max_latency_ms_p95)
               for name, t in run.policy.release_gates.deployment_targets.items()}
    target = run.spec.target
    if isinstance(target, str):
        if target not in targets:
            raise ConfigError(f"target {target!r} is not a deployment target of the release-gates policy "
                              f"(it has: {', '.join(targets) or 'none'}); name one, or give max_mb and p95_ms")
    elif target is not None:
        mb, ms = targets.get(target.name, (target.max_mb, target.p95_ms))
        targets[target.name] = (min(mb, target.max_mb), min(ms, target.p95_ms))
    return targets


def size_student(run, teacher) -> dict[str, Any]:
    """The student's size, predicted from the teacher's config against the tightest target (``sizing``).

    A spec that leaves the student's depth to Stillroom gets the deepest student predicted to fit; one
    that sets ``student.layers`` is warned when it is predicted too big; a target no student of this
    teacher can meet refuses the run here, before any data is read.
    """
    from stillroom import sizing

    spec = run.spec
    targets = deployment_targets(run)
    name, limit = min(((n, mb) for n, (mb, _) in targets.items()), key=lambda t: t[1], default=(None, None))
    directory = getattr(teacher, "path", None)
    if any(k in spec.student for k in ("init", "config", "checkpoint")) or directory is None:
        return {"predicted": None, "reason": "the student is not built from a local teacher's layers"}
    config = json.loads((Path(directory) / "config.json").read_text())
    shape = sizing.shape_of(config)
    if shape is None:
        depth = config.get("num_hidden_layers")
        chosen = {"layers": max(1, depth // 2)} if isinstance(depth, int) and "layers" not in spec.student else {}
        return {"predicted": None, "chosen": chosen,
                "reason": "no size prediction for this architecture: half the teacher's layers, measured after training"}
    int8 = "onnx-int8" in [n for n, _ in spec.chosen("exporter") or []]
    prunable = _wordpiece(Path(directory))
    summary: dict[str, Any] = {"target": name, "max_mb": limit, "teacher_layers": shape.layers, "int8": int8,
                               "warnings": []}
    if "layers" in spec.student:
        asked = spec.student["layers"]
        layers = asked.get("keep") if isinstance(asked, dict) else len(asked) if isinstance(asked, list) else asked
        if not isinstance(layers, int):
            return {**summary, "predicted": None, "reason": "student.layers is not a count Stillroom can size"}
        predicted = sizing.megabytes(shape, layers, prune_vocab=bool(spec.student.get("prune_vocab")), int8=int8)
        if limit is not None and predicted > limit:
            summary["warnings"].append(f"student.layers {layers} is predicted at {predicted:.1f} MB, over the "
                                       f"{limit:g} MB of target {name}; remove student.layers to let Stillroom "
                                       "size the student")
        if layers >= shape.layers:
            summary["warnings"].append(f"student.layers {layers} keeps every layer: the student is the teacher's "
                                       "size")
        return {**summary, "predicted_mb": round(predicted, 2), "chosen": {}}
    plan = sizing.plan_for(shape, limit, prunable=prunable, int8_allowed=int8)
    if plan is None:
        small = sizing.smallest(shape, prunable=prunable, int8_allowed=int8)
        hint = "" if int8 else (f"; exporting onnx-int8 would bring it to "
                                f"{sizing.megabytes(shape, 1, prune_vocab=prunable, int8=True):.3g} MB")
        raise RunRefused(f"no student of this teacher can meet target {name} ({limit:g} MB): the smallest, "
                         f"{small.describe()}{hint}; choose a smaller teacher or relax the target")
    return {**summary, "predicted_mb": round(plan.predicted_mb, 2), "chosen": plan.student(), "int8": plan.int8,
            "plan": plan.describe()}


def _wordpiece(directory: Path) -> bool:
    """Whether the model's tokenizer is WordPiece (BERT-family), the one vocabulary pruning supports."""
    config = directory / "tokenizer_config.json"
    named = json.loads(config.read_text()).get("tokenizer_class", "") if config.is_file() else ""
    return str(named).startswith("Bert") or (directory / "vocab.txt").is_file()


def within_boundary(run, role: str, component) -> dict[str, Any]:
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


def _teacher_base(run):
    """``teacher.base`` opened by the spec's teacher plugin as the encoder it is (it has no classifier head yet)."""
    kind = run.spec.teacher.type
    plugin = run.plugins.component("teacher", kind)
    if not plugin.can_fine_tune:
        raise ConfigError(f"teacher.base needs a teacher plugin that fine-tunes, and {kind!r} does not; "
                          "use type: hf, or name a ready classifier with teacher.path")
    return plugin({**run.spec.teacher.options, "path": run.spec.teacher.base, "task": "embedding"}, run.ctx)


def _scrubber(run, *, must_scrub: bool):
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
    named = [f for f in (run.spec.data.text_field, run.spec.data.label_field, *run.spec.data.slice_fields) if f]
    options["fields"] = list(dict.fromkeys([*(options.get("fields") or []), *named]))  # every named field is scrubbed
    return run.plugins.component("scrubber", name)(options, run.ctx)


STAGE = Stage("preflight", preflight)
