"""Calibration as a step of its own: a map from out-of-fold scores to probabilities.

Performance estimated without labels reads the expected confusion matrix from
probabilities, so they must be calibrated. :func:`fit_calibration` fits an
isotonic and a sigmoid (Platt) map on out-of-fold scores, measures each one's
Brier score out of fold (the map itself cross-fitted over the rows) and keeps
the best when it lowers the Brier score of the raw scores. The result is a
plain dict (numbers and lists), stored with the model by any persistence and
applied by :func:`apply_calibration`.
"""

import numpy as np
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import StratifiedKFold

__all__ = [
    "apply_calibration",
    "apply_multiclass_calibration",
    "calibration_draws",
    "fit_calibration",
    "fit_multiclass_calibration",
]

METHODS = ("isotonic", "sigmoid")


def _fit_map(method, scores, y):
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(scores, y)
        return {
            "method": "isotonic",
            "x": iso.X_thresholds_.tolist(),
            "y": iso.y_thresholds_.tolist(),
        }
    slope, intercept = fit_sigmoid(scores, y)
    return {"method": "sigmoid", "slope": slope, "intercept": intercept}


def _log_loss(x, y, w, penalty):
    z = w[0] * x + w[1]
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * penalty * w[0] ** 2)


def fit_sigmoid(scores, y, *, penalty=1e-6, max_iter=100):
    """Slope and intercept of a one-feature logistic regression (Platt's map).

    Newton's method with step halving on the log-loss plus ``penalty / 2``
    times the squared slope: the fit of ``LogisticRegression(C=1 / penalty)``
    on one column, without its per-fit overhead (the map is refitted on each
    fold and each resample of the reference).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.monitor._calibration import fit_sigmoid
    >>> x = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    >>> [round(v, 3) for v in fit_sigmoid(x, y)]
    [4.853, -2.426]
    >>> fit_sigmoid(x, np.zeros(8))[1] < -10  # one class: the intercept runs off
    True
    """
    x = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.zeros(2)
    loss = _log_loss(x, y, w, penalty)
    for _ in range(max_iter):
        p = expit(w[0] * x + w[1])
        residual, weight = p - y, p * (1 - p)
        gradient = np.array([residual @ x + penalty * w[0], residual.sum()])
        hessian = np.array(
            [[weight @ (x * x) + penalty, weight @ x], [weight @ x, weight.sum()]]
        )
        step = np.linalg.lstsq(hessian + 1e-12 * np.eye(2), gradient, rcond=None)[0]
        scale = 1.0
        while scale > 1e-8:
            candidate = w - scale * step
            new_loss = _log_loss(x, y, candidate, penalty)
            if new_loss <= loss:
                break
            scale /= 2
        else:
            break
        w, converged = candidate, loss - new_loss < 1e-12 * max(1.0, abs(loss))
        loss = new_loss
        if converged:
            break
    return float(w[0]), float(w[1])


def apply_calibration(calibration, scores):
    """Calibrated probabilities of the positive class from raw scores.

    Parameters
    ----------
    calibration : dict or None
        What :func:`fit_calibration` returned; None or a map that was not kept
        (``kept=False``) returns the scores clipped to [0, 1].
    scores : array-like of float

    Returns
    -------
    probabilities : ndarray of float64

    Examples
    --------
    >>> from sklearn_workflow.monitor import apply_calibration
    >>> iso = {"method": "isotonic", "x": [0.2, 0.8], "y": [0.1, 0.9], "kept": True}
    >>> apply_calibration(iso, [0.0, 0.5, 1.0])  # clipped beyond the fitted scores
    array([0.1, 0.5, 0.9])
    >>> apply_calibration(None, [-1.0, 0.3])
    array([0. , 0.3])
    """
    scores = np.asarray(scores, dtype=np.float64)
    if calibration is None or not calibration.get("kept", True):
        return np.clip(scores, 0.0, 1.0)
    if calibration["method"] == "isotonic":
        return np.interp(scores, calibration["x"], calibration["y"])
    return expit(calibration["slope"] * scores + calibration["intercept"])


def _brier(probabilities, y):
    return float(np.mean((probabilities - y) ** 2))


def _cross_fitted(method, scores, y, cv, random_state):
    """Out-of-fold calibrated probabilities: the map fitted on the other folds."""
    out = np.empty_like(scores)
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    for train, test in folds.split(scores.reshape(-1, 1), y):
        out[test] = apply_calibration(
            _fit_map(method, scores[train], y[train]), scores[test]
        )
    return out


