"""Stillroom: governed, on-premise model distillation with a signed audit ledger.

A plugin begins with ``from stillroom import hookimpl``.
"""

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("stillroom")

__all__ = ["hookimpl", "__version__"]
