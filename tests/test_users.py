"""People: who may add them, how a reset retires a key, a passphrase change that survives a crash,
and an unknown name that costs the same argon2 check as a real one."""

from __future__ import annotations

import base64
import json
import os

import pytest

from stillroom import signing, users
from stillroom.errors import UsageError
from stillroom.ledger.entry import KEY_RETIRED, parse_time
from stillroom.ledger.errors import LedgerError
from stillroom.ledger.verify import verify_offline
from stillroom.users import AuthError, change_passphrase, enroll, get_user, reset_user, unlock
from tests.people import setup_user

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
    with pytest.raises(UsageError, match="must be its first admin"):
        enroll(ws, "sam", ["security"], PASS, admin=None)
    assert users.list_users(ws) == []
    enroll(ws, "ada", ["admin"], PASS, admin=None, bootstrap_actor="os:tester")
    (added,) = entries(ws, "user.added")
    assert added.actor == "os:tester" and added.payload["roles"] == ["admin"] and added.payload["bootstrap"] is True


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
    reset_user(ws, "bob", "a reset passphrase", actor="ada", admin=admin)
    with pytest.raises(AuthError, match="bob-k1 is not their current key"):
        enroll(ws, "mallory", ["legal"], PASS, admin=bob)
    assert get_user(ws, "mallory") is None


def test_roles_edited_in_the_store_grant_and_take_nothing(ws, admin):
    """A DBA's UPDATE of users.roles: the chain, not the column, says who is an admin."""
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    with ws.session() as s:
        for name, roles in (("ada", ["legal"]), ("sam", ["admin", "security"])):
            stored = s.get(users.User, name)
            stored.roles = roles
            s.add(stored)
        s.commit()
    assert get_user(ws, "ada").roles == ["admin"] and get_user(ws, "sam").roles == ["security"]
    with pytest.raises(AuthError, match="sam is not an admin"):
        enroll(ws, "mallory", ["legal"], PASS, admin=unlock(ws, "sam", PASS))
    enroll(ws, "lena", ["legal"], PASS, admin=admin)
    assert get_user(ws, "mallory") is None and unlock(ws, "sam", PASS).roles == ["security"]


def test_a_user_row_inserted_in_the_store_is_nobody(ws, admin):
    """A DBA inserts a user row with a key file of their own: no ledger entry gave them a key, so no sign-in."""
    from stillroom.users import _hash_password, key_path

    key = signing.generate_key()
    signing.save_private_key(key_path(ws, "mallory-k1"), key, passphrase=PASS)
    with ws.session() as s:
        s.add(users.User(name="mallory", roles=["admin"], key_name="mallory-k1", password_hash=_hash_password(PASS),
                         verifier_key=signing.verifier_key("mallory-k1", key.public_key())))
        s.commit()
    with pytest.raises(AuthError, match="unknown user or wrong passphrase for 'mallory'"):
        unlock(ws, "mallory", PASS)
    assert [u.name for u in users.list_users(ws)] == ["ada"]


def test_after_the_bootstrap_the_node_key_adds_and_resets_nobody(ws, admin):
    """Whoever reads keys/node.key signs a user.added or a reset with it: the ledger refuses, nothing is written."""
    before = ws.ledger().size()
    with pytest.raises(LedgerError, match="user.added|key.added .* signed by the node key .* only an admin's own key"):
        setup_user(ws, "mallory", ["security", "legal"], PASS, actor="ada")
    with pytest.raises(LedgerError, match="signed by the node key .* only an admin's own key"):
        reset_user(ws, "ada", "a reset passphrase", actor="ada")
    assert ws.ledger().size() == before and get_user(ws, "mallory") is None
    assert not users.key_path(ws, "mallory-k1").exists()
    assert ws.ledger().verify().ok


def test_two_first_users_racing_cannot_both_bootstrap(ws, admin, monkeypatch):
    # The race window: the second caller read "no admin yet" before the first one's row was committed.
    monkeypatch.setattr(users, "has_admin", lambda ws: False)
    with pytest.raises(AuthError, match="added meanwhile"):
        enroll(ws, "mallory", ["admin"], PASS, admin=None)
    assert get_user(ws, "mallory") is None


# -- a reset retires the old key -----------------------------------------------------


