"""ModelSelector: cross-validate a table of candidate models and keep the best."""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import effective_n_jobs
from sklearn import config_context
from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import FitFailedWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import check_scoring, get_scorer
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import ClassifierTags, RegressorTags, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from sklearn_workflow.problem._task import infer_task, is_classification
from sklearn_workflow.selection._catalog import default_candidates, find_entry
from sklearn_workflow.selection._ensemble import (
    ENSEMBLE_NAME,
    WeightedEnsemble,
    offer_ensemble,
    one_row_latency_ms,
)
from sklearn_workflow.selection._labels import _LabelEncodingClassifier
from sklearn_workflow.selection._progress import FitProgress
from sklearn_workflow.selection._racing import Race, _mean_score, check_racing_params
from sklearn_workflow.selection._results import (
    add_ensemble_result,
    add_ensemble_row,
    best_configurations,
    candidate_status,
    configuration_columns,
    cv_results,
    fold_results,
    rank_order,
    results_table,
    select_winner,
)
from sklearn_workflow.selection._search import (
    CandidatePool,
    ConfigurationSearch,
    check_space,
)
from sklearn_workflow.selection._weights import fit_weighted
from sklearn_workflow.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
)
from sklearn_workflow.utils._params import store_params

__all__ = ["ModelSelector"]

BASELINE_NAME = "Baseline"
# A class rarer than half the most frequent one makes the data "imbalanced".
_IMBALANCE_RATIO = 0.5


def _refit_one_thread(estimator, X, y, sample_weight=None):
    """Fit on all the rows with one OpenMP/BLAS thread (beside other fits)."""
    with threadpool_limits(limits=1):
        return fit_weighted(estimator, X, y, sample_weight)


def _fit_and_score(estimator, X, y, train, test, scoring, blocks, error):
    """Fit on ``train``, score on ``test`` (and on its blocks, for racing).

    ``scoring`` is a :class:`_Scoring`. One OpenMP/BLAS thread per fit: the
    parallelism is over (candidate, fold) pairs, and nested threads
    oversubscribe the cores.
    """
    with threadpool_limits(limits=1):
        return _fit_and_score_one_thread(
            estimator, X, y, train, test, scoring, blocks, error
        )


class _Scoring:
    """What a fold job needs to score: the scorers, the row weights, and whether
    to keep the validation predictions (for the ensemble)."""

    def __init__(self, multi, primary, sample_weight=None, keep_predictions=False):
        self.multi, self.primary = multi, primary
        self.sample_weight = sample_weight
        self.keep_predictions = keep_predictions

    def weights(self, rows):
        """The ``sample_weight`` keyword of the scorers on ``rows``."""
        if self.sample_weight is None:
            return {}
        return {"sample_weight": self.sample_weight[rows]}


def _fit_and_score_one_thread(estimator, X, y, train, test, scoring, blocks, error):
    result = {"error": None, "block_scores": None, "score_time": 0.0}
    start = time.perf_counter()
    weights = None if scoring.sample_weight is None else scoring.sample_weight[train]
    try:
        fit_weighted(estimator, X[train], y[train], weights)
    except Exception as exc:
        if isinstance(error, str):
            raise
        result["fit_time"] = time.perf_counter() - start
        result["error"] = f"{type(exc).__name__}: {exc}"
        return result
    result["fit_time"] = time.perf_counter() - start
    start = time.perf_counter()
    X_test, y_test = X[test], y[test]
    try:
        cache = {}
        if scoring.keep_predictions:
            result["predictions"] = _predictions(estimator, X_test, cache)
        with config_context(enable_metadata_routing=False):
            result["scores"] = {
                k: float(v)
                for k, v in scoring.multi(
                    estimator, X_test, y_test, **scoring.weights(test)
                ).items()
            }
            if blocks:
                result["block_scores"] = _block_scores(
                    estimator, X_test, y_test, test, blocks, scoring, cache
                )
    except Exception as exc:
        if isinstance(error, str):
            raise
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["score_time"] = time.perf_counter() - start
    return result


def _predictions(estimator, X_test, cache):
    """The validation predictions the ensemble blends: ``(classes, proba)`` of a
    classifier with ``predict_proba``, ``(None, values)`` of a regressor, None
    for a classifier without probabilities. Also seeds the scorers' cache."""
    if is_classifier(estimator):
        if not hasattr(estimator, "predict_proba"):
            return None
        cache["predict_proba"] = estimator.predict_proba(X_test)
        return np.asarray(estimator.classes_), cache["predict_proba"]
    cache["predict"] = estimator.predict(X_test)
    return None, np.asarray(cache["predict"], dtype=float)


