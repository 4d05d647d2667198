"""The ledger's side of the signer: a ``NodeSigner`` that asks the ``stillroom signer`` process over its socket."""

import base64
import json
import socket
import subprocess
import sys
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from stillroom import signing
from stillroom.ledger.errors import LedgerError

TIMEOUT = 30  # seconds; signing is milliseconds, a stuck signer must not hang a run forever
START_WAIT = 30  # seconds for a signer the CLI starts to listen


class SignerError(LedgerError):
    """The signer refused, or could not be reached; the message is the signer's own sentence."""


class SignerClient:
    def __init__(self, socket_path: Path, *, name: str, origin: str, start: tuple[Path, Path] | None = None) -> None:
        """``start``: (state dir, workspace root) to start the signer from when nothing answers on the socket."""
        self.socket_path = Path(socket_path)
        self.name, self.origin = name, origin
        self.start = start
        self._conn: socket.socket | None = None
        self._reader: BinaryIO | None = None
        self._lock = threading.Lock()

    @cached_property
    def _hello(self) -> dict:
        hello = self._call("hello")
        if hello["name"] != self.name or hello["origin"] != self.origin:
            raise SignerError(f"the signer at {self.socket_path} signs as {hello['name']!r} for {hello['origin']!r}, "
                              f"not as {self.name!r} for this workspace's log")
        return hello

    def public_key(self) -> Ed25519PublicKey:
        return signing.parse_verifier_key(self._hello["verifier_key"])[2]

    def sign(self, data: bytes) -> bytes:
        return base64.b64decode(self._call("sign", data=_b64(data))["signature"])

    def observe(self, leaf: bytes, signature: bytes) -> None:
        self._call("observe", leaf=_b64(leaf), signature=_b64(signature))

    def held_checkpoint(self) -> str | None:
        return self._call("head")["checkpoint"]

    def _call(self, op: str, **fields) -> dict:
        with self._lock:
            try:
                conn, reader = self._connection()
                try:
                    conn.sendall(json.dumps({"op": op, **fields}).encode() + b"\n")
                except BrokenPipeError:
                    pass  # a signer that refused this connection answered and closed it: read why
                line = reader.readline()
            except OSError as e:
                self._close()
                raise SignerError(f"the signer at {self.socket_path} cannot be reached ({e.strerror or e}); start it "
                                  "with `stillroom signer serve`, or set [signer] state for the CLI to start it") from None
            if not line:
                self._close()
                raise SignerError(f"the signer at {self.socket_path} closed the connection")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise SignerError(f"the signer refused: {answer.get('error')}")
        return answer

    def _connection(self) -> tuple[socket.socket, BinaryIO]:
        if self._conn is None or self._reader is None:
            try:
                conn = _connected(self.socket_path)
            except (FileNotFoundError, ConnectionRefusedError):
                if self.start is None:
                    raise
                conn = self._start(*self.start)
            self._conn, self._reader = conn, conn.makefile("rb")
        return self._conn, self._reader

    def _start(self, state: Path, root: Path) -> socket.socket:
        """Start ``stillroom signer serve`` in its own session (it outlives this command), and wait for it."""
        with open(Path(state) / "signer.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "stillroom.cli", "signer", "serve", "--state", str(state),
                                     "--socket", str(self.socket_path), "--workspace", str(root)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        (Path(state) / "signer.pid").write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + START_WAIT
        while True:
            try:
                return _connected(self.socket_path)
            except (FileNotFoundError, ConnectionRefusedError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise OSError(f"the signer started from {state} did not come up (see {Path(state) / 'signer.log'})") from None
                time.sleep(0.1)

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._conn is not None:
            self._conn.close()
        self._conn = self._reader = None


def _connected(path: Path) -> socket.socket:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(TIMEOUT)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        raise
    return conn


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
