"""Test-only workspace setup: people added without an admin's sign-in.

``users.enroll`` is the one production path, and it needs an unlocked admin for
everyone but the first admin. Tests that only need reviewers and operators in
place (and no admin among them) add them here instead, with the actor named by
the test: never do this outside tests.
"""

import socket
from contextlib import contextmanager

import pytest

from stillroom import users


def setup_user(ws, name: str, roles: list[str], passphrase: str, *, actor: str = "test-admin"):
    return users._add(ws, name, roles, passphrase, actor=actor, signed_by=None, first=False)


def adopt_policy(ws, *, admin=None):
    """Adopt the workspace's policy files as they are now (node-signed while the chain has no admin)."""
    from stillroom.policy import adopt_policy as adopt

    return adopt(ws, admin=admin, actor="test-admin")


@contextmanager
def loopback_outside_the_boundary(ws):
    """The residency policy with loopback taken out of the boundary, adopted; yields the port of a loopback
    listener and, on leaving, asserts that nothing connected to it (a refused component is never contacted)."""
    policy = ws.policy_dir / "residency.yaml"
    inside = policy.read_text()
    outside = inside.replace("[localhost, ", "[").replace("127.0.0.0/8, ", "")
    assert "127.0.0.0/8" not in outside and "localhost" not in outside, "the default residency policy changed"
    policy.write_text(outside)
    adopt_policy(ws)  # an edit counts once adopted
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        yield listener.getsockname()[1]
        with pytest.raises(BlockingIOError):
            listener.accept()
