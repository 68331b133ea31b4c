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
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

__all__ = ["apply_calibration", "fit_calibration"]

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
    platt = LogisticRegression(C=1e6).fit(scores.reshape(-1, 1), y)
    return {
        "method": "sigmoid",
        "slope": float(platt.coef_[0, 0]),
        "intercept": float(platt.intercept_[0]),
    }


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
