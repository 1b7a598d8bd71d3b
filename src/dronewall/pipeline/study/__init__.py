"""Monte-Carlo studies (``docs/montecarlo.md``): N seeded runs of ``simulate`` per sweep point.

Modules: ``sweep`` (``--set`` options, sweep points), ``task`` (one run), ``runmetrics`` (the
per-run metric record, from ``dronewall.metrics.schema``), ``backends`` (in-process, process
pool, Dask), ``aggregate`` (aggregates with domain-respecting intervals), ``coverage``
(sensors.json), ``runner`` (``run_study``), ``console`` (``print_study``).
"""

from dronewall.pipeline.study.aggregate import aggregate, aggregates
from dronewall.pipeline.study.console import print_study
from dronewall.pipeline.study.coverage import sensor_coverage
from dronewall.pipeline.study.runmetrics import run_metrics
from dronewall.pipeline.study.runner import StudyResult, run_study
from dronewall.pipeline.study.sweep import apply_params, parse_sweep, validate_scenario_dict
from dronewall.pipeline.study.task import RunTask, run_seed, run_task

__all__ = ["RunTask", "StudyResult", "aggregate", "aggregates", "apply_params", "parse_sweep",
           "print_study", "run_metrics", "run_seed", "run_study", "run_task", "sensor_coverage",
           "validate_scenario_dict"]
