"""The results of ``ModelSelector``: the table, the winner and the ranking.

The steps, each its own function: :func:`fold_results` gathers the (candidate,
fold) outcomes into arrays, :func:`candidate_status` says what became of each
candidate, :func:`results_table` writes the comparison table in candidate order,
:func:`select_winner` picks the winner from that table, and :func:`rank_order`
sorts it for ``results_``.
"""

import warnings

import numpy as np
import pandas as pd

__all__ = [
    "add_ensemble_result",
    "add_ensemble_row",
    "best_configurations",
    "candidate_status",
    "configuration_columns",
    "describe_params",
    "cv_results",
    "fold_results",
    "rank_order",
    "results_table",
    "select_winner",
]


def fold_results(outcomes, n_candidates, n_folds, score_names, error_score):
    """The outcomes of the (candidate, fold) runs as arrays.

    Parameters
    ----------
    outcomes : dict
        ``{(candidate, fold): result}``, each result with ``fit_time``,
        ``score_time``, ``error`` (None or the message) and, without an error,
        ``scores`` ``{name: value}``.
    n_candidates, n_folds : int
        The shape of the arrays.
    score_names : list of str
        The scores; the first one is the primary score.
    error_score : float
        The score of a fold that failed.

    Returns
    -------
    folds : dict
        ``scores`` ``{name: ndarray (n_candidates, n_folds)}`` (NaN for a fold
        not run), ``fit_time`` and ``score_time`` (NaN for a fold not run),
        ``ran`` (bool), ``errors`` (the first failure of each candidate, or
        None), and ``mean`` and ``std`` ``{name: ndarray (n_candidates,)}``
        over the folds run.
    """
    scores = {m: np.full((n_candidates, n_folds), np.nan) for m in score_names}
    fit_times = np.full((n_candidates, n_folds), np.nan)
    score_times = np.full((n_candidates, n_folds), np.nan)
    errors = [None] * n_candidates
    for (c, f), result in outcomes.items():
        fit_times[c, f] = result["fit_time"]
        score_times[c, f] = result["score_time"]
        if result["error"] is None:
            for m in score_names:
                scores[m][c, f] = result["scores"][m]
        else:
            errors[c] = errors[c] or f"fold {f + 1}: {result['error']}"
            for m in score_names:
                scores[m][c, f] = error_score
    ran = ~np.isnan(fit_times)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = {
            m: np.array([s[c][ran[c]].mean() for c in range(n_candidates)])
            for m, s in scores.items()
        }
        std = {
            m: np.array([s[c][ran[c]].std() for c in range(n_candidates)])
            for m, s in scores.items()
        }
    return {
        "scores": scores,
        "fit_time": fit_times,
        "score_time": score_times,
        "ran": ran,
        "errors": errors,
        "mean": mean,
        "std": std,
    }


def candidate_status(
    names,
    errors,
    dropped,
    over_budget,
    baseline=None,
    *,
    out_of_time=frozenset(),
    stopped=None,
    not_run=frozenset(),
):
    """What became of each candidate, as ``results_["status"]`` says it.

    Parameters
    ----------
    names : list of str
        The candidates.
    errors : list of str or None
        The failure of each candidate, or None.
    dropped : dict
        ``{candidate: fold}`` of the race: 0 for rung 0.
    over_budget : set
        The candidates the racing budget dropped.
    baseline : str or None, default=None
        The name of the baseline row; None: no baseline.
    out_of_time : set, default=frozenset()
        The dropped candidates that ``time_budget`` dropped.
    stopped : dict or None, default=None
        ``{candidate: folds run}``: the leader whose last folds ``time_budget``
        left out.
    not_run : set, default=frozenset()
        The candidates ``time_budget`` left out before they started.

    Returns
    -------
    status : list of str
        ``"failed"``, ``"dropped at rung 0"``, ``"dropped at fold k"`` (either
        followed by ``" (budget)"`` or ``" (time)"``), ``"stopped at fold k
        (time)"``, ``"not run (time)"``, ``"baseline"`` or ``"completed"``.

    Examples
    --------
    >>> from sklearn_workflow.selection._results import candidate_status
    >>> status = candidate_status(
    ...     ["tree", "logit", "forest", "Baseline"], [None] * 4, {0: 1}, set(),
    ...     baseline="Baseline", out_of_time={0}, stopped={1: 1}, not_run={2},
    ... )
    >>> status[:2]
    ['dropped at fold 1 (time)', 'stopped at fold 1 (time)']
    >>> status[2:]
    ['not run (time)', 'baseline']
    """
    stopped = stopped or {}
    status = []
    for c, name in enumerate(names):
        if errors[c] is not None:
            status.append("failed")
        elif c in dropped:
            where = "rung 0" if dropped[c] == 0 else f"fold {dropped[c]}"
            why = " (budget)" if c in over_budget else ""
            why = " (time)" if c in out_of_time else why
            status.append(f"dropped at {where}{why}")
        elif c in stopped:
            status.append(f"stopped at fold {stopped[c]} (time)")
        elif c in not_run:
            status.append("not run (time)")
        elif baseline is not None and name == baseline:
            status.append("baseline")
        else:
            status.append("completed")
    return status


