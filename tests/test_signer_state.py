"""The signer's rules as pure functions: what it signs, what it refuses, and that its root is the log's."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stillroom import signing
from stillroom.ledger import merkle
from stillroom.ledger.checkpoint import Checkpoint
from stillroom.ledger.entry import GOVERNANCE_KINDS, canonical_entry, entry_from_leaf
from stillroom.signer.state import SignerRefused, SignerState

NODE = signing.generate_key()
ORIGIN = "stillroom.test/signer"


def fresh() -> SignerState:
    return started()[0]


def started() -> tuple[SignerState, bytes]:
    state = SignerState("node", ORIGIN, signing.verifier_key("node", NODE.public_key()))
    genesis = take(state, "ledger.genesis", {"origin": ORIGIN, "verifier_key": state.verifier_key})
    return state, genesis


def leaf(state, kind, payload, signer="node"):
    return canonical_entry(seq=state.size, time="2030-01-01T00:00:00.000000Z", kind=kind, actor="t", signer=signer,
                           run_id=None, payload=payload, prev=state.head.hex() if state.head else None)


def take(state, kind, payload):
    data = leaf(state, kind, payload)
    state.taken(state.sign_entry(data))
    return data


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=40))
def test_the_signers_root_is_the_root_of_every_leaf_it_took(n):
    state, genesis = started()
    leaves = [genesis]
    for i in range(n):
        leaves.append(take(state, "stage.end", {"i": i}))
    assert state.root() == merkle.root_from_leaves(merkle.leaf_hash(x) for x in leaves)
    state.check_checkpoint(Checkpoint(ORIGIN, n + 1, state.root()).text().encode())
    restored = SignerState.from_json(state.as_json())
    assert (restored.size, restored.root(), restored.head) == (state.size, state.root(), state.head)


def test_a_stale_or_skipping_entry_is_refused():
    state = fresh()
    stale = leaf(state, "stage.end", {})
    take(state, "stage.end", {"first": True})
    with pytest.raises(SignerRefused, match="entry 1 does not extend the log this signer holds \\(size 2\\)"):
        state.sign_entry(stale)


def test_governance_is_node_signed_only_during_the_bootstrap():
    state = fresh()
    verifier = signing.verifier_key("ada-k1", signing.generate_key().public_key())
    take(state, "key.added", {"verifier_key": verifier, "role": "person"})
    take(state, "user.added", {"user": "ada", "roles": ["admin"], "bootstrap": True, "key": "ada-k1",
                               "verifier_key": verifier})
    for kind in GOVERNANCE_KINDS:
        with pytest.raises(SignerRefused, match=f"does not node-sign a {kind} entry"):
            state.sign_entry(leaf(state, kind, {"user": "sam"}))
    fresh_state = fresh()
    with pytest.raises(SignerRefused, match="does not node-sign a user.added entry"):
        fresh_state.sign_entry(leaf(fresh_state, "user.added", {"user": "mallory", "roles": ["admin"]}))


def test_an_observed_entry_must_carry_a_valid_signature_by_a_key_of_the_chain():
    state = fresh()
    person = signing.generate_key()
    take(state, "key.added", {"verifier_key": signing.verifier_key("ada-k1", person.public_key()), "role": "person"})
    data = leaf(state, "approval.decision", {"ok": True}, signer="ada-k1")
    with pytest.raises(SignerRefused, match="signature by 'ada-k1' does not verify"):
        state.observe(data, signing.generate_key().sign(data))
    with pytest.raises(SignerRefused, match="signed by unknown key 'eve-k1'"):
        other = leaf(state, "approval.decision", {"ok": True}, signer="eve-k1")
        state.observe(other, person.sign(other))
    state.taken(state.observe(data, person.sign(data)))
    assert state.size == 3 and entry_from_leaf(data, b"").signer == "ada-k1"


def test_a_checkpoint_of_another_size_root_or_log_is_refused():
    state = fresh()
    for bad in (Checkpoint(ORIGIN, 2, state.root()), Checkpoint(ORIGIN, 1, b"\0" * 32), Checkpoint("other/log", 1, state.root())):
        with pytest.raises(SignerRefused, match="signs only the checkpoint of the log it holds"):
            state.check_checkpoint(bad.text().encode())

