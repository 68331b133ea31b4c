"""After release: follow a model, decide when to retrain, test a challenger.

:func:`build_reference` summarises the training rows once (column bins, the
out-of-fold scores, a calibration map, a stratified sample) and
:func:`attach_reference` stores it on the model, so that it is saved with it.
:class:`Monitor` follows the model over chunks of new rows: drift as effect
sizes with alarm levels from the reference's own noise, the performance
expected from calibrated probabilities before labels arrive, the realised
performance and concept drift when they do; :func:`decide_retrain` (or
``Monitor.decide``) turns that and the model's age into a
:class:`RetrainDecision`. :func:`compare_models` tests a challenger against the
champion on the same rows (McNemar, DeLong, a paired bootstrap with a
non-inferiority margin), also from a serving shadow log.
"""

from sklearn_workflow.monitor._calibration import (
    apply_calibration,
    apply_multiclass_calibration,
    calibration_draws,
    fit_calibration,
    fit_multiclass_calibration,
)
from sklearn_workflow.monitor._compare import (
    ComparisonResult,
    compare_models,
    compare_outputs,
    compare_shadow_log,
    read_shadow_log,
)
from sklearn_workflow.monitor._decision import (
    RetrainDecision,
    decide_retrain,
    parse_frequency,
)
from sklearn_workflow.monitor._monitor import Monitor
from sklearn_workflow.monitor._reference import (
    attach_reference,
    build_reference,
    get_reference,
)
from sklearn_workflow.monitor._report import monitor_report
from sklearn_workflow.monitor._stats import delong_test, mcnemar_test, paired_bootstrap

__all__ = [
    "ComparisonResult",
    "Monitor",
    "RetrainDecision",
    "apply_calibration",
    "apply_multiclass_calibration",
    "attach_reference",
    "build_reference",
    "calibration_draws",
    "compare_models",
    "compare_outputs",
    "compare_shadow_log",
    "decide_retrain",
    "delong_test",
    "fit_calibration",
    "fit_multiclass_calibration",
    "get_reference",
    "mcnemar_test",
    "monitor_report",
    "paired_bootstrap",
    "parse_frequency",
    "read_shadow_log",
]
