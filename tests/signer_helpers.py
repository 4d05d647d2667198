"""A real `stillroom signer` process for the tests, in a short temp dir (Unix socket paths are limited to 107 bytes)."""

import os
import select
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path


def stillroom(*args, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, **kwargs)


def short_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="sr-", dir="/tmp"))


def init_signer(ws, state: Path, sock: Path, *extra) -> subprocess.CompletedProcess:
    result = stillroom("signer", "init", "--state", state, "--socket", sock, "--workspace", ws.root, *extra)
    assert result.returncode == 0, result.stderr
    return result


@contextmanager
def running_signer(ws, state: Path, sock: Path, *extra):
    """`stillroom signer serve` in its own process until the block ends."""
    proc = subprocess.Popen([sys.executable, "-m", "stillroom.cli", "signer", "serve", "--state", str(state),
                             "--socket", str(sock), "--workspace", str(ws.root), *map(str, extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        assert " listening on " in line, f"the signer did not start: {line!r} {proc.poll()} {proc.stderr.read() if proc.poll() is not None else ''}"
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)