def fit_calibration(scores, y_positive, *, method="auto", cv=5, random_state=0):
    """Fit the calibration map of a binary model on its out-of-fold scores.

    Parameters
    ----------
    scores : array-like of float
        Out-of-fold scores of the positive class (probabilities or decision
        values).
    y_positive : array-like of bool
        Whether each row is positive.
    method : {"auto", "isotonic", "sigmoid"}, default="auto"
        "auto" tries both and keeps the lower out-of-fold Brier score.
    cv : int, default=5
        Folds over which the map itself is cross-fitted to measure its Brier
        score (fewer when a class has fewer rows).
    random_state : int, default=0

    Returns
    -------
    calibration : dict
        ``method``, the map's parameters, ``brier_raw`` (of the scores as
        probabilities; None when they are not in [0, 1]),
        ``brier_calibrated`` (out of fold) and ``kept``: whether the map is
        used, that is it lowers the Brier score (always, for scores outside
        [0, 1]).

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : Refits the classifier in each
        fold; this calibrates scores already computed out of fold, and keeps
        the map only when it helps.

    Examples
    --------
    Scores that are overconfident get an isotonic or sigmoid map:

    >>> import numpy as np
    >>> from sklearn_workflow.monitor import fit_calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(size=2000)
    >>> y = rng.uniform(size=2000) < p
    >>> overconfident = np.clip(0.5 + 1.8 * (p - 0.5), 0, 1)
    >>> calibration = fit_calibration(overconfident, y)
    >>> calibration["kept"], calibration["brier_calibrated"] < calibration["brier_raw"]
    (True, True)

    Scores already calibrated keep no map:

    >>> fit_calibration(p, y)["kept"]
    False
    """
    scores = np.asarray(scores, dtype=np.float64)
    y = np.asarray(y_positive, dtype=bool).astype(np.int64)
    in_unit = bool(np.all((scores >= 0) & (scores <= 1)))
    brier_raw = _brier(scores, y) if in_unit else None
    cv = int(max(2, min(cv, np.bincount(y, minlength=2).min())))
    methods = METHODS if method == "auto" else (method,)
    briers = {
        m: _brier(_cross_fitted(m, scores, y, cv, random_state), y) for m in methods
    }
    best = min(briers, key=briers.get)
    calibration = _fit_map(best, scores, y)
    calibration["brier_raw"] = brier_raw
    calibration["brier_calibrated"] = briers[best]
    calibration["kept"] = brier_raw is None or briers[best] < brier_raw
    return calibration


# ---------------------------------------------------------- map uncertainty
def bootstrap_maps(calibration, scores, y, *, n_bootstrap=20, random_state=0):
    """The calibration's method refitted on ``n_bootstrap`` resamples of the rows.

    ``scores`` are a binary model's scores (``y`` whether positive) or a
    multiclass model's probabilities (``y`` the class codes); a multiclass
    resample gives one map per class.
    """
    scores, y = np.asarray(scores, dtype=np.float64), np.asarray(y)
    rng = np.random.default_rng(random_state)
    maps = []
    for _ in range(n_bootstrap):
        rows = rng.integers(0, len(y), len(y))
        if scores.ndim == 2:
            maps.append(_fit_maps(calibration["method"], scores[rows], y[rows]))
        else:
            y_rows = y[rows].astype(np.int64)
            maps.append(_fit_map(calibration["method"], scores[rows], y_rows))
    return maps


def calibration_draws(calibration, scores):
    """Probabilities under each bootstrap map of the calibration.

    A kept map's bootstrap maps spread around it by its own estimation error.
    When the map was not kept, the probabilities are the raw scores, and the
    bootstrap maps' distance from them is part of the uncertainty too: a small
    reference may fail to show that a map helps while the scores are not
    calibrated. The estimates read each metric's value under each map
    (:func:`~sklearn_workflow.monitor._estimate.map_shifts`). Shape
    ``(n_bootstrap, n_samples)`` for a binary calibration, ``(n_bootstrap,
    n_samples, n_classes)`` for a multiclass one, rows summing to one; None
    when the calibration has no ``bootstrap`` maps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.monitor import calibration_draws
    >>> low = {"method": "sigmoid", "slope": 1.0, "intercept": -0.2}
    >>> high = {"method": "sigmoid", "slope": 1.0, "intercept": 0.2}
    >>> calibration = {"method": "sigmoid", "slope": 1.0, "intercept": 0.0,
    ...                "kept": False, "bootstrap": [low, high]}
    >>> np.round(calibration_draws(calibration, [0.0, 1.0]), 3)  # not the raw 0, 1
    array([[0.45 , 0.69 ],
           [0.55 , 0.769]])
    """
    maps = (calibration or {}).get("bootstrap")
    if not maps:
        return None
    scores = np.asarray(scores, dtype=np.float64)
    if "maps" in calibration:
        return np.stack([_apply_maps(m, scores) for m in maps])
    return np.stack([apply_calibration(m, scores) for m in maps])


# ------------------------------------------------------------------ multiclass
def _multiclass_brier(probabilities, codes):
    onehot = np.eye(probabilities.shape[1])[codes]
    return float(np.mean(np.sum((probabilities - onehot) ** 2, axis=1)))


