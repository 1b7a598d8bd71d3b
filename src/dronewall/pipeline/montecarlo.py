"""Former home of Monte-Carlo studies; they now live in :mod:`dronewall.pipeline.study`
(sweep, task, runmetrics, backends, aggregate, coverage, runner, console). Kept so existing
``from dronewall.pipeline.montecarlo import run_study`` callers keep working."""

from dronewall.pipeline.study import (
    RunTask,
    StudyResult,
    aggregate,
    aggregates,
    apply_params,
    parse_sweep,
    print_study,
    run_metrics,
    run_seed,
    run_study,
    run_task,
    sensor_coverage,
    validate_scenario_dict,
)

__all__ = ["RunTask", "StudyResult", "aggregate", "aggregates", "apply_params", "parse_sweep",
           "print_study", "run_metrics", "run_seed", "run_study", "run_task", "sensor_coverage",
           "validate_scenario_dict"]
