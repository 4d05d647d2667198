"""A Stillroom ledger asks a witness to cosign its latest checkpoint (the add-checkpoint exchange).

The ledger does not remember what the witness last cosigned: it offers
``old 0``, and a witness that holds a size answers 409 with it; the ledger
then proves consistency from that size. A witness ahead of the log is the
sign of a truncated log (or of another log under the same name), and is
reported as such. The returned cosignature is checked against the witness
key the workspace pins before it is stored next to the checkpoint.
"""

import base64
import urllib.error
import urllib.request

from stillroom.errors import StillroomError, UsageError
from stillroom.ledger.checkpoint import read_checkpoint
from stillroom.witness.cosignature import CosignatureError, parse_witness_key, verify_cosigned

TIMEOUT = 10  # seconds: a witness on the same host or network answers in milliseconds


class WitnessError(StillroomError):
    """A witness that refused, could not be reached, or answered with something that does not verify."""


def witness_checkpoint(ledger, url: str, witness_key: str) -> str:
    """The ledger's latest checkpoint cosigned by the witness at ``url`` (whose key is ``witness_key``), stored."""
    parse_witness_key(witness_key)
    note = ledger.checkpoint()
    try:
        verify_cosigned(note, witness_key)
        return note  # cosigned already, and nothing appended since
    except CosignatureError:
        pass
    size = read_checkpoint(note).size
    old = 0
    for _ in range(2):
        proof = ledger.consistency_proof(old, size) if 0 < old < size else []
        status, body = _post(url, old, proof, note)
        if status == 200:
            break
        if status == 409 and body.strip().isdigit() and int(body) != old:
            old = int(body)
            if old > size:
                raise WitnessError(f"the witness at {url} cosigned a checkpoint of size {old}, larger than this "
                                   f"log ({size} entries): the log was truncated")
            continue
        if status == 409:
            raise WitnessError(f"the witness at {url} cosigned another root at size {old}: this log forked from "
                               "what it witnessed")
        raise WitnessError(f"the witness at {url} refused the checkpoint of size {size} "
                           f"(HTTP {status}: {body.strip()[:200]})")
    else:
        raise WitnessError(f"the witness at {url} kept changing its size; try again")
    cosigned = note + body
    try:
        verify_cosigned(cosigned, witness_key)
    except (CosignatureError, StillroomError) as e:
        raise WitnessError(f"the witness at {url} answered, but not with a valid cosignature ({e})") from None
    ledger.add_cosigned(cosigned)
    return cosigned


def _post(url: str, old: int, proof: list[bytes], note: str) -> tuple[int, str]:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"witness URL {url!r} must start with http:// or https://")
    body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + note
    request = urllib.request.Request(url.rstrip("/") + "/add-checkpoint", data=body.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.read(64 * 1024).decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read(64 * 1024).decode(errors="replace")
    except (urllib.error.URLError, OSError) as e:
        raise WitnessError(f"the witness at {url} could not be reached ({getattr(e, 'reason', e)})") from None


def witness_if_configured(ws, ledger) -> str | None:
    """The cosigned latest checkpoint when the workspace names a witness ([witness] url and key), else None."""
    configured = ws.witness
    return witness_checkpoint(ledger, *configured) if configured else None


def check_bundle_witness(checkpoint: str, witness_key: str) -> str:
    """The report line for a bundle's checkpoint cosigned by ``witness_key``; ``CosignatureError`` otherwise."""
    cosignature = verify_cosigned(checkpoint, witness_key)
    return f"witness: the checkpoint is cosigned by {cosignature.witness} (time {cosignature.timestamp})"
