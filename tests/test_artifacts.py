"""The content-addressed store: named by digest, written atomically, verified on read."""

from __future__ import annotations

import hashlib
import os

import pytest

from stillroom.artifacts import ArtifactStore, atomic_write_bytes
from stillroom.errors import ArtifactError


def test_put_and_read_round_trip_by_sha256(tmp_path):
    store = ArtifactStore(tmp_path)
    digest = store.put_bytes(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest()
    assert store.path(digest) == tmp_path / "sha256" / digest[:2] / digest
    assert store.read_bytes(digest) == b"hello"
    assert store.put_bytes(b"hello") == digest


def test_a_corrupted_artifact_is_refused_on_read(tmp_path):
    store = ArtifactStore(tmp_path)
    digest = store.put_json({"a": 1})
    store.path(digest).write_bytes(b'{"a": 2}')
    with pytest.raises(ArtifactError, match="corrupt"):
        store.read_bytes(digest)


def test_streamed_read_detects_corruption_at_the_end(tmp_path):
    store = ArtifactStore(tmp_path)
    digest = store.put_bytes(b"line1\nline2\n")
    store.path(digest).write_bytes(b"line1\nline3\n")
    with pytest.raises(ArtifactError, match="corrupt"):
        list(store.iter_lines(digest))


def test_missing_artifact_and_bad_digest(tmp_path):
    store = ArtifactStore(tmp_path)
    with pytest.raises(ArtifactError, match="missing"):
        store.read_bytes("a" * 64)
    with pytest.raises(ArtifactError, match="not a sha256 digest"):
        store.path("../../etc/passwd")


def test_remember_and_recall_a_cache_key(tmp_path):
    store = ArtifactStore(tmp_path)
    assert store.recall("teacher:abc|inputs:def") is None
    digest = store.put_bytes(b"outputs")
    store.remember("teacher:abc|inputs:def", digest)
    assert store.recall("teacher:abc|inputs:def") == digest
    store.path(digest).unlink()
    assert store.recall("teacher:abc|inputs:def") is None


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "out" / "file.bin"

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"x" * 1000)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []
