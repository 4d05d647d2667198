"""Curate: split, then filter, deduplicate, augment and rebalance the training records; every drop has a reason."""

from __future__ import annotations

from functools import partial
from typing import Any

from stillroom.components import MapWork
from stillroom.errors import ConfigError, RunRefused
from stillroom.progress import track
from stillroom.run.datasets import build_dataset, split_records, store_dataset
from stillroom.run.records import batches, read_jsonl
from stillroom.run.stages.base import Stage
from stillroom.run.stages.label import predict_in_batches


def curate(run) -> dict[str, Any]:
    data = run.spec.data
    source_key = "scrubbed" if "scrubbed" in run.artifacts else "ingested"
    records = list(read_jsonl(run, run.artifacts[source_key]))
    train, validation, test = split_records(records, data.text_field, data.split.validation, data.split.test,
                                            seed=data.split.seed)
    outputs: dict[str, Any] = {"split": {"train": len(train), "validation": len(validation), "test": len(test)}}
    answers = validation_answers = None
    canaries = _canaries(run)
    if run.spec.curate is not False:
        from stillroom.curate import CurateOptions, coverage_refusal
        from stillroom.curate import curate as curate_records

        options = run.spec.curate or CurateOptions()
        held_out = validation + test
        names = sorted({str(r[data.label_field]) for r in train + held_out}) if data.label_field else None
        writer, author = _writer(run, options)
        transfer, paraphraser = _transferer(run, train, options)
        outputs.update({k: v for k, v in (("writer", author), ("paraphraser", paraphraser)) if v is not None})
        result = curate_records(
            train,
            text_field=data.text_field,
            label_field=data.label_field,
            slice_fields=data.slice_fields,
            options=options,
            teacher_probs=_teacher_probs(run, train, names),
            generate=_generator(run, train, options),
            scrub=_scrub(run),
            eval_texts=[r[data.text_field] for r in held_out],
            # a label or slice value the evaluation split holds is audited even with no training record
            expected={f: [r.get(f) for r in held_out] for f in (data.label_field, *data.slice_fields) if f},
            canaries=canaries,
            transfer=transfer,
            label_names=names,
            minhash_values=partial(_minhash_values, run, options.dedupe.num_perm),
            writer=writer,
            answers=_answerer(run, options),
        )
        if result.transfer_rows:  # the labels-only baseline trains without the teacher-labelled transfer set
            run.artifacts["baseline_dataset"] = store_dataset(
                run.workspace.artifacts, build_dataset(result.without_transfer(), validation, test, data))
        train, answers = result.records, result.answers
        funnel = run.workspace.artifacts.put_json(result.report())
        run.artifacts["curation_funnel"] = funnel
        outputs.update(funnel=funnel, kept=len(train), steps=result.counts())
        refusal = coverage_refusal(result, options)
        if refusal is not None:
            raise RunRefused(refusal)
        validation_answers = _validation_answers(run, options, validation)
    elif canaries is not None:
        from stillroom.curate import plant

        train = plant(train, canaries, text_field=data.text_field)
    if canaries is not None:
        outputs["canaries"] = {"planted": canaries.records, "canaries": len(canaries.lines),
                               "copies": canaries.copies, "digest": canaries.digest}
    dataset = build_dataset(train, validation, test, data, answers=answers, validation_answers=validation_answers)
    run.live.dataset = dataset
    run.artifacts["dataset"] = store_dataset(run.workspace.artifacts, dataset)
    for split_name in ("train", "validation", "test"):
        run.artifacts[f"split.{split_name}"] = run.workspace.artifacts.put_json(getattr(dataset, split_name).texts)
    outputs["splits"] = {k: v for k, v in run.artifacts.items() if k.startswith("split.")}
    outputs["dataset"] = run.artifacts["dataset"]
    return outputs


