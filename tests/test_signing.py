"""Keys at rest, C2SP verifier keys and DSSE envelopes."""

import base64
import json
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from stillroom import signing
from stillroom.signing import SigningError

# golang.org/x/mod/sumdb/note's documented example key (note_test.go).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"


def go_private_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert seed[0] == 1
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def test_node_key_is_written_unencrypted_and_readable_by_its_owner_only(tmp_path):
    key = signing.generate_key()
    path = tmp_path / "keys" / "node.key"
    signing.save_private_key(path, key, None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"ENCRYPTED" not in path.read_bytes()
    assert signing.public_bytes(signing.load_private_key(path)) == signing.public_bytes(key)
    assert [p.name for p in path.parent.iterdir()] == ["node.key"]


def test_a_persons_key_needs_the_right_passphrase(tmp_path):
    key = signing.generate_key()
    path = tmp_path / "alice.key"
    signing.save_private_key(path, key, "correct horse")
    assert path.read_bytes().startswith(b"-----BEGIN STILLROOM ENCRYPTED PRIVATE KEY-----")
    assert b'"kdf": "argon2id"' in base64.decodebytes(path.read_bytes().splitlines(keepends=True)[1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signing.public_bytes(signing.load_private_key(path, "correct horse")) == signing.public_bytes(key)
    with pytest.raises(SigningError, match="passphrase is wrong"):
        signing.load_private_key(path, "battery staple")
    with pytest.raises(SigningError, match="needs a passphrase"):
        signing.load_private_key(path)


def test_an_existing_key_is_never_overwritten(tmp_path):
    path = tmp_path / "node.key"
    first = signing.generate_key()
    signing.save_private_key(path, first, None)
    with pytest.raises(SigningError, match="refusing to overwrite"):
        signing.save_private_key(path, signing.generate_key(), None)
    assert signing.public_bytes(signing.load_private_key(path)) == signing.public_bytes(first)
    assert [p.name for p in tmp_path.iterdir()] == ["node.key"]


def test_unreadable_keys_are_reported_in_one_sentence(tmp_path):
    with pytest.raises(SigningError, match="cannot read"):
        signing.load_private_key(tmp_path / "missing.key")
    (tmp_path / "junk.key").write_text("not a key")
    with pytest.raises(SigningError, match="not a readable PEM key"):
        signing.load_private_key(tmp_path / "junk.key")
    plain = tmp_path / "plain.key"
    signing.save_private_key(plain, signing.generate_key(), None)
    with pytest.raises(SigningError, match="not encrypted"):
        signing.load_private_key(plain, "a passphrase")
    p256 = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "p256.key").write_bytes(p256)
    with pytest.raises(SigningError, match="expected an Ed25519 key"):
        signing.load_private_key(tmp_path / "p256.key")


def test_verifier_key_matches_the_go_note_reference():
    public = go_private_key().public_key()
    assert signing.key_hash("PeterNeumann", public).hex() == "c74f20a3"
    assert signing.verifier_key("PeterNeumann", public) == GO_VKEY
    name, hash_, parsed = signing.parse_verifier_key(GO_VKEY)
    assert (name, hash_.hex(), signing.public_bytes(parsed)) == ("PeterNeumann", "c74f20a3", signing.public_bytes(public))


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+!!!!",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_verifier_keys_are_refused(bad):
    with pytest.raises(SigningError):
        signing.parse_verifier_key(bad)


key_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="+"), min_size=1, max_size=30
).filter(lambda s: not any(c.isspace() for c in s))


@settings(max_examples=50, deadline=None)
@given(key_names)
def test_any_valid_name_round_trips_through_a_verifier_key(name):
    key = signing.generate_key().public_key()
    parsed_name, hash_, parsed = signing.parse_verifier_key(signing.verifier_key(name, key))
    assert parsed_name == name
    assert hash_ == signing.key_hash(name, key)
    assert signing.public_bytes(parsed) == signing.public_bytes(key)


def test_pae_matches_the_dsse_specification_example():
    assert signing.pae("http://example.com/HelloWorld", b"hello world") == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    assert signing.pae("t", "é".encode()) == b"DSSEv1 1 t 2 \xc3\xa9"


def test_dsse_envelope_verifies_only_with_a_trusted_key_and_untouched_contents():
    key, other = signing.generate_key(), signing.generate_key()
    envelope = signing.dsse_sign(b'{"a": 1}', "application/vnd.in-toto+json", key, "node")
    assert signing.dsse_verify(envelope, {"node": key.public_key()}) == b'{"a": 1}'
    assert signing.dsse_verify(json.loads(json.dumps(envelope)), {"x": other.public_key(), "node": key.public_key()}) == b'{"a": 1}'

    with pytest.raises(SigningError, match="no signature"):
        signing.dsse_verify(envelope, {"node": other.public_key()})
    with pytest.raises(SigningError, match="no signature"):
        signing.dsse_verify(envelope, {"someone-else": key.public_key()})
    with pytest.raises(SigningError, match="no signature"):
        signing.dsse_verify({**envelope, "payloadType": "text/plain"}, {"node": key.public_key()})
    with pytest.raises(SigningError, match="no signature"):
        signing.dsse_verify({**envelope, "payload": base64.b64encode(b'{"a": 2}').decode()}, {"node": key.public_key()})
    with pytest.raises(SigningError, match="malformed"):
        signing.dsse_verify({"payload": "!!", "payloadType": "x", "signatures": []}, {"node": key.public_key()})
    with pytest.raises(SigningError, match="malformed"):
        signing.dsse_verify({"payloadType": "x"}, {"node": key.public_key()})


def test_dsse_accepts_url_safe_base64_as_the_spec_allows():
    key = signing.generate_key()
    payload = bytes(range(250, 256)) * 3
    envelope = signing.dsse_sign(payload, "t", key, "k")
    envelope["payload"] = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    assert signing.dsse_verify(envelope, {"k": key.public_key()}) == payload


def test_signature_verification_rejects_any_other_message():
    key = signing.generate_key()
    signature = key.sign(b"message")
    signing.verify(key.public_key(), b"message", signature)
    with pytest.raises(SigningError):
        signing.verify(key.public_key(), b"messagE", signature)
