"""The signer process: the node key, its own state directory, and a Unix socket for the allowed users.

```
DIR/node.key      the node's Ed25519 key (mode 0600), unless the key is in an HSM
DIR/pkcs11.json   {"module": ..., "token": ..., "key": ...} when it is (the PIN comes from $STILLROOM_PKCS11_PIN)
DIR/signer.json   what the signer holds of the log (``SignerState``), replaced atomically after every change
```
One JSON object a line each way. Requests: ``{"op": "hello"}``,
``{"op": "sign", "data": b64}`` (an entry's canonical bytes, a checkpoint's
text, or a DSSE encoding of an in-toto statement), ``{"op": "observe",
"leaf": b64, "signature": b64}`` and ``{"op": "head"}`` (a checkpoint of the
signer's own state). Answers: ``{"ok": true, ...}`` or ``{"ok": false,
"error": one sentence}``. A connection is refused unless the peer's uid
(SO_PEERCRED, from the kernel, not from the peer) is allowed. Requests are
handled one at a time: the state is a single sequence.
"""

import base64
import json
import os
import socket
import socketserver
import stat
import struct
import threading
from pathlib import Path

from stillroom import signing
from stillroom.artifacts import atomic_write_bytes
from stillroom.errors import StillroomError, UsageError
from stillroom.ledger.checkpoint import Checkpoint, sign_checkpoint
from stillroom.signer.state import SignerRefused, SignerState

STATE, KEY, PKCS11 = "signer.json", "node.key", "pkcs11.json"
MAX_LINE = 4 * 1024 * 1024  # an entry is capped well below this by the ledger


def peer_uid(conn: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket, as the kernel recorded it at connect."""
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid


def check_peer(uid: int, allowed: frozenset[int]) -> None:
    if uid not in allowed:
        raise SignerRefused(f"uid {uid} may not use this signer (allowed: {', '.join(map(str, sorted(allowed)))})")


class Signer:
    """The key and the state, behind one lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            self.state = SignerState.from_json(json.loads((self.directory / STATE).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(f"{self.directory} is not a signer state directory; create one with "
                             "`stillroom signer init`") from None
        self.key = load_key(self.directory)
        if signing.verifier_key(self.state.name, self.key.public_key()) != self.state.verifier_key:
            raise UsageError(f"{self.directory}: the key does not match the signer's state")
        self.lock = threading.Lock()

    def handle(self, request: dict) -> dict:
        with self.lock:
            op = request.get("op")
            if op == "hello":
                return {"name": self.state.name, "origin": self.state.origin, "verifier_key": self.state.verifier_key,
                        "size": self.state.size}
            if op == "head":
                return {"checkpoint": self._head()}
            if op == "sign":
                return {"signature": _b64(self._sign(_unb64(request, "data")))}
            if op == "observe":
                entry = self.state.observe(_unb64(request, "leaf"), _unb64(request, "signature"))
                self._advance(entry)
                return {}
            raise SignerRefused(f"unknown request {str(op)[:40]!r}")

    def _sign(self, data: bytes) -> bytes:
        if data.startswith(b"{"):
            entry = self.state.sign_entry(data)
            signature = self.key.sign(data)
            self._advance(entry)
            return signature
        if data.startswith(b"DSSEv1 "):
            self.state.check_statement(data)
        else:
            self.state.check_checkpoint(data)
        return self.key.sign(data)

    def _advance(self, entry) -> None:
        self.state.taken(entry)
        try:
            save_state(self.directory, self.state)
        except BaseException:
            self.state = SignerState.from_json(json.loads((self.directory / STATE).read_text()))
            raise

    def _head(self) -> str | None:
        if self.state.size == 0:
            return None
        return sign_checkpoint(Checkpoint(self.state.origin, self.state.size, self.state.root()),
                               [(self.state.name, self.key)])


def serve(signer: Signer, socket_path: Path, allowed_uids: frozenset[int], on_ready=None) -> None:
    """Listen on ``socket_path`` (mode 0660: its group decides who may connect at all) until interrupted."""
    socket_path = Path(socket_path)
    if socket_path.exists() or socket_path.is_symlink():
        if not stat.S_ISSOCK(socket_path.lstat().st_mode):
            raise UsageError(f"{socket_path} exists and is not a socket; choose another path")
        socket_path.unlink()  # a stale socket of a stopped signer
    handler = type("Handler", (_Handler,), {"signer": signer, "allowed": allowed_uids})
    umask = os.umask(0o117)
    try:
        server = socketserver.ThreadingUnixStreamServer(str(socket_path), handler)
    finally:
        os.umask(umask)
    server.daemon_threads = True
    with server:
        if on_ready:
            on_ready()
        server.serve_forever()


class _Handler(socketserver.StreamRequestHandler):
    signer: Signer
    allowed: frozenset[int]

    def handle(self) -> None:
        try:
            check_peer(peer_uid(self.request), self.allowed)
        except SignerRefused as refused:
            self.request.settimeout(5)
            try:
                self.rfile.readline(MAX_LINE)  # take the request first: closing on unread data resets the peer
            except OSError:
                pass
            return self._answer({"ok": False, "error": str(refused)})
        while line := self.rfile.readline(MAX_LINE):
            try:
                request = json.loads(line)
                answer = {"ok": True, **self.signer.handle(request if isinstance(request, dict) else {})}
            except StillroomError as refused:  # a refusal, or an entry that is not one (LedgerError)
                answer = {"ok": False, "error": str(refused)}
            except (ValueError, KeyError, TypeError) as e:
                answer = {"ok": False, "error": f"malformed request ({e.__class__.__name__})"}
            self._answer(answer)

    def _answer(self, answer: dict) -> None:
        self.wfile.write(json.dumps(answer).encode() + b"\n")
        self.wfile.flush()


def save_state(directory: Path, state: SignerState) -> None:
    atomic_write_bytes(Path(directory) / STATE, json.dumps(state.as_json()).encode())


def load_key(directory: Path):
    if (directory / PKCS11).exists():
        from stillroom.signer.pkcs11 import Pkcs11Key

        return Pkcs11Key.from_config(json.loads((directory / PKCS11).read_text()))
    return signing.load_private_key(directory / KEY)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(request: dict, name: str) -> bytes:
    return base64.b64decode(request[name], validate=True)
