"""ThresholdTunedClassifier: the decision threshold tuned to a business objective."""

import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
)
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit, check_cv
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, column_or_1d, indexable

from sklearn_workflow.exceptions import InfeasibleConstraintWarning
from sklearn_workflow.quality._cleaner import BOOLEAN_PAIRS
from sklearn_workflow.thresholds._objectives import (
    OBJECTIVES,
    clopper_pearson,
    confusion_counts,
    constraint_metric,
    effective_proportion,
    expected_cost,
    objective_scores,
    parse_constraints,
    parse_cost,
)
from sklearn_workflow.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    _safe_indexing,
)
from sklearn_workflow.utils._params import store_params

__all__ = ["ThresholdTunedClassifier"]

# Relative tolerance under which two objective values count as a tie.
_TIE_RTOL = 1e-12
# Text labels whose positive class is obvious, (positive, negative), compared
# after strip() and lower(): the boolean words and "1"/"0".
_OBVIOUS_PAIRS = (*BOOLEAN_PAIRS, ("1", "0"))
# Objectives that swapping the two classes leaves unchanged: without a
# constraint, they need no positive class.
_SYMMETRIC_OBJECTIVES = ("balanced_accuracy", "accuracy", "mcc", "youden", "gmean")


def _default_pos_label(classes, needed):
    """The positive class of two sorted labels when ``pos_label`` is None.

    Numbers and booleans: the greater label (1, True). Text: the positive word
    of an obvious pair (yes/no, true/false, y/n, t/f, 1/0, any case); any
    other pair of texts is an error, as in scikit-learn, when the result
    depends on which class is positive (``needed``), else the greater label.
    """
    values = classes.tolist()
    if all(isinstance(v, Real) for v in values):
        return classes[-1]
    words = [str(v).strip().lower() for v in values]
    for positive, negative in _OBVIOUS_PAIRS:
        if sorted(words) == sorted((positive, negative)):
            return classes[words.index(positive)]
    if not needed:
        return classes[-1]
    raise ValueError(
        f"y takes the values {values!r} and pos_label is not specified: no "
        "class is obviously the positive one (only yes/no, true/false, y/n, t/f "
        f"and 1/0 are), so pass pos_label, one of {values!r}."
    )


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _index_params(params, indices, n_samples):
    """Rows ``indices`` of every fit parameter that has one value per row."""
    out = {}
    for key, value in params.items():
        if (
            value is not None
            and not np.isscalar(value)
            and hasattr(value, "__len__")
            and _n_rows(value) == n_samples
        ):
            out[key] = _safe_indexing(value, indices)
        else:
            out[key] = value
    return out


def _estimator_has(attr):
    """Check the fitted estimator_ if there is one, else the estimator."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


def _delegated(method, summary, returns, description):
    """The method ``method`` of ThresholdTunedClassifier: the estimator's own."""

    def delegate(self, X):
        check_is_fitted(self, "best_threshold_")
        return getattr(self.estimator_, method)(X)

    delegate.__name__ = method
    delegate.__qualname__ = f"ThresholdTunedClassifier.{method}"
    delegate.__doc__ = f"""{summary}

        Parameters
        ----------
        X : {{array-like, sparse matrix, DataFrame}} of shape (n_samples, n_features)
            Rows, as the estimator accepts them.

        Returns
        -------
        {returns}
            {description}
        """
    return available_if(_estimator_has(method))(delegate)


def _positive_scores(estimator, X, response_method, pos_label):
    """Scores of the positive class: higher means more likely ``pos_label``.

    Returns the scores and the method used.
    """
    if response_method == "auto":
        methods = ("predict_proba", "decision_function")
    else:
        methods = (response_method,)
    method = next((m for m in methods if hasattr(estimator, m)), None)
    if method is None:
        raise AttributeError(
            f"{type(estimator).__name__} has none of the response methods "
            f"{list(methods)} (response_method={response_method!r})."
        )
    classes = np.asarray(estimator.classes_)
    if len(classes) != 2:
        raise ValueError(
            "Only binary classification is supported. The estimator was fitted on "
            f"{len(classes)} classes, got classes_={classes!r}."
        )
    column = np.flatnonzero(classes == pos_label)
    if column.size == 0:
        raise ValueError(
            f"pos_label={pos_label!r} is not a class of the estimator; its "
            f"classes are {classes.tolist()!r}."
        )
    raw = getattr(estimator, method)(X)
    raw = np.asarray(raw, dtype=np.float64)
    if method == "predict_proba":
        scores = raw[:, column[0]]
    else:
        scores = raw.ravel() if raw.ndim == 2 and raw.shape[1] == 1 else raw
        if scores.ndim != 1:
            raise ValueError(
                "decision_function of a binary classifier must return one score "
                f"per row, got an array of shape {raw.shape}."
            )
        if column[0] == 0:
            scores = -scores
    return scores, method


