"""``--json`` on every command that acts: the real CLI, its stdout parsed as one JSON object.

A script reads what happened (ids, digests, statuses) from stdout alone; what a person reads goes to
stderr; an error is ``{"ok": false, "error": SENTENCE}`` with the exit code the text mode uses.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from tinypipeline import PASS, add_people, write_pipeline

from stillroom.store import crud
from stillroom.workspace import Workspace, init_workspace

AUTH_VARS = ("STILLROOM_USER", "STILLROOM_PASSPHRASE", "STILLROOM_NEW_PASSPHRASE", "STILLROOM_WORKSPACE",
             "STILLROOM_DATABASE_URL")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def stillroom(*args, user=None, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in AUTH_VARS}
    if user:
        base.update(STILLROOM_USER=user, STILLROOM_PASSPHRASE=PASS)
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**base, **env})


def parsed(result: subprocess.CompletedProcess, code: int = 0) -> dict:
    assert result.returncode == code, result.stdout + result.stderr
    return json.loads(result.stdout)  # the whole of stdout is the one JSON document


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One governed run through `stillroom run --json`, shared by the tests that decide and release it."""
    root = tmp_path_factory.mktemp("json")
    ws = init_workspace(root / "ws", name="json-ws")
    add_people(ws)
    spec = write_pipeline(root)
    result = stillroom("run", str(spec), "--workspace", str(ws.root), "--json", user="olga")
    return ws, result


def test_run_json_holds_the_run_request_and_every_stage_digest(ran):
    ws, result = ran
    out = parsed(result)
    assert out["ok"] is True and out["status"] == "succeeded" and out["exit_code"] == 0
    with ws.session() as s:
        stored = crud.get_run(s, out["run_id"])
    assert stored.status == "succeeded" and stored.initiator == "olga" == out["initiator"]
    assert out["spec_digest"] == stored.spec_digest and HEX64.match(out["policy_digest"])
    assert list(out["stages"]) == ["preflight", "ingest", "scrub", "curate", "label", "train", "evaluate",
                                   "export", "request"]
    assert out["stages"]["scrub"]["status"] == "skipped"
    assert {"split.train", "split.validation", "split.test", "student"} <= set(out["artifacts"])
    assert all(HEX64.match(d) and ws.artifacts.exists(d) for d in out["artifacts"].values())
    assert out["request_id"] == out["stages"]["request"]["request_id"]
    # The stage lines a person watches went to stderr, not into the JSON.
    assert "✓ train" in result.stderr


def test_an_error_under_json_is_the_same_sentence_and_exit_code_as_text(ran):
    ws, result = ran
    request_id = parsed(result)["request_id"]
    args = ("approve", request_id, "--workspace", str(ws.root))
    text = stillroom(*args, user="olga")
    as_json = stillroom(*args, "--json", user="olga")
    assert text.returncode == as_json.returncode == 1
    error = parsed(as_json, code=1)
    assert error == {"ok": False, "error": text.stderr.strip().removeprefix("error: "), "exit_code": 1}
    assert "excludes the initiator" in error["error"] and as_json.stderr == ""


def test_approve_and_release_json_then_verify_json(ran, tmp_path):
    ws, result = ran
    request_id = parsed(result)["request_id"]
    request = parsed(stillroom("requests", "show", request_id, "--workspace", str(ws.root), "--json"))
    failing = [g["gate"] for g in request["gates"] if not g["passed"]]  # a one-epoch toy student fails some
    waive = [arg for gate in failing for arg in ("--waive", gate)]
    first = parsed(stillroom("approve", request_id, "--workspace", str(ws.root), "--json", *waive, user="sam"))
    assert first == {"ok": True, "request_id": request_id, "decision": "approve", "user": "sam",
                     "approval": {**first["approval"], "status": "pending", "missing_roles": ["legal"]}}
    second = parsed(stillroom("approve", request_id, "--workspace", str(ws.root), "--json", *waive, user="lee"))
    assert second["approval"]["status"] == "approved" and second["approval"]["missing_roles"] == []

    bundle = tmp_path / "bundle"
    released = parsed(stillroom("release", request_id, "--out", str(bundle), "--workspace", str(ws.root), "--json"))
    assert released["ok"] is True and released["request_id"] == request_id and released["out"] == str(bundle)
    assert released["files"] and all((bundle / name).is_file() for name in released["files"])
    verified = parsed(stillroom("release", "verify", str(bundle), "--workspace", str(ws.root), "--json"))
    assert verified["request_id"] == request_id and verified["checks"]


def test_a_refused_run_under_json_reports_the_refusal(ran, tmp_path):
    ws, _ = ran
    spec = tmp_path / "p.yaml"
    spec.write_text("name: x\nsource: {type: jsonl, path: d.jsonl}\nteacher: {path: t}\n")
    error = parsed(stillroom("run", str(spec), "--workspace", str(ws.root), "--json", user="sam"), code=1)
    assert error["ok"] is False and "sam cannot start a run: it needs the operator role" in error["error"]


def test_usage_errors_under_json_exit_2_with_the_sentence(tmp_path):
    error = parsed(stillroom("runs", "show", "run-nope", "--workspace", str(tmp_path / "none"), "--json"), code=2)
    assert error["ok"] is False and "no Stillroom workspace at" in error["error"]


def test_workspace_people_policy_and_ledger_commands_answer_in_json(tmp_path):
    root = tmp_path / "ws"
    made = parsed(stillroom("init", str(root), "--json"))
    assert made["ok"] and made["root"] == str(root) and made["policies"] == str(root / "policies")
    assert Workspace.open(root).origin == made["origin"]
    again = parsed(stillroom("init", str(root), "--json"), code=2)
    assert again["error"] == f"{root} is already a Stillroom workspace"

    w = ("--workspace", str(root))
    ada = parsed(stillroom("users", "add", "ada", "--role", "admin", *w, "--json", STILLROOM_NEW_PASSPHRASE=PASS))
    assert ada["name"] == "ada" and ada["roles"] == ["admin"] and ada["key"].startswith("ada-k1+")
    sam = parsed(stillroom("users", "add", "sam", "--role", "security", *w, "--json", user="ada",
                           STILLROOM_NEW_PASSPHRASE=PASS))
    assert sam["roles"] == ["security"]
    roles = parsed(stillroom("users", "roles", "sam", "--role", "legal", *w, "--json", user="ada"))
    assert roles == {"ok": True, "name": "sam", "roles": ["legal"]}
    reset = parsed(stillroom("users", "reset", "sam", *w, "--json", user="ada", STILLROOM_NEW_PASSPHRASE=PASS))
    assert reset["key_name"] == "sam-k2" and reset["key"].startswith("sam-k2+")
    changed = parsed(stillroom("users", "passwd", "sam", *w, "--json", STILLROOM_PASSPHRASE=PASS,
                               STILLROOM_NEW_PASSPHRASE=PASS + " too"))
    assert changed == {"ok": True, "name": "sam"}
    short = parsed(stillroom("users", "passwd", "sam", *w, "--json", STILLROOM_PASSPHRASE=PASS + " too",
                             STILLROOM_NEW_PASSPHRASE="x"), code=2)
    assert short == {"ok": False, "error": "a passphrase needs at least 8 characters", "exit_code": 2}

    adopted = parsed(stillroom("policy", "adopt", *w, "--json", user="ada"))
    assert adopted["adopted_by"] == "ada" and HEX64.match(adopted["policy_digest"]) and adopted["files"]
    checked = parsed(stillroom("policy", "check", *w, "--json"))
    assert checked["digest"] == adopted["policy_digest"] and checked["below_floor"] is None
    (root / "policies" / "approvals.yaml").write_text(
        (root / "policies" / "approvals.yaml").read_text().replace("valid_days: 30", "valid_days: 14", 1))
    stale = parsed(stillroom("policy", "check", *w, "--json"), code=1)
    assert "changed since the policy in force was adopted" in stale["error"]

    checkpoint = parsed(stillroom("ledger", "checkpoint", *w, "--json"))
    assert checkpoint["origin"] == made["origin"] and HEX64.match(checkpoint["root"])
    assert checkpoint["note"].splitlines()[1] == str(checkpoint["tree_size"])
    exported = parsed(stillroom("ledger", "export", str(tmp_path / "export"), *w, "--json"))
    assert exported["directory"] == str(tmp_path / "export")
    assert exported["checkpoint"] == (tmp_path / "export" / "checkpoint").read_text()
    verified = parsed(stillroom("ledger", "verify", "--offline", str(tmp_path / "export"), "--json"))
    assert verified["ok"] is True


def test_scrub_json_counts_entities_and_never_holds_values(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": "Mail jane.doe@example.com or call +44 20 7946 0958"}) + "\n")
    out = parsed(stillroom("scrub", str(source), "--out", str(tmp_path / "out.jsonl"), "--profile", "fast",
                           "--json"))
    assert out["ok"] and out["records"] == 1 and out["counts"].get("EMAIL_ADDRESS") == 1
    assert out["residual"] == 0 and out["detection"]["detector"]
    assert "jane.doe" not in json.dumps(out) and "7946" not in json.dumps(out)
