"""Test-only workspace setup: people added without an admin's sign-in.

``users.enroll`` is the one production path, and it needs an unlocked admin for
everyone but the first admin. Tests that only need reviewers and operators in
place (and no admin among them) add them here instead, with the actor named by
the test: never do this outside tests.
"""

from stillroom import users


def setup_user(ws, name: str, roles: list[str], passphrase: str, *, actor: str = "test-admin"):
    return users._add(ws, name, roles, passphrase, actor=actor, signed_by=None, first=False)


def adopt_policy(ws, *, admin=None):
    """Adopt the workspace's policy files as they are now (node-signed while the chain has no admin)."""
    from stillroom.policy import adopt_policy as adopt

    return adopt(ws, admin=admin, actor="test-admin")
