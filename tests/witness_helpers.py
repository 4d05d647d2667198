"""A real witness process for the tests: `stillroom witness init` and `serve` on a free loopback port."""

import select
import subprocess
import sys
from contextlib import contextmanager

from stillroom import signing


def stillroom(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kwargs)


def node_vkey(ws) -> str:
    return signing.verifier_key(ws.node_key_name, ws.node_key().public_key())


def init_witness(ws, state) -> str:
    """The witness's verifier key, for a witness of ``ws``'s log with its state in ``state``."""
    result = stillroom("witness", "init", "--state", state, "--origin", ws.origin, "--log-key", node_vkey(ws),
                       "--name", "audit-witness")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@contextmanager
def running_witness(state):
    """The URL of `stillroom witness serve --state STATE` running in its own process until the block ends."""
    proc = subprocess.Popen([sys.executable, "-m", "stillroom.cli", "witness", "serve", "--state", str(state),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        assert " listening on http://127.0.0.1:" in line, f"the witness did not start: {line!r} {proc.poll()}"
        yield line.split()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
