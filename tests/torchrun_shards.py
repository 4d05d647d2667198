"""``python -m stillroom.run.torchrun``, with each rank writing how much of the student it held while it trained.

``shards-RANK.json`` beside ``OUT``: the elements of the parameters this rank stores (``local``), of the whole
student (``whole``), and the names of any parameter held whole instead of as a DTensor shard (``plain``).
With ``CRASH_AFTER_STEP=N`` set, rank 0 ends its process once the checkpoint of optimizer step N is on disk,
as a machine lost mid-epoch would; torchrun then stops the other rank.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from stillroom.plugins.trainers import loop
from stillroom.run.torchrun import main

sharded, saved = loop._FSDP.__init__, loop.save_state


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


loop._FSDP.__init__ = counting  # type: ignore[method-assign]
if os.environ.get("CRASH_AFTER_STEP"):
    loop.save_state = crashing

if __name__ == "__main__":
    sys.exit(main())