def _scrub(run, *, answers: bool = False):
    """How text a teacher writes here is scrubbed: the run's scrubber through the policy's term lists, as the
    scrub stage scrubs the records (an ``always_pii`` term a teacher writes is replaced too); in the scrubber's
    fields, or for an answer in its first field. None where the run has no scrubber."""
    from stillroom.pii_lists import ListedScrub, TermLists

    scrubber = run.components.get("scrubber")
    if scrubber is None:
        return None
    lists = TermLists.of(run.policy.residency)
    if answers:
        return ListedScrub.for_text(scrubber, lists, run.spec.data.text_field)
    return ListedScrub(scrubber, lists, tuple(scrubber.options.get("fields") or [run.spec.data.text_field]))


def _canaries(run):
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


def _teacher_probs(run, train: list[dict], names: list[str] | None):
    """Class probabilities from the teacher, through the label cache: a classifier's softmax, or an embedding
    teacher's vote of the 10 training records nearest in its embedding space (with labels); None otherwise."""
    import numpy as np

    from stillroom.labels import label_outputs

    teacher, data = run.components["teacher"], run.spec.data
    predict = partial(predict_in_batches, run, teacher)

    def outputs(texts: list[str]):
        return label_outputs(teacher, texts, run.workspace.artifacts, predict=predict).outputs

    if teacher.task == "classification":
        def probabilities(texts: list[str]):
            logits = outputs(texts)["logits"]
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            return shifted / shifted.sum(axis=1, keepdims=True)

        return probabilities
    if teacher.task != "embedding" or not names or not train:
        return None
    from stillroom.curate import neighbour_vote

    index_labels = [names.index(str(r[data.label_field])) for r in train]

    def votes(texts: list[str]):
        # the training records' embeddings, computed only when a step asks for the teacher's view (most embedding
        # runs never do), then read back from the label cache on every later call
        index = outputs([str(r[data.text_field]) for r in train])["embeddings"]
        return neighbour_vote(index, index_labels, outputs(texts)["embeddings"], len(names))

    return votes


def _minhash_values(run, num_perm: int, norms: list[str]):
    """The near-duplicate signatures of ``norms``, mapped by the run's executor over the core's fixed batches."""
    import numpy as np

    from stillroom.curate import minhash_values_of

    work = MapWork(run.stage, partial(minhash_values_of, num_perm=num_perm), batches(norms), portable=True)
    signatures = track(run.executor.map(work), "curate: near-duplicate signatures", total=len(norms),
                       enabled=run.ctx.progress, size=len)
    return np.concatenate([np.empty((0, num_perm), dtype=np.uint64), *signatures])


def _generator(run, train: list[dict], options):
    """Label-keeping synthetic records (TinyBERT-style augmentation); a causal-LM pipeline's teacher writes instead."""
    if not options.augment.enabled and options.rebalance != "generate":
        return None
    teacher, data = run.components["teacher"], run.spec.data
    if teacher.task == "causal-lm":
        from stillroom.augment import writer

        if "methods" in options.augment.model_fields_set:
            raise ConfigError("curate.augment.methods are word edits of a labelled record, and a causal-LM "
                              "pipeline's teacher writes its new records itself; remove augment.methods")
        from stillroom.curate import WriteOptions

        # the pipeline's own teacher continues each record, sampled: greedy decoding writes one text per seed
        return writer(teacher, text_field=data.text_field, label_field=None, options=WriteOptions(prompt="{text}"),
                      seed=options.seed)
    from stillroom.augment import augmenter

    return augmenter(train, text_field=data.text_field, label_field=data.label_field,
                     methods=options.augment.methods, seed=options.seed)


