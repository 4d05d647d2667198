"""``python -m stillroom.run.torchrun``, with each rank writing how much of the student it held while it trained,
and failing if its interpreter shuts down while a gloo thread runs.

``shards-RANK.json`` beside ``OUT``: the elements of the parameters this rank stores (``local``), of the whole
student (``whole``), and the names of any parameter held whole instead of as a DTensor shard (``plain``).
With ``CRASH_AFTER_STEP=N`` set, rank 0 ends its process once the checkpoint of optimizer step N is on disk,
as a machine lost mid-epoch would; torchrun then stops the other rank.

FSDP keeps the group's gloo threads alive to the end of the process (``torchrun.end_rank`` says why), and one
of them can abort a shutting-down interpreter, once in many runs. The interpreter's shutdown starts by
calling ``threading._shutdown``: here it ends the rank with status 3 when a gloo thread is still running,
so a rank that reaches that shutdown fails every time, not once in many runs.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
from pathlib import Path

from stillroom.plugins.trainers import loop
from tests.gloo import gloo_threads

sharded, saved, shutdown = loop._FSDP.__init__, loop.save_state, threading._shutdown  # type: ignore[attr-defined]


def counting(self, net, loss_fn, device, world):
    from torch import distributed
    from torch.distributed.tensor import DTensor

    sharded(self, net, loss_fn, device, world)
    params = dict(self.step.named_parameters())
    held = {"local": sum(p.to_local().numel() if isinstance(p, DTensor) else p.numel() for p in params.values()),
            "whole": sum(p.numel() for p in params.values()),  # a DTensor's numel is the whole tensor's
            "plain": sorted(name for name, p in params.items() if not isinstance(p, DTensor))}
    (Path(sys.argv[2]).parent / f"shards-{distributed.get_rank()}.json").write_text(json.dumps(held))


def crashing(directory, state, *args):
    saved(directory, state, *args)
    if state.get("position", {}).get("step") == int(os.environ["CRASH_AFTER_STEP"]):
        os._exit(3)


def shutting_down():
    left = gloo_threads()
    if left:
        print(f"the interpreter shut down with gloo threads running: {', '.join(left)}", file=sys.stderr, flush=True)
        os._exit(3)
    shutdown()


loop._FSDP.__init__ = counting  # type: ignore[method-assign]
if os.environ.get("CRASH_AFTER_STEP"):
    loop.save_state = crashing
threading._shutdown = shutting_down  # type: ignore[attr-defined]

if __name__ == "__main__":
    runpy.run_module("stillroom.run.torchrun", run_name="__main__")  # its own exit path, as torchrun runs it
