"""`stillroom users add` as a person at the shell meets it: the first user bootstraps, then only an admin adds."""

from __future__ import annotations

import os
import subprocess
import sys

from stillroom.users import get_user

PASS = "correct horse battery"
AUTH_VARS = ("STILLROOM_USER", "STILLROOM_PASSPHRASE", "STILLROOM_NEW_PASSPHRASE")


def users_add(workspace, name, *roles, **env):
    base = {k: v for k, v in os.environ.items() if k not in AUTH_VARS}
    args = [a for role in roles for a in ("--role", role)]
    return subprocess.run([sys.executable, "-m", "stillroom.cli", "users", "add", name, *args,
                           "--workspace", str(workspace.root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**base, "STILLROOM_NEW_PASSPHRASE": PASS, **env})


def test_the_first_user_bootstraps_without_sign_in_and_must_be_an_admin(workspace):
    refused = users_add(workspace, "sam", "security")
    assert refused.returncode == 2 and "must be its first admin" in refused.stderr
    added = users_add(workspace, "ada", "admin")
    assert added.returncode == 0, added.stderr
    (entry,) = workspace.ledger().entries(kind="user.added")
    assert entry.actor.startswith("os:")


def test_after_the_first_user_only_an_admin_with_their_passphrase_adds_people(workspace):
    assert users_add(workspace, "ada", "admin").returncode == 0
    nobody = users_add(workspace, "mallory", "admin")
    assert nobody.returncode == 2 and "--as NAME" in nobody.stderr
    wrong = users_add(workspace, "mallory", "admin", STILLROOM_USER="ada", STILLROOM_PASSPHRASE="a wrong guess")
    assert wrong.returncode == 1 and "wrong passphrase for 'ada'" in wrong.stderr
    assert get_user(workspace, "mallory") is None

    added = users_add(workspace, "sam", "security", STILLROOM_USER="ada", STILLROOM_PASSPHRASE=PASS)
    assert added.returncode == 0, added.stderr
    entry = next(e for e in workspace.ledger().entries(kind="user.added") if e.payload["user"] == "sam")
    assert entry.actor == "ada" and entry.signer == "ada-k1"

    not_admin = users_add(workspace, "mallory", "admin", STILLROOM_USER="sam", STILLROOM_PASSPHRASE=PASS)
    assert not_admin.returncode == 1 and "sam is not an admin" in not_admin.stderr
    assert get_user(workspace, "mallory") is None


def users_reset(workspace, name, **env):
    base = {k: v for k, v in os.environ.items() if k not in AUTH_VARS}
    return subprocess.run([sys.executable, "-m", "stillroom.cli", "users", "reset", name,
                           "--workspace", str(workspace.root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**base, "STILLROOM_NEW_PASSPHRASE": "a brand new passphrase", **env})


def test_only_an_admin_resets_a_user_and_the_old_key_is_retired(workspace):
    from stillroom.users import unlock

    assert users_add(workspace, "ada", "admin").returncode == 0
    assert users_add(workspace, "sam", "security", STILLROOM_USER="ada", STILLROOM_PASSPHRASE=PASS).returncode == 0
    assert users_add(workspace, "lena", "legal", STILLROOM_USER="ada", STILLROOM_PASSPHRASE=PASS).returncode == 0

    not_admin = users_reset(workspace, "sam", STILLROOM_USER="lena", STILLROOM_PASSPHRASE=PASS)
    assert not_admin.returncode == 1 and "lena is not an admin" in not_admin.stderr
    assert get_user(workspace, "sam").key_name == "sam-k1"

    done = users_reset(workspace, "sam", STILLROOM_USER="ada", STILLROOM_PASSPHRASE=PASS)
    assert done.returncode == 0, done.stderr
    assert "new key sam-k2" in done.stdout
    assert unlock(workspace, "sam", "a brand new passphrase").key_name == "sam-k2"
    (retired,) = workspace.ledger().entries(kind="key.retired")
    assert retired.payload["key"] == "sam-k1" and retired.actor == "ada"
