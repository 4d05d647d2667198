"""``stillroom ledger export DIR``: a self-contained directory an auditor verifies offline.

```
DIR/entries.jsonl     {"entry": {...}, "signature": "<base64>"} per line, in seq order
DIR/checkpoint        the latest signed checkpoint, covering every exported entry
DIR/keys/<name>.vkey  every key the ledger introduced, as a C2SP verifier key
```
Each entry is written as its canonical bytes, so the line holds exactly what
was signed; a verifier re-canonicalises it anyway and trusts nothing here.
"""

import base64
import os
from pathlib import Path

from stillroom.ledger.checkpoint import read_checkpoint
from stillroom.ledger.errors import ExportError


def export_ledger(ledger, directory: str | os.PathLike) -> Path:
    """Write the export of ``ledger`` into ``directory``, which must be new or empty."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise ExportError(f"{directory} is not empty; export into a new directory")
    note = ledger.checkpoint()
    size = read_checkpoint(note).size
    (directory / "keys").mkdir(parents=True, exist_ok=True)
    with open(directory / "entries.jsonl", "wb") as out:
        for seq, leaf, signature, _ in ledger.rows():
            if seq >= size:
                break
            out.write(b'{"entry":' + leaf + b',"signature":"' + base64.b64encode(signature) + b'"}\n')
    (directory / "checkpoint").write_text(note)
    for name, verifier_key in ledger.verifier_keys().items():
        (directory / "keys" / f"{name}.vkey").write_text(verifier_key + "\n")
    return directory
