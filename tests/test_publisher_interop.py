"""Differential tests: what Stillroom signs reads the same in securesystemslib and in-toto-attestation.

The publisher envelope and statement, and the release bundle's SLSA provenance, are parsed and
verified by those independent implementations; an envelope they sign verifies in ours.
"""

from __future__ import annotations

import copy
import json
from importlib import metadata

from google.protobuf import json_format
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

from stillroom import publisher, signing
from tests.test_release import bundle, release_request  # noqa: F401  (fixtures: an approved release bundle)


def checked_statement(payload: bytes) -> Statement:
    """The in-toto statement as in-toto-attestation parses it, unknown fields refused, then validated."""
    statement = Statement.copy_from_pb(json_format.Parse(payload, statement_pb2.Statement()))
    statement.validate()
    return statement


def test_a_publisher_envelope_verifies_in_securesystemslib_and_its_statement_in_in_toto_attestation():
    dist, key = metadata.distribution("pluggy"), signing.generate_key()  # any wheel-installed distribution: it has a RECORD
    envelope = publisher.sign(dist, key, "acme")
    theirs = Envelope.from_dict(copy.deepcopy(envelope))  # from_dict consumes its argument
    assert theirs.pae() == signing.pae(envelope["payloadType"], theirs.payload)
    assert set(theirs.verify([SSlibKey.from_crypto(key.public_key(), keyid="acme")], 1)) == {"acme"}
    statement = checked_statement(theirs.payload)
    assert statement.pb.predicate_type == publisher.PREDICATE_TYPE
    assert statement.pb.subject[0].digest["sha256"] == json.loads(theirs.payload)["subject"][0]["digest"]["sha256"]

    other = signing.generate_key()
    assert not _verifies(theirs, SSlibKey.from_crypto(other.public_key(), keyid="acme"))


def test_an_envelope_securesystemslib_signs_verifies_in_stillroom():
    key = signing.generate_key()
    envelope = Envelope(b'{"_type": "x"}', publisher.PAYLOAD_TYPE, {})
    envelope.sign(CryptoSigner(key, SSlibKey.from_crypto(key.public_key(), keyid="acme")))
    assert signing.dsse_verify(envelope.to_dict(), {"acme": key.public_key()}) == b'{"_type": "x"}'


def test_the_release_provenance_is_a_slsa_v1_statement_by_the_node_key(bundle, workspace):  # noqa: F811
    envelope = json.loads((bundle / "provenance.dsse.json").read_text())
    theirs = Envelope.from_dict(copy.deepcopy(envelope))  # from_dict consumes its argument
    node = SSlibKey.from_crypto(workspace.node_key().public_key(), keyid=envelope["signatures"][0]["keyid"])
    assert len(theirs.verify([node], 1)) == 1
    statement = checked_statement(theirs.payload)
    assert statement.pb.predicate_type == "https://slsa.dev/provenance/v1"
    predicate = json_format.ParseDict(json.loads(theirs.payload)["predicate"], provenance_pb2.Provenance())
    assert predicate.build_definition.build_type and predicate.run_details.builder.id
    assert {m.name for m in predicate.build_definition.resolved_dependencies} >= {"policy", "data:source"}


def _verifies(envelope: Envelope, key: SSlibKey) -> bool:
    try:
        envelope.verify([key], 1)
    except Exception:  # securesystemslib's VerificationError
        return False
    return True
