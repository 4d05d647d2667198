"""People: who may add them, how a reset retires a key, a passphrase change that survives a crash,
and an unknown name that costs the same argon2 check as a real one."""

from __future__ import annotations

import pytest

from stillroom import signing, users
from stillroom.errors import UsageError
from stillroom.users import AuthError, change_passphrase, enroll, get_user, reset_user, unlock

PASS = "correct horse battery"


@pytest.fixture(params=["sqlite", "postgresql"])
def ws(request, workspace, monkeypatch):
    """A workspace on SQLite, and the same one on PostgreSQL where the server is configured."""
    if request.param == "sqlite":
        return workspace
    from stillroom.workspace import Workspace

    monkeypatch.setenv("STILLROOM_DATABASE_URL", request.getfixturevalue("postgres_schema"))
    return Workspace.open(workspace.root)


@pytest.fixture
def admin(ws):
    enroll(ws, "ada", ["admin"], PASS, admin=None, bootstrap_actor="os:tester")
    return unlock(ws, "ada", PASS)


def entries(ws, kind):
    return ws.ledger().entries(kind=kind)


# -- who may add people ------------------------------------------------------------


def test_the_first_user_needs_no_sign_in_but_must_be_an_admin(ws):
    with pytest.raises(UsageError, match="first user must be an admin"):
        enroll(ws, "sam", ["security"], PASS, admin=None)
    assert users.list_users(ws) == []
    enroll(ws, "ada", ["admin"], PASS, admin=None, bootstrap_actor="os:tester")
    (added,) = entries(ws, "user.added")
    assert added.actor == "os:tester" and added.payload["roles"] == ["admin"]


def test_after_the_first_user_nobody_is_added_without_an_admin(ws, admin):
    with pytest.raises(AuthError, match="adding one needs an admin"):
        enroll(ws, "mallory", ["admin"], PASS, admin=None)
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    with pytest.raises(AuthError, match="sam is not an admin"):
        enroll(ws, "mallory", ["admin"], PASS, admin=unlock(ws, "sam", PASS))
    assert get_user(ws, "mallory") is None


def test_an_addition_is_ledgered_with_the_admin_as_actor_and_signed_by_their_key(ws, admin):
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    added = next(e for e in entries(ws, "user.added") if e.payload["user"] == "sam")
    assert added.actor == "ada" and added.signer == "ada-k1"
    assert ws.ledger().verify().ok


def test_an_admin_whose_role_was_taken_away_or_whose_key_was_retired_adds_nobody(ws, admin):
    enroll(ws, "bob", ["admin"], PASS, admin=admin)
    bob = unlock(ws, "bob", PASS)
    reset_user(ws, "bob", "a reset passphrase", actor="ada")
    with pytest.raises(AuthError, match="bob-k1 is not their current key"):
        enroll(ws, "mallory", ["legal"], PASS, admin=bob)
    with ws.session() as s:
        stored = s.get(users.User, "ada")
        stored.roles = ["legal"]
        s.add(stored)
        s.commit()
    with pytest.raises(AuthError, match="ada is not an admin"):
        enroll(ws, "mallory", ["legal"], PASS, admin=admin)
    assert get_user(ws, "mallory") is None


def test_two_first_users_racing_cannot_both_bootstrap(ws, admin, monkeypatch):
    # The race window: the second caller read "no users yet" before the first one's row was committed.
    monkeypatch.setattr(users, "has_users", lambda ws: False)
    with pytest.raises(AuthError, match="added meanwhile"):
        enroll(ws, "mallory", ["admin"], PASS, admin=None)
    assert get_user(ws, "mallory") is None


# -- a reset retires the old key -----------------------------------------------------


def test_a_reset_ledgers_the_retirement_of_the_old_key(ws, admin):
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    reset_user(ws, "sam", "a reset passphrase", actor="ada")
    (reset,) = entries(ws, users.RESET)
    assert reset.payload["key"] == "sam-k2" and reset.payload["retired_keys"] == ["sam-k1"]
    assert users.retired_keys(ws) == {"sam-k1": users.Retirement(reset.seq, users._parse_time(reset.time))}
    assert unlock(ws, "sam", "a reset passphrase").key_name == "sam-k2"
    with pytest.raises(AuthError):
        unlock(ws, "sam", PASS)