def _writer(run, options):
    """The generative teacher that fills weak slices (``curate.write``), and what the ledger says of it.

    Without one named, a causal-LM pipeline's own teacher writes.
    """
    if options.write is None:
        return None, None
    from stillroom.augment import writer

    teacher = run.components["teacher"]
    if options.write.teacher is None:
        if teacher.task != "causal-lm":
            raise ConfigError("curate.write.teacher is required here: this pipeline's teacher classifies, and a "
                              "generative teacher (task: causal-lm) has to write the new records")
        author, described = teacher, _described(teacher, None)
    else:
        author, described = _generative(run, "writer")
    data = run.spec.data
    return writer(author, text_field=data.text_field, label_field=data.label_field, options=options.write,
                  seed=options.seed), described


def _generative(run, role: str):
    """A generative teacher the spec names for this stage (``writer``, ``paraphraser``), as preflight built it
    and checked it against the residency policy before any data moved, and what the ledger says of it."""
    author = run.components[role]
    check = next(c for c in run.summaries["preflight"]["locations"] if c["role"] == role)
    return author, _described(author, check)


def _described(author, check: dict[str, Any] | None) -> dict[str, Any]:
    return {"name": author.name, "location": author.location(), "fingerprint": author.fingerprint(),
            **({"check": check} if check else {})}


def _answerer(run, options):
    """The teacher's scrubbed, scored answers to the training prompts (``curate.answer``), cached as an artifact.

    Cached by ``labels.teacher_answers`` (by teacher, prompts, options and
    scrubber), so a re-run reads the artifact back instead of generating again;
    the artifact holds only scrubbed answers, and its digest is ``run.artifacts["answers"]``.
    """
    if options.answer is None:
        return None
    teacher = run.components["teacher"]
    if teacher.task != "causal-lm":
        raise ConfigError(f"curate.answer has the teacher answer every training prompt, and this pipeline's teacher "
                          f"is {teacher.task}; it needs a causal-LM teacher (task: causal-lm)")
    from stillroom.labels import teacher_answers

    def answers(prompts: list[str]) -> dict[str, Any]:
        made, run.artifacts["answers"] = teacher_answers(
            teacher, prompts, options.answer, run.workspace.artifacts, seed=options.seed,
            scrub=_scrub(run, answers=True), text_field=run.spec.data.text_field)
        return made

    return answers


def _validation_answers(run, options, validation: list[dict]) -> list[str] | None:
    """With ``curate.answer``, the teacher's answers to the validation prompts too, made as the training ones
    are: a trainer that learns the answers chooses its epoch on them (never trains on them). None are dropped,
    so the split stays what it is; an answer that still holds PII after scrubbing is left empty, so nothing
    keeps it. Cached like the training answers; the artifact's digest is ``run.artifacts["validation_answers"]``."""
    if options.answer is None or not validation:
        return None
    from stillroom.curate import answers_kept
    from stillroom.labels import teacher_answers

    made, run.artifacts["validation_answers"] = teacher_answers(
        run.components["teacher"], [str(r[run.spec.data.text_field]) for r in validation], options.answer,
        run.workspace.artifacts, seed=options.seed, scrub=_scrub(run, answers=True),
        text_field=run.spec.data.text_field)
    return answers_kept(made)


def _transferer(run, train: list[dict], options):
    """The transfer-set generator (``curate.transfer``) and what the ledger says of its rewriter; (None, None)
    when the spec asks for no transfer set."""
    if not options.transfer.per_record or run.components["teacher"].task not in ("classification", "embedding"):
        return None, None
    from stillroom.augment import paraphraser, transferer

    data, transfer = run.spec.data, options.transfer
    rewrite = described = None
    if transfer.paraphrase is not None:
        author, described = _generative(run, "paraphraser")
        rewrite = paraphraser(author, transfer.paraphrase, seed=options.seed)
    return transferer(run.components["teacher"], train, text_field=data.text_field, label_field=data.label_field,
                      methods=transfer.methods, neighbours=transfer.neighbours, seed=options.seed,
                      paraphrase=rewrite), described


STAGE = Stage("curate", curate, reads=("ingested", "scrubbed"),
              writes=("split.*", "dataset", "baseline_dataset", "curation_funnel", "canaries", "answers",
                      "validation_answers"))
