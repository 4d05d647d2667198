"""Issue 18: a typo anywhere in a pipeline spec is refused, never silently ignored.

``source.clasification: confidential`` used to run as internal data, so under a
policy that does not make internal data scrubbed, one typo switched scrubbing
off. Every section, the plugin-specific ones included, now refuses an unknown
key with its dotted path and the closest valid name, before a run starts.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stillroom.config import check_options, load_spec
from stillroom.errors import ConfigError
from stillroom.plugin_manager import load_plugins
from stillroom.store import crud

BASE = {
    "source": "{type: jsonl, path: d.jsonl}",
    "teacher": "{path: t}",
}

# (the section as YAML, the dotted path refused, the suggestion); every section of the spec is here.
STRICT_SECTIONS = [
    ("nmae: x", "nmae", "name"),
    ("data: {text_fild: body}", "data.text_fild", "text_field"),
    ("data: {split: {tset: 0.2}}", "data.split.tset", "test"),
    ("curate: {min_per_slcie: 2}", "curate.min_per_slcie", "min_per_slice"),
    ("curate: {confidence: {treshold: 0.5}}", "curate.confidence.treshold", "threshold"),
    ("curate: {dedupe: {num_prem: 64}}", "curate.dedupe.num_prem", "num_perm"),
    ("curate: {augment: {enabeld: true}}", "curate.augment.enabeld", "enabled"),
]
# Component sections: ``type`` names a plugin, every other key must be one of its declared options.
COMPONENT_SECTIONS = [
    ("source: {type: jsonl, path: d.jsonl, clasification: confidential}", "source.clasification", "classification"),
    ("source: {type: csv, path: d.csv, delimeter: ';'}", "source.delimeter", "delimiter"),
    ("source: {type: sql, url: 'sqlite:///x.db', query: 'select 1', feilds: [text]}", "source.feilds", "fields"),
    ("teacher: {path: t, batchsize: 8}", "teacher.batchsize", "batch_size"),
    ("teacher: {type: openai, url: 'http://10.0.0.5:8000/v1', model: m, time_out: 5}", "teacher.time_out", "timeout"),
    ("scrub: {type: presidio, threshhold: 0.9}", "scrub.threshhold", "threshold"),
    ("trainer: {type: logit-kd, temprature: 2}", "trainer.temprature", None),
    ("student: {epohcs: 1}", "student.epohcs", "epochs"),
    ("evaluators: [task, {type: slices, min_szie: 3}]", "evaluators.1.min_szie", "min_size"),
    ("exporters: [{type: onnx, min_agreemnt: 0.9}]", "exporters.0.min_agreemnt", "min_agreement"),
    # the curate stage's generative teachers are teacher sections too
    ("curate: {transfer: {per_record: 2, methods: [paraphrase], paraphrase: {teacher: {gguf: g, temprature: 1}}}}",
     "curate.transfer.paraphrase.teacher.temprature", None),
    ("curate: {min_per_slice: 2, rebalance: generate, write: {teacher: {path: w, max_lenght: 64}}}",
     "curate.write.teacher.max_lenght", "max_length"),
]


def spec_text(section: str) -> str:
    key = section.split(":", 1)[0]
    lines = ["name: x"] if key != "nmae" else []
    lines += [f"{k}: {v}" for k, v in BASE.items() if k != key]
    return "\n".join([*lines, section]) + "\n"


def expected(path: str, suggestion: str | None) -> str:
    return f"{path}: unknown key" + (f"; did you mean `{suggestion}`?" if suggestion else "")


@pytest.mark.parametrize(("section", "path", "suggestion"), STRICT_SECTIONS)
def test_the_loader_refuses_an_unknown_key_in_every_core_section(tmp_path, section, path, suggestion):
    spec = tmp_path / "p.yaml"
    spec.write_text(spec_text(section))
    with pytest.raises(ConfigError) as caught:
        load_spec(spec)
    assert str(caught.value) == f"{spec}: {expected(path, suggestion)}"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("section", "path", "suggestion"), COMPONENT_SECTIONS)
def test_a_plugin_section_refuses_an_option_its_plugin_does_not_declare(tmp_path, section, path, suggestion):
    spec = tmp_path / "p.yaml"
    spec.write_text(spec_text(section))
    with pytest.raises(ConfigError) as caught:
        check_options(load_spec(spec), load_plugins())
    assert str(caught.value).startswith(expected(path, suggestion) + " (")
    assert "\n" not in str(caught.value)


def test_a_component_declaring_no_options_refuses_every_option(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text(spec_text("exporters: [{type: hf, dtype: fp16}]"))
    with pytest.raises(ConfigError, match=r"^exporters\.0\.dtype: unknown key \(exporter 'hf' accepts no options\)$"):
        check_options(load_spec(spec), load_plugins())


def test_declared_options_and_core_keys_pass(tmp_path):
    spec = tmp_path / "p.yaml"
    spec.write_text("name: x\nsource: {type: csv, path: d.csv, delimiter: ';', classification: restricted}\n"
                    "teacher: {path: t, batch_size: 8, task: classification}\n"
                    "scrub: {type: presidio, threshold: 0.6, fields: [text]}\nstudent: {epochs: 1, temperature: 2}\n"
                    "evaluators: [task, {type: slices, min_size: 3}]\nexporters: [{type: onnx, min_agreement: 0.99}]\n")
    check_options(load_spec(spec), load_plugins())


@pytest.fixture
def operator(workspace):
    from tests.people import setup_user

    setup_user(workspace, "op", ["operator"], "correct horse battery", actor="admin")
    return {"STILLROOM_PASSPHRASE": "correct horse battery"}


@pytest.mark.parametrize(("section", "path", "suggestion"), STRICT_SECTIONS + COMPONENT_SECTIONS)
def test_stillroom_run_refuses_the_typo_before_anything_is_written(tmp_path, workspace, operator, section, path,
                                                                   suggestion):
    (workspace.root / "d.jsonl").write_text('{"text": "hello"}\n')
    spec = tmp_path / "p.yaml"
    spec.write_text(spec_text(section))
    ledger_before = workspace.ledger().size()
    result = subprocess.run(
        [sys.executable, "-m", "stillroom.cli", "run", str(spec), "--workspace", str(workspace.root), "--as", "op",
         "--no-progress"],
        capture_output=True, text=True, env={**os.environ, **operator},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and expected(path, suggestion) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with workspace.session() as s:
        assert crud.list_runs(s) == []
    assert workspace.ledger().size() == ledger_before
    assert not (workspace.root / "runs").exists() or not any((workspace.root / "runs").iterdir())


def test_every_option_a_built_in_component_reads_is_one_it_declares():
    """An option read but not declared is refused by the spec check however it is documented (as
    ``source.connect_timeout`` was); one declared but never read would be accepted and ignored."""
    import inspect
    import re

    plugins = load_plugins()
    # self.options.get("x"), self.options["x"], and a helper handed the options and a key: f(self.options, "x")
    read = re.compile(r"""self\.options(?:\.get\(|\[|,)\s*["']([a-z_]+)["']""")
    for family in ("source", "scrubber", "teacher", "evaluator", "exporter"):
        for name in plugins.names(family):
            component = plugins.component(family, name)
            used = set(read.findall(inspect.getsource(component)))
            assert used <= set(component.accepts) | {"task"}, (family, name, used - set(component.accepts))
