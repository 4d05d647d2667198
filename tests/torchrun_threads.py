"""``python -m stillroom.run.torchrun``, then a check that no gloo thread outlived the process group.

A gloo thread still running when the interpreter shuts down can abort the process (``worker.init_group``
says how); this fails the rank every time one is left, not once in 30 runs.
"""

from __future__ import annotations

import sys

from stillroom.run.torchrun import main
from tests.gloo import gloo_threads

if __name__ == "__main__":
    code = main()
    left = gloo_threads()
    if left:
        print(f"gloo threads outlived destroy_process_group: {', '.join(left)}", file=sys.stderr)
    sys.exit(code or (3 if left else 0))
