"""Dashboard sign-in and sessions, as plain functions: what is kept, what is slowed, what expires."""

from __future__ import annotations

import pytest

from stillroom.dashboard import session
from stillroom.users import AuthError, get_user, unlock
from tests.people import setup_user

PASS = "correct horse battery"


@pytest.fixture
def people(workspace):
    setup_user(workspace, "sam", ["security"], PASS, actor="admin")
    return workspace


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_sign_in_keeps_only_name_roles_expiry_and_client(people):
    state = {}
    who = session.sign_in(people, "sam", PASS, state, now=1000.0, client="dashboard@10.0.0.7")
    assert who.name == "sam" and who.roles == ["security"] and who.client == "dashboard@10.0.0.7"
    assert state == {session.USER: "sam", session.ROLES: ["security"], session.EXPIRES: 1000.0 + session.IDLE_SECONDS,
                     session.CLIENT: "dashboard@10.0.0.7"}
    assert PASS not in repr(state)


def test_wrong_passphrase_and_unknown_user_read_the_same(people):
    for name, passphrase in (("sam", "not the passphrase"), ("nobody", PASS)):
        with pytest.raises(AuthError) as refused:
            session.sign_in(people, name, passphrase, {}, sleep=Sleeps())
        assert str(refused.value) == "wrong user name or passphrase"


def test_failed_sign_ins_are_ledgered_and_slowed_more_each_time(people):
    sleeps = Sleeps()
    for _ in range(4):
        with pytest.raises(AuthError):
            session.sign_in(people, "sam", "not the passphrase", {}, sleep=sleeps)
    assert sleeps == [0.0, 0.5, 1.0, 2.0]
    failures = [e.payload for e in people.ledger().entries(kind="auth.failed")]
    assert [f["failures"] for f in reversed(failures)] == [1, 2, 3, 4]


def test_a_locked_user_is_told_so_and_cannot_sign_in_even_with_the_passphrase(people):
    for _ in range(5):
        with pytest.raises(AuthError):
            session.sign_in(people, "sam", "not the passphrase", {}, sleep=Sleeps())
    with pytest.raises(AuthError, match="locked after repeated failed sign-ins"):
        session.sign_in(people, "sam", PASS, {}, sleep=Sleeps())


def test_a_successful_sign_in_clears_the_failure_count(people):
    with pytest.raises(AuthError):
        session.sign_in(people, "sam", "not the passphrase", {}, sleep=Sleeps())
    session.sign_in(people, "sam", PASS, {}, sleep=Sleeps())
    assert get_user(people, "sam").failed_logins == 0


def test_a_session_expires_after_idling_and_each_page_extends_it(people):
    state = {}
    session.sign_in(people, "sam", PASS, state, now=0.0)
    assert session.current(people, state, now=session.IDLE_SECONDS - 1).name == "sam"
    assert state[session.EXPIRES] == 2 * session.IDLE_SECONDS - 1
    assert session.current(people, state, now=2 * session.IDLE_SECONDS) is None
    assert state == {}


def test_roles_are_read_fresh_so_a_removed_role_stops_counting(people):
    state = {}
    session.sign_in(people, "sam", PASS, state)
    with people.session() as s:  # the store's copy of the roles decides nothing
        user = get_user(people, "sam")
        user.roles = ["admin"]
        s.add(user)
        s.commit()
    assert session.current(people, state).roles == ["security"]
    from stillroom.users import set_roles

    set_roles(people, "sam", ["legal"], admin=None, actor="test-admin")  # no admin yet: the bootstrap signs
    assert session.current(people, state).roles == ["legal"]


def test_no_session_without_sign_in_and_after_sign_out(people):
    assert session.current(people, {}) is None
    state = {}
    session.sign_in(people, "sam", PASS, state)
    session.sign_out(state)
    assert session.current(people, state) is None


def test_confirm_unlocks_the_key_for_one_action_and_counts_failures(people):
    who = session.sign_in(people, "sam", PASS, {})
    assert session.confirm(people, who, PASS, sleep=Sleeps()).key is not None
    with pytest.raises(AuthError, match="wrong passphrase"):
        session.confirm(people, who, "not the passphrase", sleep=Sleeps())
    assert get_user(people, "sam").failed_logins == 1


@pytest.mark.production_kdf
def test_an_unknown_name_goes_through_the_cores_sign_in_with_its_argon2_check(people, monkeypatch):
    from argon2 import PasswordHasher

    from stillroom import users

    checked, unlocked = [], []
    real_verify, real_unlock = PasswordHasher.verify, users.unlock

    def verify(self, hashed, password):
        checked.append(hashed)
        return real_verify(self, hashed, password)

    def core_unlock(ws, name, passphrase, **client):
        unlocked.append(name)
        return real_unlock(ws, name, passphrase, **client)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    monkeypatch.setattr(users, "unlock", core_unlock)
    for name in ("sam", " nobody "):
        with pytest.raises(AuthError, match=session.WRONG):
            session.sign_in(people, name, "not the passphrase", {}, sleep=Sleeps())
    assert unlocked == ["sam", "nobody"]
    known, unknown = checked
    assert unknown != known and unknown.split("$")[3] == known.split("$")[3]  # same argon2 cost


