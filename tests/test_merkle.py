"""The RFC 9162 tree: known answers, agreement with the RFC's own recursion, and every mutation rejected."""

from hashlib import sha256

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stillroom.ledger import merkle
from stillroom.ledger.errors import ProofError

# Certificate Transparency's reference leaves and roots (RFC 6962 test data,
# as published in transparency-dev/merkle testonly/constants.go).
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}
CT_CONSISTENCY = {
    (2, 8): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}


class Tree:
    """An in-memory subtree table built only through ``append_subtrees``, as the log builds its own."""

    def __init__(self, leaf_hashes):
        self.leaves = list(leaf_hashes)
        self.table = {}
        for i, h in enumerate(self.leaves):
            for level, index, node in merkle.append_subtrees(i, h, self.lookup):
                self.table[level, index] = node

    def lookup(self, level, index):
        return self.table[level, index]


def reference_root(leaves):
    """MTH straight from RFC 9162 §2.1.1, recursively."""
    if not leaves:
        return sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def reference_path(m, leaves):
    """PATH(m, D[n]) straight from RFC 9162 §2.1.3.1."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return reference_path(m, leaves[:k]) + [reference_root(leaves[k:])]
    return reference_path(m - k, leaves[k:]) + [reference_root(leaves[:k])]


def reference_subproof(m, leaves, whole):
    """SUBPROOF(m, D[n], b) straight from RFC 9162 §2.1.4.1."""
    if m == len(leaves):
        return [] if whole else [reference_root(leaves)]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m <= k:
        return reference_subproof(m, leaves[:k], whole) + [reference_root(leaves[k:])]
    return reference_subproof(m - k, leaves[k:], False) + [reference_root(leaves[:k])]


def random_leaves(n, seed):
    return [merkle.leaf_hash(f"{seed}:{i}".encode()) for i in range(n)]


def flip(h, bit):
    return bytes(b ^ (1 << (bit % 8)) if i == bit // 8 else b for i, b in enumerate(h))


def rejected_inclusion(*args):
    with pytest.raises(ProofError):
        merkle.verify_inclusion(*args)
    return True


def rejected_consistency(*args):
    with pytest.raises(ProofError):
        merkle.verify_consistency(*args)
    return True


ct_tree = Tree(merkle.leaf_hash(d) for d in CT_LEAVES)


def test_empty_tree_root_is_the_hash_of_nothing():
    assert merkle.root(0, ct_tree.lookup).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.root_from_leaves([]) == merkle.EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_certificate_transparency_reference(size):
    assert merkle.root(size, ct_tree.lookup).hex() == CT_ROOTS[size - 1]
    assert merkle.root_from_leaves(ct_tree.leaves[:size]).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size"), CT_INCLUSION)
def test_inclusion_proofs_match_certificate_transparency_reference(index, size):
    proof = merkle.inclusion_proof(index, size, ct_tree.lookup)
    assert [p.hex() for p in proof] == CT_INCLUSION[index, size]
    merkle.verify_inclusion(index, size, ct_tree.leaves[index], proof, bytes.fromhex(CT_ROOTS[size - 1]))


@pytest.mark.parametrize(("size1", "size2"), CT_CONSISTENCY)
def test_consistency_proofs_match_certificate_transparency_reference(size1, size2):
    proof = merkle.consistency_proof(size1, size2, ct_tree.lookup)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[size1, size2]
    merkle.verify_consistency(size1, size2, proof, bytes.fromhex(CT_ROOTS[size1 - 1]), bytes.fromhex(CT_ROOTS[size2 - 1]))


def test_every_proof_in_small_trees_equals_the_rfc_recursion():
    leaves = random_leaves(70, "small")
    tree = Tree(leaves)
    for n in range(1, 71):
        assert merkle.root(n, tree.lookup) == reference_root(leaves[:n])
        for m in range(n):
            assert merkle.inclusion_proof(m, n, tree.lookup) == reference_path(m, leaves[:n])
        for m in range(1, n + 1):
            assert merkle.consistency_proof(m, n, tree.lookup) == reference_subproof(m, leaves[:n], True)


def test_every_single_bit_flip_is_rejected():
    leaves = random_leaves(13, "bits")
    tree = Tree(leaves)
    root = merkle.root(13, tree.lookup)
    old_root = merkle.root(6, tree.lookup)
    for index in range(13):
        proof = merkle.inclusion_proof(index, 13, tree.lookup)
        for bit in range(256):
            assert rejected_inclusion(index, 13, flip(leaves[index], bit), proof, root)
            assert rejected_inclusion(index, 13, leaves[index], proof, flip(root, bit))
            for i in range(len(proof)):
                bad = proof[:i] + [flip(proof[i], bit)] + proof[i + 1:]
                assert rejected_inclusion(index, 13, leaves[index], bad, root)
    proof = merkle.consistency_proof(6, 13, tree.lookup)
    for bit in range(256):
        assert rejected_consistency(6, 13, proof, flip(old_root, bit), root)
        assert rejected_consistency(6, 13, proof, old_root, flip(root, bit))
        for i in range(len(proof)):
            assert rejected_consistency(6, 13, proof[:i] + [flip(proof[i], bit)] + proof[i + 1:], old_root, root)


trees = st.integers(min_value=1, max_value=2000).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=0, max_value=n - 1), st.text(max_size=4))
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(trees, st.data())
def test_every_inclusion_proof_verifies_and_every_mutation_fails(tree_spec, data):
    size, index, seed = tree_spec
    leaves = random_leaves(size, seed)
    tree = Tree(leaves)
    root = merkle.root(size, tree.lookup)
    assert root == merkle.root_from_leaves(leaves)
    proof = merkle.inclusion_proof(index, size, tree.lookup)
    merkle.verify_inclusion(index, size, leaves[index], proof, root)

    bit = data.draw(st.integers(0, 255))
    assert rejected_inclusion(index, size, flip(leaves[index], bit), proof, root)
    assert rejected_inclusion(index, size, leaves[index], proof, flip(root, bit))
    assert rejected_inclusion(index, size, leaves[index], proof + [leaves[0]], root)
    assert rejected_inclusion(index, size, leaves[index], [leaves[0]] + proof, root)
    assert rejected_inclusion(size, size, leaves[index], proof, root)
    assert rejected_inclusion(-1, size, leaves[index], proof, root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        assert rejected_inclusion(other, size, leaves[index], proof, root)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        assert rejected_inclusion(index, size, leaves[index], proof[:at] + proof[at + 1:], root)
        assert rejected_inclusion(index, size, leaves[index], proof[:at] + [flip(proof[at], bit)] + proof[at + 1:], root)
        assert rejected_inclusion(index, size, leaves[index], proof[:at] + [proof[at][:31]] + proof[at + 1:], root)
    if len(proof) > 1:
        at = data.draw(st.integers(0, len(proof) - 2))
        swapped = proof[:at] + [proof[at + 1], proof[at]] + proof[at + 2:]
        assert rejected_inclusion(index, size, leaves[index], swapped, root)


consistency_pairs = st.integers(min_value=1, max_value=2000).flatmap(
    lambda n: st.tuples(st.integers(min_value=1, max_value=n), st.just(n), st.text(max_size=4))
)


@fast
@given(consistency_pairs, st.data())
def test_every_consistency_proof_verifies_and_every_mutation_fails(pair, data):
    size1, size2, seed = pair
    tree = Tree(random_leaves(size2, seed))
    root1, root2 = merkle.root(size1, tree.lookup), merkle.root(size2, tree.lookup)
    proof = merkle.consistency_proof(size1, size2, tree.lookup)
    merkle.verify_consistency(size1, size2, proof, root1, root2)

    bit = data.draw(st.integers(0, 255))
    if size1 != size2:
        assert rejected_consistency(size2, size1, proof, root2, root1)
    assert rejected_consistency(0, size2, proof, merkle.EMPTY_ROOT, root2)
    assert rejected_consistency(size1, size2, proof + [root1], root1, root2)
    assert rejected_consistency(size1, size2, [root1] + proof, root1, root2)
    if root1 != root2:
        assert rejected_consistency(size1, size2, proof, flip(root1, bit), root2)
        assert rejected_consistency(size1, size2, proof, root1, flip(root2, bit))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        assert rejected_consistency(size1, size2, proof[:at] + proof[at + 1:], root1, root2)
        assert rejected_consistency(size1, size2, proof[:at] + [flip(proof[at], bit)] + proof[at + 1:], root1, root2)
    if len(proof) > 1:
        at = data.draw(st.integers(0, len(proof) - 2))
        if proof[at] != proof[at + 1]:
            swapped = proof[:at] + [proof[at + 1], proof[at]] + proof[at + 2:]
            assert rejected_consistency(size1, size2, swapped, root1, root2)


def test_equal_sizes_are_consistent_only_with_equal_roots_and_an_empty_proof():
    r4, r5 = merkle.root(4, ct_tree.lookup), merkle.root(5, ct_tree.lookup)
    merkle.verify_consistency(4, 4, [], r4, r4)
    assert rejected_consistency(4, 4, [], r4, r5)
    assert rejected_consistency(4, 4, [r4], r4, r4)


def test_proofs_from_empty_or_shrinking_trees_are_refused():
    r8 = merkle.root(8, ct_tree.lookup)
    assert rejected_consistency(0, 8, [], merkle.EMPTY_ROOT, r8)
    assert rejected_consistency(0, 0, [], merkle.EMPTY_ROOT, merkle.EMPTY_ROOT)
    assert rejected_consistency(6, 8, [], merkle.root(6, ct_tree.lookup), r8)
    assert rejected_inclusion(0, 0, ct_tree.leaves[0], [], merkle.EMPTY_ROOT)
    with pytest.raises(ProofError):
        merkle.inclusion_proof(8, 8, ct_tree.lookup)
    with pytest.raises(ProofError):
        merkle.consistency_proof(5, 3, ct_tree.lookup)


def test_a_single_leaf_tree_proves_with_an_empty_path():
    leaf = ct_tree.leaves[0]
    merkle.verify_inclusion(0, 1, leaf, [], leaf)
    assert rejected_inclusion(0, 1, leaf, [leaf], leaf)


def test_a_proof_needs_only_logarithmically_many_stored_subtrees():
    size = (1 << 20) + 12345
    lookups = []

    def counting(level, index):
        lookups.append((level, index))
        return merkle.leaf_hash(f"{level}/{index}".encode())

    for index in (0, size // 2, size - 1):
        lookups.clear()
        merkle.inclusion_proof(index, size, counting)
        assert len(lookups) <= 2 * size.bit_length()
    lookups.clear()
    merkle.consistency_proof(size // 3, size, counting)
    assert len(lookups) <= 3 * size.bit_length()
