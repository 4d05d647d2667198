"""`stillroom requests export REQ --out FILE.pdf`: a printable audit record whose sha256 the ledger holds."""

from __future__ import annotations

import json

import pytest
import dashboard_helpers as helpers
from stillroom.artifacts import sha256_bytes
from test_cli import stillroom

pypdf = pytest.importorskip("pypdf", reason="pip install pypdf (the dev extra)")


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


@pytest.fixture
def desk(workspace, tmp_path):
    return workspace, *helpers.build_desk(workspace, tmp_path)


def export(ws, request_id, out, *extra):
    """The real command, as a user runs it: exit codes and the one-sentence error included."""
    return stillroom("requests", "export", request_id, "--out", str(out), "--workspace", str(ws.root), *extra)


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
