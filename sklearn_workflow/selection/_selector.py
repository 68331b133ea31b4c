"""ModelSelector: cross-validate a table of candidate models and keep the best."""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from joblib import effective_n_jobs
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
from sklearn_workflow.selection._racing import (
    RUNG0_DEFAULTS,
    make_blocks,
    racing_drops,
    rung0_keep,
    subsample_rows,
)
from sklearn_workflow.utils._param_validation import (
    HasMethods,
    StrOptions,
    _fit_context,
)

__all__ = ["ModelSelector"]

BASELINE_NAME = "Baseline"
# A class rarer than half the most frequent one makes the data "imbalanced".
_IMBALANCE_RATIO = 0.5


def _refit_one_thread(estimator, X, y):
    """Fit on all the rows with one OpenMP/BLAS thread (beside other fits)."""
    with threadpool_limits(limits=1):
        return estimator.fit(X, y)


def _fit_and_score(estimator, X, y, train, test, scorer, primary, blocks, error):
    """Fit on ``train``, score on ``test`` (and on its blocks, for racing).

    One OpenMP/BLAS thread per fit: the parallelism is over (candidate, fold)
    pairs, and nested threads oversubscribe the cores.
    """
    with threadpool_limits(limits=1):
        return _fit_and_score_one_thread(
            estimator, X, y, train, test, scorer, primary, blocks, error
        )


def _fit_and_score_one_thread(
    estimator, X, y, train, test, scorer, primary, blocks, error
):
    result = {"error": None, "block_scores": None, "score_time": 0.0}
    start = time.perf_counter()
    try:
        estimator.fit(X[train], y[train])
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
        result["scores"] = {
            k: float(v) for k, v in scorer(estimator, X_test, y_test).items()
        }
        if blocks:
            cache = {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result["block_scores"] = np.array(
                    [
                        primary(
                            _Replay(estimator, X_test, b, cache), X_test[b], y_test[b]
                        )
                        for b in blocks
                    ],
                    dtype=float,
                )
    except Exception as exc:
        if isinstance(error, str):
            raise
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["score_time"] = time.perf_counter() - start
    return result


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


def _best_has(attr):
    """``available_if`` check: the refitted best candidate has ``attr``."""

    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, attr)
        if isinstance(self.candidates, dict):
            return any(hasattr(est, attr) for est in self.candidates.values())
        return True

    return check