def results_table(
    names, folds, status, *, baseline=None, rung0=None, racing=False, dropped=None
):
    """The comparison table, one row per candidate in candidate order.

    Parameters
    ----------
    names : list of str
        The candidates, in order of preference.
    folds : dict
        From :func:`fold_results`; the first score of ``folds["mean"]`` is the
        primary score.
    status : list of str
        From :func:`candidate_status`.
    baseline : int or None, default=None
        The position of the baseline row, which ``improvement`` is measured
        against; None: NaN improvements.
    rung0 : dict or None, default=None
        The subsample rung of the race (``racers``, ``scores``, ``fit_time``).
    racing : bool, default=False
        Add the ``rung0_mean`` and ``rung0_fit_time`` columns.
    dropped : dict or None, default=None
        ``{candidate: fold}`` of the race, for ``stopped_at``.

    Returns
    -------
    table : pandas.DataFrame
        The columns of ``ModelSelector.results_`` but ``rank``.
    """
    n_candidates, n_folds = folds["fit_time"].shape
    score_names = list(folds["mean"])
    mean = folds["mean"][score_names[0]]
    if baseline is not None:
        improvement = mean - mean[baseline]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = 100.0 * improvement / abs(mean[baseline])
    else:
        improvement = pct = np.full(n_candidates, np.nan)
    table = {"name": names}
    for m in score_names:
        table[f"mean_{m}"] = folds["mean"][m]
        table[f"std_{m}"] = folds["std"][m]
    for f in range(n_folds):
        table[f"fold_{f + 1}"] = folds["scores"][score_names[0]][:, f]
    # NaN, not 0, for a candidate that ran no full-size fold
    ran_any = folds["ran"].any(axis=1)
    table["fit_time"] = np.where(ran_any, np.nansum(folds["fit_time"], axis=1), np.nan)
    table["score_time"] = np.where(
        ran_any, np.nansum(folds["score_time"], axis=1), np.nan
    )
    table["improvement"] = improvement
    table["improvement_pct"] = pct
    table["n_folds"] = folds["ran"].sum(axis=1)
    table["status"] = status
    table["stopped_at"] = stopped_at(status, folds["ran"], dropped or {}, rung0)
    table["error"] = [e or "" for e in folds["errors"]]
    if racing:
        table["rung0_mean"] = np.full(n_candidates, np.nan)
        table["rung0_fit_time"] = np.zeros(n_candidates)
        if rung0 is not None:
            table["rung0_mean"][rung0["racers"]] = _rung0_means(rung0)
            table["rung0_fit_time"][rung0["racers"]] = rung0["fit_time"]
    return pd.DataFrame(table)


def stopped_at(status, ran, dropped, rung0=None):
    """Where each candidate stopped: ``""`` when it ran every fold.

    ``"rung 0 (N rows)"`` for a candidate dropped on the subsamples of rung 0,
    ``"fold k of K"`` for one dropped, stopped or failed after ``k`` full-size
    folds, ``"not started"`` for one ``time_budget`` left out.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_workflow.selection._results import stopped_at
    >>> ran = np.array([[True, True], [False, False], [True, False], [False, False]])
    >>> stopped_at(
    ...     ["completed", "dropped at rung 0", "dropped at fold 1", "not run (time)"],
    ...     ran, {1: 0, 2: 1}, {"rows": 1200},
    ... )
    ['', 'rung 0 (1,200 rows)', 'fold 1 of 2', 'not started']
    """
    n_folds = ran.shape[1]
    out = []
    for c, state in enumerate(status):
        done = int(ran[c].sum())
        if state.startswith("not run"):
            out.append("not started")
        elif dropped.get(c) == 0:
            rows = (rung0 or {}).get("rows")
            out.append("rung 0" if rows is None else f"rung 0 ({rows:,} rows)")
        elif done < n_folds:
            out.append(f"fold {dropped.get(c, done)} of {n_folds}")
        else:
            out.append("")
    return out