def test_a_reset_ledgers_the_retirement_of_the_old_key(ws, admin):
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    reset_user(ws, "sam", "a reset passphrase", actor="ada", admin=admin)
    (reset,) = entries(ws, users.RESET)
    assert reset.payload["key"] == "sam-k2" and reset.payload["retired_keys"] == ["sam-k1"]
    (retired,) = entries(ws, KEY_RETIRED)
    assert users.retired_keys(ws) == {"sam-k1": users.Retirement(retired.seq, parse_time(retired.time))}
    assert unlock(ws, "sam", "a reset passphrase").key_name == "sam-k2"
    with pytest.raises(AuthError):
        unlock(ws, "sam", PASS)


def test_a_reset_retires_the_old_key_in_the_ledger_in_one_batch_with_the_reset(ws, admin):
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    reset_user(ws, "sam", "a reset passphrase", actor="ada", admin=admin)
    (reset,), (retired,) = entries(ws, users.RESET), entries(ws, KEY_RETIRED)
    assert retired.seq == reset.seq - 2 and retired.signer == "ada-k1" and retired.actor == "ada"
    assert retired.payload == {"key": "sam-k1", "role": "person", "reason": "sam was reset by ada"}


def test_the_ledger_refuses_an_entry_signed_by_a_retired_key(ws, admin):
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    old = unlock(ws, "sam", PASS)
    reset_user(ws, "sam", "a reset passphrase", actor="ada", admin=admin)
    with pytest.raises(LedgerError, match="'sam-k1' was retired at entry"):
        ws.ledger().record("approval.decision", {"forged": True}, actor="sam", signed_by=(old.key_name, old.key))
    assert ws.ledger().verify().ok


def _insert_signed_by(ws, key_name, key):
    """Append an entry signed by ``key`` straight into the store, past the append check (an attacker's write)."""
    from sqlalchemy import text

    from stillroom.ledger import merkle
    from stillroom.ledger.entry import canonical_entry

    ledger = ws.ledger()
    with ledger.engine.connect() as conn:
        seq, prev = conn.execute(text("SELECT seq, leaf_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")).one()
    seq += 1
    leaf = canonical_entry(seq=seq, time="2030-01-01T00:00:00.000000Z", kind="approval.decision", actor="sam",
                           signer=key_name, run_id=None, payload={"forged": True}, prev=bytes(prev).hex())
    with ledger.engine.begin() as conn:
        conn.execute(text("INSERT INTO ledger_entries (seq, time, kind, actor, signer, run_id, leaf, leaf_hash, "
                          "signature) VALUES (:seq, 't', 'approval.decision', 'sam', :signer, NULL, :leaf, :h, :sig)"),
                     {"seq": seq, "signer": key_name, "leaf": leaf, "h": merkle.leaf_hash(leaf), "sig": key.sign(leaf)})
    return seq, leaf, key.sign(leaf)


def test_live_and_offline_verification_catch_an_entry_signed_after_the_keys_retirement(ws, admin, tmp_path):
    enroll(ws, "sam", ["security"], PASS, admin=admin)
    old = unlock(ws, "sam", PASS)
    reset_user(ws, "sam", "a reset passphrase", actor="ada", admin=admin)
    retired_at = entries(ws, KEY_RETIRED)[0].seq
    ws.ledger().checkpoint()
    ws.ledger().export(tmp_path / "export")
    seq, leaf, signature = _insert_signed_by(ws, old.key_name, old.key)
    report = ws.ledger().verify()
    assert (report.failure.seq, report.failure.what) == (seq, "signer"), str(report)
    assert f"retired at entry {retired_at}" in report.failure.found
    with (tmp_path / "export" / "entries.jsonl").open("a") as export:
        export.write(json.dumps({"entry": json.loads(leaf), "signature": base64.b64encode(signature).decode()}) + "\n")
    offline = verify_offline(tmp_path / "export")
    assert (offline.failure.seq, offline.failure.what) == (seq, "signer"), str(offline)


# -- a workspace from before admins -------------------------------------------------


def test_a_workspace_with_users_but_no_admin_bootstraps_its_first_admin_once(ws):
    for name, roles in (("olga", ["operator"]), ("sam", ["security"])):
        setup_user(ws, name, roles, PASS, actor="old-release")
    enroll(ws, "ada", ["admin"], PASS, admin=None, bootstrap_actor="os:tester")
    added = next(e for e in entries(ws, "user.added") if e.payload["user"] == "ada")
    assert added.payload["bootstrap"] is True and added.actor == "os:tester"
    with pytest.raises(AuthError, match="has an admin already"):
        enroll(ws, "mallory", ["admin"], PASS, admin=None)
    enroll(ws, "lena", ["legal"], PASS, admin=unlock(ws, "ada", PASS))
    assert [u.name for u in users.list_users(ws)] == ["ada", "lena", "olga", "sam"]


