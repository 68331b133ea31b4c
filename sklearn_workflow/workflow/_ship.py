"""The end of stage 7: what goes out with the model.

The saved model carries its identity (package versions, training time, a
fingerprint of the training rows, the card) and the monitoring reference
(per-column bins, the out-of-fold score distribution, a sample of training
rows); ``model.onnx`` is written next to it when every step converts; the
one-row latency of the prepared path is measured against the card's
``constraints.latency_ms``.
"""

import numpy as np

from sklearn_workflow.workflow._budget import stratified_subsample

__all__ = ["ship_model"]

# Without out-of-fold scores from the threshold tuner, the monitoring reference
# of a binary model cross-validates the model itself: on at most this many rows.
REFERENCE_CV_ROWS = 20_000
# One-row predictions timed for the latency summary (after ten warm-up calls).
LATENCY_CALLS = 100


def ship_model(model, stages, files, identity, *, random_state, say):
    """Attach the reference, save the model with its identity, export ONNX,
    time one-row predictions.

    Parameters
    ----------
    model : Pipeline
        The fitted model to ship.
    stages : dict
        The results of the seven stages, by name.
    files : dict of str to Path
        The output files; ``model.skops`` is written, ``model.onnx`` beside it.
    identity : dict
        :func:`~sklearn_workflow.deploy.model_identity` with the card.
    random_state : int
    say : callable

    Returns
    -------
    facts : dict
        ``model_version``, ``onnx`` (what was written or why not) and
        ``latency`` (:func:`~sklearn_workflow.deploy.latency_summary`), for
        ``metrics.json`` and the report.
    """
    from sklearn_workflow.deploy import export_onnx, measure_latency, save

    problem, quality = stages["problem"], stages["quality"]
    _attach_reference(model, stages, random_state, say)
    save(model, files["model.skops"], identity=identity)
    onnx_path = files["model.skops"].with_name("model.onnx")
    sample = quality.X_test.iloc[:1000]
    written, message = export_onnx(model, onnx_path, sample)
    say(
        f"      model.onnx: {message}" if written else f"      no model.onnx: {message}"
    )
    limit = (problem.spec.constraints or {}).get("latency_ms")
    latency = measure_latency(
        model, quality.X_test.iloc[:200], n_calls=LATENCY_CALLS, limit_ms=limit
    )
    against = "" if limit is None else f" (card: at most {limit:g} ms)"
    say(
        f"      one-row latency p50 {latency['p50_ms']:.1f} ms, "
        f"p95 {latency['p95_ms']:.1f} ms{against}"
    )
    return {
        "model_version": identity["model_version"],
        "onnx": {"written": bool(written), "message": message},
        "latency": latency,
    }


def _attach_reference(model, stages, random_state, say):
    """The monitoring reference, on the tuner's out-of-fold scores when it has
    them for every training row, else on a cross-validation of the model on at
    most ``REFERENCE_CV_ROWS`` rows."""
    from sklearn_workflow.monitor import attach_reference, build_reference

    problem, quality, tuned = stages["problem"], stages["quality"], stages["tuning"]
    X, y = quality.X_train, quality.y_train
    scores = getattr(tuned.tuned, "oof_scores_", None)
    if scores is not None and not np.isfinite(scores).all():
        scores = None
    if (
        scores is None
        and problem.task == "binary_classification"
        and len(y) > (REFERENCE_CV_ROWS)
    ):
        rows = np.sort(
            stratified_subsample(y, REFERENCE_CV_ROWS, random_state, task=problem.task)
        )
        X, y = X.iloc[rows], y.iloc[rows]
        say(
            f"      monitoring reference on {len(rows):,} of the training rows "
            "(scores cross-validated there)"
        )
    reference = build_reference(
        model, X, y, oof_scores=scores, spec=problem.spec, random_state=random_state
    )
    attach_reference(model, reference)
