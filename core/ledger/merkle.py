"""RFC 9162 Merkle tree hashing, proofs and their verification; no I/O.

Proofs are built from a *subtree lookup*: ``lookup(level, index)`` returns the
hash of the complete subtree at ``level`` covering leaves
``[index * 2**level, (index + 1) * 2**level)``. A log that stores those hashes
as leaves arrive (see ``append_subtrees``) serves any proof with O(log n)
lookups, and can ask ``*_subtrees`` for the keys up front to fetch them in one
query. Every range the RFC recursion visits starts on a multiple of its own
rounded-up size, so it is exactly the concatenation of its binary
decomposition into complete subtrees, largest first; its hash is the right fold
of theirs. That is why incomplete right-edge nodes never need storing.
"""

from collections.abc import Callable, Iterable
from hashlib import sha256

from stillroom.ledger.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()

SubtreeLookup = Callable[[int, int], bytes]
Range = tuple[int, int]


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf ``index`` in the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2, step by step; the length check up front only makes the
    message clearer, the algorithm alone already rejects a wrong length.
    """
    _check_hashes(leaf_hash, root, proof)
    if index < 0 or index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    expected = len(inclusion_ranges(index, size))
    if len(proof) != expected:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, leaf {index} of a tree of size {size} needs {expected}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the path to the root")
    if r != root:
        raise ProofError(f"inclusion proof leads to root {r.hex()}, expected {root.hex()}")


def verify_consistency(size1: int, size2: int, proof: list[bytes], root1: bytes, root2: bytes) -> None:
    """Raise ``ProofError`` unless the tree (``size2``, ``root2``) extends (``size1``, ``root1``).

    RFC 9162 §2.1.4.2 defines the proof for 0 < size1 < size2. Equal sizes are
    accepted only as the identity (empty proof, equal roots), as
    transparency-dev/merkle does, so two checkpoints of one size compare. The
    empty tree is refused: a proof from it would prove nothing.
    """
    _check_hashes(root1, root2, proof)
    if size1 < 1:
        raise ProofError(f"cannot prove consistency from an empty tree (size {size1})")
    if size1 > size2:
        raise ProofError(f"old tree size {size1} is larger than new tree size {size2}")
    if size1 == size2:
        if proof:
            raise ProofError(f"trees of equal size {size1} need an empty proof, got {len(proof)} hashes")
        if root1 != root2:
            raise ProofError(f"two trees of size {size1} have different roots {root1.hex()} and {root2.hex()}")
        return
    expected = len(consistency_ranges(size1, size2))
    if len(proof) != expected:
        raise ProofError(f"consistency proof has {len(proof)} hashes, sizes {size1} to {size2} need {expected}")
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the path to the new root")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the path to the new root")
    if fr != root1:
        raise ProofError(f"consistency proof leads to old root {fr.hex()}, expected {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof leads to new root {sr.hex()}, expected {root2.hex()}")


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data): the 0x00 prefix keeps a leaf from posing as a node (RFC 9162 §2.1.1)."""
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return sha256(b"\x01" + left + right).digest()


def root(size: int, lookup: SubtreeLookup) -> bytes:
    """The root of the first ``size`` leaves."""
    if size < 0:
        raise ProofError(f"a tree cannot have negative size {size}")
    return range_hash(0, size, lookup) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, lookup: SubtreeLookup) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1."""
    return [range_hash(start, end, lookup) for start, end in inclusion_ranges(index, size)]


def consistency_proof(size1: int, size2: int, lookup: SubtreeLookup) -> list[bytes]:
    """PROOF(size1, D[0:size2]) of RFC 9162 §2.1.4.1; empty when the sizes are equal."""
    return [range_hash(start, end, lookup) for start, end in consistency_ranges(size1, size2)]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose tree hashes make up PATH(index, D[0:size]), in proof order."""
    if index < 0 or index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """The leaf ranges whose tree hashes make up PROOF(size1, D[0:size2]), in proof order."""
    if size1 < 1 or size1 > size2:
        raise ProofError(f"cannot prove consistency between tree sizes {size1} and {size2}")
    ranges: list[Range] = []
    start, end, m, whole_tree = 0, size2, size1, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole_tree = False
    # SUBPROOF(m, D[m], true) is empty: the verifier already holds the old root.
    if not whole_tree:
        ranges.append((start, end))
    return ranges[::-1]


def subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The (level, index) keys of the complete subtrees that make up leaves [start, end), largest first.

    Only valid for ranges the RFC recursion produces (and prefixes [0, n)),
    whose start is a multiple of the size of each piece.
    """
    keys = []
    while start < end:
        level = (end - start).bit_length() - 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def range_hash(start: int, end: int, lookup: SubtreeLookup) -> bytes:
    """MTH(D[start:end]) for a range as described in ``subtrees``."""
    hashes = [lookup(level, index) for level, index in subtrees(start, end)]
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def append_subtrees(index: int, leaf: bytes, lookup: SubtreeLookup) -> list[tuple[int, int, bytes]]:
    """The (level, index, hash) of every subtree that leaf number ``index`` completes, leaf first.

    Looks up only the left siblings on the way up, which are exactly the
    complete subtrees of the prefix [0, index): ``subtrees(0, index)``.
    """
    made = [(0, index, leaf)]
    level, position, h = 0, index, leaf
    while position & 1:
        h = node_hash(lookup(level, position - 1), h)
        level += 1
        position >>= 1
        made.append((level, position, h))
    return made


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> bytes:
    """The root over all leaf hashes, streaming, in O(log n) memory: what a verifier recomputes."""
    stack: list[tuple[int, bytes]] = []
    for h in leaf_hashes:
        level = 0
        while stack and stack[-1][0] == level:
            h = node_hash(stack.pop()[1], h)
            level += 1
        stack.append((level, h))
    if not stack:
        return EMPTY_ROOT
    result = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        result = node_hash(h, result)
    return result


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1), where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hashes(a: bytes, b: bytes, proof: list[bytes]) -> None:
    for h in (a, b, *proof):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ProofError(f"every hash must be {HASH_SIZE} bytes, got {h!r:.40}")