ATTACKER, REVIEWER = "dashboard@203.0.113.9", "dashboard@10.0.0.7"


def fail(ws, name: str, times: int, client: str = ATTACKER) -> tuple[list[str], Sleeps]:
    messages, sleeps = [], Sleeps()
    for _ in range(times):
        with pytest.raises(AuthError) as refused:
            session.sign_in(ws, name, "not the passphrase", {}, client=client, sleep=sleeps)
        messages.append(str(refused.value))
    return messages, sleeps


def test_five_wrong_tries_lock_only_the_guessers_address_not_the_reviewer(people):
    fail(people, "sam", 5)
    with pytest.raises(AuthError, match="sign-in as 'sam' from this client is locked after repeated failed sign-ins"):
        session.sign_in(people, "sam", PASS, {}, client=ATTACKER, sleep=Sleeps())
    assert session.sign_in(people, "sam", PASS, {}, client=REVIEWER, sleep=Sleeps()).name == "sam"
    assert unlock(people, "sam", PASS).name == "sam"  # the command line is another client too


def test_failures_on_the_command_line_do_not_lock_the_dashboard(people):
    for _ in range(5):
        with pytest.raises(AuthError):
            unlock(people, "sam", "not the passphrase")  # what `--as sam` on the command line runs
    with pytest.raises(AuthError, match="from this client is locked"):
        unlock(people, "sam", PASS)
    assert session.sign_in(people, "sam", PASS, {}, client=REVIEWER, sleep=Sleeps()).name == "sam"


def test_an_unknown_name_is_slowed_and_locked_exactly_like_a_real_one(people):
    import re

    def masked(message: str, name: str) -> str:
        return re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", message.replace(name, "NAME"))

    known_messages, known_sleeps = fail(people, "sam", 6)
    unknown_messages, unknown_sleeps = fail(people, "nobody", 6)
    assert known_sleeps == unknown_sleeps == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]
    assert known_messages[:5] == unknown_messages[:5] == [session.WRONG] * 5
    assert masked(known_messages[5], "sam") == masked(unknown_messages[5], "nobody") == (
        "sign-in as 'NAME' from this client is locked after repeated failed sign-ins until HH:MM:SS UTC; "
        "an admin can lift it with `stillroom users unlock NAME`")


def test_the_lock_doubles_with_each_failure_after_it(people):
    from stillroom import sign_in_throttle as throttle

    start = __import__("time").time()
    for _ in range(5):
        assert throttle.charge(people, "sam", ATTACKER, now=start).refusal is None
    assert "locked" in throttle.charge(people, "sam", ATTACKER, now=start + 29).refusal
    assert throttle.charge(people, "sam", ATTACKER, now=start + 31).refusal is None  # the 6th failure
    assert "locked" in throttle.charge(people, "sam", ATTACKER, now=start + 31 + 59).refusal
    assert throttle.charge(people, "sam", ATTACKER, now=start + 31 + 61).failures == 7
    assert [throttle.lock_seconds(n) for n in (5, 6, 7, 8)] == [30, 60, 120, 240]


def test_the_throttle_keeps_no_name_or_address_in_clear(people):
    fail(people, "sam", 2)
    fail(people, "nobody", 1)
    kept = (people.root / "keys" / "sign-in-throttle.json").read_text()
    assert "sam" not in kept and "nobody" not in kept and "203.0.113.9" not in kept


def test_a_failed_sign_in_is_ledgered_with_its_client(people):
    fail(people, "sam", 1)
    (entry,) = people.ledger().entries(kind="auth.failed")
    assert entry.payload == {"user": "sam", "failures": 1, "client": ATTACKER}


def test_confirm_counts_against_the_client_the_person_signed_in_from(people):
    from stillroom import sign_in_throttle as throttle

    who = session.sign_in(people, "sam", PASS, {}, client=REVIEWER, sleep=Sleeps())
    with pytest.raises(AuthError):
        session.confirm(people, who, "not the passphrase", sleep=Sleeps())
    assert throttle.failures(people, "sam", REVIEWER) == 1 and throttle.failures(people, "sam", ATTACKER) == 0


def test_a_streamlit_address_names_the_client():
    assert session.client_of("10.0.0.7") == "dashboard@10.0.0.7"
    assert session.client_of(None) == session.client_of(object()) == session.DASHBOARD_CLIENT


@pytest.mark.parametrize(("failures", "seconds"), [(0, 0.0), (1, 0.5), (2, 1.0), (4, 4.0), (5, 8.0), (12, 8.0)])
def test_backoff_grows_and_is_capped(failures, seconds):
    assert session.backoff_seconds(failures) == seconds


def test_failed_sign_ins_for_an_unknown_name_are_slowed_like_a_known_names(people):
    import secrets

    nobody = f"nobody-{secrets.token_hex(4)}"  # the counts live in this process: a name no other test used
    slowed = {}
    for name in ("sam", nobody):
        slowed[name] = Sleeps()
        for _ in range(3):
            with pytest.raises(AuthError):
                session.sign_in(people, name, "not the passphrase", {}, sleep=slowed[name])
    assert slowed[nobody] == slowed["sam"] == [0.0, 0.5, 1.0]
    assert all(nobody not in repr(e.payload) for e in people.ledger().entries(limit=1000))
