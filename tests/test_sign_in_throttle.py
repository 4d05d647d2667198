"""Sign-in throttling per (name, client) through the real CLI and the dashboard page: a guesser locks only
their own tries, an unknown name is locked like a real one, and an admin lifts a lock without a reset."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stillroom import sign_in_throttle, users
from stillroom.dashboard import session
from tests.people import setup_user

PASS = "correct horse battery"
AUTH_VARS = ("STILLROOM_USER", "STILLROOM_PASSPHRASE", "STILLROOM_NEW_PASSPHRASE")
REVIEWER = "dashboard@10.0.0.7"


def stillroom(workspace, *args: str, user: str, passphrase: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in AUTH_VARS}
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args, "--workspace", str(workspace.root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env={**base, "STILLROOM_USER": user, "STILLROOM_PASSPHRASE": passphrase,
                               "STILLROOM_NEW_PASSPHRASE": PASS})


@pytest.fixture
def people(workspace):
    setup_user(workspace, "ada", ["admin"], PASS, actor="bootstrap")  # the bootstrap admin
    users.enroll(workspace, "sam", ["security"], PASS, admin=users.unlock(workspace, "ada", PASS))
    return workspace


def lock_from_the_cli(ws, name: str, *, counted_already: int = 0) -> subprocess.CompletedProcess:
    """Wrong passphrases on the command line until the fifth, then the right one. ``counted_already`` failures
    are charged directly (as earlier CLI tries on this host would have been), to keep the test short."""
    for _ in range(counted_already):
        sign_in_throttle.charge(ws, name, sign_in_throttle.cli_client())
    for _ in range(5 - counted_already):
        wrong = stillroom(ws, "users", "unlock", "ada", user=name, passphrase="a wrong guess")
        assert wrong.returncode == 1
    return stillroom(ws, "users", "unlock", "ada", user=name, passphrase=PASS)


def locked_sentence(name: str) -> re.Pattern:
    return re.compile(rf"error: sign-in as '{name}' from this client is locked after repeated failed sign-ins until "
                      rf"\d\d:\d\d:\d\d UTC; an admin can lift it with `stillroom users unlock {name}`")


def test_five_wrong_tries_on_the_cli_lock_the_cli_but_not_the_reviewers_dashboard(people):
    locked = lock_from_the_cli(people, "sam")
    assert locked.returncode == 1 and locked_sentence("sam").fullmatch(locked.stderr.strip())
    assert session.sign_in(people, "sam", PASS, {}, client=REVIEWER, sleep=lambda s: None).name == "sam"


def test_an_unknown_name_is_locked_on_the_cli_exactly_like_a_real_one(people):
    locked = lock_from_the_cli(people, "ghost", counted_already=3)
    assert locked.returncode == 1 and locked_sentence("ghost").fullmatch(locked.stderr.strip())


def test_an_admin_lifts_a_lock_without_a_reset_and_the_lift_is_ledgered(people):
    key_before = (people.root / "keys" / "users" / "sam-k1.key").read_bytes()
    assert lock_from_the_cli(people, "sam", counted_already=4).returncode == 1
    lifted = stillroom(people, "users", "unlock", "sam", user="ada", passphrase=PASS)
    assert lifted.returncode == 0, lifted.stderr
    assert lifted.stdout.strip() == "unlocked sam: sign-in counts and locks lifted for 1 client(s)"
    (entry,) = people.ledger().entries(kind="user.unlocked")
    assert (entry.payload, entry.actor, entry.signer) == ({"user": "sam", "clients": 1}, "ada", "ada-k1")
    after = stillroom(people, "users", "unlock", "ada", user="sam", passphrase=PASS)
    assert after.returncode == 1 and after.stderr.strip() == "error: sam is not an admin; only admins lift sign-in locks"
    assert (people.root / "keys" / "users" / "sam-k1.key").read_bytes() == key_before
    assert [e.payload["user"] for e in people.ledger().entries(kind="user.unlocked")] == ["sam"]


def test_unlocking_a_name_nobody_has_is_a_usage_error(people):
    result = stillroom(people, "users", "unlock", "ghost", user="ada", passphrase=PASS)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no user named 'ghost'; `stillroom users list` shows the users"
    assert people.ledger().entries(kind="user.unlocked") == []


def test_the_sign_in_page_shows_the_same_lock_for_a_real_and_an_unknown_name(people, monkeypatch):
    from streamlit.testing.v1 import AppTest

    import stillroom.dashboard as dashboard

    for name in ("sam", "nobody"):
        for _ in range(5):
            sign_in_throttle.charge(people, name, session.DASHBOARD_CLIENT)
    monkeypatch.setenv("STILLROOM_WORKSPACE", str(people.root))
    shown = []
    for name, passphrase in (("sam", PASS), ("nobody", PASS)):
        at = AppTest.from_file(str(Path(dashboard.__file__).parent / "app.py"), default_timeout=60)
        at.run()
        at.text_input(key="sign_in.name").input(name)
        at.text_input(key="sign_in.passphrase").input(passphrase)
        next(b for b in at.button if b.label == "Sign in").click().run()
        assert not at.exception, at.exception
        shown.append(re.sub(r"\\(.)", r"\1", at.error[0].value).replace(name, "NAME"))
        assert session.USER not in at.session_state
    masked = [re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", text) for text in shown]
    assert masked[0] == masked[1] == ("sign-in as 'NAME' from this client is locked after repeated failed sign-ins "
                                      "until HH:MM:SS UTC; an admin can lift it with `stillroom users unlock NAME`")
