"""Pipeline specs: the five-line minimum, and a clear one-sentence error for each malformed one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stillroom.config import load_spec
from stillroom.errors import ConfigError

MINIMAL = """\
name: intents
source:
  type: jsonl
  path: data/queries.jsonl
teacher: {path: models/teacher}
"""


def write(tmp_path, text: str, name: str = "pipeline.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_five_line_spec_gets_defaults_for_everything_else(tmp_path):
    spec = load_spec(write(tmp_path, MINIMAL))
    assert spec.name == "intents"
    assert spec.source.type == "jsonl" and spec.source.options == {"path": "data/queries.jsonl",
                                                                     "classification": "internal"}
    assert spec.teacher.type == "hf" and spec.teacher.task == "classification"
    assert spec.scrub is None and spec.trainer is None and spec.evaluators is None and spec.baseline
    assert spec.data.text_field == "text" and spec.data.split.test == 0.1


def test_name_defaults_to_the_file_name(tmp_path):
    spec = load_spec(write(tmp_path, MINIMAL.replace("name: intents\n", ""), "bank-intents.yaml"))
    assert spec.name == "bank-intents"


def test_digest_changes_with_any_setting(tmp_path):
    a = load_spec(write(tmp_path, MINIMAL))
    b = load_spec(write(tmp_path, MINIMAL + "seed: 1\n", "b.yaml"))
    assert a.digest != b.digest and len(a.digest) == 64


MALFORMED = [
    ("", "expected a mapping with at least `source` and `teacher`, found an empty file"),
    ("- a\n- b\n", "expected a mapping with at least `source` and `teacher`, found a list"),
    ("name: x\nsource: {type: jsonl\nteacher: {}\n", "line 3: not valid YAML"),
    ("name: x\nteacher: {path: t}\n", "source is required but missing"),
    ("name: x\nsource: {type: jsonl}\n", "teacher is required but missing"),
    ("name: x\nsource: {path: a}\nteacher: {}\n", "source.type is required but missing"),
    ("name: x\nsource: {type: jsonl, classification: secret}\nteacher: {}\n",
     "source.classification: input should be 'public', 'internal', 'confidential' or 'restricted', found 'secret'"),
    ("name: x\nsource: {type: jsonl}\nteacher: {task: regression}\n",
     "teacher.task: input should be 'classification', 'embedding' or 'causal-lm', found 'regression'"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\nbogus: 1\n", "bogus: unknown key"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ndata: {split: {test: 0.9}}\n",
     "data.split.test: input should be less than 0.5, found 0.9"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ndata: {text_fild: body}\n", "data.text_fild: unknown key; did you mean `text_field`?"),
    ("name: 'has spaces'\nsource: {type: jsonl}\nteacher: {}\n", "name: string should match pattern"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\nbaseline: maybe\n",
     "baseline: input should be a valid boolean, unable to interpret input, found 'maybe'"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\nexecutor: slurm\n", "executor: input should be 'local' or 'ray'"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ndata: {text_field: t, slice_fields: [t]}\n",
     "data.slice_fields must not include the text field 't'"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ndata: {limit: 0}\n",
     "data.limit: input should be greater than 0, found 0"),
    # a section that may also be `false` names the field, not the union member pydantic tried
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ncurate: {transfer: {per_record: -1}}\n",
     ": curate.transfer.per_record: input should be greater than or equal to 0, found -1"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\nscrub: {type: 3}\n", ": scrub.type: input should be a valid string"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ncurate: {augment: {slices: {Region: emea}}}\n",
     ": curate.augment.slices.Region: input should be a valid list"),  # a key that is also a model's name stays
    # augmentation options set while it is off are refused, not ignored
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ncurate: {augment: {per_record: 4}}\n",
     "curate.augment.per_record is set, but augmentation is off (augment.enabled: false), so nothing reads it; "
     "set enabled: true, or remove per_record"),
    ("name: x\nsource: {type: jsonl}\nteacher: {}\ncurate: {augment: {methods: [swap], slices: {r: [a]}}}\n",
     "curate.augment.methods is set, but augmentation is off"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_spec_names_file_field_and_expectation(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such pipeline file"):
        load_spec(tmp_path / "absent.yaml")
    (tmp_path / "adir.yaml").mkdir()
    with pytest.raises(ConfigError, match=r"adir.yaml: is a directory, not a pipeline file$"):
        load_spec(tmp_path / "adir.yaml")


def test_cli_reports_a_bad_spec_in_one_line_with_exit_code_2(tmp_path, workspace):
    path = write(tmp_path, "name: x\nsource: {type: jsonl}\nteacher: {task: regression}\n")
    result = subprocess.run(
        [sys.executable, "-m", "stillroom.cli", "run", str(path), "--workspace", str(workspace.root), "--as", "op"],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"error: {path}: teacher.task")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