def _apply_maps(maps, probabilities):
    """Each class's map on its column, the rows renormalised to sum to one."""
    out = np.column_stack(
        [apply_calibration(m, probabilities[:, k]) for k, m in enumerate(maps)]
    )
    total = out.sum(axis=1, keepdims=True)
    uniform = np.full_like(out, 1.0 / out.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, out / total, uniform)


def _fit_maps(method, probabilities, codes):
    return [
        _fit_map(method, probabilities[:, k], (codes == k).astype(np.int64))
        for k in range(probabilities.shape[1])
    ]


def _cross_fitted_maps(method, probabilities, codes, cv, random_state):
    out = np.empty_like(probabilities)
    folds = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    for train, test in folds.split(probabilities, codes):
        maps = _fit_maps(method, probabilities[train], codes[train])
        out[test] = _apply_maps(maps, probabilities[test])
    return out


def apply_multiclass_calibration(calibration, probabilities):
    """Calibrated class probabilities from a multiclass model's probabilities.

    Parameters
    ----------
    calibration : dict or None
        What :func:`fit_multiclass_calibration` returned; None or a calibration
        that was not kept returns the probabilities renormalised.
    probabilities : array-like of shape (n_samples, n_classes)

    Returns
    -------
    probabilities : ndarray of shape (n_samples, n_classes)
        Rows summing to one.

    Examples
    --------
    >>> from sklearn_workflow.monitor import apply_multiclass_calibration
    >>> up = {"method": "isotonic", "x": [0.0, 1.0], "y": [0.2, 1.0]}
    >>> flat = {"method": "isotonic", "x": [0.0, 1.0], "y": [0.0, 1.0]}
    >>> calibration = {"maps": [up, flat], "kept": True}
    >>> apply_multiclass_calibration(calibration, [[0.0, 1.0], [0.5, 0.5]])
    array([[0.16666667, 0.83333333],
           [0.54545455, 0.45454545]])
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if calibration is None or not calibration.get("kept", True):
        p = np.clip(p, 0.0, None)
        return p / np.maximum(p.sum(axis=1, keepdims=True), np.finfo(float).tiny)
    return _apply_maps(calibration["maps"], p)


def fit_multiclass_calibration(
    probabilities, y_codes, *, method="auto", cv=5, random_state=0
):
    """Fit one-vs-rest calibration maps of a multiclass model's probabilities.

    Each class gets an isotonic or sigmoid map of its own column, fitted
    against "this class or not"; the mapped rows are renormalised to sum to
    one. The maps are cross-fitted over the rows to measure the multiclass
    Brier score out of fold (the mean over rows of the squared distance to the
    one-hot label), and kept only when they lower that of the raw
    probabilities.

    Parameters
    ----------
    probabilities : array-like of shape (n_samples, n_classes)
        Out-of-fold class probabilities, columns in the model's class order.
    y_codes : array-like of int of shape (n_samples,)
        Position of each row's class in that order.
    method : {"auto", "isotonic", "sigmoid"}, default="auto"
    cv : int, default=5
        Folds (fewer when a class has fewer rows).
    random_state : int, default=0

    Returns
    -------
    calibration : dict
        ``method``, ``maps`` (one per class, as :func:`fit_calibration`'s),
        ``brier_raw``, ``brier_calibrated`` (out of fold) and ``kept``.

    See Also
    --------
    fit_calibration : The binary calibration.
    sklearn.calibration.CalibratedClassifierCV : The same one-vs-rest maps and
        renormalisation, refitting the classifier in each fold.

    Examples
    --------
    Overconfident probabilities of three classes get a map; calibrated ones
    keep none:

    >>> import numpy as np
    >>> from sklearn_workflow.monitor import fit_multiclass_calibration
    >>> rng = np.random.default_rng(0)
    >>> p = rng.dirichlet([1, 1, 1], size=3000)
    >>> y = np.array([rng.choice(3, p=row) for row in p])
    >>> sharp = p**3 / (p**3).sum(axis=1, keepdims=True)
    >>> calibration = fit_multiclass_calibration(sharp, y)
    >>> calibration["kept"], calibration["brier_calibrated"] < calibration["brier_raw"]
    (True, True)
    >>> fit_multiclass_calibration(p, y)["kept"]  # already calibrated
    False
    """
    p = np.asarray(probabilities, dtype=np.float64)
    codes = np.asarray(y_codes, dtype=np.int64)
    brier_raw = _multiclass_brier(apply_multiclass_calibration(None, p), codes)
    present = np.bincount(codes, minlength=p.shape[1])
    cv = int(max(2, min(cv, present[present > 0].min())))
    methods = METHODS if method == "auto" else (method,)
    briers = {
        m: _multiclass_brier(_cross_fitted_maps(m, p, codes, cv, random_state), codes)
        for m in methods
    }
    best = min(briers, key=briers.get)
    return {
        "method": best,
        "maps": _fit_maps(best, p, codes),
        "brier_raw": brier_raw,
        "brier_calibrated": briers[best],
        "kept": briers[best] < brier_raw,
    }