def _block_scores(estimator, X_test, y_test, test, blocks, scoring, cache):
    """The primary score of each racing block of a validation fold."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array(
            [
                scoring.primary(
                    _Replay(estimator, X_test, b, cache),
                    X_test[b],
                    y_test[b],
                    **scoring.weights(test[b]),
                )
                for b in blocks
            ],
            dtype=float,
        )


_RESPONSE_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
)


class _Replay:
    """A fitted estimator whose responses on the rows ``rows`` of ``X`` are sliced
    from one call on the whole of ``X`` (shared ``cache``): scoring the racing
    blocks of a validation fold costs one prediction, not one per block.

    Anything else (``classes_``, tags ...) is the estimator's own.
    """

    def __init__(self, estimator, X, rows, cache):
        self._estimator = estimator
        self._X = X
        self._rows = rows
        self._cache = cache

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        attr = getattr(self._estimator, name)  # AttributeError when absent
        if name not in _RESPONSE_METHODS:
            return attr

        def replay(X, *args, **kwargs):
            if name not in self._cache:
                self._cache[name] = attr(self._X)
            return self._cache[name][self._rows]

        replay.__name__ = name  # scorers read the response from the name
        return replay

    def __sklearn_tags__(self):
        return get_tags(self._estimator)


class _FoldJobs:
    """Fits and scores the (candidate, fold) pairs of one ``ModelSelector.fit``.

    Calling it runs a batch of pairs in parallel and prints the progress lines;
    ``strategy="racing"`` calls it once per step of the race.
    """

    def __init__(self, selector, X, y, candidates, scoring, progress):
        self.selector = selector
        self.X, self.y = X, y
        self.candidates = candidates
        self.scoring = scoring
        # rung 0 (subsamples) keeps no validation predictions
        self.rung0_scoring = _Scoring(
            scoring.multi, scoring.primary, scoring.sample_weight
        )
        self.progress = progress
        self.start = time.perf_counter()  # for time_budget and the progress lines

    def elapsed(self):
        """Seconds since the cross-validation began."""
        return time.perf_counter() - self.start

    def __call__(
        self, jobs, splits, blocks=None, rung=None, refit=None, until=None, always=()
    ):
        """Run ``jobs`` [(candidate index, fold index)]: ``(results, refitted)``.

        ``rung=0``: the subsample rung, whose failures are recorded, never raised
        (the candidate then goes on to the full-size folds). ``refit``: a
        candidate index whose refit on all the rows runs in the same batch, first
        (the longest job), returned as ``refitted`` (else None). ``until``: no
        job of a candidate outside ``always`` starts once :meth:`elapsed` has
        passed it; ``results`` then holds only the jobs that ran.
        """
        X, y, candidates = self.X, self.y, self.candidates
        error_score = np.nan if rung == 0 else self.selector.error_score
        scoring = self.rung0_scoring if rung == 0 else self.scoring
        launched = []

        def calls():
            # read one at a time as workers free up: the clock is checked
            # when each job is about to start
            if refit is not None:
                yield delayed(_refit_one_thread)(
                    clone(candidates[refit][1]), X, y, scoring.sample_weight
                )
            for c, f in jobs:
                if until is not None and c not in always and self.elapsed() >= until:
                    continue
                launched.append((c, f))
                yield delayed(_fit_and_score)(
                    clone(candidates[c][1]),
                    X,
                    y,
                    splits[f][0],
                    splits[f][1],
                    scoring,
                    blocks[f] if blocks else None,
                    error_score,
                )

        # without a deadline, hand every call to the workers at once, so that a
        # free worker never waits for the next dispatch; with one, a call is
        # dispatched only when a worker is free
        dispatch = {"pre_dispatch": "all"}
        if until is not None:
            dispatch = {"pre_dispatch": "n_jobs", "batch_size": 1}
        parallel = Parallel(
            n_jobs=self.selector.n_jobs, return_as="generator", **dispatch
        )
        results = parallel(calls())
        refitted = next(results) if refit is not None else None
        out = {}
        for k, result in enumerate(results):
            c, f = launched[k]
            out[c, f] = result
            self.progress.done(c, result, rung)
            if self.selector.verbose >= 2:
                self._report(c, f, len(splits), result, rung)
        return out, refitted

    def _report(self, c, f, n_folds, result, rung):
        elapsed = self.elapsed()
        score_name = self.selector.scorer_names_[0]
        if result["error"] is None:
            what = f"{score_name}={result['scores'][score_name]:.4f}"
        else:
            what = f"failed ({result['error']})"
        where = "rung 0 " if rung == 0 else ""
        self.progress.say(
            f"[ModelSelector] {self.candidates[c][0]} {where}fold {f + 1}/"
            f"{n_folds}: {what}, fit {result['fit_time']:.2f}s, "
            f"elapsed {elapsed:.1f}s"
        )


def _best_has(attr):
    """``available_if`` check: the refitted best candidate has ``attr``."""

    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, attr)
        if isinstance(self.candidates, dict):
            return any(hasattr(est, attr) for est in self.candidates.values())
        return True

    return check


def _delegated(method, summary, returns, description):
    """The method ``method`` of ModelSelector: the refitted best candidate's."""

    def delegate(self, X):
        return self._delegate(method, X)

    delegate.__name__ = method
    delegate.__qualname__ = f"ModelSelector.{method}"
    delegate.__doc__ = f"""{summary}

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        {returns}
            {description}
        """
    return available_if(_best_has(method))(delegate)


