"""A run: the runner, its plain-data state, the stages, and the executors that run their work.

``runner`` drives the stages in order; ``state.RunState`` is what a run
carries (ids and artifact digests), ``live.Live`` what one process holds
(plugins, components, loaded objects); ``stages/`` has one module per stage;
``executors/`` the built-in ``local`` executor.
"""

from stillroom.run.runner import StageReport, run_as, run_pipeline
from stillroom.run.stages import STAGES

__all__ = ["STAGES", "StageReport", "run_as", "run_pipeline"]