def _rung0_means(rung0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(rung0["scores"], axis=1)


def select_winner(table, score, selection="best", preference=None, proba=None):
    """The position of the winning row of a comparison table.

    Only ``"completed"`` rows, and a leader ``"stopped at fold k (time)"``, with
    a finite mean can win (never the baseline, a dropped, a failed or a
    not-run candidate). ``"best"``: the highest mean, the first
    row among equal means. ``"one_se"``: the first row whose mean is within one
    standard error (of the fold scores of the highest mean) of the highest mean.
    With ``proba``, the rows with probabilities are preferred: when one of them
    is within that standard error of the highest mean, the rule picks among
    those rows only, so a row without probabilities wins only when it is more
    than one standard error ahead of every row with them.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per candidate, in order of preference, with ``status``,
        ``mean_<score>`` and ``fold_1``, ``fold_2``, ... (NaN for a fold not
        run).
    score : str
        The primary score.
    selection : {"best", "one_se"}, default="best"
        The rule.
    preference : list of int or None, default=None
        The positions in order of preference (for ``"one_se"``); None: the row
        order.
    proba : array-like of bool or None, default=None
        Whether each row's model has ``predict_proba``; None: no preference.

    Returns
    -------
    winner : int or None
        The position of the winner in ``table``; None when no row can win.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.selection._results import select_winner
    >>> table = pd.DataFrame({
    ...     "status": ["completed", "completed", "baseline"],
    ...     "mean_accuracy": [0.80, 0.82, 0.95],
    ...     "fold_1": [0.78, 0.80, 0.95],
    ...     "fold_2": [0.82, 0.84, 0.95],
    ... })
    >>> select_winner(table, "accuracy")
    1
    >>> select_winner(table, "accuracy", "one_se")  # 0.80 >= 0.82 - 0.02
    0

    Row 1 has no probabilities: ahead of row 0 by less than the standard error
    of its fold scores (0.02), it loses to row 0; ahead by more, it wins:

    >>> select_winner(table, "accuracy", proba=[True, False, True])
    0
    >>> table.loc[1, ["mean_accuracy", "fold_1", "fold_2"]] = [0.90, 0.89, 0.91]
    >>> select_winner(table, "accuracy", proba=[True, False, True])
    1
    """
    mean = table[f"mean_{score}"].to_numpy(dtype=float)
    status = table["status"].to_numpy()
    preference = range(len(table)) if preference is None else preference
    eligible = [c for c in preference if _can_win(status[c]) and np.isfinite(mean[c])]
    if not eligible:
        return None
    best = max(eligible, key=lambda c: mean[c])
    if selection == "best" and (proba is None or proba[best]):
        return best
    fold_columns = [col for col in table.columns if col.startswith("fold_")]
    scores = table[fold_columns].to_numpy(dtype=float)[best]
    scores = scores[~np.isnan(scores)]
    k = scores.shape[0]
    se = scores.std(ddof=1) / np.sqrt(k) if k > 1 else 0.0
    close = [c for c in eligible if mean[c] >= mean[best] - se]
    if proba is not None:
        close = [c for c in close if proba[c]] or close
    if selection == "best":
        return max(close, key=lambda c: mean[c])
    return close[0]


def _can_win(status):
    return status == "completed" or status.startswith("stopped at")


def rank_order(table, score, dropped, rung0, winner):
    """The order of the rows of ``results_``.

    Completed (or stopped) candidates by mean, then the dropped ones (latest
    drop first; those dropped at rung 0 by their rung-0 mean), then the failed
    and the not-run ones, the baseline last; the winner first.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`results_table`.
    score : str
        The primary score.
    dropped : dict
        ``{candidate: fold}`` of the race.
    rung0 : dict or None
        The subsample rung of the race.
    winner : int
        The position of the winner.

    Returns
    -------
    order : list of int
        Positions in ``table``.
    """
    status = table["status"].tolist()
    failed = (table["error"] != "").tolist()
    mean = table[f"mean_{score}"].to_numpy(dtype=float)

    def sort_key(c):
        if status[c] == "baseline":
            group, later = 3, 0
        elif _can_win(status[c]):
            group, later = 0, 0
        elif c in dropped and not failed[c]:
            group, later = 1, -dropped[c]
        else:
            group, later = 2, 0
        value = mean[c] if np.isfinite(mean[c]) else -np.inf
        if c in dropped and dropped[c] == 0 and rung0 is not None:
            value = float(rung0["scores"][rung0["racers"].index(c)].mean())
            value = value if np.isfinite(value) else -np.inf
        return (group, later, -value)

    order = sorted(range(len(table)), key=sort_key)
    if order[0] != winner:
        # selection="one_se" can pick another candidate than the top mean;
        # the pick is ranked first, the rest keep their order.
        order.remove(winner)
        order.insert(0, winner)
    return order


def cv_results(names, folds, status):
    """``cv_results_`` in scikit-learn's layout, in candidate order.

    Parameters
    ----------
    names : list of str
        The candidates.
    folds : dict
        From :func:`fold_results`.
    status : list of str
        From :func:`candidate_status`.

    Returns
    -------
    cv_results : dict of ndarray
    """
    n_folds = folds["fit_time"].shape[1]
    results = {"candidate": np.array(names, dtype=object)}
    for m, scores in folds["scores"].items():
        for f in range(n_folds):
            results[f"split{f}_test_{m}"] = scores[:, f]
        mean = folds["mean"][m]
        results[f"mean_test_{m}"] = mean
        results[f"std_test_{m}"] = folds["std"][m]
        filled = np.where(np.isfinite(mean), mean, -np.inf)
        results[f"rank_test_{m}"] = (
            pd.Series(-filled).rank(method="min").to_numpy().astype(int)
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for what in ("fit_time", "score_time"):
            results[f"mean_{what}"] = np.nanmean(folds[what], axis=1)
            results[f"std_{what}"] = np.nanstd(folds[what], axis=1)
    results["status"] = np.array(status, dtype=object)
    return results


def describe_params(params):
    """Parameters as short text.

    Examples
    --------
    >>> from sklearn_workflow.selection._results import describe_params
    >>> describe_params({"C": 0.012345, "weights": "distance", "max_depth": None})
    "C=0.01235, weights='distance', max_depth=None"
    """
    return ", ".join(
        f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value!r}"
        for name, value in params.items()
    )


def best_configurations(table, order, configurations):
    """``results_`` of ``search="random"``: each candidate's best configuration.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per configuration, from :func:`results_table`.
    order : list of int
        The rows in rank order (:func:`rank_order`); a candidate's first row in
        it is its best configuration.
    configurations : list of Configuration
        The configuration of each row.

    Returns
    -------
    results : pandas.DataFrame
        One row per candidate, ranked, with ``config`` (the number of the
        configuration), ``n_configs`` (how many of the candidate's raced) and
        ``params`` (its searched parameters, as text).
    """
    rows, counts = {}, {}
    for i in order:
        candidate = configurations[i].candidate
        rows.setdefault(candidate, i)
        counts[candidate] = counts.get(candidate, 0) + 1
    best = list(rows.values())
    results = table.iloc[best].reset_index(drop=True)
    results.insert(0, "rank", np.arange(1, len(best) + 1))
    results["name"] = list(rows)
    results.insert(2, "config", [configurations[i].k for i in best])
    results.insert(3, "n_configs", [counts[name] for name in rows])
    results["params"] = [describe_params(configurations[i].params) for i in best]
    return results


def configuration_columns(configurations):
    """The ``cv_results_`` columns that say which configuration each row is.

    ``candidate``, ``config`` (its number), ``params`` (the dict of its searched
    parameters) and one ``param_<name>`` per parameter searched by any
    candidate, NaN where it does not apply.

    Examples
    --------
    >>> from sklearn_workflow.selection._results import configuration_columns
    >>> from sklearn_workflow.selection._search import Configuration
    >>> columns = configuration_columns([
    ...     Configuration("logit", 1, {"C": 1.0}), Configuration("Baseline", 1, {})
    ... ])
    >>> list(columns), columns["param_C"].tolist()
    (['candidate', 'config', 'params', 'param_C'], [1.0, nan])
    """
    n = len(configurations)
    columns = {
        "candidate": np.array([c.candidate for c in configurations], dtype=object),
        "config": np.array([c.k for c in configurations]),
        "params": np.empty(n, dtype=object),
    }
    for i, config in enumerate(configurations):
        columns["params"][i] = dict(config.params)
    names = dict.fromkeys(p for config in configurations for p in config.params)
    for name in names:
        column = np.empty(n, dtype=object)
        column[:] = [config.params.get(name, np.nan) for config in configurations]
        columns[f"param_{name}"] = column
    return columns


def _ensemble_text(weights):
    return ", ".join(f"{name}: {w:.4g}" for name, w in weights.items())


def add_ensemble_row(cv_results, fold_scores, score, weights, status):
    """``cv_results_`` with the ensemble's row last.

    Its primary fold scores are ``fold_scores`` (each fold scored with weights
    chosen on the other folds); the other scores and the times are NaN,
    ``params`` is ``{"weights": weights}``; the ranks are recomputed.

    Parameters
    ----------
    cv_results : dict of ndarray
    fold_scores : ndarray of shape (n_folds,)
    score : str
        The primary score.
    weights : dict
        ``{member name: weight}``.
    status : str

    Returns
    -------
    cv_results : dict of ndarray
    """
    from sklearn_workflow.selection._ensemble import ENSEMBLE_NAME

    values = {
        "candidate": ENSEMBLE_NAME,
        "config": 1,
        "params": {"weights": dict(weights)},
        "status": status,
        "stopped_at": "",
        f"mean_test_{score}": float(np.mean(fold_scores)),
        f"std_test_{score}": float(np.std(fold_scores)),
    }
    values.update({f"split{f}_test_{score}": v for f, v in enumerate(fold_scores)})
    out = {}
    for key, column in cv_results.items():
        value = values.get(key, np.nan)
        if column.dtype == object:
            extra = np.empty(1, dtype=object)
            extra[0] = value
        elif isinstance(value, int) and column.dtype.kind in "iu":
            extra = np.array([value], dtype=column.dtype)
        else:
            extra = np.array([value], dtype=np.result_type(column.dtype, float))
        out[key] = np.concatenate([column, extra])
    for key in out:
        if key.startswith("rank_test_"):
            mean = out[f"mean_test_{key[len('rank_test_') :]}"].astype(float)
            filled = np.where(np.isfinite(mean), mean, -np.inf)
            out[key] = pd.Series(-filled).rank(method="min").to_numpy().astype(int)
    return out


def add_ensemble_result(results, fold_scores, score, weights, status, *, kept):
    """``results_`` with the ensemble's row: first when kept, else after the
    winner; ``rank`` renumbered.

    Parameters
    ----------
    results : pandas.DataFrame
    fold_scores : ndarray of shape (n_folds,)
    score : str
        The primary score.
    weights : dict
        ``{member name: weight}``.
    status : str
    kept : bool

    Returns
    -------
    results : pandas.DataFrame
    """
    from sklearn_workflow.selection._ensemble import ENSEMBLE_NAME

    mean = float(np.mean(fold_scores))
    row = {col: np.nan for col in results.columns}
    row.update(
        {
            "name": ENSEMBLE_NAME,
            f"mean_{score}": mean,
            f"std_{score}": float(np.std(fold_scores)),
            "n_folds": len(fold_scores),
            "status": status,
            "stopped_at": "",
            "error": "",
        }
    )
    row.update({f"fold_{f + 1}": v for f, v in enumerate(fold_scores)})
    base = results.index[results["status"] == "baseline"]
    if len(base):
        base_mean = float(results.loc[base[0], f"mean_{score}"])
        row["improvement"] = mean - base_mean
        with np.errstate(divide="ignore", invalid="ignore"):
            row["improvement_pct"] = np.float64(100.0 * (mean - base_mean)) / abs(
                np.float64(base_mean)
            )
    if "params" in results.columns:
        row.update(config=1, n_configs=1, params=_ensemble_text(weights))
    if "rung0_fit_time" in results.columns:
        row["rung0_fit_time"] = 0.0
    if "has_proba" in results.columns:
        row["has_proba"] = True  # a soft vote of probabilities
    at = 0 if kept else 1
    frame = pd.concat(
        [results.iloc[:at], pd.DataFrame([row]), results.iloc[at:]], ignore_index=True
    )
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame.astype({"n_folds": int}) if "n_folds" in frame else frame
