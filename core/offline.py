"""Libraries known to phone home, configured never to try (DESIGN §4).

A clean run should leave no ``egress.blocked`` entry, so the attempts the
guard would refuse are switched off at the source. Environment variables
cover libraries imported later and any child process; a library that was
imported before the run read its variable already and is adjusted in place.

spaCy model downloads need nothing here: the Presidio scrubber loads models
through ``OfflineSpacyNlpEngine``, which refuses a model that is not installed
instead of calling ``spacy.cli.download``.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Any

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # The tokenizers library warns, and may deadlock, when a process forks
    # after its thread pool started; the run's data loaders fork.
    "TOKENIZERS_PARALLELISM": "false",
    # Empty means no suffix-list URLs: Presidio's e-mail recognizer calls
    # tldextract.extract, which then uses its bundled snapshot.
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    # The run prints its own progress per stage; the hub's and transformers' bars would interleave with it.
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def offline_environment() -> dict[str, Any]:
    """Configure Hugging Face, tokenizers and tldextract offline for this process and its children.

    :returns: ``{"environment": {...}, "adjusted": [...]}``, the variables set
        and the already-imported modules changed in place, for the run's
        ledger entry.
    """
    os.environ.update(OFFLINE_ENVIRONMENT)
    adjusted = []
    for name, adjust in _ADJUSTMENTS.items():
        module = sys.modules.get(name)
        if module is not None:
            adjust(module)
            adjusted.append(name)
    return {"environment": dict(OFFLINE_ENVIRONMENT), "adjusted": adjusted}


def _huggingface_hub(constants: ModuleType) -> None:
    # transformers and sentence-transformers ask huggingface_hub.is_offline_mode(),
    # which reads these constants, set from the environment at import.
    constants.HF_HUB_OFFLINE = True  # type: ignore[attr-defined]  # the module's own constant, which typeshed cannot see
    constants.HF_HUB_DISABLE_TELEMETRY = True  # type: ignore[attr-defined]  # as above


def _tldextract(module: ModuleType) -> None:
    # The module-level extractor behind tldextract.extract read the URLs when
    # it was built; it reads the attribute again on first extraction.
    module.TLD_EXTRACTOR.suffix_list_urls = ()


_ADJUSTMENTS = {
    "huggingface_hub.constants": _huggingface_hub,
    "tldextract.tldextract": _tldextract,
}
