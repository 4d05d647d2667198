"""The CLI answers a name nobody has exactly as it answers a wrong passphrase: same exit status, same words
(but the name), same lock after repeated tries, so a guesser learns nothing about who has an account."""

from __future__ import annotations

from stillroom import users
from tests.people import setup_user
from tests.test_sign_in_throttle import PASS, lock_from_the_cli, locked_sentence, stillroom


def test_an_unknown_name_and_a_wrong_passphrase_get_the_same_answer_from_the_cli(workspace):
    setup_user(workspace, "ada", ["admin"], PASS, actor="bootstrap")
    users.enroll(workspace, "sam", ["security"], PASS, admin=users.unlock(workspace, "ada", PASS))
    wrong = stillroom(workspace, "users", "unlock", "ada", user="sam", passphrase="a wrong guess")
    unknown = stillroom(workspace, "users", "unlock", "ada", user="sal", passphrase="a wrong guess")
    assert (wrong.returncode, unknown.returncode) == (1, 1)
    assert (wrong.stdout, unknown.stdout) == ("", "")
    assert wrong.stderr.replace("'sam'", "'NAME'") == unknown.stderr.replace("'sal'", "'NAME'")
    assert wrong.stderr.strip() == "error: unknown user or wrong passphrase for 'sam'"
    # and the right passphrase for a name nobody has is no different from a wrong one
    right = stillroom(workspace, "users", "unlock", "ada", user="sal", passphrase=PASS)
    assert right.stderr.replace("'sal'", "'sam'") == wrong.stderr


def test_an_unknown_name_locks_with_the_same_sentence_as_a_real_one(workspace):
    setup_user(workspace, "ada", ["admin"], PASS, actor="bootstrap")
    locked = lock_from_the_cli(workspace, "ghost", counted_already=3)
    assert locked.returncode == 1 and locked_sentence("ghost").fullmatch(locked.stderr.strip())
