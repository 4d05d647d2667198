"""The witness's HTTP endpoint: ``POST /add-checkpoint`` of c2sp.org/tlog-witness, on 127.0.0.1 only.

The request body is ``old <size>``, the consistency proof (one base64 hash a
line), a blank line, then the signed checkpoint. The answer is the
cosignature line (200), or a status and one sentence: on 409 the body is the
size the witness last cosigned, so a client can prove consistency from it.
Requests are served one at a time: the check and the state update of one
cosignature never interleave with another's.
"""

import base64
import binascii
import re
from http.server import BaseHTTPRequestHandler, HTTPServer

from stillroom.witness.state import Witness, WitnessRefused

MAX_BODY = 64 * 1024  # a checkpoint with a few signatures and a 64-hash proof is under 4 KB
_OLD = re.compile(r"old (0|[1-9][0-9]{0,18})")


def serve(witness: Witness, port: int, on_ready=None) -> None:
    """Serve until interrupted; ``on_ready(port)`` is called once the socket listens (port 0 picks one)."""
    handler = type("Handler", (_Handler,), {"witness": witness})
    with HTTPServer(("127.0.0.1", port), handler) as server:
        if on_ready:
            on_ready(server.server_address[1])
        server.serve_forever()


def parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    """(old size, proof hashes, checkpoint note) of an add-checkpoint body; ``WitnessRefused(400)`` if malformed."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise WitnessRefused(400, "the request is not UTF-8 text") from None
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if not sep or match is None:
        raise WitnessRefused(400, "the request must start with 'old <size>', then proof lines, a blank line and the checkpoint")
    proof = []
    for line in lines[1:]:
        try:
            proof.append(base64.b64decode(line, validate=True))
        except (binascii.Error, ValueError):
            raise WitnessRefused(400, "a consistency proof line is not base64") from None
    if len(proof) > 64:
        raise WitnessRefused(400, "a consistency proof has at most 64 hashes")
    return int(match.group(1)), proof, note


class _Handler(BaseHTTPRequestHandler):
    witness: Witness

    def do_POST(self) -> None:  # noqa: N802 (the http.server name)
        if self.path != "/add-checkpoint":
            return self._answer(404, "not found\n")
        declared = self.headers.get("Content-Length", "")
        if not declared.isdigit():
            return self._answer(400, "the request needs a Content-Length\n")
        length = int(declared)
        if length > MAX_BODY:
            return self._answer(400, f"the request is larger than {MAX_BODY} bytes\n")
        try:
            old, proof, note = parse_request(self.rfile.read(length))
            line = self.witness.add_checkpoint(old, proof, note)
        except WitnessRefused as refused:
            if refused.status == 409 and refused.size is not None:
                return self._answer(409, f"{refused.size}\n", "text/x.tlog.size")
            return self._answer(refused.status, f"{refused}\n")
        self._answer(200, line)

    def _answer(self, status: int, body: str, content_type: str = "text/plain; charset=utf-8") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # noqa: A002
        """Quiet: a request line carries nothing worth a log, and the state file records every cosignature."""
