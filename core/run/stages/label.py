"""Label: the teacher's outputs for every split, computed once and cached by (teacher, inputs)."""

from __future__ import annotations

from functools import partial
from typing import Any

from stillroom.components import MapWork
from stillroom.progress import track
from stillroom.run.portable import ComponentRef
from stillroom.run.records import BATCH_SIZE, batches
from stillroom.run.stages.base import Stage


def label(run) -> dict[str, Any]:
    from stillroom.labels import label_outputs

    teacher = run.components["teacher"]
    outputs = {}
    for split_name in ("train", "validation", "test"):
        texts = getattr(run.dataset, split_name).texts
        result = label_outputs(teacher, texts, run.workspace.artifacts, predict=partial(predict_in_batches, run, teacher))
        run.live.teacher_outputs[split_name] = result.outputs
        run.artifacts[f"labels.{split_name}"] = result.digest
        outputs[split_name] = {"digest": result.digest, "cached": result.cached, "n": len(texts)}
    return {"teacher": teacher.name, "fingerprint": teacher.fingerprint(), "outputs": outputs}


def predict_in_batches(run, teacher, texts: list[str]) -> dict[str, Any]:
    """The teacher's outputs for ``texts``, mapped by the run's executor over fixed batches and joined.

    The teacher travels as a ``ComponentRef``: a worker builds its own copy
    once, from its own plugins. A causal LM's token outputs are padded to the
    widest text of each call, so its split is one batch: joining padded
    batches would change them.
    """
    import numpy as np

    if not texts:
        return teacher.predict([])  # the teacher's own empty shapes
    size = len(texts) if teacher.task == "causal-lm" else BATCH_SIZE
    ref = ComponentRef("teacher", teacher.name, teacher.options, live=teacher)
    work = MapWork(run.stage, partial(predict_batch, ref), batches(texts, size), portable=True, accelerated=True)
    parts = list(track(run.executor.map(work), f"{run.stage}: teacher {teacher.name} labelling", total=len(texts),
                       enabled=run.ctx.progress, size=lambda part: len(next(iter(part.values())))))
    return {name: np.concatenate([np.asarray(part[name]) for part in parts]) for name in parts[0]}


def predict_batch(ref: ComponentRef, texts: list[str]) -> dict[str, Any]:
    return ref.get().predict(texts)


STAGE = Stage("label", label, reads=("dataset",), writes=("labels.*",))
