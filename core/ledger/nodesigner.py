"""What signs as the node: an interface with two implementations, the key file and the signer process.

A ``NodeSigner`` has a public key and signs bytes; the ledger also tells it
about every entry another key signed (``observe``), in seq order, so that a
signer that keeps its own copy of the tree's right edge (``stillroom.signer``)
can refuse anything that does not extend what it has seen. ``held_checkpoint``
is the signer's own view of the log, for verification to hold the store to.
"""

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class NodeSigner(Protocol):
    def __hash__(self) -> int: ...  # the ledger caches each signer's verifier key by the signer

    def public_key(self) -> Ed25519PublicKey: ...

    def sign(self, data: bytes) -> bytes: ...

    def observe(self, leaf: bytes, signature: bytes) -> None: ...

    def held_checkpoint(self) -> str | None: ...


class KeyFileSigner:
    """The node key in this process (``keys/node.key``): signs whatever it is given and holds no state."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    def public_key(self) -> Ed25519PublicKey:
        return self.key.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def observe(self, leaf: bytes, signature: bytes) -> None:
        """Nothing to keep: the key file trusts the store."""

    def held_checkpoint(self) -> None:
        return None


def as_node_signer(key) -> NodeSigner:
    """A bare Ed25519 private key becomes a ``KeyFileSigner``; a ``NodeSigner`` stays as it is."""
    return KeyFileSigner(key) if isinstance(key, Ed25519PrivateKey) else key