def test_the_demo_prepares_a_demo_workspace_made_before_admins(workspace):
    from stillroom.demo import DEMO_ADMIN, DEMO_USERS, prepare_demo

    for name, (roles, passphrase) in DEMO_USERS.items():
        if name != DEMO_ADMIN:
            setup_user(workspace, name, roles, passphrase, actor="stillroom-demo")
    demo = prepare_demo(workspace.root)
    assert demo.operator.name == "demo-operator"
    assert sorted(u.name for u in users.list_users(workspace)) == sorted(DEMO_USERS)
    assert "admin" in get_user(workspace, DEMO_ADMIN).roles


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
    assert users._siblings(users.key_path(ws, "ada-k1")) == []


def test_a_crash_after_the_swap_and_before_the_commit_keeps_the_old_passphrase(ws, admin):
    # What a process killed between the file swap and the commit leaves: the file re-sealed under the new
    # passphrase, the old one kept beside it, the old hash still committed.
    path = users.key_path(ws, "ada-k1")
    key = unlock(ws, "ada", PASS).key
    os.link(path, users._sibling(path, "dead", "old"))
    swapped = users._sibling(path, "dead", "new")
    signing.save_private_key(swapped, key, passphrase="a new passphrase")
    os.replace(swapped, path)
    assert unlock(ws, "ada", PASS).key_name == "ada-k1"
    assert signing.load_private_key(path, PASS) and users._siblings(path) == []


def test_a_failed_commit_after_the_swap_puts_the_old_file_back(ws, admin, monkeypatch):
    from sqlalchemy.orm import Session

    with monkeypatch.context() as m:
        m.setattr(Session, "commit", _cut)
        with pytest.raises(PowerCut):
            change_passphrase(ws, "ada", PASS, "a new passphrase")
    assert unlock(ws, "ada", PASS).key_name == "ada-k1"
    assert users._siblings(users.key_path(ws, "ada-k1")) == []


def test_a_planted_key_file_is_not_taken_for_the_users_key(ws, admin):
    path = users.key_path(ws, "ada-k1")
    path.unlink()
    signing.save_private_key(users._sibling(path, "planted", "old"), signing.generate_key(), passphrase=PASS)
    with pytest.raises(signing.SigningError):
        unlock(ws, "ada", PASS)


def test_two_passphrase_changes_at_once_leave_exactly_one_working(ws, admin, monkeypatch):
    # The interleaving: both changes unlock with the old passphrase; the second runs to its end while
    # the first is between sealing its copy and committing.
    real_hash = users._hash_password
    second: list[str] = []

    def first_pauses_here(passphrase):
        if passphrase == "first new passphrase" and not second:
            second.append("ran")
            change_passphrase(ws, "ada", PASS, "second new passphrase")
        return real_hash(passphrase)

    monkeypatch.setattr(users, "_hash_password", first_pauses_here)
    with pytest.raises(AuthError, match="changed by someone else meanwhile"):
        change_passphrase(ws, "ada", PASS, "first new passphrase")
    assert unlock(ws, "ada", "second new passphrase").key_name == "ada-k1"
    for stale in (PASS, "first new passphrase"):
        with pytest.raises(AuthError, match="wrong passphrase"):
            unlock(ws, "ada", stale)
    assert users._siblings(users.key_path(ws, "ada-k1")) == []


# -- an unknown name costs what a known one does ---------------------------------------


@pytest.mark.production_kdf
def test_passphrases_are_hashed_and_keys_sealed_with_argon2id_at_the_production_cost(ws, admin):
    assert _cost(get_user(ws, "ada").password_hash) == "m=65536,t=3,p=4"
    sealed = users.key_path(ws, admin.key_name).read_bytes()
    body = json.loads(base64.decodebytes(sealed.split(b"\n", 1)[1].rsplit(b"-----END", 1)[0]))
    assert (body["kdf"], body["time_cost"], body["memory_cost"], body["parallelism"]) == ("argon2id", 3, 65536, 1)


@pytest.mark.production_kdf
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