class ModelSelector(BaseEstimator):
    """Cross-validate candidate models and keep the best, refitted on all data.

    The seed's model-comparison loop as an estimator: every candidate (by default
    the seed's algorithm table, see :func:`candidate_table`) is cross-validated
    on the same folds, each with the preprocessing it needs, next to a dummy
    baseline; ``results_`` is the comparison table and the best candidate,
    refitted on all the data, answers ``predict``. Being an estimator, the
    selector sits at the end of a ``Pipeline`` and inside ``cross_val_score`` --
    nested cross-validation, the honest estimate of "pick the best model and
    use it", which the best mean CV score is not (it is biased upward by the
    pick).

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
        An int gives that many shuffled folds (stratified for classification)
        seeded with ``random_state``; anything else is used as
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
        0 prints nothing; 1 prints one line per (candidate, fold): score, fit
        time, elapsed time, and each racing drop.
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

    Attributes
    ----------
    results_ : pandas.DataFrame
        One row per candidate (and the baseline), sorted by rank: ``rank``,
        ``name``, ``mean_<score>`` and ``std_<score>`` of every score, the primary
        score of each fold (``fold_1``, ... NaN for a fold not run),
        ``fit_time`` and ``score_time`` (seconds, summed over folds),
        ``improvement`` (mean primary score minus the baseline's) and
        ``improvement_pct`` (that gain relative to the magnitude of the
        baseline's score, the seed's "improves over baseline by X%"; not
        meaningful for R², whose baseline is about 0), ``n_folds``, ``status``
        (``"completed"``, ``"baseline"``, ``"dropped at rung 0"``,
        ``"dropped at fold k"``, either followed by ``" (budget)"`` when the
        racing budget stopped it, or ``"failed"``) and ``error``. With
        ``strategy="racing"`` also ``rung0_mean`` (the mean rung-0 primary
        score, on subsamples; NaN when rung 0 was the first full-size fold) and
        ``rung0_fit_time``; the mean, std and fold columns only ever hold
        full-size fold scores (NaN for a candidate dropped at rung 0).
    cv_results_ : dict of ndarray
        scikit-learn style: ``candidate``, ``split<k>_test_<score>``,
        ``mean_test_<score>``, ``std_test_<score>``, ``rank_test_<score>``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``,
        ``std_score_time``, ``status``, in candidate order.
    best_name_ : str
        Name of the selected candidate.
    best_estimator_ : estimator
        The selected candidate (with its preprocessing) refitted on all the data;
        only with ``refit=True``.
    best_score_ : float
        Its mean cross-validated primary score.
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
    ):
        self.candidates = candidates
        self.scoring = scoring
        self.cv = cv
        self.strategy = strategy
        self.selection = selection
        self.baseline = baseline
        self.preprocessing = preprocessing
        self.sampler = sampler
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.error_score = error_score
        self.task = task
        self.racing_params = racing_params

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
        """[(name, estimator, catalog entry or None)] in order of preference."""
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
            listed.append((BASELINE_NAME, dummy, None))
        return [
            (name, self._with_preprocessing(est, entry), entry)
            for name, est, entry in listed
        ]

    def _with_preprocessing(self, estimator, entry):
        steps = []
        dummy = isinstance(estimator, DummyClassifier | DummyRegressor)
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
            steps.append(("model", estimator))
            from imblearn.pipeline import Pipeline as ImbPipeline

            return ImbPipeline(steps)
        if not steps:
            return estimator
        return Pipeline([*steps, ("model", estimator)])

    def _splits(self, X, y, groups, seed):
        if isinstance(self.cv, Integral):
            splitter_cls = StratifiedKFold if self.task_ == "classification" else KFold
            cv = splitter_cls(n_splits=self.cv, shuffle=True, random_state=seed)
        else:
            cv = check_cv(self.cv, y, classifier=self.task_ == "classification")
        return list(cv.split(X, y, groups))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, groups=None):
        """Cross-validate every candidate, select one and refit it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training data; NaN allowed (see ``preprocessing``).
        y : array-like of shape (n_samples,)
            Target: class labels or a continuous value.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels for a group-aware ``cv`` splitter.

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
        self.task_ = self._resolve_task(y)
        if self.task_ == "classification":
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
        elif not np.issubdtype(y.dtype, np.number):
            y = y.astype(np.float64)
        if isinstance(self.random_state, Integral) or self.random_state is None:
            seed = self.random_state
        else:
            seed = int(self.random_state.randint(np.iinfo(np.int32).max))
        scorers = self._scorers(y)
        self.scorer_names_ = list(scorers)
        primary = scorers[self.scorer_names_[0]]
        multi = check_scoring(scoring=scorers, raise_exc=True)
        self._racing_params()  # validated whatever the strategy
        candidates = self._candidate_list(seed)
        splits = self._splits(X, y, groups, seed)
        self.n_splits_ = len(splits)
        self._start = time.perf_counter()  # for the progress lines
        self._early_refit = None  # (name, estimator): see _run_racing
        try:
            if self.strategy == "full":
                outcomes, dropped = self._run_full(
                    X, y, candidates, splits, multi, primary
                )
                rung0, over_budget = None, set()
            else:
                outcomes, dropped, rung0, over_budget = self._run_racing(
                    X, y, candidates, splits, multi, primary, seed
                )
            early = self._early_refit
        finally:
            del self._start, self._early_refit
        self._tabulate(candidates, outcomes, dropped, rung0, over_budget)
        if self.refit and early is not None and early[0] == self.best_name_:
            self.best_estimator_ = early[1]
        elif self.refit:
            best = dict((name, est) for name, est, _ in candidates)[self.best_name_]
            n_threads = max(1, effective_n_jobs(self.n_jobs))
            with threadpool_limits(limits=n_threads):
                self.best_estimator_ = clone(best).fit(X, y)
        return self

    def _parallel_run(
        self,
        X,
        y,
        jobs,
        candidates,
        splits,
        multi,
        primary,
        blocks,
        rung=None,
        refit=None,
    ):
        """Run ``jobs`` [(candidate index, fold index)] and return their results.

        ``rung=0``: the subsample rung, whose failures are recorded, never raised
        (the candidate then goes on to the full-size folds). ``refit``: a
        candidate index whose refit on all the rows runs in the same batch, first
        (the longest job), stored in ``self._early_refit``.
        """
        calls = [
            delayed(_fit_and_score)(
                clone(candidates[c][1]),
                X,
                y,
                splits[f][0],
                splits[f][1],
                multi,
                primary,
                blocks[f] if blocks else None,
                np.nan if rung == 0 else self.error_score,
            )
            for c, f in jobs
        ]
        if refit is not None:
            calls.insert(
                0, delayed(_refit_one_thread)(clone(candidates[refit][1]), X, y)
            )
        # every call is built already: hand them all to the workers at once, so
        # that a free worker never waits for the next dispatch
        parallel = Parallel(
            n_jobs=self.n_jobs, return_as="generator", pre_dispatch="all"
        )
        results = parallel(calls)
        if refit is not None:
            self._early_refit = (candidates[refit][0], next(results))
        out = {}
        for (c, f), result in zip(jobs, results):
            out[c, f] = result
            if self.verbose:
                elapsed = time.perf_counter() - self._start
                if result["error"] is None:
                    score = result["scores"][self.scorer_names_[0]]
                    what = f"{self.scorer_names_[0]}={score:.4f}"
                else:
                    what = f"failed ({result['error']})"
                where = "rung 0 " if rung == 0 else ""
                print(
                    f"[ModelSelector] {candidates[c][0]} {where}fold {f + 1}/"
                    f"{len(splits)}: {what}, fit {result['fit_time']:.2f}s, "
                    f"elapsed {elapsed:.1f}s"
                )
        return out

    def _run_full(self, X, y, candidates, splits, multi, primary):
        jobs = [(c, f) for c in range(len(candidates)) for f in range(len(splits))]
        outcomes = self._parallel_run(
            X, y, jobs, candidates, splits, multi, primary, None
        )
        return outcomes, {}

    def _run_racing(self, X, y, candidates, splits, multi, primary, seed):
        classification = self.task_ == "classification"
        blocks = [make_blocks(y[test], classification, seed=seed) for _, test in splits]
        ratio = float(np.mean([len(te) / len(tr) for tr, te in splits]))
        racers = [
            c for c, (name, _, _) in enumerate(candidates) if name != BASELINE_NAME
        ]
        alive = list(range(len(candidates)))
        outcomes, dropped, over_budget = {}, {}, set()
        params = self._racing_params()
        sub_splits = self._rung0_splits(y, splits, racers, params, seed)
        rung0 = None
        if sub_splits:
            rung0 = self._rung0(
                X, y, candidates, sub_splits, splits, multi, primary, racers
            )
            go_on, margin, budget_out = self._screen(
                rung0["scores"], rung0["fit_time"], splits, params, rung0["share"]
            )
            for c, on, out in zip(racers, go_on, budget_out):
                if not on:
                    self._drop(
                        c, 0, out, margin, candidates, alive, dropped, over_budget
                    )
            racers = [c for c in racers if c in alive]
        n_looks = len(splits) - 1
        name = self.scorer_names_[0]
        f = 0
        while f < len(splits):
            competing = [c for c in alive if c in racers]
            # once fewer than two racers are left the race is decided: the
            # remaining folds run as one batch (in parallel with n_jobs)
            batch = range(f, len(splits)) if len(competing) < 2 else [f]
            jobs = [(c, g) for g in batch for c in alive]
            # the last racer left is the winner (if its folds do not fail): its
            # refit on all the rows can run beside its remaining folds
            refit = (
                competing[0] if self.refit and len(batch) > 1 and competing else None
            )
            outcomes.update(
                self._parallel_run(
                    X,
                    y,
                    jobs,
                    candidates,
                    splits,
                    multi,
                    primary,
                    blocks,
                    refit=refit,
                )
            )
            for g in batch:
                for c in list(alive):
                    if outcomes[c, g]["error"] is not None and c in racers:
                        alive.remove(c)
                        dropped[c] = g + 1
            if len(batch) > 1:
                break
            if f == 0 and sub_splits is not None and not sub_splits:
                # rung 0 is this first full-size fold
                screened = [c for c in racers if c in alive]
                if len(screened) > params["keep"]:
                    first = [outcomes[c, 0] for c in screened]
                    go_on, margin, budget_out = self._screen(
                        np.array([[r["scores"][name]] for r in first]),
                        np.array([r["fit_time"] for r in first]),
                        splits,
                        params,
                        blocks=[r["block_scores"] for r in first],
                    )
                    for c, on, out in zip(screened, go_on, budget_out):
                        if not on:
                            self._drop(
                                c, 1, out, margin, candidates, alive, dropped,
                                over_budget,
                            )  # fmt: skip
            f += 1
            if f == len(splits):
                break
            competing = [c for c in alive if c in racers]
            if len(competing) < 2:
                continue
            fold_scores = np.array(
                [[outcomes[c, g]["scores"][name] for g in range(f)] for c in competing]
            )
            block_scores = []
            for g in range(f):
                per = [outcomes[c, g]["block_scores"] for c in competing]
                block_scores.append(
                    np.array(per) if all(b is not None for b in per) else np.empty(0)
                )
            drop, _ = racing_drops(
                fold_scores,
                block_scores,
                test_train_ratio=ratio,
                n_looks=n_looks,
                n_compared=len(racers) - 1,
            )
            for c, out in zip(competing, drop):
                if out:
                    alive.remove(c)
                    dropped[c] = f
                    if self.verbose:
                        print(
                            f"[ModelSelector] {candidates[c][0]} dropped after fold "
                            f"{f}: significantly behind the leader"
                        )
        return outcomes, dropped, rung0, over_budget

    def _screen(self, scores, fit_time, splits, params, share=None, blocks=None):
        """The rung-0 screen (``rung0_keep``) with its margin and budget.

        ``scores`` (n_racers, n_folds0) and ``fit_time`` (n_racers, summed over
        those folds) come either from fits on ``share`` of the training rows
        (the subsample rung), or, ``share=None``, from the first full-size fold,
        whose ``blocks`` scores give each racer's standard deviation.
        """
        n_folds, n_folds0 = len(splits), scores.shape[1]
        spread = None
        if blocks is not None:
            # the standard deviation of a fold score, from its blocks
            spread = np.zeros(len(blocks))
            for k, b in enumerate(blocks):
                b = np.asarray([] if b is None else b, dtype=float)
                b = b[np.isfinite(b)]
                if b.size > 1:
                    spread[k] = b.std(ddof=1) / np.sqrt(b.size)
        # fit time taken as proportional to the rows
        per_fold = fit_time / n_folds0 / (1.0 if share is None else share)
        done = n_folds0 if share is None else 0  # full-size folds already run
        return rung0_keep(
            scores,
            keep=params["keep"],
            tolerance=params["tolerance"],
            spread=spread,
            spent=float(fit_time.sum()),
            cost_to_go=per_fold * (n_folds - done),
            full_cost=float(n_folds * per_fold.sum()),
            budget=params["budget"],
        )

    def _drop(self, c, fold, out, margin, candidates, alive, dropped, over_budget):
        """Drop candidate ``c`` at the screen (rung 0 or the first fold)."""
        alive.remove(c)
        dropped[c] = fold
        if out:
            over_budget.add(c)
        if self.verbose:
            where = "at rung 0" if fold == 0 else "after fold 1"
            why = (
                "its projected fit time is over the racing budget"
                if out
                else f"more than {margin:.4f} behind the leader"
            )
            print(f"[ModelSelector] {candidates[c][0]} dropped {where}: {why}")

    def _racing_params(self):
        params = dict(RUNG0_DEFAULTS)
        given = self.racing_params or {}
        unknown = sorted(set(given) - set(params))
        if unknown:
            raise ValueError(
                f"racing_params has unknown keys {unknown}; the keys are "
                f"{sorted(params)}, got {given!r}."
            )
        params.update(given)
        sub = params["subsample"]
        if sub is not None and not (isinstance(sub, Real) and 0 < sub < 1):
            raise ValueError(
                "racing_params['subsample'] must be a float in (0, 1) or None, "
                f"got {sub!r}."
            )
        folds = params["folds"]
        if not isinstance(folds, Integral) or isinstance(folds, bool) or folds < 2:
            raise ValueError(
                f"racing_params['folds'] must be an int >= 2, got {folds!r}."
            )
        keep = params["keep"]
        if not isinstance(keep, Integral) or isinstance(keep, bool) or keep < 1:
            raise ValueError(
                f"racing_params['keep'] must be an int >= 1, got {keep!r}."
            )
        tol = params["tolerance"]
        if not isinstance(tol, Real) or isinstance(tol, bool) or not tol >= 0:
            raise ValueError(
                f"racing_params['tolerance'] must be a float >= 0, got {tol!r}."
            )
        min_rows = params["min_rows"]
        if (
            not isinstance(min_rows, Integral)
            or isinstance(min_rows, bool)
            or min_rows < 0
        ):
            raise ValueError(
                f"racing_params['min_rows'] must be an int >= 0, got {min_rows!r}."
            )
        budget = params["budget"]
        if budget is not None and (
            not isinstance(budget, Real) or isinstance(budget, bool) or not budget > 0
        ):
            raise ValueError(
                f"racing_params['budget'] must be a float > 0 or None, got {budget!r}."
            )
        return params

    def _rung0_splits(self, y, splits, racers, params, seed):
        """The (subsample, validation) splits of rung 0.

        None: no rung 0 (``subsample=None``, no more racers than ``keep``, or
        folds too small to subsample); an empty list: rung 0 is the first
        full-size fold, because the subsample would have fewer than ``min_rows``
        rows.
        """
        if params["subsample"] is None or len(racers) <= params["keep"]:
            return None
        classification = self.task_ == "classification"
        n_folds0 = min(params["folds"], len(splits))
        sub_splits = [
            (
                subsample_rows(
                    train,
                    y[train],
                    params["subsample"],
                    classification,
                    seed=None if seed is None else seed + f,
                ),
                test,
            )
            for f, (train, test) in enumerate(splits[:n_folds0])
        ]
        if all(len(s) == len(t) for (s, _), (t, _) in zip(sub_splits, splits)):
            return None
        if min(len(s) for s, _ in sub_splits) < params["min_rows"]:
            return []
        return sub_splits

    def _rung0(self, X, y, candidates, sub_splits, splits, multi, primary, racers):
        """Rung 0: every racer on a subsample of each training fold.

        Returns a dict with the racers' ``scores`` (n_racers, n_folds0),
        ``fit_time`` (summed over those folds) and ``share`` (the mean share of
        the training rows they were fitted on).
        """
        n_folds0 = len(sub_splits)
        jobs = [(c, f) for c in racers for f in range(n_folds0)]
        results = self._parallel_run(
            X, y, jobs, candidates, sub_splits, multi, primary, None, rung=0
        )
        name = self.scorer_names_[0]
        scores = np.array(
            [
                [
                    results[c, f]["scores"][name]
                    if results[c, f]["error"] is None
                    else np.nan
                    for f in range(n_folds0)
                ]
                for c in racers
            ]
        )
        fit_time = np.array(
            [sum(results[c, f]["fit_time"] for f in range(n_folds0)) for c in racers]
        )
        share = np.mean([len(s) / len(t) for (s, _), (t, _) in zip(sub_splits, splits)])
        return {
            "racers": racers,
            "scores": scores,
            "fit_time": fit_time,
            "share": float(share),
        }

    # -- results ------------------------------------------------------------------
    def _tabulate(self, candidates, outcomes, dropped, rung0, over_budget):
        names = [name for name, _, _ in candidates]
        n_folds, n_cand = self.n_splits_, len(candidates)
        metric_names = self.scorer_names_
        error_score = np.nan if isinstance(self.error_score, str) else self.error_score
        scores = {m: np.full((n_cand, n_folds), np.nan) for m in metric_names}
        fit_times = np.full((n_cand, n_folds), np.nan)
        score_times = np.full((n_cand, n_folds), np.nan)
        errors = [None] * n_cand
        for (c, f), result in outcomes.items():
            fit_times[c, f] = result["fit_time"]
            score_times[c, f] = result["score_time"]
            if result["error"] is None:
                for m in metric_names:
                    scores[m][c, f] = result["scores"][m]
            else:
                errors[c] = errors[c] or f"fold {f + 1}: {result['error']}"
                for m in metric_names:
                    scores[m][c, f] = error_score
        primary = scores[metric_names[0]]
        ran = ~np.isnan(fit_times)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            means = {
                m: np.array([s[c][ran[c]].mean() for c in range(n_cand)])
                for m, s in scores.items()
            }
            stds = {
                m: np.array([s[c][ran[c]].std() for c in range(n_cand)])
                for m, s in scores.items()
            }
        status = []
        for c, name in enumerate(names):
            if errors[c] is not None:
                status.append("failed")
            elif c in dropped:
                where = "rung 0" if dropped[c] == 0 else f"fold {dropped[c]}"
                budget = " (budget)" if c in over_budget else ""
                status.append(f"dropped at {where}{budget}")
            elif name == BASELINE_NAME and self.baseline:
                status.append("baseline")
            else:
                status.append("completed")
        failed = [c for c in range(n_cand) if errors[c] is not None]
        if failed:
            warnings.warn(
                "Some candidates failed and got error_score="
                f"{self.error_score!r}: "
                + "; ".join(f"{names[c]} ({errors[c]})" for c in failed),
                FitFailedWarning,
                stacklevel=3,
            )
        eligible = [
            c
            for c in range(n_cand)
            if status[c] == "completed" and np.isfinite(means[metric_names[0]][c])
        ]
        if not eligible:
            detail = "; ".join(
                f"{names[c]}: {errors[c] or status[c]}"
                for c in range(n_cand)
                if status[c] != "baseline"
            )
            raise ValueError(f"Every candidate of ModelSelector failed. {detail}")
        mean_p = means[metric_names[0]]
        best = max(eligible, key=lambda c: mean_p[c])
        if self.selection == "one_se":
            k = ran[best].sum()
            se = primary[best][ran[best]].std(ddof=1) / np.sqrt(k) if k > 1 else 0.0
            best = next(c for c in eligible if mean_p[c] >= mean_p[best] - se)
        self.best_name_ = names[best]
        self.best_score_ = float(mean_p[best])
        base = names.index(BASELINE_NAME) if self.baseline else None
        if base is not None:
            improvement = mean_p - mean_p[base]
            with np.errstate(divide="ignore", invalid="ignore"):
                pct = 100.0 * improvement / abs(mean_p[base])
        else:
            improvement = pct = np.full(n_cand, np.nan)

        # Rank: completed candidates by mean, then dropped (latest drop first),
        # then the failed ones; the baseline is ranked among the completed.
        def sort_key(c):
            if status[c] in ("completed", "baseline"):
                group, later = 0, 0
            elif c in dropped and errors[c] is None:
                group, later = 1, -dropped[c]
            else:
                group, later = 2, 0
            value = mean_p[c] if np.isfinite(mean_p[c]) else -np.inf
            if c in dropped and dropped[c] == 0 and rung0 is not None:
                value = float(rung0["scores"][rung0["racers"].index(c)].mean())
                value = value if np.isfinite(value) else -np.inf
            return (group, later, -value)

        order = sorted(range(n_cand), key=sort_key)
        if best in order and order[0] != best:
            # selection="one_se" can pick another candidate than the top mean;
            # the pick is ranked first, the rest keep their order.
            order.remove(best)
            order.insert(0, best)
        rank = np.empty(n_cand, dtype=int)
        rank[order] = np.arange(1, n_cand + 1)
        table = {"rank": rank, "name": names}
        for m in metric_names:
            table[f"mean_{m}"] = means[m]
            table[f"std_{m}"] = stds[m]
        for f in range(n_folds):
            table[f"fold_{f + 1}"] = primary[:, f]
        table["fit_time"] = np.nansum(fit_times, axis=1)
        table["score_time"] = np.nansum(score_times, axis=1)
        table["improvement"] = improvement
        table["improvement_pct"] = pct
        table["n_folds"] = ran.sum(axis=1)
        table["status"] = status
        table["error"] = [e or "" for e in errors]
        if self.strategy == "racing":
            rung0_mean = np.full(n_cand, np.nan)
            rung0_time = np.zeros(n_cand)
            if rung0 is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    means0 = np.nanmean(rung0["scores"], axis=1)
                rung0_mean[rung0["racers"]] = means0
                rung0_time[rung0["racers"]] = rung0["fit_time"]
            table["rung0_mean"] = rung0_mean
            table["rung0_fit_time"] = rung0_time
        frame = pd.DataFrame(table)
        self.results_ = frame.iloc[order].reset_index(drop=True)
        cv_results = {"candidate": np.array(names, dtype=object)}
        for m in metric_names:
            for f in range(n_folds):
                cv_results[f"split{f}_test_{m}"] = scores[m][:, f]
            cv_results[f"mean_test_{m}"] = means[m]
            cv_results[f"std_test_{m}"] = stds[m]
            filled = np.where(np.isfinite(means[m]), means[m], -np.inf)
            cv_results[f"rank_test_{m}"] = (
                pd.Series(-filled).rank(method="min").to_numpy().astype(int)
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cv_results["mean_fit_time"] = np.nanmean(fit_times, axis=1)
            cv_results["std_fit_time"] = np.nanstd(fit_times, axis=1)
            cv_results["mean_score_time"] = np.nanmean(score_times, axis=1)
            cv_results["std_score_time"] = np.nanstd(score_times, axis=1)
        cv_results["status"] = np.array(status, dtype=object)
        self.cv_results_ = cv_results

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

    @available_if(_best_has("predict"))
    def predict(self, X):
        """Predict with the refitted best candidate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions of ``best_estimator_``.
        """
        self._check_refitted("predict")
        X = validate_data(self, X, reset=False, ensure_all_finite=self._finite())
        return self.best_estimator_.predict(X)

    @available_if(_best_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the refitted best candidate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        self._check_refitted("predict_proba")
        X = validate_data(self, X, reset=False, ensure_all_finite=self._finite())
        return self.best_estimator_.predict_proba(X)

    @available_if(_best_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the refitted best candidate.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values of ``best_estimator_``.
        """
        self._check_refitted("decision_function")
        X = validate_data(self, X, reset=False, ensure_all_finite=self._finite())
        return self.best_estimator_.decision_function(X)

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
        self._check_refitted("score")
        X = validate_data(self, X, reset=False, ensure_all_finite=self._finite())
        return self.best_estimator_.score(X, y)

    def _finite(self):
        return "allow-nan" if self.preprocessing == "auto" else True

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
