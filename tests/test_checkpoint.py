"""Signed notes and checkpoints: the C2SP formats byte for byte, and every forgery refused."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from stillroom import signing
from stillroom.ledger.checkpoint import Checkpoint, read_checkpoint, sign_checkpoint, verify_checkpoint
from stillroom.ledger.errors import CheckpointError
from stillroom.ledger.note import open_note, parse_note, sign_note, verifiers_from

# golang.org/x/mod/sumdb/note's documented example key and note (note_test.go).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SEED = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # from PRIVATE+KEY+PeterNeumann+c74f20a3+...
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_SIGNATURE = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

ORIGIN = "stillroom.example/ledger"
NODE = signing.generate_key()
NODE_VKEY = signing.verifier_key("node", NODE.public_key())
ROOT = hashlib.sha256(b"root").digest()


def go_private_key():
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SEED)[1:])


def test_signing_reproduces_the_go_reference_note_byte_for_byte():
    note = sign_note(GO_TEXT, [("PeterNeumann", go_private_key())])
    assert note == GO_TEXT + "\n" + GO_SIGNATURE
    text, verified = open_note(note, verifiers_from([GO_VKEY]))
    assert text == GO_TEXT
    assert [(s.name, s.key_hash.hex()) for s in verified] == [("PeterNeumann", "c74f20a3")]


def test_the_specs_example_checkpoint_parses():
    note = (
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
        "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    )
    checkpoint = read_checkpoint(note)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert base64.b64encode(checkpoint.root).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    with pytest.raises(CheckpointError, match="no signature"):
        verify_checkpoint(note, verifiers_from([NODE_VKEY]), "example.com/behind-the-sofa")


def test_a_checkpoint_round_trips_in_the_exact_format():
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), [("node", NODE)])
    head, _, signature_line = note.partition("\n\n")
    assert head + "\n" == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert signature_line.startswith("— node ")
    blob = base64.b64decode(signature_line.removeprefix("— node ").rstrip("\n"))
    assert blob[:4] == signing.key_hash("node", NODE.public_key()) and len(blob) == 68
    assert verify_checkpoint(note, verifiers_from([NODE_VKEY]), ORIGIN) == Checkpoint(ORIGIN, 42, ROOT)


def test_a_checkpoint_signed_by_the_wrong_key_is_refused():
    impostor = signing.generate_key()
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), [("node", impostor)])
    with pytest.raises(CheckpointError, match="no signature on the note is from a trusted key"):
        verify_checkpoint(note, verifiers_from([NODE_VKEY]), ORIGIN)


def test_a_checkpoint_whose_root_was_changed_after_signing_is_refused():
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), [("node", NODE)])
    forged = note.replace(base64.b64encode(ROOT).decode(), base64.b64encode(hashlib.sha256(b"other").digest()).decode())
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(forged, verifiers_from([NODE_VKEY]), ORIGIN)


def test_a_checkpoint_for_another_log_is_refused():
    note = sign_checkpoint(Checkpoint("elsewhere.example/log", 1, ROOT), [("node", NODE)])
    with pytest.raises(CheckpointError, match="expected 'stillroom.example/ledger'"):
        verify_checkpoint(note, verifiers_from([NODE_VKEY]), ORIGIN)


def test_unknown_cosignatures_are_ignored_but_a_failing_known_one_rejects_the_note():
    witness = signing.generate_key()
    note = sign_checkpoint(Checkpoint(ORIGIN, 7, ROOT), [("node", NODE), ("witness.example", witness)])
    assert verify_checkpoint(note, verifiers_from([NODE_VKEY]), ORIGIN).size == 7

    # a second "node" line with the right key hash but a bad signature
    other = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), [("node", NODE)]).split("\n\n")[1]
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(note + other, verifiers_from([NODE_VKEY]), ORIGIN)


@pytest.mark.parametrize(
    ("note", "why"),
    [
        (f"{ORIGIN}\n042\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n", "31 bytes"),
        (f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\next\n", "exactly three lines"),
        (f"{ORIGIN}\n42\n", "exactly three lines"),
        (f"{ORIGIN}\n42\n!!!!\n", "canonical base64"),
    ],
)
def test_malformed_checkpoint_text_is_refused_even_when_signed(note, why):
    signed = sign_note(note, [("node", NODE)])
    with pytest.raises(CheckpointError, match=why):
        verify_checkpoint(signed, verifiers_from([NODE_VKEY]), ORIGIN)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n.rstrip("\n"),
        lambda n: n.replace("— ", "- "),
        lambda n: n.replace("\n42\n", "\n4\t2\n"),
        lambda n: n + n.split("\n\n")[1],
        lambda n: n.replace("— node ", "— no de "),
        lambda n: n + "\n",
    ],
)
def test_malformed_notes_are_refused(mangle):
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), [("node", NODE)])
    with pytest.raises(CheckpointError):
        verify_checkpoint(mangle(note), verifiers_from([NODE_VKEY]), ORIGIN)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**63), st.binary(min_size=32, max_size=32), st.data())
def test_every_single_character_change_to_a_checkpoint_is_refused(size, root, data):
    note = sign_checkpoint(Checkpoint(ORIGIN, size, root), [("node", NODE)])
    assert verify_checkpoint(note, verifiers_from([NODE_VKEY]), ORIGIN) == Checkpoint(ORIGIN, size, root)
    at = data.draw(st.integers(0, len(note) - 1))
    replacement = data.draw(st.sampled_from("0123456789abcdefABCDEF+/=\n —.").filter(lambda c: c != note[at]))
    with pytest.raises(CheckpointError):
        verify_checkpoint(note[:at] + replacement + note[at + 1 :], verifiers_from([NODE_VKEY]), ORIGIN)


def test_parse_note_splits_at_the_last_blank_line():
    text, signatures = parse_note(GO_TEXT + "\n" + GO_SIGNATURE)
    assert text == GO_TEXT
    assert len(signatures) == 1 and len(signatures[0].signature) == 64