def test_a_reset_after_a_crashed_one_retires_the_orphaned_key_too(ws, admin):
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    # A reset that stopped after introducing sam-k2 and before retiring anything or updating the store.
    users._new_key(ws, "sam", "sam-k2", "crashed reset passphrase", actor="ada")
    reset_user(ws, "sam", "a reset passphrase", actor="ada")
    assert unlock(ws, "sam", "a reset passphrase").key_name == "sam-k3"
    assert sorted(users.retired_keys(ws)) == ["sam-k1", "sam-k2"]


# -- a passphrase change is all or nothing --------------------------------------------


class PowerCut(Exception):
    pass


def _cut(*args, **kwargs):
    raise PowerCut("the process died here")


def test_a_crash_before_the_new_hash_is_committed_keeps_the_old_passphrase(ws, admin, monkeypatch):
    before = get_user(ws, "ada").verifier_key
    with monkeypatch.context() as m:
        m.setattr(users, "_hash_password", _cut)  # after the key is re-sealed, before the store changes
        with pytest.raises(PowerCut):
            change_passphrase(ws, "ada", PASS, "a new passphrase")
    with pytest.raises(AuthError, match="wrong passphrase"):
        unlock(ws, "ada", "a new passphrase")
    assert unlock(ws, "ada", PASS).key_name == "ada-k1"
    change_passphrase(ws, "ada", PASS, "a new passphrase")  # the stray re-sealed file is no obstacle
    assert unlock(ws, "ada", "a new passphrase").key_name == "ada-k1"
    assert get_user(ws, "ada").verifier_key == before


def test_a_crash_after_the_new_hash_is_committed_leaves_the_new_passphrase_working(ws, admin, monkeypatch):
    before = get_user(ws, "ada").verifier_key
    with monkeypatch.context() as m:
        m.setattr(users, "_install", _cut)  # after the commit, before the re-sealed file replaces the old
        with pytest.raises(PowerCut):
            change_passphrase(ws, "ada", PASS, "a new passphrase")
    with pytest.raises(AuthError, match="wrong passphrase"):
        unlock(ws, "ada", PASS)
    person = unlock(ws, "ada", "a new passphrase")
    assert signing.verifier_key(person.key_name, person.key.public_key()) == before
    path = users.key_path(ws, "ada-k1")
    assert signing.load_private_key(path, "a new passphrase") and not users._pending(path).exists()


def test_a_planted_pending_key_file_is_not_taken_for_the_users_key(ws, admin, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(users, "_install", _cut)
        with pytest.raises(PowerCut):
            change_passphrase(ws, "ada", PASS, "a new passphrase")
    pending = users._pending(users.key_path(ws, "ada-k1"))
    pending.unlink()
    signing.save_private_key(pending, signing.generate_key(), passphrase="a new passphrase")
    with pytest.raises(AuthError, match="holds another key"):
        unlock(ws, "ada", "a new passphrase")


# -- an unknown name costs what a known one does ---------------------------------------


def test_an_unknown_user_costs_the_same_argon2_check_as_a_known_one(ws, admin, monkeypatch):
    from argon2 import PasswordHasher

    checked: list[str] = []
    real_verify = PasswordHasher.verify

    def spy(self, hashed, password):
        checked.append(hashed)
        return real_verify(self, hashed, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    for name in ("ada", "nobody"):
        with pytest.raises(AuthError):
            unlock(ws, name, "not the passphrase")
    known, unknown = checked
    assert unknown != known and unknown.startswith("$argon2id$")
    assert _cost(unknown) == _cost(known)  # same memory, time and parallelism: the same work


def _cost(hashed: str) -> str:
    return hashed.split("$")[3]  # "$argon2id$v=19$m=65536,t=3,p=4$salt$hash"
