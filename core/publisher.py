"""Publisher signatures on plugin distributions: a DSSE in-toto statement over the installed RECORD's digest.

A vendor installs their distribution as a customer would and signs it
(``stillroom plugin sign``) with their Ed25519 key; the envelope lives beside
the RECORD, in the distribution's ``.dist-info`` folder, as ``SIGNATURE``. A
workspace that pins the publisher's verifier key (``publisher:`` in
``policies/plugins.yaml``) loads the plugin only when that signature verifies
and names this RECORD's digest, and every installed file still matches its
RECORD hash: the signature covers RECORD, RECORD covers the files. All of it
is read from metadata, so a refused plugin is never imported.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stillroom import signing
from stillroom.artifacts import canonical_json

SIGNATURE = "SIGNATURE.stillroom.dsse.json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://stillroom.dev/plugin-publisher/v1"


def statement(dist: metadata.Distribution, publisher: str) -> dict[str, Any]:
    """What a publisher signs: this distribution's name, version and installed RECORD digest."""
    from stillroom.plugin_manager import record_digest

    name, version = dist.metadata["Name"], dist.version
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f"{name}-{version}.dist-info/RECORD", "digest": {"sha256": record_digest(dist)}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {"distribution": name, "version": version, "publisher": publisher},
    }


def sign(dist: metadata.Distribution, key: Ed25519PrivateKey, publisher: str) -> dict[str, Any]:
    """The DSSE envelope over ``statement(dist)``, signed by ``key`` under the key name ``publisher``."""
    signing.check_key_name(publisher)
    return signing.dsse_sign(canonical_json(statement(dist, publisher)), PAYLOAD_TYPE, key, publisher)


def signature_path(dist: metadata.Distribution) -> Path:
    """Where a distribution's publisher signature lives: its .dist-info folder, beside RECORD."""
    return Path(str(dist.locate_file(str(next(f for f in dist.files or () if f.name == "RECORD"))))).parent / SIGNATURE


def refusal(dist: metadata.Distribution, verifier_key: str) -> str | None:
    """Why ``dist`` is not signed by the publisher of ``verifier_key`` over its installed RECORD, or None."""
    from stillroom.plugin_manager import record_digest

    name = dist.metadata["Name"]
    publisher, _, public_key = signing.parse_verifier_key(verifier_key)
    path = signature_path(dist)
    if not path.is_file():
        return f"{name} has no publisher signature ({path.name} in its .dist-info); the policy requires {publisher}'s"
    try:
        payload = signing.dsse_verify(json.loads(path.read_text()), {publisher: public_key})
        signed = json.loads(payload)
        subject = signed["subject"][0]["digest"]["sha256"]
        named = signed["predicate"]["distribution"], signed["predicate"]["version"]
    except (signing.SigningError, ValueError, KeyError, IndexError, TypeError) as exc:
        return f"{name}'s publisher signature does not verify with {publisher}'s key ({exc})"
    if signed.get("_type") != STATEMENT_TYPE or signed.get("predicateType") != PREDICATE_TYPE:
        return f"{name}'s publisher signature is not a Stillroom plugin statement"
    if named != (name, dist.version):
        return f"{name}'s publisher signature is for {named[0]} {named[1]}, not {name} {dist.version}"
    if subject != record_digest(dist):
        return f"{name}'s RECORD digest is {record_digest(dist)}, but {publisher} signed {subject}"
    return None