class ModelSelector(BaseEstimator):
    """Cross-validate candidate models and keep the best, refitted on all data.

    The plain ``cross_val_score`` loop over candidate models, as an estimator:
    every candidate (by default the algorithm comparison table, see
    :func:`candidate_table`) is cross-validated on the same folds, each with the
    preprocessing it needs, next to a dummy baseline; ``results_`` is the
    comparison table and the best candidate, refitted on all the data, answers
    ``predict``. Being an estimator, the selector sits at the end of a
    ``Pipeline`` and inside ``cross_val_score`` -- nested cross-validation, the
    honest estimate of "pick the best model and use it", which the best mean CV
    score is not (it is biased upward by the pick).

    Parameters
    ----------
    candidates : "default" or dict, default="default"
        ``"default"``: the installed catalog entries of the task (classification:
        decision tree, naive Bayes, logistic regression, KNN, random forest,
        histogram gradient boosting, LightGBM/XGBoost when installed, RBF SVM;
        regression: the same families with ridge instead of logistic regression
        and no naive Bayes), seeded with ``random_state``. A dict
        ``{name: estimator}`` uses those estimators; its order is the order of
        preference of ``selection="one_se"``.
    scoring : str, callable, list, tuple, dict or None, default=None
        A scorer name, a scorer callable ``scorer(estimator, X, y)``, or several
        (a list of names or a dict ``{name: scorer}``): all are reported, the first
        one selects. None: ``"r2"`` for regression, ``"accuracy"`` for
        classification, or ``"balanced_accuracy"`` when the classes are
        imbalanced -- when the rarest class has less than half the count of the
        most frequent one.
    cv : int, cross-validation generator or iterable, default=5
        An int gives that many folds (stratified for classification): as in
        scikit-learn, unshuffled -- the same folds on every fit -- when
        ``random_state`` is None, shuffled and seeded with ``random_state``
        otherwise; anything else is used as
        ``sklearn.model_selection.check_cv`` uses it.
    strategy : {"full", "racing"}, default="full"
        ``"full"`` runs every candidate on every fold. ``"racing"`` runs the
        candidates fold by fold and, after each fold, drops those that are
        significantly behind the leader (see Notes); dropped candidates are
        reported with the folds they ran.
    selection : {"best", "one_se"}, default="best"
        ``"best"``: the highest mean score. ``"one_se"``: the first candidate, in
        order of preference (most interpretable, then fastest, see
        :func:`candidate_table`), whose mean score is within one standard error
        of the best mean.
    baseline : bool, default=True
        Cross-validate a ``DummyClassifier(strategy="prior")`` or
        ``DummyRegressor()`` too (never selected); the results say how much each
        candidate improves on it.
    preprocessing : "auto" or None, default="auto"
        ``"auto"``: each candidate that cannot take missing values (by its
        ``allow_nan`` tag) gets median imputation, and each that needs feature
        scaling (by its catalog entry, found by class) gets standard scaling,
        inside its cross-validated pipeline. None: candidates are used as given.
        Either way, a catalog classifier that takes only the labels 0 to
        n_classes - 1 (``XGBClassifier``) is fitted through a label encoding
        (``_LabelEncodingClassifier``, whose ``classes_`` are the labels of
        ``y``), so it takes text or any other labels.
    sampler : imbalanced-learn sampler or None, default=None
        A resampler (``SMOTE``, ``RandomUnderSampler`` ...) applied to the
        training folds only, through imbalanced-learn's ``Pipeline``, after the
        preprocessing; validation folds are never resampled.
    refit : bool, default=True
        Refit the selected candidate on all the data (``best_estimator_``); the
        prediction methods need it.
    n_jobs : int or None, default=None
        Parallel (candidate, fold) fits, through joblib (and scikit-learn's
        ``Parallel``, which carries the configuration to the workers); under
        ``joblib.parallel_config(backend="dask")`` they run on a Dask cluster.
        Each of these fits runs with one OpenMP/BLAS thread (nested threads
        oversubscribe the cores); the refit of the winner with ``n_jobs``.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds (for an int ``cv``), the candidates of the catalog and the
        racing blocks.
    verbose : int, default=0
        0 prints nothing; 1 shows a progress bar on stderr (the (candidate,
        fold) fits done out of those planned, and the current leader) and prints
        each racing drop; 2 also prints one line per (candidate, fold): score,
        fit time, elapsed time.
    error_score : "raise" or float, default=np.nan
        The score of a fold whose candidate fails to fit or score; the failure
        is recorded in ``results_`` and warned about. ``"raise"`` raises it. If
        every candidate fails, a ``ValueError`` lists each one's exception.
    task : {"auto", "binary_classification", "multiclass_classification", \
"regression", "classification"}, default="auto"
        ``"auto"``: from the candidates when they are all classifiers or all
        regressors, else from ``y`` by the package's one rule,
        :func:`~sklearn_workflow.problem.infer_task`: booleans, strings and
        categories are classes, fractional numbers are regression, and
        integer-valued numbers are classes up to 20 distinct values and
        regression beyond (counts, amounts: ``load_diabetes``'s target).
        ``"classification"`` is short for either classification task (and
        ``"binary_classification"`` refuses a target with more than two
        classes). Setting it also makes the unfitted selector a classifier or a
        regressor for scikit-learn (stratified folds in ``cross_val_score``).
    racing_params : dict or None, default=None
        Rung 0 of ``strategy="racing"``: ``{"subsample": 0.25, "folds": 3,
        "keep": 2, "tolerance": 1.0, "min_rows": 500, "budget": 0.4}`` (None:
        these; a dict overrides some). Every candidate is first fitted on a
        stratified ``subsample`` share of the training fold of each of the first
        ``folds`` folds and scored on the whole validation fold -- or, when that
        share would have fewer than ``min_rows`` rows (fits then cost about as
        much as on the whole fold), on the first full-size fold itself, whose
        scores are kept. Eligible to go on: the ``keep`` best rung-0 means, and
        every candidate within ``tolerance`` standard deviations of the
        leader's rung-0 score (of its rung-0 fold scores, or of its first-fold
        score, estimated from blocks of the validation fold). They go on in
        order of their rung-0 mean while rung 0's fit time plus their projected
        full-size fit time stays within ``budget`` times the projected fit time
        of ``strategy="full"`` (fit time taken as proportional to the rows; the
        leader always goes on, and when it alone plans more, the others may add
        ``budget`` times its cost; ``"budget": None``: no limit). The others are
        dropped at rung 0 (or at fold 1), marked ``(budget)`` when only the
        budget stopped them -- a screen whose error nothing bounds (see Notes).
        ``"subsample": None`` skips rung 0. Ignored by ``strategy="full"``.
    time_budget : float or None, default=None
        A wall-clock limit, in seconds, on the cross-validation (not on the
        refit). ``strategy="racing"``: after rung 0 and after each full-size
        fold, when the elapsed time plus the projected time of the next fold
        (each candidate still racing at its mean fold time so far) passes
        ``time_budget``, the race stops: the candidates still racing but the
        leader are dropped (status ``"dropped at rung 0 (time)"`` or
        ``"dropped at fold k (time)"``), and the leader runs only as many of
        its remaining folds as are projected to end within the limit -- at
        least one full-size fold. If that leaves folds out, its status is
        ``"stopped at fold k (time)"``, its scores are the means of the ``k``
        folds it ran (``n_folds`` in ``results_``, ``best_n_folds_``), and it
        can win. Inside rung 0 and inside a fold, no fit starts once the
        elapsed time has passed ``time_budget``, but those of the first
        candidate (its rung 0), of the leader (its fold) and of the baseline:
        a candidate left without any fit is ``"not run (time)"``, one left
        with part of its rung 0, or without the fold, ``"dropped at rung 0
        (time)"`` or ``"dropped at fold k (time)"`` -- it never wins, and the
        winner has always run at least one full-size fold. The fits running
        when the limit passes end (one per worker), and, with
        ``search="random"``, no configuration is added near the leaders past
        it. ``strategy="full"``: the candidates run one at a time and the
        ones not started when the elapsed time passes ``time_budget`` are left
        out (``"not run (time)"``); the first one always runs. The winner is
        refitted as usual. None: no limit. ``racing_params["budget"]`` is
        another cap, a share of the fit time of ``"full"`` planned at rung 0;
        both apply, so the one that stops first wins.
    search : {"none", "random"}, default="none"
        ``"none"``: each candidate races as given. ``"random"``: each candidate
        with a search space (see ``search_spaces``) races as several
        configurations: the candidate as given (configuration 1), then a
        scrambled Halton sample of its space (a low-discrepancy sample from
        ``scipy.stats.qmc``, mapped through each parameter's quantile function,
        seeded by ``random_state``). At the first screen (after rung 0, or
        after the first fold; with ``strategy="full"``, after all folds), a few
        more configurations are sampled near the two best ones, in a box a
        quarter of the width of each parameter's range (in quantiles) around
        each: ``max(1, n // 4)`` for a candidate of ``n`` configurations. The
        configurations race like candidates (rung 0, the sequential test, the
        budget and ``time_budget``).
    n_configs : "auto" or int, default="auto"
        The configurations per candidate before the race, the one as given
        included. ``"auto"``: twice the number of parameters searched, between
        4 and 8, and never more than a finite space holds (4 for logistic
        regression, the SVM or the random forest, 8 for the boosting models).
        Ignored by ``search="none"``.
    search_spaces : "default" or dict, default="default"
        ``"default"``: the catalog's space for each candidate whose class is in
        the catalog (see :func:`candidate_table`), none for the others. A dict
        ``{candidate name: {parameter: distribution or list}}`` replaces the
        space of the candidates it names (``{}``: no search for that one); the
        parameters are the candidate's own (for a pipeline candidate, its
        ``step__parameter`` names), the distributions frozen ``scipy.stats``
        ones. Ignored by ``search="none"``.
    ensemble : "auto" or bool, default=False
        ``"auto"`` (or True): after the race, offer a weighted soft vote of
        the survivors (the candidates or configurations that ran every fold;
        for classification, those with ``predict_proba``) as one more
        candidate. Its weights come from Caruana's greedy selection with
        replacement on their out-of-fold predictions (see Notes); it is kept
        -- refitted as a :class:`WeightedEnsemble`, ``best_name_ ==
        "Ensemble"`` -- only when a paired test on folds its weights were not
        chosen on says it beats the best single candidate, and, with
        ``latency_ms``, when its one-row latency meets it. False: no ensemble.
    latency_ms : float or None, default=None
        The most milliseconds a kept ensemble may take to predict one row (the
        95th percentile of 21 calls of ``predict_proba``, or ``predict``, of the
        refitted ensemble, preprocessing of its members included); over it,
        the best single candidate is kept. None: no limit.
    prefer_proba : bool, default=False
        For classification, prefer the candidates with ``predict_proba`` (a
        model that gives probabilities can be calibrated, monitored on its
        scores, thresholded and exported with them): among the candidates
        whose mean primary score is within one standard error (of the fold
        scores of the highest mean) of the highest mean, ``selection`` picks
        among those with ``predict_proba`` when there is one. A candidate
        without it (``SVC()``, ``RidgeClassifier()``) therefore wins only
        when it is more than one standard error ahead of every candidate with
        it. ``results_`` then says which have it (``has_proba``). False: the
        winner is picked whatever its methods. Ignored for regression.

    Attributes
    ----------
    results_ : pandas.DataFrame
        One row per candidate (and the baseline, last), sorted by rank:
        ``rank``, ``name``, ``mean_<score>`` and ``std_<score>`` of every
        score, the primary score of each fold (``fold_1``, ... NaN for a fold
        not run), ``fit_time`` and ``score_time`` (seconds, summed over the
        full-size folds; NaN for a candidate that ran none),
        ``improvement`` (mean primary score minus the baseline's) and
        ``improvement_pct`` (that gain relative to the magnitude of the
        baseline's score, "improves over baseline by X%"; not
        meaningful for R², whose baseline is about 0), ``n_folds``, ``status``
        (``"completed"``, ``"baseline"``, ``"dropped at rung 0"``,
        ``"dropped at fold k"``, either followed by ``" (budget)"`` when the
        racing budget stopped it or ``" (time)"`` when ``time_budget`` did,
        ``"stopped at fold k (time)"``, ``"not run (time)"``, or
        ``"failed"``, or ``"ensemble (kept)"`` / ``"ensemble (not kept)"`` for
        the ensemble's row), ``stopped_at`` (where the race stopped it:
        ``"rung 0 (N rows)"``, ``"fold k of K"``, ``"not started"``, ``""``
        when it ran every fold) and ``error``. With
        ``strategy="racing"`` also ``rung0_mean`` (the mean rung-0 primary
        score, on subsamples; NaN when rung 0 was the first full-size fold) and
        ``rung0_fit_time``; the mean, std and fold columns only ever hold
        full-size fold scores (NaN for a candidate dropped at rung 0). With
        ``search="random"``, the row of each candidate is that of its best
        configuration (the first of its configurations in the ranking of
        ``cv_results_``), with ``config`` (its number), ``n_configs`` (how
        many of the candidate's configurations raced) and ``params`` (its
        searched parameters, as text). With ``prefer_proba=True`` (and a
        classification task), also ``has_proba``: whether the candidate has
        ``predict_proba``.
    cv_results_ : dict of ndarray
        scikit-learn style: ``candidate``, ``split<k>_test_<score>``,
        ``mean_test_<score>``, ``std_test_<score>``, ``rank_test_<score>``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``, ``status``, ``stopped_at``, in candidate order
        (the ensemble's row last, its scores only the primary one). With
        ``search="random"``, one row per (candidate, configuration), in the
        order they were raced (the configurations added near the leaders
        last), with ``config``, ``params`` (a dict) and one ``param_<name>``
        column per parameter searched (NaN where it does not apply); the
        statuses say which configurations the race dropped.
    best_name_ : str
        Name of the selected candidate (``"Ensemble"`` for a kept ensemble).
    best_params_ : dict
        ``{"candidate": best_name_, **its searched parameters}``
        (``{"candidate": best_name_}`` with ``search="none"``); for a kept
        ensemble ``{"candidate": "Ensemble", "weights": {member: weight}}``.
    ensemble_ : dict or None
        With ``ensemble="auto"``, the ensemble offered: ``names`` and
        ``members`` (positions in ``cv_results_``) of its members,
        ``weights``, ``fold_scores`` (each fold scored with weights chosen on
        the other folds), ``mean_difference`` and ``p_value`` of the paired
        test against the best single candidate, ``better``, ``kept``,
        ``latency_ms`` (measured, or None), ``single`` (the row of
        ``cv_results_`` of the best single candidate it was tested against)
        and ``note`` (why it was kept or not); None when no ensemble was
        offered (fewer than two survivors, or ``ensemble=False``).
    best_index_ : int
        The row of ``cv_results_`` selected (the ensemble's, last, when it is
        kept).
    best_estimator_ : estimator
        The selected candidate (with its preprocessing) refitted on all the data;
        only with ``refit=True``.
    best_score_ : float
        Its mean cross-validated primary score, over ``best_n_folds_`` folds.
    best_n_folds_ : int
        The number of folds ``best_score_`` averages: ``n_splits_``, unless
        ``time_budget`` stopped the winner earlier.
    scorer_names_ : list of str
        The names of the scores; the first one selects.
    task_ : {"classification", "regression"}
        The task.
    classes_ : ndarray of shape (n_classes,)
        The class labels (classification only).
    n_splits_ : int
        The number of folds.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Searches the parameters of one
        estimator; ``ModelSelector`` compares different estimators, each with its
        own preprocessing, against a baseline, and can stop losers early.
    sklearn.model_selection.HalvingGridSearchCV : Successive halving on
        (unstratified) subsamples over several rungs; racing here has one
        stratified subsample rung, then full-size folds with a sequential test,
        and reports only full-size scores.

    Notes
    -----
    Racing first screens the candidates (rung 0, see ``racing_params``) on
    stratified subsamples of the training folds, or on the first full-size fold
    when the folds are small; a screen, not a test: a candidate that learns
    faster with more rows than the leader can be dropped there, and the budget
    can stop a candidate tied with the leader because it would cost too much.
    It then compares each surviving candidate with the leader after
    every full-size fold but the last, by a one-sided test on the paired
    score differences with Nadeau and Bengio's correction for overlapping
    training sets, at a Bonferroni level so that this sequential part drops a
    candidate as good as the leader with probability at most 0.05 (the full rule
    is in ``docs/selection.md``). Once fewer than two candidates are left in the
    race, the remaining folds run as one batch, with the refit of the winner on
    all the data. Scores of the full-size folds
    that ran are exactly those ``"full"`` computes.

    Input is numeric (a ``Pipeline`` step in front encodes the rest); NaN is
    accepted and imputed for the candidates that need it
    (``preprocessing="auto"``).

    References
    ----------
    C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine
    Learning 52, 2003.

    Examples
    --------
    Two candidates and the baseline on a small problem with a missing value:
    ``preprocessing="auto"`` imputes it for logistic regression, which cannot take
    NaN, and leaves it to the tree, which can:

    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sklearn_workflow.selection import ModelSelector
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> X[0, 0] = np.nan
    >>> selector = ModelSelector(
    ...     {"tree": DecisionTreeClassifier(max_depth=2),
    ...      "logit": LogisticRegression()},
    ...     cv=3, random_state=0,
    ... ).fit(X, y)
    >>> selector.results_[["name", "status"]]
           name     status
    0      tree  completed
    1     logit  completed
    2  Baseline   baseline
    >>> selector.best_name_, type(selector.best_estimator_).__name__
    ('tree', 'DecisionTreeClassifier')
    >>> selector.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "candidates": [StrOptions({"default"}), dict],
        "scoring": [str, callable, list, tuple, dict, None],
        "cv": ["cv_object"],
        "strategy": [StrOptions({"full", "racing"})],
        "selection": [StrOptions({"best", "one_se"})],
        "baseline": ["boolean"],
        "preprocessing": [StrOptions({"auto"}), None],
        "sampler": [HasMethods(["fit_resample"]), None],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "error_score": [StrOptions({"raise"}), Real],
        "task": [
            StrOptions(
                {
                    "auto",
                    "binary_classification",
                    "multiclass_classification",
                    "regression",
                    "classification",
                }
            )
        ],
        "racing_params": [dict, None],
        "time_budget": [Interval(Real, 0, None, closed="neither"), None],
        "search": [StrOptions({"none", "random"})],
        "n_configs": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "search_spaces": [StrOptions({"default"}), dict],
        "ensemble": [StrOptions({"auto"}), "boolean"],
        "latency_ms": [Interval(Real, 0, None, closed="neither"), None],
        "prefer_proba": ["boolean"],
    }

    def __init__(
        self,
        candidates="default",
        *,
        scoring=None,
        cv=5,
        strategy="full",
        selection="best",
        baseline=True,
        preprocessing="auto",
        sampler=None,
        refit=True,
        n_jobs=None,
        random_state=None,
        verbose=0,
        error_score=np.nan,
        task="auto",
        racing_params=None,
        time_budget=None,
        search="none",
        n_configs="auto",
        search_spaces="default",
        ensemble=False,
        latency_ms=None,
        prefer_proba=False,
    ):
        store_params(self, locals())

    # -- scikit-learn plumbing ---------------------------------------------------
    def _declared_task(self):
        """The task known without data (parameters, or the fit), else None."""
        if hasattr(self, "task_"):
            return self.task_
        if self.task != "auto":
            return "classification" if is_classification(self.task) else "regression"
        if isinstance(self.candidates, dict) and self.candidates:
            estimators = list(self.candidates.values())
            if not all(hasattr(est, "fit") for est in estimators):
                return None  # fit says which candidate is not an estimator
            if all(is_classifier(est) for est in estimators):
                return "classification"
            if all(is_regressor(est) for est in estimators):
                return "regression"
        return None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        task = self._declared_task()
        if task == "classification":
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        elif task == "regression":
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = self.preprocessing == "auto"
        return tags

    # -- fit ----------------------------------------------------------------------
    def _resolve_task(self, y):
        """``"classification"`` or ``"regression"``: declared, else read from y."""
        task = self._declared_task()
        target_type = type_of_target(y, input_name="y")
        if task is None:
            if target_type not in ("binary", "multiclass", "continuous"):
                raise ValueError(
                    "ModelSelector handles binary, multiclass and continuous "
                    f"targets; got a target of type {target_type!r}."
                )
            task = "regression" if infer_task(y) == "regression" else "classification"
        if task == "classification":
            check_classification_targets(y)
        return task

    def _scorers(self, y):
        scoring = self.scoring
        if scoring is None:
            if self.task_ == "regression":
                scoring = "r2"
            else:
                _, counts = np.unique(y, return_counts=True)
                imbalanced = counts.min() < _IMBALANCE_RATIO * counts.max()
                scoring = "balanced_accuracy" if imbalanced else "accuracy"
        if isinstance(scoring, str):
            scorers = {scoring: get_scorer(scoring)}
        elif callable(scoring):
            scorers = {"score": scoring}
        elif isinstance(scoring, dict):
            if not scoring:
                raise ValueError("scoring must name at least one scorer, got {}.")
            scorers = {
                str(k): get_scorer(v) if isinstance(v, str) else v
                for k, v in scoring.items()
            }
        else:
            if not scoring or not all(isinstance(s, str) for s in scoring):
                raise ValueError(
                    f"A list or tuple scoring must hold scorer names, got {scoring!r}."
                )
            scorers = {s: get_scorer(s) for s in scoring}
        return scorers

    def _candidate_list(self, seed):
        """The :class:`CandidatePool`: [(name, estimator, catalog entry or None)]
        in order of preference, one per configuration, then the baseline."""
        if isinstance(self.candidates, str):
            listed = [
                (name, est, entry)
                for name, (est, entry) in default_candidates(self.task_, seed).items()
            ]
        else:
            if not self.candidates:
                raise ValueError("candidates must not be empty, got {}.")
            listed = []
            for name, est in self.candidates.items():
                if not hasattr(est, "fit"):
                    raise TypeError(
                        f"candidates[{name!r}] must be an estimator with fit, got "
                        f"{est!r}."
                    )
                listed.append((str(name), clone(est), find_entry(est, self.task_)))
        baseline = None
        if self.baseline:
            if any(name == BASELINE_NAME for name, _, _ in listed):
                raise ValueError(
                    f"candidate name {BASELINE_NAME!r} is reserved for the baseline "
                    "when baseline=True."
                )
            dummy = (
                DummyClassifier(strategy="prior")
                if self.task_ == "classification"
                else DummyRegressor()
            )
            baseline = (BASELINE_NAME, dummy)
        return CandidatePool(
            {name: (est, entry) for name, est, entry in listed},
            self._with_preprocessing,
            self._search(listed, seed),
            baseline,
        )

    def _search(self, listed, seed):
        """The :class:`ConfigurationSearch` of ``search="random"``, else None."""
        if self.search == "none":
            return None
        user = {} if isinstance(self.search_spaces, str) else self.search_spaces
        names = [name for name, _, _ in listed]
        unknown = [name for name in user if name not in names]
        if unknown:
            raise ValueError(
                f"search_spaces names {unknown}, which are not candidates; the "
                f"candidates are {names}, got {user!r}."
            )
        spaces, given = {}, {}
        for name, est, entry in listed:
            space = user.get(name, entry.search_space if entry is not None else {})
            spaces[name] = check_space(space, est, name)
            params = est.get_params(deep=True)
            given[name] = {param: params[param] for param in spaces[name]}
        return ConfigurationSearch(spaces, given, self.n_configs, seed)

    def _with_preprocessing(self, estimator, entry):
        """``estimator`` inside the steps it needs: imputation and scaling
        (``preprocessing="auto"``), the sampler, and, whatever
        ``preprocessing``, the label encoding of a catalog classifier that takes
        only the labels 0 to n_classes - 1."""
        steps = []
        dummy = isinstance(estimator, DummyClassifier | DummyRegressor)
        model = estimator
        if entry is not None and entry.encodes_labels:
            model = _LabelEncodingClassifier(estimator)
        if self.preprocessing == "auto" and not dummy:
            if not get_tags(estimator).input_tags.allow_nan:
                steps.append(
                    (
                        "impute",
                        SimpleImputer(strategy="median", keep_empty_features=True),
                    )
                )
            if entry is not None and entry.needs_scaling:
                steps.append(("scale", StandardScaler()))
        if self.sampler is not None and not dummy:
            steps.append(("sample", clone(self.sampler)))
            steps.append(("model", model))
            from imblearn.pipeline import Pipeline as ImbPipeline

            return ImbPipeline(steps)
        if not steps:
            return model
        return Pipeline([*steps, ("model", model)])

    def _splits(self, X, y, groups, seed):
        if isinstance(self.cv, Integral):
            splitter_cls = StratifiedKFold if self.task_ == "classification" else KFold
            # scikit-learn's convention: unshuffled folds, the same on every
            # fit; shuffled only when a random_state is given
            shuffle = self.random_state is not None
            cv = splitter_cls(
                n_splits=self.cv,
                shuffle=shuffle,
                random_state=seed if shuffle else None,
            )
        else:
            cv = check_cv(self.cv, y, classifier=self.task_ == "classification")
        return list(cv.split(X, y, groups))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None, sample_weight=None):
        """Cross-validate every candidate, select one and refit it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training data; NaN allowed (see ``preprocessing``).
        y : array-like of shape (n_samples,)
            Target: class labels or a continuous value.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels for a group-aware ``cv`` splitter.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights: given to the ``fit`` of each candidate whose model
            takes ``sample_weight`` (the last step of its pipeline; the others
            are fitted unweighted), to the scores of every fold, to the
            ensemble's weights and to the refit. Under
            ``sklearn.set_config(enable_metadata_routing=True)``, request it
            with ``set_fit_request(sample_weight=True)`` (and ``groups``
            likewise) for a ``Pipeline`` or a search to route it here.

        Returns
        -------
        self : ModelSelector
            The fitted selector.
        """
        for attr in ("task_", "classes_", "best_estimator_"):
            if hasattr(self, attr):
                delattr(self, attr)
        X, y = validate_data(
            self,
            X,
            y,
            ensure_all_finite="allow-nan" if self.preprocessing == "auto" else True,
            y_numeric=False,
        )
        y = self._check_target(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
            if self.sampler is not None:
                raise ValueError(
                    "sample_weight cannot be used with a sampler, which changes "
                    f"the rows; got sampler={self.sampler!r}."
                )
        if isinstance(self.random_state, Integral) or self.random_state is None:
            seed = self.random_state
        else:
            seed = int(self.random_state.randint(np.iinfo(np.int32).max))
        scorers = self._scorers(y)
        self.scorer_names_ = list(scorers)
        scoring = _Scoring(
            check_scoring(scoring=scorers, raise_exc=True),
            scorers[self.scorer_names_[0]],
            sample_weight,
            keep_predictions=self.ensemble != False,  # noqa: E712
        )
        params = check_racing_params(self.racing_params)  # whatever the strategy
        pool = self._candidate_list(seed)
        splits = self._splits(X, y, groups, seed)
        self.n_splits_ = len(splits)
        winner, race, outcomes = self._cross_validate(
            X, y, pool, splits, params, scoring, seed
        )
        self._refit_and_ensemble(X, y, pool, splits, outcomes, race, winner, scoring)
        return self

    def _cross_validate(self, X, y, pool, splits, params, scoring, seed):
        """Run every fold (or the race) and tabulate: ``(winner, race,
        outcomes)``."""
        progress = FitProgress(
            pool.names,
            self.scorer_names_[0],
            len(pool) * len(splits),
            self.verbose,
            baseline=pool.names.index(BASELINE_NAME) if self.baseline else None,
        )
        run = _FoldJobs(self, X, y, pool.items, scoring, progress)
        try:
            if self.strategy == "full":
                outcomes, not_run = self._run_full(run, pool, splits)
                race = None
            else:
                race = self._race(y, pool, splits, params, run, seed)
                outcomes, not_run = race.outcomes, race.not_run
        finally:
            progress.close()
        winner = self._tabulate(pool, outcomes, race, not_run)
        return winner, race, outcomes

    def _refit_and_ensemble(self, X, y, pool, splits, outcomes, race, winner, scoring):
        """Offer the ensemble (``ensemble="auto"``), then refit what won."""
        weights = scoring.sample_weight
        self.ensemble_ = None
        if self.ensemble != False:  # noqa: E712
            self.ensemble_ = self._offer_ensemble(
                y, pool, splits, outcomes, winner, scoring
            )
        if self.ensemble_ is not None and self.ensemble_["kept"] and self.refit:
            model = WeightedEnsemble(
                [(pool.names[c], pool.items[c][1]) for c in self.ensemble_["members"]],
                weights=tuple(self.ensemble_["weights"].tolist()),
            )
            n_threads = max(1, effective_n_jobs(self.n_jobs))
            with threadpool_limits(limits=n_threads):
                model.fit(X, y, sample_weight=weights)
            if self._latency_ok(model, X):
                self.best_estimator_ = model
        if self.ensemble_ is not None:
            self._record_ensemble(pool.names)
        if hasattr(self, "best_estimator_"):
            return
        early = race.early_refit if race is not None else None
        if self.refit and early is not None and early[0] == pool.names[winner]:
            self.best_estimator_ = early[1]
        elif self.refit:
            best = pool.items[winner][1]
            n_threads = max(1, effective_n_jobs(self.n_jobs))
            with threadpool_limits(limits=n_threads):
                self.best_estimator_ = fit_weighted(clone(best), X, y, weights)

    def _offer_ensemble(self, y, pool, splits, outcomes, winner, scoring):
        """:func:`offer_ensemble` of the survivors; ``kept`` when it is better.

        The race's validation predictions are dropped afterwards (they are
        large and nothing else reads them).
        """
        score = self.scorer_names_[0]
        means = self.cv_results_[f"mean_test_{score}"]
        status = self.cv_results_["status"]
        survivors = sorted(
            (c for c in range(len(status)) if status[c] == "completed"),
            key=lambda c: -means[c],
        )
        winner_scores = np.array(
            [
                self.cv_results_[f"split{f}_test_{score}"][winner]
                for f in range(len(splits))
            ]
        )
        try:
            with config_context(enable_metadata_routing=False):
                offer = offer_ensemble(
                    outcomes,
                    survivors,
                    winner,
                    winner_scores,
                    splits,
                    y,
                    scorer=scoring.primary,
                    like=pool.items[winner][1],
                    classes=getattr(self, "classes_", None),
                    sample_weight=scoring.sample_weight,
                )
        except Exception as exc:  # a scorer that cannot score blended predictions
            warnings.warn(
                f"ModelSelector could not score the ensemble: {exc}", stacklevel=4
            )
            offer = None
        finally:
            for result in outcomes.values():
                result.pop("predictions", None)
        if offer is not None:
            offer["single"] = int(winner)
            offer["kept"] = offer["better"]
            offer["names"] = [pool.names[c] for c in offer["members"]]
            offer["latency_ms"] = None
        return offer

    def _latency_ok(self, model, X):
        """Whether the fitted ensemble's one-row latency meets ``latency_ms``
        (measured when it is set); records it in ``ensemble_``."""
        if self.latency_ms is None:
            return True
        latency = one_row_latency_ms(model, X)
        self.ensemble_["latency_ms"] = latency
        if latency <= self.latency_ms:
            return True
        self.ensemble_["kept"] = False
        self.ensemble_["note"] += (
            f"; its one-row latency {latency:.1f} ms (95th percentile) is over "
            f"latency_ms={self.latency_ms:g}"
        )
        return False

    def _record_ensemble(self, names):
        """The ensemble's rows in ``cv_results_`` and ``results_``; when kept,
        ``best_name_``, ``best_params_``, ``best_score_`` describe it."""
        offer = self.ensemble_
        weights = {
            names[c]: round(float(w), 4)
            for c, w in zip(offer["members"], offer["weights"])
            if w > 0
        }
        status = "ensemble (kept)" if offer["kept"] else "ensemble (not kept)"
        self.cv_results_ = add_ensemble_row(
            self.cv_results_,
            offer["fold_scores"],
            self.scorer_names_[0],
            weights,
            status,
        )
        self.results_ = add_ensemble_result(
            self.results_,
            offer["fold_scores"],
            self.scorer_names_[0],
            weights,
            status,
            kept=offer["kept"],
        )
        if offer["kept"]:
            self.best_index_ = len(self.cv_results_["status"]) - 1
            self.best_name_ = ENSEMBLE_NAME
            self.best_params_ = {"candidate": ENSEMBLE_NAME, "weights": weights}
            self.best_score_ = float(np.mean(offer["fold_scores"]))
            self.best_n_folds_ = self.n_splits_

    def _check_target(self, y):
        """Set ``task_`` (and ``classes_``); the target as the candidates get it."""
        self.task_ = self._resolve_task(y)
        if self.task_ == "regression":
            return y if np.issubdtype(y.dtype, np.number) else y.astype(np.float64)
        self.classes_ = np.unique(y)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "ModelSelector needs at least two classes in y, got 1 class: "
                f"{self.classes_.tolist()}."
            )
        if self.task == "binary_classification" and len(self.classes_) > 2:
            raise ValueError(
                "task='binary_classification' needs a target with two classes, "
                f"got {len(self.classes_)} classes: {self.classes_.tolist()}."
            )
        return y

    def _race(self, y, pool, splits, params, run, seed):
        """``strategy="racing"``: the run :class:`Race`."""
        racers = [c for c, name in enumerate(pool.names) if name != BASELINE_NAME]
        return Race(
            pool.names,
            racers,
            y,
            splits,
            params=params,
            run_jobs=run,
            score=self.scorer_names_[0],
            classification=self.task_ == "classification",
            seed=seed,
            refit=self.refit,
            verbose=self.verbose,
            time_budget=self.time_budget,
            clock=run.elapsed,
            n_workers=max(1, effective_n_jobs(self.n_jobs)),
            say=run.progress.say,
            on_step=lambda race: run.progress.plan(
                race.planned_fits(), [c for c in race.alive if c in race.racers]
            ),
            refine=pool.refine,
        ).run()

    def _run_full(self, run, pool, splits):
        """``strategy="full"``: every candidate on every fold.

        Returns the outcomes and the candidates ``time_budget`` left out: with
        it, the candidates run one at a time (each on its folds in parallel, the
        baseline beside the first), and one starts only while the elapsed time
        is under ``time_budget``. With ``search="random"``, the configurations
        near the two leaders (by their mean over the folds) then run too.
        """
        base = pool.names.index(BASELINE_NAME) if self.baseline else None
        groups = [[c] for c in range(len(pool)) if c != base]
        if base is not None:
            groups[0].append(base)
        outcomes, not_run = {}, set()
        self._run_groups(run, groups, splits, outcomes, not_run)
        if self.time_budget is None or run.elapsed() < self.time_budget:
            score, folds = self.scorer_names_[0], range(len(splits))
            means = {
                c: _mean_score(outcomes, c, folds, score)
                for c in range(len(pool))
                if c not in not_run and c != base
            }
            added = pool.refine(means)
            run.progress.plan(len(added) * len(splits))
            self._run_groups(run, [[c] for c in added], splits, outcomes, not_run)
        run.progress.plan(0)
        return outcomes, not_run

    def _run_groups(self, run, groups, splits, outcomes, not_run):
        """Run the ``groups`` of candidates on every fold: in one batch, or,
        with ``time_budget``, one group after the other while in time (the
        first group of the fit always runs)."""
        folds = range(len(splits))
        if self.time_budget is None:
            groups = [sorted(c for group in groups for c in group)]
        for group in groups:
            if not group:
                continue
            late = self.time_budget is not None and run.elapsed() >= self.time_budget
            if outcomes and late:
                not_run.update(group)
                continue
            outcomes.update(run([(c, f) for c in group for f in folds], splits)[0])

    # -- results ------------------------------------------------------------------
    def _tabulate(self, pool, outcomes, race, not_run):
        """Set ``results_``, ``cv_results_``, ``best_name_``, ``best_params_``,
        ``best_score_`` and ``best_n_folds_``; returns the winner's position in
        ``pool``."""
        names = pool.names
        score = self.scorer_names_[0]
        error_score = np.nan if isinstance(self.error_score, str) else self.error_score
        folds = fold_results(
            outcomes, len(names), self.n_splits_, self.scorer_names_, error_score
        )
        dropped = race.dropped if race is not None else {}
        rung0 = race.rung0 if race is not None else None
        status = candidate_status(
            names,
            folds["errors"],
            dropped,
            race.over_budget if race is not None else set(),
            baseline=BASELINE_NAME if self.baseline else None,
            out_of_time=race.out_of_time if race is not None else set(),
            stopped=race.stopped if race is not None else None,
            not_run=not_run,
        )
        self._warn_failures(names, folds["errors"])
        table = results_table(
            names,
            folds,
            status,
            baseline=names.index(BASELINE_NAME) if self.baseline else None,
            rung0=rung0,
            racing=self.strategy == "racing",
            dropped=dropped,
        )
        proba = None
        if self.prefer_proba and self.task_ == "classification":
            proba = [hasattr(estimator, "predict_proba") for _, estimator, _ in pool]
            table["has_proba"] = proba
        winner = select_winner(
            table, score, self.selection, pool.preference(), proba=proba
        )
        if winner is None:
            detail = "; ".join(
                f"{name}: {error or state}"
                for name, error, state in zip(names, folds["errors"], status)
                if state != "baseline"
            )
            raise ValueError(f"Every candidate of ModelSelector failed. {detail}")
        config = pool.configurations[winner]
        self.best_index_ = int(winner)
        self.best_name_ = config.candidate
        self.best_params_ = {"candidate": config.candidate, **config.params}
        self.best_score_ = float(table[f"mean_{score}"].iloc[winner])
        self.best_n_folds_ = int(table["n_folds"].iloc[winner])
        order = rank_order(table, score, dropped, rung0, winner)
        self.cv_results_ = cv_results(names, folds, status)
        self.cv_results_["stopped_at"] = np.array(
            table["stopped_at"].tolist(), dtype=object
        )
        if self.search == "none":
            rank = np.empty(len(names), dtype=int)
            rank[order] = np.arange(1, len(names) + 1)
            table.insert(0, "rank", rank)
            self.results_ = table.iloc[order].reset_index(drop=True)
            return winner
        self.results_ = best_configurations(table, order, pool.configurations)
        self.cv_results_ = {
            **configuration_columns(pool.configurations),
            **{k: v for k, v in self.cv_results_.items() if k != "candidate"},
        }
        return winner

    def _warn_failures(self, names, errors):
        """A ``FitFailedWarning`` naming the candidates that failed."""
        failed = [c for c in range(len(names)) if errors[c] is not None]
        if failed:
            warnings.warn(
                "Some candidates failed and got error_score="
                f"{self.error_score!r}: "
                + "; ".join(f"{names[c]} ({errors[c]})" for c in failed),
                FitFailedWarning,
                stacklevel=4,
            )

    # -- persistence ----------------------------------------------------------------
    def __getstate__(self):
        # ``results_`` travels as plain columns, so skops (which does not store
        # pandas objects) can persist a fitted selector.
        state = dict(super().__getstate__())  # a copy: never touch self
        if isinstance(state.get("results_"), pd.DataFrame):
            frame = state["results_"]
            state["results_"] = {
                "__dataframe__": [
                    [str(col), frame[col].tolist()] for col in frame.columns
                ]
            }
        return state

    def __setstate__(self, state):
        results = state.get("results_")
        if isinstance(results, dict) and "__dataframe__" in results:
            state = {
                **state,
                "results_": pd.DataFrame(dict(results["__dataframe__"])),
            }
        super().__setstate__(state)

    # -- delegation ----------------------------------------------------------------
    def _check_refitted(self, method):
        check_is_fitted(self, "results_")
        if not self.refit:
            raise AttributeError(
                f"ModelSelector was fitted with refit=False; {method} needs refit=True."
            )

    predict = _delegated(
        "predict",
        "Predict with the refitted best candidate.",
        "y_pred : ndarray of shape (n_samples,)",
        "Predictions of ``best_estimator_``.",
    )
    predict_proba = _delegated(
        "predict_proba",
        "Class probabilities of the refitted best candidate.",
        "proba : ndarray of shape (n_samples, n_classes)",
        "Probabilities, columns in the order of ``classes_``.",
    )
    decision_function = _delegated(
        "decision_function",
        "Decision function of the refitted best candidate.",
        "scores : ndarray of shape (n_samples,) or (n_samples, n_classes)",
        "Decision values of ``best_estimator_``.",
    )

    @available_if(_best_has("score"))
    def score(self, X, y):
        """``best_estimator_.score``: accuracy (classifiers) or R² (regressors).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,)
            True targets.

        Returns
        -------
        score : float
            The best candidate's own ``score``.
        """
        return self._delegate("score", X, y)

    def _delegate(self, method, X, *args):
        """``best_estimator_.<method>`` on the checked ``X``."""
        self._check_refitted(method)
        finite = "allow-nan" if self.preprocessing == "auto" else True
        X = validate_data(self, X, reset=False, ensure_all_finite=finite)
        return getattr(self.best_estimator_, method)(X, *args)

    # -- plot -----------------------------------------------------------------------
    def plot(self, ax=None):
        """Box plot of the fold scores of each candidate, with the baseline.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        fig : matplotlib Figure
            The figure drawn on.
        """
        check_is_fitted(self, "results_")
        import matplotlib
        import matplotlib.pyplot as plt

        _MPL_VERSION = tuple(int(p) for p in matplotlib.__version__.split(".")[:2])

        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(self.results_)))
        else:
            fig = ax.figure
        folds = [f"fold_{f + 1}" for f in range(self.n_splits_)]
        rows = self.results_[self.results_["status"] != "baseline"]
        data, labels = [], []
        for _, row in rows.iloc[::-1].iterrows():
            values = row[folds].to_numpy(dtype=float)
            data.append(values[np.isfinite(values)])
            label = row["name"]
            if row["status"] != "completed":
                label += f" ({row['status'].replace(' (budget)', ', budget')})"
            labels.append(label)
        if _MPL_VERSION >= (3, 10):
            ax.boxplot(data, orientation="horizontal", tick_labels=labels)
        else:  # matplotlib < 3.10 spells it vert=False (and labels before 3.9)
            ax.boxplot(data, vert=False)
            ax.set_yticks(range(1, len(labels) + 1), labels)
        # a candidate dropped at rung 0 has no full-size fold: its rung-0 mean
        # (on subsamples) is marked instead
        screened = [
            (pos, row["rung0_mean"])
            for pos, (_, row) in enumerate(rows.iloc[::-1].iterrows(), start=1)
            if row["status"].startswith("dropped at rung 0")
            and np.isfinite(row["rung0_mean"])
        ]
        if screened:
            ax.plot(
                [v for _, v in screened],
                [p for p, _ in screened],
                marker="x",
                linestyle="none",
                color="gray",
                label="rung-0 mean (subsamples)",
            )
        base = self.results_[self.results_["status"] == "baseline"]
        if len(base):
            ax.axvline(
                base[f"mean_{self.scorer_names_[0]}"].iloc[0],
                color="gray",
                linestyle="--",
                label="baseline",
            )
        if len(base) or screened:
            # under the axes: inside, it hides boxes or marks
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
        ax.set_xlabel(f"{self.scorer_names_[0]} per fold")
        ax.set_title(f"ModelSelector: best = {self.best_name_}")
        fig.tight_layout()
        return fig
