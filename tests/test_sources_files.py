"""JSONL and CSV sources: streaming batches, fingerprints, and a clear error for each malformed input."""

from __future__ import annotations

import hashlib

import pytest

from stillroom.components import Context
from stillroom.errors import ConfigError, DataError
from stillroom.plugins.sources.csv import CsvSource
from stillroom.plugins.sources.jsonl import JsonlSource


def read(cls, path, **options):
    source = cls({"path": str(path), **options}, Context(path.parent, None))
    return source, [record for batch in source.read(batch_size=2) for record in batch]


def test_jsonl_streams_in_batches_and_fingerprints_what_it_read(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "a", "label": 1}\n\n{"text": "b", "label": 2}\n{"text": "c", "label": 3}\n')
    source = JsonlSource({"path": str(path), "fields": ["text"]}, Context(tmp_path, None))
    batches = list(source.read(batch_size=2))
    assert [len(b) for b in batches] == [2, 1] and batches[1][0] == {"text": "c", "label": 3}
    assert source.fingerprint() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.location() == path.resolve().as_uri()


def test_csv_streams_rows_and_fingerprints_what_it_read(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('text,category\n"hello, world",card\nbye,refund\nthird,card\n')
    source, rows = read(CsvSource, path, fields=["text"])
    assert rows[0] == {"text": "hello, world", "category": "card"} and len(rows) == 3
    assert source.fingerprint() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_relative_paths_resolve_against_the_workspace(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"text": "x"}\n')
    source = JsonlSource({"path": "d.jsonl"}, Context(tmp_path, None))
    assert source.path == tmp_path / "d.jsonl"


@pytest.mark.parametrize(("content", "message"), [
    (b'{"text": "ok"}\n{"text": broken}\n', "line 2: is not valid JSON"),
    (b'{"text": "ok"}\n{"text": "caf\xe9"}\n', "line 2: is not valid UTF-8"),
    (b'{"text": "ok"}\n{"label": 3}\n', "line 2, field 'text': the field is missing or empty"),
    (b'{"text": "ok"}\n["a", "list"]\n', "line 2: expected a JSON object, found list"),
    (b"", "is empty: expected one JSON object per line"),
    (b"\n\n", "is empty: expected one JSON object per line"),
])
def test_malformed_jsonl_names_file_line_and_field(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        read(JsonlSource, path, fields=["text"])
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


@pytest.mark.parametrize(("content", "message"), [
    (b"text,label\na,1\nb,2,extra\n", "line 3: expected 2 columns"),
    (b"text,label\na,1\nb\n", "line 3: expected 2 columns"),
    (b"body,label\na,1\n", "line 1, field 'text': no such column in the header"),
    (b"text,label\na,1\n,2\n", "line 3, field 'text': the field is empty"),
    (b"text,label\na,1\ncaf\xe9,2\n", "is not valid UTF-8"),
    (b"text,label\n", "has a header but no rows"),
    (b"", "is empty: expected a header row"),
])
def test_malformed_csv_names_file_line_and_field(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        read(CsvSource, path, fields=["text"])
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_errors_never_echo_the_offending_value(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "John Smith 4111111111111111" oops}\n')
    with pytest.raises(DataError) as caught:
        read(JsonlSource, path)
    assert "John" not in str(caught.value) and "4111" not in str(caught.value)


def test_missing_file_and_missing_path_option(tmp_path):
    with pytest.raises(DataError, match="cannot be opened"):
        read(JsonlSource, tmp_path / "absent.jsonl")
    with pytest.raises(ConfigError, match="option 'path' is required"):
        JsonlSource({}, Context(tmp_path, None))
