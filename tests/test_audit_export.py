"""`stillroom requests export REQ --out FILE.pdf`: a printable audit record whose sha256 the ledger holds."""

from __future__ import annotations

import json

import pytest
import dashboard_helpers as helpers
from stillroom.artifacts import sha256_bytes
from stillroom.users import get_user
from test_cli import stillroom

pypdf = pytest.importorskip("pypdf", reason="pip install pypdf (the dev extra)")


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


@pytest.fixture
def desk(workspace, tmp_path):
    return workspace, *helpers.build_desk(workspace, tmp_path)


def export(ws, request_id, out, *extra, who="lena", passphrase=None):
    """The real command, as a user runs it (as ``who``, unlocked like `approve`): exit codes and the
    one-sentence error included."""
    as_ = ["--as", who] if who else []
    env = {"STILLROOM_PASSPHRASE": passphrase or helpers.passphrase(who or "lena"), "STILLROOM_USER": ""}
    return stillroom("requests", "export", request_id, "--out", str(out), "--workspace", str(ws.root), *as_, *extra,
                     env=env)


def test_the_export_holds_the_evidence_and_its_digest_is_ledgered(desk, tmp_path):
    ws, release, last, _ = desk
    out = tmp_path / "audit.pdf"
    result = export(ws, release.id, out, "--json")
    assert result.returncode == 0, result.stderr
    written = json.loads(result.stdout)
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and written["sha256"] == sha256_bytes(data)
    entry = next(e for e in ws.ledger().entries(kind="request.exported", limit=10) if e.seq == written["ledger_seq"])
    assert entry.payload["sha256"] == sha256_bytes(data) and entry.payload["request_digest"] == release.digest
    assert entry.actor == "lena" and entry.signer == get_user(ws, "lena").key_name  # her own key, not the node's
    assert ws.ledger().verify().ok
    text = " ".join(pdf_text(out).split())
    for expected in (f"Audit record: request {release.id}", release.digest, "bank-intent-teacher (licence: apache-2.0)",
                     "measured recall 0.91 on heldout-pii", f"What changed since {last.id}", "worst_slice_drop",
                     "Accuracy by label", "top_up_failed", "US_SSN", "Decisions", "Ledger proofs", "verified"):
        assert expected in text, expected


def test_a_residency_export_says_what_would_be_excepted(desk, tmp_path):
    ws, _, _, residency = desk
    out = tmp_path / "residency.pdf"
    assert export(ws, residency.id, out).returncode == 0
    text = " ".join(pdf_text(out).split())
    assert "https://api.example-llm.com/v1" in text and "no region the residency policy knows" in text
    assert "confidential" in text and helpers.REFUSED_RUN in text


@pytest.mark.parametrize("name, message", [("exists.pdf", "already exists"), ("audit.txt", "is a PDF"),
                                           ("missing/audit.pdf", "is not a directory")])
def test_bad_output_paths_are_refused_and_nothing_is_written_or_ledgered(desk, tmp_path, name, message):
    ws, release, _, _ = desk
    (tmp_path / "exists.pdf").write_bytes(b"keep me")
    before = len(ws.ledger().entries(kind="request.exported", limit=10))
    result = export(ws, release.id, tmp_path / name)
    assert result.returncode == 2 and message in result.stderr
    assert (tmp_path / "exists.pdf").read_bytes() == b"keep me"
    assert not (tmp_path / "audit.txt").exists()
    assert len(ws.ledger().entries(kind="request.exported", limit=10)) == before


def test_an_unknown_request_is_refused(desk, tmp_path):
    ws, *_ = desk
    result = export(ws, "req-nope", tmp_path / "x.pdf")
    assert result.returncode == 2 and "no request 'req-nope'" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("who, passphrase, message", [(None, None, "say who acts with --as NAME"),
                                                      ("lena", "not-her-passphrase", "lena")])
def test_an_export_names_who_files_it_or_nothing_is_written(desk, tmp_path, who, passphrase, message):
    ws, release, _, _ = desk
    before = len(ws.ledger().entries(kind="request.exported", limit=10))
    result = export(ws, release.id, tmp_path / "audit.pdf", who=who, passphrase=passphrase)
    assert result.returncode != 0 and message in result.stderr
    assert not (tmp_path / "audit.pdf").exists()
    assert len(ws.ledger().entries(kind="request.exported", limit=10)) == before


def test_the_dashboard_export_is_signed_by_the_reviewer_and_needs_their_passphrase(desk, monkeypatch):
    from test_dashboard_app import open_app, submit

    ws, release, _, _ = desk
    key = f"request.{release.id}.export"
    at = open_app(ws, monkeypatch, user="sam", page="app_pages/request.py", id=release.id)
    at.text_input(key=f"{key}.passphrase").input("wrong")
    submit(at, "Prepare the audit record (PDF)")
    assert ws.ledger().entries(kind="request.exported", limit=10) == []
    assert at.text_input(key=f"{key}.passphrase").value == ""
    at.text_input(key=f"{key}.passphrase").input(helpers.passphrase("sam"))
    submit(at, "Prepare the audit record (PDF)")
    [entry] = ws.ledger().entries(kind="request.exported", limit=10)
    assert entry.actor == "sam" and entry.signer == get_user(ws, "sam").key_name
    assert ws.ledger().verify().ok
