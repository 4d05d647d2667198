"""Preflight: build every component and check it against the policy before any data moves."""

from __future__ import annotations

from typing import Any

from stillroom import residency
from stillroom.errors import RunRefused
from stillroom.run.stages.base import Stage
from stillroom.run.stages.choose import default_for


def preflight(run) -> dict[str, Any]:
    """Build every component and check it against the policy before any data moves."""
    spec, policy, plugins, ctx = run.spec, run.policy, run.plugins, run.ctx
    source = plugins.component("source", spec.source.type)(spec.source.options, ctx)
    teacher = plugins.component("teacher", spec.teacher.type)(spec.teacher.options, ctx)
    ctx.teacher = teacher
    run.components.update(source=source, teacher=teacher)
    checks = [within_boundary(run, "source", source), within_boundary(run, "teacher", teacher)]
    trainer = spec.trainer.type if spec.trainer else default_for(plugins, "trainer", teacher.task)
    plugins.component("trainer", trainer)(spec.trainer.options if spec.trainer else {}, ctx).check_student(
        spec.student, teacher)
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
        "policy_digest": policy.digest,
        "spec_digest": spec.digest,
        "classification": source.classification,
        "locations": checks,
        "teacher_fingerprint": teacher.fingerprint(),
        "scrubber": None if scrubber is None else {"name": scrubber.name, "entities": scrubber.entities()},
        "plugins": len(plugins.provenance()),
        "executor": run.executor.name,
    }


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