def _fit_and_score(
    estimator, X, y, train, test, fit_params, response_method, pos_label, keep
):
    """Fit ``estimator`` on the rows ``train`` and score the rows ``test``.

    Returns the scores, the response method used and, when ``keep``, the fitted
    estimator (else None).
    """
    n_samples = _n_rows(X)
    estimator.fit(
        _safe_indexing(X, train),
        _safe_indexing(y, train),
        **_index_params(fit_params, train, n_samples),
    )
    scores, method = _positive_scores(
        estimator, _safe_indexing(X, test), response_method, pos_label
    )
    return scores, method, estimator if keep else None


def _fit_all(estimator, X, y, fit_params):
    return estimator.fit(X, y, **fit_params)


class ThresholdTunedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Binary classifier whose decision threshold is tuned to a business objective.

    Maximises an objective (F1, precision, a cost, ...) under constraints such as
    "recall at least 0.80" or "flag at most 10% of rows", on out-of-fold scores:
    each training row is scored by a model fitted on the other folds (folds fitted
    in parallel), then one sort of those scores and cumulative sums give the
    confusion counts at every distinct score, so every threshold that changes a
    prediction is evaluated exactly -- no grid and no averaging over folds. The
    threshold kept is the midpoint between the two adjacent distinct scores where
    the best feasible point lies. The estimator is then refit on all the data.

    Parameters
    ----------
    estimator : estimator instance
        A binary classifier with ``predict_proba`` or ``decision_function``, for
        instance a :class:`~sklearn.pipeline.Pipeline`. Cloned, unless
        ``cv="prefit"``.
    objective : {"auto", "f1", "fbeta", "precision", "recall", "specificity", \
            "balanced_accuracy", "mcc", "youden", "gmean", "accuracy", "cost"} \
            or callable, default="auto"
        What to maximise among the thresholds that satisfy every constraint.
        "auto" is "cost" when ``cost`` is given, else "f1".
        "youden" is recall + specificity - 1, "gmean" the geometric mean of recall
        and specificity, "mcc" Matthews' correlation coefficient. A callable gets
        the four arrays of confusion counts ``(tp, fp, tn, fn)`` (one value per
        candidate threshold, float arrays) and returns one score per threshold;
        write it with array operations. Undefined ratios (0 / 0) count as 0.
        "cost" minimises the expected cost of ``cost``. Any objective but
        "auto" and "cost" together with ``cost`` is an error: one quantity is
        optimised, the others are bounded with ``constraint``.
    beta : float, default=1.0
        Weight of recall in the F-beta score (``objective="fbeta"``).
    constraint : dict or None, default=None
        ``{metric: bound}`` that the chosen threshold must satisfy. Lower bounds
        (the metric must be at least the bound): "recall" (also "tpr",
        "sensitivity"), "precision" ("ppv"), "specificity" ("tnr"), "npv",
        "accuracy". Upper bounds (at most the bound) for the rates of errors and
        of alerts: "fpr", "fnr", "alert_rate". For instance
        ``{"recall": 0.8, "fpr": 0.05}``.
    cost : dict or None, default=None
        Cost per row of each outcome, keys among "tp", "fp", "tn", "fn" (missing
        ones cost 0; a gain is a negative cost), e.g. ``{"fp": 1, "fn": 5}``. When
        given, the threshold minimises the expected cost per row, and
        ``objective`` must be "auto" or "cost". A 2 x 2 matrix is refused, with
        the dict it stands for in scikit-learn's confusion-matrix layout.
    alert_rate : float in [0, 1] or None, default=None
        Review budget: flag at most this fraction of rows as positive (the same
        as ``constraint={"alert_rate": ...}``).
    pos_label : int, float, bool, str or None, default=None
        The positive class. None means the greater of two numeric or boolean
        labels (1 for 0/1, True for booleans), or the positive word of a yes/no,
        true/false, y/n, t/f or "1"/"0" pair of texts (any case). Other text
        labels need ``pos_label`` (an error names the classes, as in
        scikit-learn), unless the objective treats both classes alike
        ("balanced_accuracy", "accuracy", "mcc", "youden", "gmean") with no
        constraint; the greater label is then ``pos_label_``.
    response_method : {"auto", "predict_proba", "decision_function"}, \
            default="auto"
        The score thresholded; "auto" uses ``predict_proba`` when the estimator
        has it, else ``decision_function``.
    cv : int, cross-validation generator, iterable, float or "prefit", default=5
        How the out-of-fold scores are made. An int is a number of stratified
        folds (shuffled when ``random_state`` is set); a float in (0, 1) one
        stratified split holding out that fraction; "prefit" uses the fitted
        ``estimator`` as it is and tunes the threshold on the rows given to
        ``fit`` (held-out data). The scores of every validation set are pooled;
        a row in several validation sets counts once per set.
    refit : bool, default=True
        Refit the estimator on all of ``X`` after tuning. With ``refit=False``,
        ``cv`` must be one split (a float, or a splitter with one split) and the
        model fitted on its training part is kept. Ignored when
        ``cv="prefit"``.
    confidence : float in (0, 1) or None, default=None
        When set, a constraint holds only when its one-sided Clopper-Pearson
        bound at this level satisfies it (the lower bound for "recall", computed
        on the positives; the upper bound for "fpr" and the alert rate), not the
        point estimate alone. The constraint then keeps holding on new data
        about that often. Every constraint metric is a proportion, so each has
        such a bound. With ``sample_weight``, the bound uses the effective
        number of rows (see Notes). Without a constraint it would have no
        effect, so it is an error.
    on_infeasible : {"warn", "raise"}, default="warn"
        When no threshold satisfies the constraints: "warn" keeps the threshold
        closest to satisfying them (smallest total shortfall) and emits an
        :class:`~sklearn_workflow.exceptions.InfeasibleConstraintWarning` with the
        best achievable values; "raise" raises a ``ValueError`` saying the same.
    n_jobs : int or None, default=None
        Number of folds fitted in parallel (the final refit runs alongside them),
        through joblib; None means 1 unless in a ``joblib.parallel_config``
        context.
    random_state : int, RandomState instance or None, default=None
        Shuffles the rows into folds when ``cv`` is an int, draws the split when
        ``cv`` is a float.
    verbose : int, default=0
        0 prints nothing; 1 prints the chosen threshold; higher values also pass
        to joblib, which reports the folds.

    Attributes
    ----------
    best_threshold_ : float
        Decision threshold: ``predict`` returns the positive class where the score
        is at least this value. ``inf`` (nothing flagged) or ``-inf`` (everything
        flagged) when the best feasible point lies beyond the scores.
        ``threshold_`` is the same value.
    best_score_ : float
        Out-of-fold objective at ``best_threshold_`` (the negative expected
        cost per row for a cost objective).
    constraint_satisfied_ : bool
        Whether ``best_threshold_`` satisfies every constraint (True without
        constraints).
    curve_ : pandas.DataFrame
        One row per candidate threshold, increasing: threshold, tp, fp, tn, fn,
        precision, recall, f1, fpr, alert_rate, cost (expected cost per row;
        the error rate when ``cost`` is None), objective, feasible, then for
        each constrained metric not already there its value and, with
        ``confidence``, its bound (``recall_bound``, ...).
    estimator_ : estimator instance
        The fitted classifier used to predict.
    classes_ : ndarray of shape (2,)
        The class labels.
    pos_label_ : int, float, bool or str
        The positive class used.
    response_method_ : str
        The method whose scores are thresholded.
    oof_scores_ : ndarray of shape (n_samples,)
        The positive-class score of every training row that the threshold was
        tuned on: out of fold, or from the fitted estimator with
        ``cv="prefit"``; NaN for rows in no validation set. Monitoring reads
        them as the reference distribution of the model's scores.
    n_features_in_ : int
        Number of features seen by ``estimator_``, when it has the attribute.
    feature_names_in_ : ndarray of str
        Feature names seen by ``estimator_``, when it has the attribute.

    See Also
    --------
    sklearn.model_selection.TunedThresholdClassifierCV : Maximises one scorer on a
        grid of thresholds (100 by default), averaged over folds; no constraint,
        cost or alert-budget objectives, and each fold is scored at every grid
        point.
    sklearn.model_selection.FixedThresholdClassifier : A threshold set by hand.

    Notes
    -----
    Candidate thresholds are ``+inf`` (nothing flagged), every midpoint between
    adjacent distinct out-of-fold scores, and ``-inf`` (everything flagged), so rows
    with equal scores always fall on the same side. Ties: among thresholds whose
    objective is equal (up to rounding), the highest is chosen -- it flags the
    fewest rows, the more conservative alerting choice. When no threshold is
    feasible, the one with the smallest summed shortfall of the constraints is
    kept, ties broken by the objective, then toward the higher threshold.

    Picking the threshold exactly where out-of-fold recall reaches 0.80 misses
    0.80 on new data in about half of the samples, as the estimate is noisy around
    the bound; ``confidence=0.9`` asks for the Clopper-Pearson lower bound of recall
    to reach 0.80, which holds on new data in at least about 90% of them (the
    bound is exact for a fixed threshold, and conservative).

    With ``sample_weight`` the confusion counts are sums of weights, so the
    curve, the constraints, the costs and the alert budget are all weighted,
    and integer weights tune the same threshold as rows repeated that many
    times (on the same folds). Rows of weight 0 are left out of the curve. The
    Clopper-Pearson bounds of ``confidence`` read weights as survey or
    importance weights rather than repeated rows: a weighted proportion over
    rows of weights ``w`` is as precise as one over ``(sum w)**2 / sum(w**2)``
    rows (Kish's effective sample size), which is the number of rows with unit
    weights and less with unequal ones.

    Rows that no validation set holds (the first block of ``TimeSeriesSplit``)
    get no out-of-fold score: the threshold is tuned on the other rows. The
    estimator is refit on all of them.

    Examples
    --------
    The churn problem card's question: catch at least 80% of churners, with the best
    precision possible.

    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.thresholds import ThresholdTunedClassifier
    >>> X, y = make_classification(
    ...     1000, weights=[0.8, 0.2], class_sep=0.5, flip_y=0.05, random_state=0
    ... )
    >>> clf = ThresholdTunedClassifier(
    ...     LogisticRegression(),
    ...     objective="precision",
    ...     constraint={"recall": 0.8},
    ... ).fit(X, y)
    >>> bool(clf.constraint_satisfied_)
    True
    >>> row = clf.curve_.set_index("threshold").loc[clf.best_threshold_]
    >>> print(f"recall {row.recall:.3f}, precision {row.precision:.3f}")
    recall 0.809, precision 0.366

    With ``confidence=0.9`` the lower bound of recall must reach 0.80, so that
    recall stays above 0.80 on new data about nine times in ten:

    >>> sure = ThresholdTunedClassifier(
    ...     LogisticRegression(),
    ...     objective="precision",
    ...     constraint={"recall": 0.8},
    ...     confidence=0.9,
    ... ).fit(X, y)
    >>> row = sure.curve_.set_index("threshold").loc[sure.best_threshold_]
    >>> print(f"recall {row.recall:.3f}, its lower bound {row.recall_bound:.3f}")
    recall 0.841, its lower bound 0.805

    Catching 90% of the positives (22% of the rows) while flagging at most 10% of
    the rows is impossible: a warning says so and the closest threshold is kept.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     budget = ThresholdTunedClassifier(
    ...         LogisticRegression(), constraint={"recall": 0.9}, alert_rate=0.1
    ...     ).fit(X, y)
    >>> bool(budget.constraint_satisfied_), caught[0].category.__name__
    (False, 'InfeasibleConstraintWarning')

    Text labels other than yes/no need ``pos_label``:

    >>> import numpy as np
    >>> species = np.where(y == 1, "Adelie", "other")
    >>> ThresholdTunedClassifier(LogisticRegression()).fit(X, species)
    Traceback (most recent call last):
    ...
    ValueError: y takes the values ['Adelie', 'other'] and pos_label is not ...
    >>> clf = ThresholdTunedClassifier(LogisticRegression(), pos_label="Adelie")
    >>> clf.fit(X, species).predict(X[:3]).tolist()
    ['Adelie', 'other', 'other']
    """

    _parameter_constraints: dict = {
        "estimator": [
            HasMethods(["fit", "predict_proba"]),
            HasMethods(["fit", "decision_function"]),
        ],
        "objective": [StrOptions({"auto", *OBJECTIVES}), callable],
        "beta": [Interval(Real, 0, None, closed="neither")],
        "constraint": [dict, None],
        # a matrix is refused in fit, with the dict it may mean
        "cost": [dict, "array-like", None],
        "alert_rate": [Interval(Real, 0, 1, closed="both"), None],
        "pos_label": [Real, str, "boolean", None],
        "response_method": [StrOptions({"auto", "predict_proba", "decision_function"})],
        "cv": [
            "cv_object",
            StrOptions({"prefit"}),
            Interval(RealNotInt, 0.0, 1.0, closed="neither"),
        ],
        "refit": ["boolean"],
        "confidence": [Interval(Real, 0, 1, closed="neither"), None],
        "on_infeasible": [StrOptions({"warn", "raise"})],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator,
        *,
        objective="auto",
        beta=1.0,
        constraint=None,
        cost=None,
        alert_rate=None,
        pos_label=None,
        response_method="auto",
        cv=5,
        refit=True,
        confidence=None,
        on_infeasible="warn",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        store_params(self, locals())

    # -- fitting -----------------------------------------------------------------

    def _check_params(self):
        """The objective, the parsed costs and constraints; errors for a
        parameter that the others would leave without effect."""
        if self.cost is not None and self.objective not in ("auto", "cost"):
            raise ValueError(
                "cost is set, so the threshold minimises the expected cost; leave "
                "objective='auto' or set it to 'cost' (a constraint bounds the "
                f"other metrics), got objective={self.objective!r}."
            )
        if self.objective == "cost" and self.cost is None:
            raise ValueError(
                "objective='cost' needs the costs of the outcomes, e.g. "
                "cost={'fp': 1, 'fn': 5}; got cost=None."
            )
        if (
            self.confidence is not None
            and not self.constraint
            and (self.alert_rate is None)
        ):
            raise ValueError(
                "confidence applies to the constraints (their Clopper-Pearson "
                "bounds), and there is none: set constraint or alert_rate, or "
                f"leave confidence=None; got confidence={self.confidence!r}."
            )
        if self.cost is not None:
            objective = "cost"
        else:
            objective = "f1" if self.objective == "auto" else self.objective
        cost = parse_cost(self.cost)
        constraints = parse_constraints(self.constraint, self.alert_rate)
        return objective, cost, constraints

    def _splitter(self):
        """The cross-validation splitter, or None for cv='prefit'."""
        if isinstance(self.cv, str) and self.cv == "prefit":
            return None
        if isinstance(self.cv, Real) and not isinstance(self.cv, Integral):
            return StratifiedShuffleSplit(
                n_splits=1, test_size=self.cv, random_state=self.random_state
            )
        if isinstance(self.cv, Integral):
            shuffle = self.random_state is not None
            return StratifiedKFold(
                n_splits=self.cv,
                shuffle=shuffle,
                random_state=self.random_state if shuffle else None,
            )
        return check_cv(self.cv, classifier=True)

    def _splits(self, X, y, split_params):
        """The cross-validation splits, or None for cv='prefit'."""
        splitter = self._splitter()
        if splitter is None:
            return None
        splits = list(splitter.split(X, y, **split_params))
        if not self.refit and len(splits) != 1:
            raise ValueError(
                "refit=False keeps the model fitted on the training part of a "
                "single split, so cv must make exactly one split; got cv="
                f"{self.cv!r} with {len(splits)} splits."
            )
        return splits

    def _route(self, sample_weight, params):
        """Fit parameters of the estimator and of the splitter's ``split``.

        With metadata routing enabled, scikit-learn's ``process_routing`` sends
        each parameter where it is requested. Without it, every parameter but
        ``groups`` goes to the estimator's fit (``sample_weight`` too) and
        ``groups`` to the splitter, as in ``GridSearchCV``.
        """
        if get_config()["enable_metadata_routing"]:
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            if "estimator" not in routed:  # cv="prefit"
                return {}, {}
            return routed.estimator.fit, routed.splitter.split
        params = dict(params)
        groups = params.pop("groups", None)
        if sample_weight is not None:
            params["sample_weight"] = sample_weight
        return params, ({} if groups is None else {"groups": groups})

    @_fit_context(
        # the estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the estimator and tune the decision threshold.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Training data, as the estimator accepts it.
        y : array-like of shape (n_samples,)
            Binary target.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights. The confusion counts of the threshold
            curve are sums of weights; the weights also go to the estimator's
            fit (with metadata routing, where it requests them).
        **params : dict
            Without metadata routing: ``groups`` goes to the splitter's
            ``split``, the rest to the estimator's ``fit`` (indexed by fold
            when they have one value per row). With
            ``sklearn.set_config(enable_metadata_routing=True)``: each goes
            where it is requested (see :meth:`get_metadata_routing`).

        Returns
        -------
        self : ThresholdTunedClassifier
            The fitted classifier.
        """
        objective, cost, constraints = self._check_params()
        X, y = indexable(X, y)
        y = column_or_1d(y, warn=True)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, np.empty((len(y), 0)), ensure_non_negative=True
            )
        fit_params, split_params = self._route(sample_weight, params)
        needed = bool(constraints) or objective not in _SYMMETRIC_OBJECTIVES
        pos_label = self._positive_label(y, sample_weight, needed)
        splits = self._splits(X, y, split_params)
        if splits is None:
            scores, method, rows = self._prefit_scores(X, pos_label)
        else:
            scores, method, rows = self._out_of_fold_scores(
                X, y, splits, fit_params, pos_label
            )
        if not np.all(np.isfinite(scores)):
            raise ValueError(
                f"The estimator's {method} returned non-finite scores (NaN or "
                "infinity); a threshold cannot be tuned on them."
            )
        self.classes_ = np.asarray(self.estimator_.classes_)
        self.pos_label_ = pos_label
        self.response_method_ = method
        self.oof_scores_ = np.full(_n_rows(X), np.nan)
        self.oof_scores_[rows] = scores
        positive = np.asarray(_safe_indexing(y, rows)) == pos_label
        weights = None if sample_weight is None else sample_weight[rows]
        self._tune(positive, scores, weights, objective, cost, constraints)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def _positive_label(self, y, sample_weight, needed):
        """The positive class: ``pos_label``, else the obvious one of the two
        (``needed``: whether the objective and constraints depend on it)."""
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(
                "Only binary classification is supported. Got a target of type "
                f"{y_type!r} with classes {np.unique(y).tolist()!r}."
            )
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                "The target has one class only, got classes "
                f"{classes.tolist()!r}; a threshold needs both classes."
            )
        if sample_weight is not None:
            weights = [sample_weight[y == label].sum() for label in classes]
            if min(weights) <= 0:
                empty = classes.tolist()[int(np.argmin(weights))]
                raise ValueError(
                    f"sample_weight gives the class {empty!r} a total weight of 0; "
                    "a threshold needs both classes, got classes "
                    f"{classes.tolist()!r}."
                )
        if self.pos_label is None:
            pos_label = _default_pos_label(classes, needed)
        else:
            pos_label = self.pos_label
            if not np.any(classes == pos_label):
                raise ValueError(
                    f"pos_label={pos_label!r} is not a class of y; the classes are "
                    f"{classes.tolist()!r}."
                )
        return pos_label.item() if hasattr(pos_label, "item") else pos_label

    def _prefit_scores(self, X, pos_label):
        """``cv="prefit"``: the fitted estimator's scores on every row of ``X``."""
        try:
            check_is_fitted(self.estimator, "classes_")
        except NotFittedError as exc:
            raise NotFittedError(
                "When cv='prefit', the estimator must be fitted already; "
                f"{type(self.estimator).__name__} is not."
            ) from exc
        self.estimator_ = self.estimator
        scores, method = _positive_scores(
            self.estimator_, X, self.response_method, pos_label
        )
        return scores, method, np.arange(_n_rows(X))

    def _out_of_fold_scores(self, X, y, splits, fit_params, pos_label):
        """Out-of-fold scores (and the refit on all the rows), in parallel.

        Returns the scores, the response method and the row of each score: the
        validation rows of every split, in order. Rows in no validation set
        (the first block of ``TimeSeriesSplit``) have no score.
        """
        jobs = [
            delayed(_fit_and_score)(
                clone(self.estimator),
                X,
                y,
                train,
                test,
                fit_params,
                self.response_method,
                pos_label,
                not self.refit,
            )
            for train, test in splits
        ]
        if self.refit:
            jobs.append(delayed(_fit_all)(clone(self.estimator), X, y, fit_params))
        results = Parallel(n_jobs=self.n_jobs, verbose=max(int(self.verbose) - 1, 0))(
            jobs
        )
        if self.refit:
            self.estimator_ = results.pop()
        else:
            self.estimator_ = results[0][2]
        scores = np.concatenate([result[0] for result in results])
        rows = np.concatenate([np.asarray(test) for _, test in splits])
        return scores, results[0][1], rows

    def get_metadata_routing(self):
        """How fit parameters are routed, with metadata routing enabled.

        ``fit`` uses ``sample_weight`` itself (the weighted confusion counts;
        request it with ``set_fit_request(sample_weight=True)``), passes to the
        estimator's ``fit`` what the estimator requests, and to the splitter's
        ``split`` what it requests (``groups`` for a group splitter). With
        ``cv="prefit"`` the estimator is not fitted, so nothing is routed.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`.
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        splitter = self._splitter()
        if splitter is None:  # cv="prefit": the estimator is not fitted again
            return router
        router.add(
            estimator=self.estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
        router.add(
            splitter=splitter,
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        return router

    def _tune(self, positive, scores, weights, objective, cost, constraints):
        """Choose the threshold on the out-of-fold scores; set the attributes."""
        squared = None
        if weights is not None:
            # Rows of weight 0 are as good as absent: they do not separate
            # thresholds either.
            kept = weights > 0
            positive, scores, weights = positive[kept], scores[kept], weights[kept]
            if self.confidence is not None:
                squared = confusion_counts(positive, scores, weights * weights)[1:]
        thresholds, tp, fp, tn, fn = confusion_counts(positive, scores, weights)
        n = tp + fp + tn + fn
        values = objective_scores(objective, tp, fp, tn, fn, beta=self.beta, cost=cost)
        curve = {
            "threshold": thresholds,
            "tp": tp,
            "fp": fp,
            "tn": tn,
            "fn": fn,
            "precision": objective_scores("precision", tp, fp, tn, fn),
            "recall": objective_scores("recall", tp, fp, tn, fn),
            "f1": objective_scores("f1", tp, fp, tn, fn),
            "fpr": 1 - objective_scores("specificity", tp, fp, tn, fn),
            "alert_rate": (tp + fp) / n,
            "cost": expected_cost(cost, tp, fp, tn, fn),
            "objective": values,
        }
        feasible = np.ones(thresholds.shape, dtype=bool)
        shortfall = np.zeros(thresholds.shape)
        checked = {}
        extra = {}
        for name, kind, bound in constraints:
            successes, trials, value = constraint_metric(name, tp, fp, tn, fn)
            if name not in curve:
                extra[name] = value
            if self.confidence is not None:
                if squared is not None:
                    successes, trials = effective_proportion(
                        name, (tp, fp, tn, fn), squared
                    )
                value = clopper_pearson(successes, trials, self.confidence, kind)
                extra[f"{name}_bound"] = value
            gap = bound - value if kind == "lower" else value - bound
            # The bound is met where the gap is not positive (rounding aside).
            met = gap <= 1e-12
            feasible &= met
            shortfall += np.where(met, 0.0, gap)
            checked[name] = (kind, bound, value, met)
        curve["feasible"] = feasible
        curve.update(extra)

        if feasible.any():
            candidates = np.flatnonzero(feasible)
        else:
            least = shortfall.min()
            candidates = np.flatnonzero(shortfall <= least + 1e-12)
        best = values[candidates].max()
        tol = _TIE_RTOL * max(1.0, abs(best))
        # thresholds decrease along the arrays: the first is the highest one.
        index = candidates[np.flatnonzero(values[candidates] >= best - tol)[0]]

        self.best_threshold_ = float(thresholds[index])
        self.best_score_ = float(values[index])
        self.constraint_satisfied_ = bool(feasible[index])
        # Stored as arrays (increasing thresholds) so that the fitted model
        # persists with skops; curve_ builds the DataFrame.
        self._curve = {key: np.asarray(col)[::-1].copy() for key, col in curve.items()}
        self._constraints = constraints

        if not self.constraint_satisfied_:
            self._report_infeasible(checked, index)
        if self.verbose:
            print(
                f"[ThresholdTunedClassifier] threshold={self.best_threshold_:.6g} "
                f"objective={self.best_score_:.6g} "
                f"constraint_satisfied={self.constraint_satisfied_}"
            )

    def _report_infeasible(self, checked, index):
        statistic = "bound" if self.confidence is not None else "value"
        wanted = " and ".join(
            f"{name} {'>=' if kind == 'lower' else '<='} {bound:g}"
            for name, (kind, bound, _, _) in checked.items()
        )
        parts = []
        for name, (kind, _, value, _) in checked.items():
            # Best value of this constraint's metric among the thresholds that
            # satisfy the others (all thresholds when none does).
            others = np.ones(value.shape, dtype=bool)
            for other, (_, _, _, met) in checked.items():
                if other != name:
                    others &= met
            pool = value[others] if others.any() else value
            best = pool.max() if kind == "lower" else pool.min()
            given = "" if len(checked) == 1 or not others.any() else " given the rest"
            word = "highest" if kind == "lower" else "lowest"
            parts.append(f"{word} {name} {best:.4g}{given}")
        achievable = ", ".join(parts)
        reached = ", ".join(
            f"{name} {value[index]:.4g}" for name, (_, _, value, _) in checked.items()
        )
        level = (
            f" (the {self.confidence:g} Clopper-Pearson {statistic}s)"
            if self.confidence is not None
            else ""
        )
        message = (
            f"No threshold satisfies the constraint {wanted} on the out-of-fold "
            f"scores{level}: the best achievable is {achievable}."
        )
        if self.on_infeasible == "raise":
            raise ValueError(
                message + " Relax the constraint, or set on_infeasible='warn' to "
                "keep the closest threshold."
            )
        warnings.warn(
            message + f" Using threshold {self.best_threshold_:.6g}, the closest to "
            f"satisfying it ({reached}).",
            InfeasibleConstraintWarning,
            # _report_infeasible < _tune < fit < _fit_context wrapper < caller
            stacklevel=5,
        )

    # -- fitted attributes ---------------------------------------------------------

    @property
    def threshold_(self):
        """The tuned threshold, ``best_threshold_`` (the name scikit-learn's
        ``TunedThresholdClassifierCV`` uses)."""
        check_is_fitted(self, "best_threshold_")
        return self.best_threshold_

    @property
    def curve_(self):
        """Every candidate threshold with its confusion counts and metrics."""
        check_is_fitted(self, "best_threshold_")
        return pd.DataFrame(self._curve)

    # -- prediction ------------------------------------------------------------------

    def _scores(self, X):
        check_is_fitted(self, "best_threshold_")
        scores, _ = _positive_scores(
            self.estimator_, X, self.response_method_, self.pos_label_
        )
        return scores

    def predict(self, X):
        """Predict the class of each row with the tuned threshold.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Rows to classify, as the estimator accepts them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``pos_label_`` where the score is at least ``threshold_``, the other
            class elsewhere.
        """
        positive = self._scores(X) >= self.best_threshold_
        neg_label = self.classes_[self.classes_ != self.pos_label_][0]
        pos_label = self.classes_[self.classes_ == self.pos_label_][0]
        return np.where(positive, pos_label, neg_label).astype(
            self.classes_.dtype, copy=False
        )

    predict_proba = _delegated(
        "predict_proba",
        "Class probabilities of the estimator (not affected by the threshold).",
        "proba : ndarray of shape (n_samples, 2)",
        "Columns in the order of ``classes_``.",
    )
    predict_log_proba = _delegated(
        "predict_log_proba",
        "Log class probabilities of the estimator.",
        "log_proba : ndarray of shape (n_samples, 2)",
        "Columns in the order of ``classes_``.",
    )
    decision_function = _delegated(
        "decision_function",
        "Decision function of the estimator (not affected by the threshold).",
        "decision : ndarray of shape (n_samples,)",
        "Positive toward ``classes_[1]``, as scikit-learn's convention.",
    )

    # -- plot ------------------------------------------------------------------------

    def plot(self, ax=None):
        """Precision, recall and the objective against the threshold.

        The chosen threshold is marked with a vertical line, each constraint's
        bound with a horizontal one. The infinite end thresholds are left out.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; a new figure when None.

        Returns
        -------
        fig : matplotlib.figure.Figure
            The figure drawn on.
        """
        import matplotlib.pyplot as plt

        curve = self.curve_
        curve = curve[np.isfinite(curve["threshold"])]
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4.5))
        else:
            fig = ax.figure
        x = curve["threshold"].to_numpy()
        ax.plot(x, curve["precision"], label="precision")
        ax.plot(x, curve["recall"], label="recall")
        name = (
            "objective (-cost)"
            if self.cost is not None
            else f"objective ({getattr(self.objective, '__name__', self.objective)})"
        )
        if self.cost is not None or self.objective not in ("precision", "recall"):
            ax.plot(x, curve["objective"], label=name, linestyle="--")
        for metric, kind, bound in self._constraints:
            sign = ">=" if kind == "lower" else "<="
            ax.axhline(bound, color="grey", linestyle=":", linewidth=1)
            ax.annotate(
                f"{metric} {sign} {bound:g}",
                (x.min() if len(x) else 0, bound),
                fontsize=8,
                color="grey",
                va="bottom",
            )
        if np.isfinite(self.best_threshold_):
            ax.axvline(self.best_threshold_, color="black", linewidth=1)
            ax.plot(
                [self.best_threshold_],
                [self.best_score_],
                marker="o",
                color="black",
                label=f"chosen threshold {self.best_threshold_:.3g}",
            )
        ax.set_xlabel(f"threshold on {self.response_method_}")
        ax.set_ylabel("out-of-fold value")
        ax.set_title(
            "Threshold tuning"
            + ("" if self.constraint_satisfied_ else " (constraint not satisfied)")
        )
        ax.legend(loc="best", fontsize=8)
        return fig

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.sparse = inner.sparse
        tags.input_tags.allow_nan = inner.allow_nan
        return tags
