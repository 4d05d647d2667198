"""Progress bars on the run's long stages (scrub, labelling, curation), and none under ``--no-progress``."""

from __future__ import annotations

import re

import pytest

from stillroom import hookimpl
from stillroom.components import Scrubber, ScrubReport
from stillroom.pipeline import run_pipeline
from stillroom.plugin_manager import PluginInfo, PluginManager
from tests.test_pipeline import TestPlugin, data_file, spec  # noqa: F401  (data_file is a fixture)

BARS = ("scrub", "label: teacher keyword labelling", "curate: near-duplicate signatures")


class CleanDataScrubber(Scrubber):
    """Finds nothing: it claims the policy's entity types, which only this test's data, holding none, makes true."""

    name = "clean-data"

    def entities(self):
        return dict.fromkeys(self.ctx.policy["residency"]["required_entities"], "pattern")

    def find(self, texts):
        return [[] for _ in texts]

    def scrub(self, batch):
        return batch, ScrubReport(records=len(batch), methods=self.entities())


class CleanData:
    @hookimpl
    def register_scrubbers(self, register):
        register(CleanDataScrubber)


@pytest.fixture
def plugins():
    manager = PluginManager()
    for name, plugin in (("test-components", TestPlugin()), ("clean-data", CleanData())):
        manager.pm.register(plugin, name=name)
        manager.infos[name] = PluginInfo(name, "test", __name__, "loaded")
    manager.load(entry_points=[])
    return manager


@pytest.mark.parametrize("progress", [True, False])
def test_scrub_labelling_and_curation_show_progress_only_when_asked(workspace, plugins, data_file, capsys, progress):
    run_pipeline(workspace, spec(data_file, scrub={"type": "clean-data"}, curate={}), initiator="op", plugins=plugins,
                 progress=progress)
    err = capsys.readouterr().err
    if progress:
        assert all(bar in err for bar in BARS), err
        assert re.search(r"scrub\W+40/40", err)  # the scrub bar counts records: all 40 ingested
    else:
        assert not any(bar in err for bar in BARS), err


@pytest.mark.parametrize("progress", [True, False])
def test_the_scrub_command_counts_records_on_a_bar_when_asked(tmp_path, capsys, progress):
    from stillroom.components import Context
    from stillroom.scrub import scrub_file

    source = tmp_path / "in.jsonl"
    source.write_text("".join(f'{{"text": "record {i}"}}\n' for i in range(1200)) + "\n")
    ctx = Context(workspace=tmp_path, artifacts=None, policy={"residency": {"required_entities": []}},
                  text_fields=("text",))
    scrub_file(source, tmp_path / "out.jsonl", field="text", spans=False, scrubber=CleanDataScrubber({}, ctx),
               progress=progress)
    assert bool(re.search(r"scrub\W+1200/1200", capsys.readouterr().err)) is progress
