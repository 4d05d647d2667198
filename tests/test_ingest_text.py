"""Issue 11 items 5 and 8: a text field is one bounded string, or the input is refused at ingest.

``{"text": ["Call John Smith at ..."]}`` once passed the scrubber and the residual
scan untouched and became training text as its ``str()``; a 50 MB JSONL line
took a run to 5 GB. Both are refused where the record is read, naming the file,
the line (the record number for tables) and the field, with nothing written.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from stillroom.components import Context
from stillroom.errors import DataError
from stillroom.plugins.sources.csv import CsvSource
from stillroom.plugins.sources.jsonl import JsonlSource
from stillroom.plugins.sources.malformed import MAX_RECORD_BYTES, MAX_TEXT_CHARS
from stillroom.plugins.sources.parquet import ParquetSource
from stillroom.plugins.sources.sql import SqlSource
from stillroom.store import crud

GOOD = {"text": "my card has not arrived", "label": "card_arrival"}
SMUGGLED = {
    "a list": ["Call John Smith at +44 20 7946 0958"],
    "an object": {"a": "my card 4111 1111 1111 1111 was charged"},
    "a number": 4111111111111111,
    "true/false": True,
    "null": None,
}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def stillroom(*args, env=None):
    return subprocess.run([sys.executable, "-m", "stillroom.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("kind", SMUGGLED)
def test_jsonl_refuses_a_text_field_that_is_not_one_string(tmp_path, kind):
    path = write_jsonl(tmp_path / "d.jsonl", [GOOD, {"text": SMUGGLED[kind], "label": "x"}])
    source = JsonlSource({"path": str(path)}, Context(workspace=tmp_path, artifacts=None, text_fields=("text",)))
    with pytest.raises(DataError) as caught:
        list(source.read())
    assert str(caught.value) == f"{path}, line 2, field 'text': expected one string of text, found {kind}"
    assert "John" not in str(caught.value) and "4111" not in str(caught.value)


def test_parquet_and_sql_name_the_record_number(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ctx = Context(workspace=tmp_path, artifacts=None, text_fields=("text",))
    parquet = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": [["ok"], ["Call John Smith"]]}), parquet)
    with pytest.raises(DataError, match=r"d\.parquet, row 1, field 'text': expected one string of text, found a list$"):
        list(ParquetSource({"path": str(parquet)}, ctx).read())

    db = tmp_path / "d.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (text)")
        conn.executemany("insert into t values (?)", [("fine",), ("fine too",), (4111111111111111,)])
    source = SqlSource({"url": f"sqlite:///{db}", "query": "select text from t"}, ctx)
    with pytest.raises(DataError, match=r"row 3, field 'text': expected one string of text, found a number$"):
        list(source.read())


def test_a_line_past_the_cap_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "d.jsonl"
    with open(path, "w") as f:
        f.write(json.dumps(GOOD) + "\n")
        f.write('{"text": "' + "a" * (MAX_RECORD_BYTES + 10) + '"}\n')
    source = JsonlSource({"path": str(path)}, Context(workspace=tmp_path, artifacts=None))
    with pytest.raises(DataError, match=rf"line 2: the line is longer than {MAX_RECORD_BYTES:,} bytes"):
        list(source.read())


def test_a_text_field_past_the_cap_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\nfine,a\n" + "b" * (MAX_TEXT_CHARS + 1) + ",a\n")
    source = CsvSource({"path": str(path)}, Context(workspace=tmp_path, artifacts=None, text_fields=("text",)))
    with pytest.raises(DataError, match=rf"line 3, field 'text': the text is longer than {MAX_TEXT_CHARS:,} "
                                        "characters, the most one field may hold$"):
        list(source.read())


def _scrub_peak(path, out):
    """(exit code, stderr, peak RSS in kB) of `stillroom scrub PATH --out OUT`."""
    process = subprocess.Popen([sys.executable, "-m", "stillroom.cli", "scrub", str(path), "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    return os.waitstatus_to_exitcode(status), process.stderr.read(), usage.ru_maxrss


def test_a_50_mb_line_is_refused_by_stillroom_scrub_in_bounded_memory(tmp_path):
    path, small = tmp_path / "big.jsonl", tmp_path / "small.jsonl"
    with open(path, "w") as f:
        f.write(json.dumps(GOOD) + "\n")
        f.write('{"text": "' + "Call John Smith " * (50_000_000 // 16) + '"}\n')
    write_jsonl(small, [GOOD, {"text": ["a list"]}])  # refused at the same line, with nothing large read
    out = tmp_path / "out.jsonl"
    code, stderr, peak = _scrub_peak(path, out)
    assert code == 2, stderr
    assert stderr.strip() == (f"error: {path}, line 2: the line is longer than {MAX_RECORD_BYTES:,} bytes, "
                              "the most one record may be")
    assert not out.exists()
    baseline = _scrub_peak(small, out)[2]  # the command's own footprint (libraries, models) on this machine
    assert peak < baseline + 100_000, f"peak RSS {peak} kB against {baseline} kB"  # the line is 50 MB; 5 GB before


@pytest.mark.parametrize(("record", "kind"), [({"text": ["Call John Smith at +44 20 7946 0958"]}, "a list"),
                                              ({"text": {"a": "my card 4111 1111 1111 1111"}}, "an object")])
def test_stillroom_scrub_refuses_a_structure_in_the_field_and_writes_nothing(tmp_path, record, kind):
    path = write_jsonl(tmp_path / "in.jsonl", [GOOD, GOOD, record])
    out = tmp_path / "out.jsonl"
    result = stillroom("scrub", str(path), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: {path}, line 3, field 'text': expected one string of text, found {kind}"
    assert not out.exists()


def test_stillroom_scrub_refuses_to_write_over_its_input_and_makes_nothing_for_a_missing_one(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [GOOD, GOOD])
    before = path.read_bytes()
    os.link(path, tmp_path / "hard.jsonl")
    for out in (path, tmp_path / "." / "in.jsonl", tmp_path / "hard.jsonl"):  # the same file by any name
        result = stillroom("scrub", str(path), "--out", str(out), "--profile", "fast")
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == f"error: {out}: --out is the input file itself; write the output to another path"
        assert path.read_bytes() == before
    missing = stillroom("scrub", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "new" / "out.jsonl"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: {tmp_path / 'nope.jsonl'}: cannot be opened (No such file or directory)"
    assert not (tmp_path / "new").exists()


@pytest.fixture
def teacher(tmp_path):
    from tests.tinymodels import classifier_dir

    return classifier_dir(tmp_path / "teacher")


@pytest.mark.parametrize(("record", "kind"), [({"text": ["Call John Smith at +44 20 7946 0958"]}, "a list"),
                                              ({"text": {"a": "my card 4111 1111 1111 1111"}}, "an object")])
def test_stillroom_run_refuses_a_structure_at_ingest_and_keeps_no_data(tmp_path, workspace, teacher, record, kind):
    from tests.people import setup_user

    setup_user(workspace, "op", ["operator"], "correct horse battery", actor="admin")
    data = write_jsonl(workspace.root / "d.jsonl", [GOOD] * 5 + [record])
    spec = tmp_path / "p.yaml"
    spec.write_text(f"name: x\nsource: {{type: jsonl, path: {data}, classification: confidential}}\n"
                    f"teacher: {{path: {teacher}}}\ndata: {{label_field: label}}\n")
    result = stillroom("run", str(spec), "--workspace", str(workspace.root), "--as", "op", "--no-progress",
                       env={"STILLROOM_PASSPHRASE": "correct horse battery"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (f"error: {data}, line 6, field 'text': expected one string "
                                                      f"of text, found {kind}")
    with workspace.session() as s:
        (run,) = crud.list_runs(s)
    assert run.status == "failed" and "ingested" not in (run.summary or {}).get("artifacts", {})
    assert not any((workspace.root / "runs" / run.id).glob("*.jsonl"))
    assert "John" not in json.dumps([e.as_dict() for e in workspace.ledger().entries(limit=1000)])
