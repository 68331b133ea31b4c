"""Out-of-fold target encoding with empirical-Bayes shrinkage and sample weights.

Each encoded column is factorized once into integer codes. The statistics of every
(category, fold, class) cell come from a single ``np.bincount`` over a combined
index ``code * stride + offset`` (the offset holds the row's fold and class, and is
shared by all columns), so the work per column is linear in the number of rows and
independent of the number of folds: the training statistics of fold ``k`` are the
totals minus the cells of fold ``k``. The out-of-fold values are then one lookup of
that same combined index in a small table.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    check_cv,
)
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sklearn_workflow.features._base import _ColumnTransformerMixin
from sklearn_workflow.scale._categories import CategoryTargetState
from sklearn_workflow.scale._folds import HashFolds
from sklearn_workflow.utils._dataframe import (
    argsort_values,
    column_kind,
    factorize_codes,
    get_column,
    has_category_list,
    is_dataframe,
    is_polars,
    make_output,
    n_rows,
    to_float_array,
)
from sklearn_workflow.utils._param_validation import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
)
from sklearn_workflow.utils._params import store_params

__all__ = ["TargetEncoder"]

# An integer column of at most this many distinct values that columns=None
# leaves alone is named in a warning: it may be a category coded as numbers.
_FEW_VALUES = 20


def _few_integer_values(col):
    """Whether a numeric column holds only integers, of few distinct values
    (at most 20, and each value on two rows on average)."""
    values = to_float_array(col)
    values = values[~np.isnan(values)]
    if values.size == 0 or not np.array_equal(values, np.floor(values)):
        return False
    _, uniques = factorize_codes(values)
    return len(uniques) <= min(_FEW_VALUES, values.size // 2)


# Splitters whose validation folds partition the rows, each with the complement as
# training set: the fast "totals minus fold" path applies without checking.
_PARTITION_SPLITTERS = (KFold, StratifiedKFold, GroupKFold, StratifiedGroupKFold)


class TargetEncoder(_ColumnTransformerMixin, TransformerMixin, BaseEstimator):
    """Encode categories by a shrunk mean of the target, out-of-fold in fit_transform.

    Each category of an encoded column is replaced by the mean of the target over
    the training rows of that category, shrunk toward the global mean of the target
    (the prior) the more, the fewer and noisier those rows are. Binary targets give
    the shrunk rate of the positive class, multiclass targets one shrunk rate per
    class, continuous targets the shrunk mean.

    ``fit_transform(X, y)`` is out-of-fold (cross fitting): the rows are split in
    ``cv`` folds, and each row is encoded with statistics learned on the other folds
    only, so the encoding of a row never depends on its own target. ``transform``
    uses statistics learned on all the rows given to ``fit``. Use ``fit_transform``
    on the training data (a ``Pipeline`` does) and ``transform`` on new data.
    ``fit(X, y).transform(X)`` encodes each training row with its own target inside
    the mean, which leaks: a model trained on it over-trusts rare categories.

    Parameters
    ----------
    columns : None, "all" or list of str or int, default=None
        Columns to encode. None encodes every categorical column: pandas object,
        ``str``/string, category and boolean, polars String, Categorical, Enum and
        Boolean (integer or float columns are encoded only when named). "all"
        encodes every column given, as scikit-learn's encoder does (use it
        inside a ``ColumnTransformer`` that selects the columns). A list names
        DataFrame columns, or gives positions for arrays. The other columns pass
        through unchanged, in place; with None, ``fit`` warns about each
        integer column of at most 20 distinct values (and half as many as
        rows) that it leaves alone (a category coded as numbers, such as a
        number of cylinders), naming it and ``columns``.
    smooth : "auto" or float, default="auto"
        Shrinkage toward the prior. "auto" is the empirical-Bayes estimate: a
        category with ``n`` rows (total weight ``n``), mean ``m`` and within-
        category variance ``s2`` gets ``lam * m + (1 - lam) * prior`` with
        ``lam = n * v / (n * v + s2)``, ``v`` the variance of the target. A float
        ``a`` is an m-estimate: ``(n * m + a * prior) / (n + a)``; 0 gives the raw
        category mean.
    cv : int, cross-validation generator or iterable, default=5
        Folds of ``fit_transform``. An int gives ``StratifiedKFold`` for binary and
        multiclass targets and ``KFold`` for continuous ones, shuffled by
        ``shuffle`` and ``random_state``. Any splitter works: ``GroupKFold`` (pass
        ``groups`` to ``fit_transform``), ``TimeSeriesSplit`` (each block is
        encoded with the blocks before it) or an iterable of (train, test) index
        arrays. A row may be in at most one validation fold; rows in none (the
        first block of ``TimeSeriesSplit``) get the prior (``target_mean_``), as
        no fold encodes them without their own target.
    shuffle : bool, default=True
        Shuffle the rows before splitting when ``cv`` is an int.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling when ``cv`` is an int and ``shuffle`` is True.
    target_type : {"auto", "binary", "multiclass", "continuous"}, default="auto"
        Type of the target; "auto" infers it with ``type_of_target`` (an integer
        target with more than two values is "multiclass": pass "continuous" for
        counts).
    handle_unknown : {"prior", "nan", "error"}, default="prior"
        Categories met in ``transform`` that ``fit`` never saw get the prior
        (``target_mean_``), NaN, or raise a ``ValueError`` that names the column
        and the values. A category that a training fold lacks gets that fold's
        prior in ``fit_transform`` whatever this setting.
    handle_missing : {"category", "prior", "nan"}, default="category"
        Missing values (NaN, None, pd.NA, NaT, polars null, all the same) form a
        category of their own ("category"; encoded with the prior when ``fit``
        saw none), are encoded with the prior ("prior") or stay NaN ("nan").
        Missing values are never "unknown".

    Attributes
    ----------
    columns_ : list of str or int
        The encoded columns (names, or positions for arrays), in input order.
    categories_ : list of ndarray of object
        Categories of each encoded column seen in ``fit``, sorted when the values
        are comparable (in order of first appearance otherwise); unused
        categories of a categorical dtype are left out. With
        ``handle_missing="category"`` and missing values in ``fit``, the last
        entry is NaN and stands for the missing values.
    encodings_ : list of ndarray of float64
        Encoding of each category, aligned with ``categories_``. For a multiclass
        target there is one array per column and class, column-major (column 0
        class 0, column 0 class 1, ..., column 1 class 0, ...), as in
        scikit-learn.
    target_mean_ : float or ndarray of shape (n_classes,)
        Weighted mean of the (binarized) target over all rows: the prior.
    target_type_ : str
        Type of the target ("binary", "multiclass" or "continuous").
    classes_ : ndarray or None
        Class labels for binary and multiclass targets; None for continuous.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names, when they are all strings.

    See Also
    --------
    sklearn.preprocessing.TargetEncoder : The same cross-fitted, empirical-Bayes
        encoding (ours equals it on the same folds), without sample weights,
        unknown-value policies or dataframe output, and slower on strings.
    category_encoders.TargetEncoder : Smoothed means without cross fitting: its
        ``fit_transform`` leaks the target into the training features.
    sklearn.preprocessing.OneHotEncoder : One column per category instead of one
        per column (or class).

    Notes
    -----
    The statistics are weighted: with ``sample_weight`` the category mean, the
    within-category variance, the prior and the target variance are weighted, so
    integer weights give the same encoding as repeated rows. Scikit-learn keeps
    None and NaN apart as two categories; here all missing markers are one.

    ``partial_fit`` and ``merge`` fit the encoder chunk by chunk, for instance
    partition by partition through ``sklearn_workflow.scale.fit_partitions``: per
    column they keep the weighted class counts of every category (the weighted sum
    and centred sum of squares for a continuous target), per fold when ``cv`` is a
    ``HashFolds``, and give the encodings of ``fit`` on all the rows to a relative
    1e-12. With ``HashFolds``, ``transform_out_of_fold`` gives the out-of-fold
    encodings of ``fit_transform``, a partition at a time.

    References
    ----------
    .. [1] Micci-Barreca, D. (2001). A preprocessing scheme for high-cardinality
       categorical attributes in classification and prediction problems.
       SIGKDD Explorations 3(1), 27-32.

    Examples
    --------
    A category seen once is pulled toward the prior; an unseen one gets the prior,
    and a missing value is a category of its own:

    >>> import pandas as pd
    >>> from sklearn_workflow.features import TargetEncoder
    >>> X = pd.DataFrame({"city": ["Paris", "Paris", "Paris", "Rome", None, None],
    ...                   "age": [31, 45, 27, 52, 38, 60]})
    >>> y = [1, 1, 0, 1, 0, 0]
    >>> enc = TargetEncoder(smooth=2.0).fit(X, y)
    >>> enc.categories_
    [array(['Paris', 'Rome', nan], dtype=object)]
    >>> enc.encodings_[0].round(3)
    array([0.6  , 0.667, 0.25 ])
    >>> enc.transform(pd.DataFrame({"city": ["Tokyo", None], "age": [40, 41]}))
           city_te  age
    0  0.500000   40
    1  0.250000   41

    ``fit_transform`` encodes each row from the other folds only. Folds are rows
    0-1, 2-3 and 4-5: "Rome" and the missing values appear in no other fold, so
    they get the prior of the other folds (0.5 and 0.75):

    >>> from sklearn.model_selection import KFold
    >>> enc = TargetEncoder(smooth=2.0, cv=KFold(3))
    >>> enc.fit_transform(X, y)["city_te"].round(3).tolist()
    [0.167, 0.167, 0.75, 0.5, 0.75, 0.75]
    """

    _default_kinds = ("categorical", "boolean")

    _parameter_constraints: dict = {
        "columns": [None, StrOptions({"all"}), "array-like"],
        "smooth": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "target_type": [
            StrOptions({"auto", "binary", "multiclass", "continuous"}),
        ],
        "handle_unknown": [StrOptions({"prior", "nan", "error"})],
        "handle_missing": [StrOptions({"category", "prior", "nan"})],
    }

    def __init__(
        self,
        columns=None,
        *,
        smooth="auto",
        cv=5,
        shuffle=True,
        random_state=None,
        target_type="auto",
        handle_unknown="prior",
        handle_missing="category",
    ):
        store_params(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, groups=None):
        """Learn the encoding of every category from all the rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Input data; see ``columns`` for which columns are encoded.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.
        groups : array-like of shape (n_samples,), default=None
            Unused by ``fit``, which learns from all the rows; accepted so that
            metadata routing can send ``groups`` to ``fit_transform``
            (``set_fit_request(groups=True)``), whose folds use it.

        Returns
        -------
        self : TargetEncoder
            Fitted encoder.
        """
        self._fit(X, y, sample_weight, groups=None, out_of_fold=False)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y, sample_weight=None, groups=None):
        """Fit on all the rows and return the out-of-fold encoding of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training data, encoded out of fold.
        y : array-like of shape (n_samples,)
            Target; a row's encoding never uses its own target.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, used as in ``fit``.
        groups : array-like of shape (n_samples,), default=None
            Group labels passed to the ``split`` of a group splitter given as
            ``cv`` (``GroupKFold``, ``StratifiedGroupKFold``, ...). With metadata
            routing enabled, a ``Pipeline`` or ``ColumnTransformer`` passes it
            here after ``set_fit_request(groups=True)``.

        Returns
        -------
        X_out : DataFrame or ndarray
            Encoded columns (``<column>_te`` or ``<column>_te_<class>``) in place of
            the inputs; the other columns unchanged.
        """
        X, encoded = self._fit(X, y, sample_weight, groups, out_of_fold=True)
        return self._assemble(X, encoded)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Add the rows of ``X`` to the fitted statistics and refit from them.

        The encoder keeps, per encoded column, the weighted count of every
        category and class (the weighted sum and sum of squares for a continuous
        target), and per fold of ``cv`` when it is a ``HashFolds``. After every
        call the fitted attributes are those ``fit`` gives on all the rows seen
        so far, so partitions of a table can be fitted apart and combined with
        ``merge`` (``sklearn_workflow.scale.fit_partitions`` does both). The
        first call (or the first after ``fit``) starts from scratch and chooses
        the encoded columns.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A chunk of the training data, with the columns of the first chunk.
        y : array-like of shape (n_samples,)
            Its target. Every chunk must be of the same kind: classes (binary or
            multiclass) or continuous; with ``target_type="auto"`` a chunk of
            whole numbers may read as classes, so name the type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights.

        Returns
        -------
        self : TargetEncoder
            The encoder, fitted on every row it has seen.

        Examples
        --------
        Two chunks give the encoding of the whole table; "Rome" appears in the
        second chunk only:

        >>> import pandas as pd
        >>> from sklearn_workflow.features import TargetEncoder
        >>> X = pd.DataFrame({"city": ["Paris", "Paris", "Rome", "Rome", None]})
        >>> y = [1, 0, 1, 1, 0]
        >>> enc = TargetEncoder(smooth=1.0).partial_fit(X[:2], y[:2])
        >>> enc.categories_
        [array(['Paris'], dtype=object)]
        >>> enc.partial_fit(X[2:], y[2:]).encodings_[0].round(3)
        array([0.533, 0.867, 0.3  ])
        >>> TargetEncoder(smooth=1.0).fit(X, y).encodings_[0].round(3)
        array([0.533, 0.867, 0.3  ])
        """
        first = not hasattr(self, "_target_states")
        X = self._check_input(X, reset=first)
        n_samples = n_rows(X)
        y = self._check_target(y, n_samples)
        kind, y = self._chunk_target(y)
        weights = _check_weights(sample_weight, n_samples)
        hash_folds = isinstance(self.cv, HashFolds)
        if first:
            self._choose_columns(X)
            n_folds = self.cv.get_n_splits() if hash_folds else 1
            self._target_states = [CategoryTargetState(kind)] + [
                CategoryTargetState(kind, n_folds) for _ in self.columns_
            ]
        elif kind != self._target_states[0].target_type:
            raise ValueError(
                f"This chunk's target is {_KIND_WORDS[kind]} but the earlier ones "
                f"were {_KIND_WORDS[self._target_states[0].target_type]} "
                f"(target_type={self.target_type!r}); every chunk needs the same "
                "kind of target: set target_type='continuous', 'binary' or "
                "'multiclass'."
            )
        fold_ids = self.cv.fold_ids(X) if hash_folds else None
        total, *states = self._target_states
        total.update(np.zeros(n_samples), y, weights)
        keys = _column_keys(X)
        for state, position in zip(states, self._encoded_positions):
            state.update(get_column(X, keys[position]), y, weights, fold_ids)
        self._finish_from_states()
        return self

    def merge(self, other):
        """Add the statistics of another partially fitted encoder, and refit.

        Parameters
        ----------
        other : TargetEncoder
            An encoder with the same parameters, fitted by ``partial_fit`` (or
            ``merge``) on other rows with the same input columns; left unchanged.

        Returns
        -------
        self : TargetEncoder
            The encoder, fitted on the rows of both.

        Examples
        --------
        Chunks fitted apart (on different machines, say), then merged:

        >>> import pandas as pd
        >>> from sklearn_workflow.features import TargetEncoder
        >>> X = pd.DataFrame({"city": ["Paris", "Rome", "Rome", None]})
        >>> a = TargetEncoder(smooth=0.0).partial_fit(X[:2], [1, 0])
        >>> b = TargetEncoder(smooth=0.0).partial_fit(X[2:], [1, 1])
        >>> a.merge(b).encodings_[0]
        array([1. , 0.5, 1. ])
        >>> b.categories_  # unchanged
        [array(['Rome', nan], dtype=object)]
        """
        for name, est in (("self", self), ("other", other)):
            if not hasattr(est, "_target_states"):
                raise ValueError(
                    f"merge combines encoders fitted by partial_fit; {name} was "
                    f"not (got {type(est).__name__} without partial statistics)."
                )
        theirs = (other.columns_, other._target_states[0].target_type)
        ours = (self.columns_, self._target_states[0].target_type)
        if theirs != ours:
            raise ValueError(
                "Cannot merge encoders fitted on different columns or kinds of "
                f"target (target_type={self.target_type!r}): columns and target "
                f"{ours!r} and {theirs!r}."
            )
        if other._target_states[-1].n_folds != self._target_states[-1].n_folds:
            raise ValueError(
                "Cannot merge encoders with different numbers of folds: cv="
                f"{self.cv!r} and cv={other.cv!r}."
            )
        self._target_states = [
            a.merge(b) for a, b in zip(self._target_states, other._target_states)
        ]
        self._finish_from_states()
        return self

    def transform_out_of_fold(self, X):
        """Out-of-fold encoding of training rows after ``partial_fit``/``merge``.

        Each row is encoded with the statistics of the folds it is not in, its
        fold given by ``cv``, a ``HashFolds`` (a hash of the row's key, the same
        in any partition): the result equals ``fit_transform`` on the whole
        table with the same ``cv``, but a partition at a time, for instance
        ``transform_partitions(enc, data, method="transform_out_of_fold")``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training rows (holding the key columns of ``cv``). A category that
            the fit never saw is handled as by ``handle_unknown``, with the prior
            of the row's training folds.

        Returns
        -------
        X_out : DataFrame or ndarray
            As ``fit_transform`` returns.

        Examples
        --------
        >>> import pandas as pd
        >>> from sklearn_workflow.features import TargetEncoder
        >>> from sklearn_workflow.scale import HashFolds
        >>> from sklearn.base import clone
        >>> X = pd.DataFrame({"customer": ["p", "q", "p", "r", "s", "q"],
        ...                   "city": ["Paris", "Rome"] * 3})
        >>> y = [1, 0, 1, 0, 0, 1]
        >>> enc = TargetEncoder(smooth=1.0, cv=HashFolds("customer", 2))
        >>> top = clone(enc).partial_fit(X[:3], y[:3])
        >>> enc = top.merge(clone(enc).partial_fit(X[3:], y[3:]))
        >>> enc.transform_out_of_fold(X)["city_te"].round(3).tolist()
        [0.167, 0.333, 0.167, 0.444, 0.889, 0.333]
        >>> enc.fit_transform(X, y)["city_te"].round(3).tolist()
        [0.167, 0.333, 0.167, 0.444, 0.889, 0.333]
        """
        check_is_fitted(self)
        if not isinstance(self.cv, HashFolds) or not hasattr(self, "_target_states"):
            raise ValueError(
                "transform_out_of_fold needs an encoder fitted by partial_fit or "
                f"merge with cv=HashFolds(...), got cv={self.cv!r}"
                + ("" if hasattr(self, "_target_states") else " fitted by fit")
                + "."
            )
        X = self._check_input(X, reset=False)
        fold_ids = self.cv.fold_ids(X)
        target = self._merged_target()[0]
        keys = _column_keys(X)
        encoded = []
        for position, state, (index, _) in zip(
            self._encoded_positions, self._target_states[1:], self._lookup
        ):
            stats = _state_statistics(state, target)
            total = tuple(_sum_short_axis(s, axis=1) for s in stats)
            table, prior = self._out_of_fold_table(target, stats, total)
            unknown = (
                np.full_like(prior, np.nan) if self.handle_unknown == "nan" else prior
            )
            table = np.concatenate([table, unknown], axis=0)
            key = keys[position]
            values = table[self._lookup_codes(get_column(X, key), key, index), fold_ids]
            encoded.append(values[:, 0] if values.shape[1] == 1 else values)
        return self._assemble(X, encoded)

    def _chunk_target(self, y):
        """The kind of the chunk's target ("classes" or "continuous") and its
        values, checked as ``fit`` checks them."""
        target_type = self._resolve_target_type(y)
        y = column_or_1d(y, warn=True)
        if target_type == "continuous":
            values = y.astype(np.float64)
            if not np.isfinite(values).all():
                raise ValueError(
                    "Input y contains NaN or infinity; a continuous target must be "
                    "finite."
                )
            return "continuous", values
        _encode_labels(y)  # no missing label, one comparable type
        return "classes", y

    def _merged_target(self):
        """The target object, type and classes that the states describe."""
        state = self._target_states[0]
        if state.target_type == "continuous":
            weight, sums = state.weight.sum(), state.sums.sum()
            return _ContinuousTarget.from_sums(weight, sums), "continuous", None
        classes = state.classes
        target_type = self.target_type
        if target_type == "auto":
            target_type = "multiclass" if len(classes) > 2 else "binary"
        if target_type == "binary" and len(classes) > 2:
            raise ValueError(
                f"target_type='binary' but y has {len(classes)} classes: "
                f"{classes.tolist()!r}; use target_type='multiclass'."
            )
        counts = _pad_classes(state.sums.sum(axis=(0, 1)))
        target = _ClassTarget.from_counts(counts, target_type == "multiclass")
        return target, target_type, classes.copy()

    def _finish_from_states(self):
        """The fitted attributes from the states, as ``fit`` computes them."""
        target, self.target_type_, self.classes_ = self._merged_target()
        categories, encodings = [], []
        for state in self._target_states[1:]:
            stats = _state_statistics(state, target)
            total = tuple(_sum_short_axis(s, axis=1) for s in stats)
            has_missing = state.count[-1].sum() > 0
            cats = state.finalize()["categories"]
            cats, full = self._full_encoding(target, total, has_missing, cats)
            categories.append(cats)
            encodings.append(full)
        self._finish_fit(target, categories, encodings)

    def _transform(self, X):
        """Encode with the statistics learned on all the training rows."""
        keys = _column_keys(X)
        encoded = []
        for position, (index, table) in zip(self._encoded_positions, self._lookup):
            key = keys[position]
            encoded.append(table[self._lookup_codes(get_column(X, key), key, index)])
        return self._assemble(X, encoded)

    def _names_out(self, names):
        """``<column>_te`` for an encoded column (``<column>_te_<class>`` per class
        of a multiclass target), the input name for a passed-through column."""
        out = []
        for name, outputs in zip(names, self._output_suffixes()):
            out.extend(f"{name}{suffix}" for suffix in outputs)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.categorical = True
        return tags

    # -- persistence: the lookup tables are rebuilt, not stored -------------------

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_lookup", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if hasattr(self, "encodings_"):
            self._build_lookup()

    # -- fitting ------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, groups, out_of_fold):
        X = self._check_input(X, reset=True)
        n_samples = n_rows(X)
        y = self._check_target(y, n_samples)
        self.__dict__.pop("_target_states", None)  # a full fit starts afresh
        factorized = self._choose_columns(X)
        target = self._encode_target(y, sample_weight)

        folds = self._folds(X, y, groups, n_samples, target) if out_of_fold else None
        if folds is not None and folds[0] == "general":
            return X, self._fit_general(X, target, folds[1], n_samples, factorized)
        n_folds = 1 if folds is None else folds[2]
        fold_id = None if folds is None else folds[1]
        offset, stride = target.offset(fold_id, n_folds)

        categories, encodings, oof = [], [], []
        for key in self.columns_:
            codes, cats = self._fit_codes(get_column(X, key), factorized.pop(key, None))
            n_cat = len(cats)
            index = codes * stride + offset
            stats = target.stats(index, (n_cat + 1) * stride, n_cat + 1, n_folds)
            total = tuple(_sum_short_axis(s, axis=1) for s in stats)
            cats, full = self._full_encoding(
                target, total, (codes == n_cat).any(), cats
            )
            categories.append(cats)
            encodings.append(full)
            if out_of_fold:
                table, _ = self._out_of_fold_table(target, stats, total)
                oof.append(target.lookup(table, index))
        self._finish_fit(target, categories, encodings)
        return X, oof

    def _choose_columns(self, X):
        """Set the encoded columns; return the codes factorized on the way."""
        self.columns_, factorized = self._encoded_columns(X)
        chosen = set(self.columns_)
        self._encoded_mask = [key in chosen for key in _column_keys(X)]
        self._encoded_positions = list(np.flatnonzero(self._encoded_mask))
        return factorized

    def _check_target(self, y, n_samples):
        """``y`` as an array of ``n_samples`` values (polars converted)."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if type(y).__module__.startswith("polars"):
            y = y.to_numpy()
        y = np.asarray(y) if not hasattr(y, "shape") else y
        if len(y) != n_samples:
            raise ValueError(
                "Found input variables with inconsistent numbers of samples: "
                f"X has {n_samples} rows, y has {len(y)}."
            )
        return y

    def _full_encoding(self, target, total, has_missing, cats):
        """Encodings from all the rows; the missing category appended if seen."""
        n_cat = len(cats)
        full, _ = target.encode(total, self.smooth)  # (n_cat + 1, 1, n_out)
        full = full[:, 0, :]
        if self.handle_missing == "category" and has_missing:
            return np.append(cats, np.nan), full
        return cats, full[:n_cat]

    def _out_of_fold_table(self, target, stats, total):
        """Encoding of every (category, fold) cell from the other folds' rows,
        shape (n_cat + 1, n_folds, n_outputs), the missing cell last."""
        train = tuple(t - s for t, s in zip(total, stats))
        table, prior = target.encode(train, self.smooth)
        table[-1] = self._missing_value(table[-1], prior[0])
        return table, prior

    def _fit_general(self, X, target, splits, n_samples, factorized):
        """Out-of-fold encoding for splitters whose folds are not a partition."""
        codes_by_key = {}
        categories, encodings = [], []
        offset, stride = target.offset(None, 1)
        for key in self.columns_:
            codes, cats = self._fit_codes(get_column(X, key), factorized.pop(key, None))
            n_cat = len(cats)
            index = codes * stride + offset
            stats = target.stats(index, (n_cat + 1) * stride, n_cat + 1, 1)
            cats, full = self._full_encoding(
                target, stats, (codes == n_cat).any(), cats
            )
            categories.append(cats)
            encodings.append(full)
            codes_by_key[key] = (codes, n_cat)
        # Rows in no validation fold keep the prior of all the rows.
        oof = {
            key: np.repeat(target.prior[0], n_samples, axis=0) for key in self.columns_
        }
        for train_idx, test_idx in splits:
            sub = target.subset(train_idx)
            sub_offset, _ = sub.offset(None, 1)
            for key in self.columns_:
                codes, n_cat = codes_by_key[key]
                index = codes[train_idx] * stride + sub_offset
                stats = sub.stats(index, (n_cat + 1) * stride, n_cat + 1, 1)
                table, prior = sub.encode(stats, self.smooth)
                table = table[:, 0, :]
                table[n_cat] = self._missing_value(table[n_cat], prior[0, 0])
                oof[key][test_idx] = table[codes[test_idx]]
        self._finish_fit(target, categories, encodings)
        return [
            oof[key] if oof[key].shape[1] > 1 else oof[key][:, 0]
            for key in self.columns_
        ]

    def _finish_fit(self, target, categories, encodings):
        self.categories_ = categories
        if self.target_type_ == "multiclass":
            self.encodings_ = [
                np.ascontiguousarray(enc[:, c])
                for enc in encodings
                for c in range(target.n_outputs)
            ]
            self.target_mean_ = target.prior[0, 0].copy()
        else:
            self.encodings_ = [np.ascontiguousarray(enc[:, 0]) for enc in encodings]
            self.target_mean_ = float(target.prior[0, 0, 0])
        self._n_outputs = target.n_outputs
        self._build_lookup()

    def _missing_value(self, values, prior):
        """Encoding of the missing-value cell under ``handle_missing``."""
        if self.handle_missing == "category":
            return values
        if self.handle_missing == "prior":
            return np.broadcast_to(prior, values.shape)
        return np.full(values.shape, np.nan)

    def _fit_codes(self, col, factorized=None):
        """Codes in [0, n_cat] (n_cat = missing) and the sorted used categories."""
        codes, uniques = factorize_codes(col) if factorized is None else factorized
        if has_category_list(col):  # the category list may hold unused values
            used = np.bincount(codes + 1, minlength=len(uniques) + 1)[1:] > 0
            uniques = uniques[used]
        else:
            used = np.ones(len(uniques), dtype=bool)
        try:
            order = argsort_values(uniques)
        except TypeError:  # values of mixed types: keep first appearance
            order = np.arange(len(uniques))
        n_cat = len(uniques)
        remap = np.full(len(used) + 1, n_cat, dtype=np.int64)  # -1 -> missing bin
        kept = np.flatnonzero(used)
        remap[kept[order]] = np.arange(n_cat)
        cats = np.asarray(uniques.take(order), dtype=object)
        return remap[codes], cats

    def _resolve_target_type(self, y):
        """``target_type``, inferred from ``y`` when "auto"."""
        if self.target_type != "auto":
            return self.target_type
        target_type = type_of_target(y, input_name="y")
        if target_type not in ("binary", "multiclass", "continuous"):
            raise ValueError(
                "Unknown label type: the target type was inferred to be "
                f"{target_type!r}; TargetEncoder supports 'binary', "
                "'multiclass' and 'continuous' targets (set target_type)."
            )
        return target_type

    def _encode_target(self, y, sample_weight):
        target_type = self._resolve_target_type(y)
        weights = _check_weights(sample_weight, len(y))
        self.target_type_ = target_type
        if target_type == "continuous":
            values = column_or_1d(y, warn=True).astype(np.float64)
            if not np.isfinite(values).all():
                raise ValueError(
                    "Input y contains NaN or infinity; a continuous target must be "
                    "finite."
                )
            self.classes_ = None
            return _ContinuousTarget(values, weights)
        codes, self.classes_, appearance = _encode_labels(column_or_1d(y, warn=True))
        if target_type == "binary" and len(self.classes_) > 2:
            raise ValueError(
                f"target_type='binary' but y has {len(self.classes_)} classes: "
                f"{self.classes_.tolist()!r}; use target_type='multiclass'."
            )
        n_classes = max(len(self.classes_), 2)
        target = _ClassTarget(codes, weights, n_classes, target_type == "multiclass")
        target.appearance = appearance  # class codes by first appearance
        return target

    def _folds(self, X, y, groups, n_samples, target):
        """("partition", fold_id, n_folds) or ("general", splits)."""
        cv = self.cv
        if isinstance(cv, Integral) or cv is None:
            if groups is not None:
                raise ValueError(
                    "groups was passed to fit_transform but cv is an int "
                    f"(got cv={cv!r}), whose folds ignore groups; pass a group "
                    "splitter such as cv=GroupKFold(5)."
                )
            splitter_class = (
                KFold if self.target_type_ == "continuous" else StratifiedKFold
            )
            splitter = splitter_class(
                n_splits=5 if cv is None else cv,
                shuffle=self.shuffle,
                random_state=self.random_state if self.shuffle else None,
            )
        else:
            splitter = check_cv(cv, y, classifier=self.target_type_ != "continuous")
        if type(splitter) is KFold or (
            type(splitter) is StratifiedKFold and self.target_type_ != "continuous"
        ):
            fold_id = _fast_fold_ids(
                splitter, y, n_samples, getattr(target, "appearance", None)
            )
            if fold_id is not None:
                return ("partition", fold_id, splitter.n_splits)
        # A HashFolds reads its key column: it gets the frame, polars included.
        hidden = is_polars(X) and not isinstance(splitter, HashFolds)
        X_split = np.empty((n_samples, 0)) if hidden else X
        known = isinstance(splitter, _PARTITION_SPLITTERS)
        fold_id = np.full(n_samples, -1, dtype=np.int64)
        seen = np.zeros(n_samples, dtype=np.int64)
        splits = []
        for k, (train_idx, test_idx) in enumerate(splitter.split(X_split, y, groups)):
            fold_id[test_idx] = k
            seen[test_idx] += 1
            # The training rows of a known partition are the complement: not kept.
            splits.append((None if known else train_idx, test_idx))
        if (seen > 1).any():
            raise ValueError(
                "Validation folds of cv overlap: a row must be in at most one "
                f"validation fold (got cv={cv!r})."
            )
        partition = (seen == 1).all()
        if partition and not known:
            partition = all(
                len(train) + len(test) == n_samples and not (fold_id[train] == k).any()
                for k, (train, test) in enumerate(splits)
            )
        if partition:
            return ("partition", fold_id, len(splits))
        splits = [
            (np.flatnonzero(fold_id != k) if train is None else train, test)
            for k, (train, test) in enumerate(splits)
        ]
        return ("general", splits)

    # -- input and output ---------------------------------------------------------

    def _encoded_columns(self, X):
        """Keys of the encoded columns, in input order, and the factorized codes
        of the object columns that ``columns=None`` classified."""
        self._factorized = {}  # filled by _default_columns
        try:
            if isinstance(self.columns, str):  # "all"
                positions = range(self.n_features_in_)
            else:
                positions = sorted(self._selected_columns(X))
        finally:
            factorized = self.__dict__.pop("_factorized")
        keys = _column_keys(X)
        return [keys[p] for p in positions], {
            keys[p]: factorized[p] for p in factorized
        }

    def _default_columns(self, X):
        """The categorical and boolean columns.

        An object column is classified from its distinct values, so it is
        factorized once here and the codes are kept for the fit.
        """
        positions, coded = [], []
        for position in range(self.n_features_in_):
            col = self._column(X, position)
            if getattr(col, "dtype", None) == np.dtype(object):
                codes, uniques = factorize_codes(col)
                kind = column_kind(np.asarray(uniques, dtype=object))
                if kind in self._default_kinds:
                    self._factorized[position] = (codes, uniques)
            else:
                kind = column_kind(col)
            if kind in self._default_kinds:
                positions.append(position)
            elif kind == "numeric" and _few_integer_values(col):
                coded.append(position)
        if coded:
            names = self._input_names()
            self._warn_left_alone(
                [names[p] for p in coded],
                f"integer column(s) of at most {_FEW_VALUES} distinct values, "
                "which may be categories coded as numbers; columns=None encodes "
                "categorical and boolean columns only",
                "Name them in columns=[...] (or pass columns='all') to encode them",
            )
        return positions

    def _output_suffixes(self):
        """For each input column, the suffixes of its output columns."""
        if self.target_type_ == "multiclass":
            te = [f"_te_{c}" for c in self.classes_]
        else:
            te = ["_te"]
        return [te if encoded else [""] for encoded in self._encoded_mask]

    def _assemble(self, X, encoded):
        """Output container: encoded columns in place, the others unchanged."""
        names = iter(self.get_feature_names_out())
        encoded = iter(encoded)
        columns = {}
        for key, is_encoded in zip(_column_keys(X), self._encoded_mask):
            if is_encoded:
                values = next(encoded)
                values = values[:, None] if values.ndim == 1 else values
                for c in range(values.shape[1]):
                    columns[next(names)] = values[:, c]
            else:
                columns[next(names)] = get_column(X, key)
        return make_output(self, X, columns)

    # -- transform ----------------------------------------------------------------

    def _build_lookup(self):
        """Per encoded column: a hash index of the categories and the value table.

        The table has one row per category, then the missing-value row and the
        unknown-value row, so that encoding is a single gather.
        """
        n_out = self._n_outputs
        lookups = []
        for j, cats in enumerate(self.categories_):
            has_missing = len(cats) and _is_missing_marker(cats[-1])
            n_cat = len(cats) - bool(has_missing)
            index = _CategoryLookup(cats[:n_cat])
            if self.target_type_ == "multiclass":
                enc = np.column_stack(self.encodings_[j * n_out : (j + 1) * n_out])
                prior = np.asarray(self.target_mean_, dtype=np.float64)
            else:
                enc = self.encodings_[j][:, None]
                prior = np.asarray([self.target_mean_], dtype=np.float64)
            table = np.empty((n_cat + 2, enc.shape[1]))
            table[:n_cat] = enc[:n_cat]
            if has_missing:
                table[n_cat] = enc[n_cat]
            elif self.handle_missing == "nan":
                table[n_cat] = np.nan
            else:
                table[n_cat] = prior
            table[n_cat + 1] = np.nan if self.handle_unknown == "nan" else prior
            if table.shape[1] == 1:
                table = table[:, 0]
            lookups.append((index, table))
        self._lookup = lookups

    def _lookup_codes(self, col, key, index):
        """Codes of ``col`` in the fitted categories: n_cat missing, n_cat+1 unknown."""
        n_cat = index.n_categories
        codes, uniques = factorize_codes(col)
        if len(uniques) > 2 * len(codes) + 16:
            # A few rows of a categorical column carry its whole category list:
            # look up only the categories that occur.
            used = np.unique(codes[codes >= 0])
            uniques = uniques[used]
            codes = np.where(codes >= 0, np.searchsorted(used, codes), -1)
        found = index.find(uniques)
        unknown = found < 0
        if unknown.any():
            if self.handle_unknown == "error":
                present = np.zeros(len(uniques) + 1, dtype=bool)
                present[codes + 1] = True
                values = np.asarray(uniques)[unknown & present[1:]]
                if len(values):
                    raise ValueError(
                        f"Found unknown categories {values[:10].tolist()!r} in column "
                        f"{key!r} during transform (handle_unknown='error')."
                    )
            found = np.where(unknown, n_cat + 1, found)
        remap = np.empty(len(uniques) + 1, dtype=np.int64)
        remap[:-1] = found
        remap[-1] = n_cat  # code -1: missing
        return remap[codes]


_KIND_WORDS = {"classes": "classes (binary or multiclass)", "continuous": "continuous"}


def _pad_classes(counts):
    """Class counts with a zero column for the absent class of a one-class target."""
    if counts.shape[-1] >= 2:
        return counts
    pad = [(0, 0)] * (counts.ndim - 1) + [(0, 2 - counts.shape[-1])]
    return np.pad(counts, pad)


def _state_statistics(state, target):
    """Cell statistics of a ``CategoryTargetState`` in the form of ``target``."""
    if isinstance(target, _ContinuousTarget):
        return state.encoder_statistics(target.center)
    (counts,) = state.encoder_statistics()
    return (_pad_classes(counts),)


def _check_weights(sample_weight, n_samples):
    """Non-negative float weights, or None."""
    if sample_weight is None:
        return None
    return _check_sample_weight(
        sample_weight, np.empty((n_samples, 0)), ensure_non_negative=True
    )


def _fast_fold_ids(splitter, y, n_samples, y_codes=None):
    """Validation fold of each row for KFold / StratifiedKFold, without index lists.

    The assignment is the splitter's own (same random draws, same folds: a test
    checks it), computed from the class counts in O(n) instead of materialising
    every (train, test) pair. Returns None in the edge cases (fewer rows than
    folds, a class smaller than the number of folds), where the splitter itself
    runs and raises or warns with its own message.
    """
    n_splits = splitter.n_splits
    if n_samples < n_splits:
        return None
    rng = check_random_state(splitter.random_state)
    if isinstance(splitter, StratifiedKFold):
        # Classes numbered by first appearance, as StratifiedKFold does.
        if y_codes is None:
            y_codes, _ = pd.factorize(column_or_1d(y))
        counts = np.bincount(y_codes)
        if counts.min() < n_splits:
            return None
        # Row j of the class-sorted target goes to fold j % n_splits: the class
        # occupying positions [start, stop) gives each fold a closed-form count.
        stop = np.cumsum(counts)
        start = stop - counts
        fold = np.arange(n_splits)[:, None]

        def below(m):  # positions j < m with j % n_splits == fold
            return m // n_splits + (fold < m % n_splits)

        allocation = below(stop[None, :]) - below(start[None, :])
        fold_id = np.empty(n_samples, dtype=np.int64)
        for k in range(len(counts)):
            folds_for_class = np.repeat(np.arange(n_splits), allocation[:, k])
            if splitter.shuffle:
                rng.shuffle(folds_for_class)
            fold_id[y_codes == k] = folds_for_class
        return fold_id
    order = np.arange(n_samples)
    if splitter.shuffle:
        rng.shuffle(order)
    sizes = np.full(n_splits, n_samples // n_splits)
    sizes[: n_samples % n_splits] += 1
    fold_id = np.empty(n_samples, dtype=np.int64)
    fold_id[order] = np.repeat(np.arange(n_splits), sizes)
    return fold_id


class _CategoryLookup:
    """Hash lookup of values in the fitted categories (-1 when unknown).

    A pandas Index answers large lookups in one vectorised call; a dict answers
    the few distinct values of a small batch (serving one row) without the
    per-call overhead of the Index machinery.
    """

    _SMALL = 64

    def __init__(self, categories):
        self.n_categories = len(categories)
        self.categories = categories
        self.index = pd.Index(categories, dtype=object)
        self.positions = None  # built on the first small lookup

    def find(self, values):
        # Both sides as Python objects: no conversion of the fitted index per call.
        values = np.asarray(values, dtype=object)
        if len(values) <= self._SMALL:
            if self.positions is None:
                cats = self.categories.tolist()
                self.positions = dict(zip(cats, range(len(cats))))
            get = self.positions.get
            return np.array([get(v, -1) for v in values.tolist()], dtype=np.intp)
        return self.index.get_indexer(values)


def _encode_labels(y):
    """Sorted class labels and the class code of each row (a hash, not a sort)."""
    appearance, uniques = pd.factorize(y, use_na_sentinel=True)
    if (appearance < 0).any():
        raise ValueError("Input y contains missing values (NaN or None).")
    uniques = np.asarray(uniques)
    try:
        order = np.argsort(uniques, kind="stable")
    except TypeError as exc:
        raise TypeError(
            "The class labels of y must be of one comparable type; got "
            f"{sorted({type(v).__name__ for v in uniques})}."
        ) from exc
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[appearance], uniques[order], appearance


def _sum_short_axis(a, axis):
    """``a.sum(axis, keepdims=True)`` for a short axis (folds, classes) of a big array.

    numpy reduces a short inner axis element by element; adding the slices is one
    vectorised pass per slice, several times faster here.
    """
    slices = [np.take(a, [i], axis=axis) for i in range(a.shape[axis])]
    total = slices[0].copy()
    for part in slices[1:]:
        total += part
    return total


def _column_keys(X):
    """Column names of a DataFrame, positions of an array."""
    return list(X.columns) if is_dataframe(X) else list(range(X.shape[1]))


def _is_missing_marker(value):
    return value is None or (isinstance(value, float) and value != value)


class _ClassTarget:
    """Class codes of a binary or multiclass target, and their encodings."""

    def __init__(self, codes, weights, n_classes, multiclass):
        self.codes = codes.astype(np.int64, copy=False)
        self.weights = weights
        counts = np.bincount(self.codes, weights=weights, minlength=n_classes)
        self._set_counts(counts, multiclass)

    def _set_counts(self, counts, multiclass):
        self.n_classes = len(counts)
        self.multiclass = multiclass
        self.n_outputs = self.n_classes if multiclass else 1
        self.prior = self._rates(np.asarray(counts, np.float64)[None, None, :])

    @classmethod
    def from_counts(cls, counts, multiclass):
        """A target known by its weighted count per class only (a merged fit):
        it encodes cell statistics but has no rows to ``subset`` or ``stats``."""
        target = cls.__new__(cls)
        target.codes = target.weights = None
        target._set_counts(counts, multiclass)
        return target

    def _rates(self, counts):
        total = counts.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            rates = counts / total
        return rates if self.multiclass else rates[..., 1:]

    def subset(self, rows):
        weights = None if self.weights is None else self.weights[rows]
        return _ClassTarget(self.codes[rows], weights, self.n_classes, self.multiclass)

    def offset(self, fold_id, n_folds):
        """Row offsets and stride of the combined index code * stride + offset."""
        if fold_id is None:
            return self.codes, self.n_classes
        return fold_id * self.n_classes + self.codes, n_folds * self.n_classes

    def stats(self, index, n_bins, n_cells, n_folds):
        counts = np.bincount(index, weights=self.weights, minlength=n_bins)
        return (counts.reshape(n_cells, n_folds, self.n_classes).astype(np.float64),)

    def encode(self, stats, smooth):
        """Encodings of every (category, fold) cell, shape (cells, folds, n_outputs).

        ``stats`` are the cell statistics of the training rows; the prior and the
        target variance of each fold come from all its cells. Returns the
        encodings and the priors, shape (1, folds, n_outputs).
        """
        (counts,) = stats
        prior = self._rates(counts.sum(axis=0, keepdims=True))
        weight = _sum_short_axis(counts, axis=2)
        hits = counts if self.multiclass else counts[..., 1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            if smooth == "auto":
                # within-category variance of a 0/1 indicator: mean * (1 - mean)
                mean = hits / weight
                spread = prior * (1.0 - prior) * weight
                lam = spread / (spread + mean * (1.0 - mean))
                enc = np.where(np.isnan(lam), prior, prior + lam * (mean - prior))
            else:
                enc = (hits + smooth * prior) / (weight + smooth)
                enc = np.where(weight + smooth == 0, prior, enc)
        return np.broadcast_to(enc, hits.shape).copy(), prior

    def lookup(self, table, index):
        """Out-of-fold values: ``table[code, fold]`` read through the combined index."""
        n_cells, n_folds, n_out = table.shape
        expanded = np.repeat(table[:, :, None, :], self.n_classes, axis=2)
        expanded = expanded.reshape(n_cells * n_folds * self.n_classes, n_out)
        if n_out == 1:
            return expanded[:, 0][index]
        return np.column_stack([expanded[:, c][index] for c in range(n_out)])


class _ContinuousTarget:
    """A continuous target, centred on its weighted mean for accurate sums."""

    n_outputs = 1

    def __init__(self, values, weights):
        self.values = values
        self.weights = weights
        self.center = float(np.average(values, weights=weights))
        centred = values - self.center
        if weights is None:
            self.w1, self.w2 = centred, centred * centred
        else:
            self.w1, self.w2 = weights * centred, weights * centred * centred
        total = values.size if weights is None else weights.sum()
        self.prior = np.full((1, 1, 1), self.center + self.w1.sum() / total)

    @classmethod
    def from_sums(cls, weight, total):
        """A target known by its total weight and weighted sum only (a merged
        fit), centred on its weighted mean: it encodes cell statistics centred
        on ``center`` but has no rows to ``subset`` or ``stats``."""
        target = cls.__new__(cls)
        target.values = target.weights = target.w1 = target.w2 = None
        target.center = float(total / weight)
        shift = (total - weight * target.center) / weight
        target.prior = np.full((1, 1, 1), target.center + shift)
        return target

    def subset(self, rows):
        weights = None if self.weights is None else self.weights[rows]
        return _ContinuousTarget(self.values[rows], weights)

    def offset(self, fold_id, n_folds):
        if fold_id is None:
            return 0, 1
        return fold_id, n_folds

    def stats(self, index, n_bins, n_cells, n_folds):
        shape = (n_cells, n_folds, 1)
        weight = np.bincount(index, weights=self.weights, minlength=n_bins)
        s1 = np.bincount(index, weights=self.w1, minlength=n_bins)
        s2 = np.bincount(index, weights=self.w2, minlength=n_bins)
        return (
            weight.reshape(shape).astype(np.float64),
            s1.reshape(shape),
            s2.reshape(shape),
        )

    def encode(self, stats, smooth):
        """Encodings of every (category, fold) cell and the fold priors."""
        weight, s1, s2 = stats
        fw, f1, f2 = (s.sum(axis=0, keepdims=True) for s in stats)
        with np.errstate(invalid="ignore", divide="ignore"):
            prior = f1 / fw  # centred
            variance = np.maximum(f2 / fw - prior * prior, 0.0)
            if smooth == "auto":
                mean = s1 / weight
                within = np.maximum(s2 - s1 * mean, 0.0) / weight
                lam = variance * weight / (variance * weight + within)
                enc = np.where(np.isnan(lam), prior, lam * mean + (1.0 - lam) * prior)
            else:
                enc = (s1 + smooth * prior) / (weight + smooth)
                enc = np.where(weight + smooth == 0, prior, enc)
        enc = np.broadcast_to(enc + self.center, weight.shape).copy()
        return enc, prior + self.center

    def lookup(self, table, index):
        return table.reshape(-1)[index]
