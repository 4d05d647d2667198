"""An example third-party Stillroom plugin: a ``lines`` source, one record per line of a text file."""

import hashlib
import os
from pathlib import Path

from stillroom import hookimpl
from stillroom.components import Source
from stillroom.errors import ConfigError

# Lets the tests prove a refused plugin is never imported: importing this
# module leaves a mark in the file this variable names.
if os.environ.get("STILLROOM_EXAMPLE_IMPORT_MARKER"):
    with open(os.environ["STILLROOM_EXAMPLE_IMPORT_MARKER"], "a") as marker:
        marker.write("imported\n")


class LinesSource(Source):
    """Options: ``path``; each non-empty line becomes ``{"text": line}``."""

    name = "lines"
    description = "Plain text file, one record per line (example plugin)"
    accepts = frozenset({"path"})

    def __init__(self, options, ctx):
        super().__init__(options, ctx)
        if not self.options.get("path"):
            raise ConfigError("source lines: option 'path' is required")
        self.path = Path(self.options["path"])
        self._digest = hashlib.sha256()

    def location(self):
        return self.path.resolve().as_uri()

    def read(self, batch_size=1000):
        batch = []
        with open(self.path, "rb") as f:
            for raw in f:
                self._digest.update(raw)
                line = raw.decode("utf-8").strip()
                if line:
                    batch.append({"text": line})
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def fingerprint(self):
        return self._digest.hexdigest()


@hookimpl
def register_sources(register):
    register(LinesSource)
