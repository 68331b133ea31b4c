"""Binning of numeric columns by given edges or by edges learned at fit."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_workflow.features._base import _ColumnTransformerMixin
from sklearn_workflow.features._partial import _MergeableFitMixin, numeric_matrix
from sklearn_workflow.scale._sketch import QuantileSketch
from sklearn_workflow.utils._dataframe import is_polars
from sklearn_workflow.utils._param_validation import (
    Hidden,
    Interval,
    StrOptions,
    get_output_container,
)
from sklearn_workflow.utils._params import store_params

__all__ = ["Binner"]


def _format_edges(edges):
    """Shortest ``g`` formatting (6 significant digits or more) that keeps the
    edges distinct: 1700000000 and 1700003600 need 8."""
    for digits in range(6, 18):
        text = [f"{edge:.{digits}g}" for edge in edges]
        if len(set(text)) == len(text):
            return text
    return [repr(float(edge)) for edge in edges]


def interval_labels(edges, closed):
    """Labels that say which values fall in each bin, the outer bins open."""
    n_bins = len(edges) - 1
    if n_bins == 1:
        return ["(-inf, inf)"]
    inner = _format_edges(edges[1:-1])
    if closed == "right":
        labels = [f"(-inf, {inner[0]}]"]
        labels += [f"({a}, {b}]" for a, b in zip(inner[:-1], inner[1:])]
        labels.append(f"({inner[-1]}, inf)")
    else:
        labels = [f"(-inf, {inner[0]})"]
        labels += [f"[{a}, {b})" for a, b in zip(inner[:-1], inner[1:])]
        labels.append(f"[{inner[-1]}, inf)")
    return labels


class Binner(
    _MergeableFitMixin, _ColumnTransformerMixin, TransformerMixin, BaseEstimator
):
    """Bin numeric columns by given edges or by edges learned at fit.

    The "binning" strategy (age to age group, purchase amount to a tier) as a
    fitted transformer. ``bins`` is either a list of edges, the same for every
    column (purchase tiers ``[0, 10, 50, 200, inf]``), or a number of
    bins whose edges are learned from the training data at ``fit``: quantiles
    (``strategy="quantile"``, equal-frequency bins) or equal widths between the
    minimum and the maximum (``strategy="uniform"``). Values below the first edge
    or above the last one at ``transform`` go to the first or last bin, so new data
    always lands in a bin. Every other column passes through unchanged.

    Parameters
    ----------
    columns : str, int, array-like of str or int, or None
        The columns to bin, by name (DataFrames) or integer position; None bins
        every numeric (not boolean) column.
    bins : int or array-like of float, default=5
        Number of bins to learn (at least 2), or the bin edges, strictly
        increasing (``-inf``/``inf`` allowed). Learned quantile edges that
        coincide (many equal values) are merged, so a column can get fewer bins
        than asked for; ``n_bins_`` says how many.
    strategy : {"quantile", "uniform"}, default="quantile"
        How edges are learned when ``bins`` is a number; ignored for given edges.
    labels : array-like of str or None, default=None
        Names of the bins, one per bin and the same for every column. None
        names them by interval, such as ``"(10, 50]"``, the outer ones open to
        infinity. Used by ``encode="label"`` and in the ``"onehot"`` column names.
    encode : {"ordinal", "onehot", "label"}, default="ordinal"
        ``"ordinal"``: one float column ``<column>_bin`` with the bin number 0,
        1, ...; ``"onehot"``: one 0/1 float column per bin, ``<column>_<label>``
        (``<column>_bin0``, ``<column>_bin1``, ... when ``labels`` is None);
        ``"label"``: one column ``<column>_bin`` holding the labels, an ordered
        pandas ``category`` or a polars ``Enum`` in DataFrame output and an
        object array for arrays.
    closed : {"right", "left"}, default="right"
        Which side of each bin is closed: ``"right"`` gives ``(a, b]`` as
        ``pandas.cut`` does, ``"left"`` gives ``[a, b)`` as ``numpy.digitize``.
    drop_original : bool, default=True
        Replace each binned column by its bins, at the same position; with
        False the original is kept, followed by its bins.
    keep_original : bool
        Deprecated: use ``drop_original`` (``keep_original=True`` is
        ``drop_original=False``). Setting it warns with a ``FutureWarning``.

    Attributes
    ----------
    columns_ : list of str
        Names of the binned columns (``x0``, ``x1``, ... for arrays).
    column_indices_ : ndarray of int
        Their positions in the input.
    bin_edges_ : list of ndarray
        Edges of each binned column, ``n_bins_[k] + 1`` of them. Only the inner
        edges decide the bin: the first and last bins extend to infinity.
    n_bins_ : ndarray of int
        Number of bins of each column.
    labels_ : list of list of str
        Bin labels of each column.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of str
        Input column names, when X has string column names.

    See Also
    --------
    sklearn.preprocessing.KBinsDiscretizer : Learns quantile, uniform or k-means
        edges on every column of an array and replaces them; left-closed bins, no
        given edges, labels or passthrough of the other columns.
    feature_engine.discretisation.EqualFrequencyDiscretiser : Quantile bins in
        place, right-closed with open outer bins like ours; given edges need
        another class (``ArbitraryDiscretiser``), where out-of-range values become
        NaN.
    pandas.cut : Stateless; values outside the edges become NaN.

    Notes
    -----
    Missing values (NaN, None, ``pd.NA``) are ignored when learning edges and stay
    missing in the output: NaN in the ordinal column and in every one-hot column,
    a missing label with ``encode="label"``. Out-of-range values go to the edge
    bins, unlike ``pandas.cut`` (NaN): with edges ``[0, 10, 50]`` and
    ``closed="right"``, -3 and 0 are in the first bin and 80 in the last.
    Infinite values raise a ``ValueError`` naming the column.

    ``partial_fit(X)`` accumulates chunks of the training data and
    ``merge(other)`` adds the chunks of another ``Binner`` (same parameters, same
    input columns), so partitions can be fitted anywhere and combined
    (``sklearn_workflow.scale.fit_partitions``). ``fit`` stays exact; the partial
    and merged fits keep one KLL quantile sketch per column
    (``sklearn_workflow.scale``, ``k=200``), so their edges are approximate: the
    first and last edges (the minimum and the maximum) are exact, hence all the
    ``"uniform"`` edges too, and each inner ``"quantile"`` edge is a value of the
    data whose normalised rank is within the sketch's rank error (1.33 %, at 99 %
    confidence) of the asked quantile, instead of ``numpy.quantile``'s
    interpolation between two values. With ``columns=None`` the columns are
    picked on the first chunk. A ``fit`` forgets the accumulated sketch: a
    ``partial_fit`` after it starts over.

    Examples
    --------
    Purchase tiers, with a missing amount and a negative one (a refund) that is
    below the first edge:

    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_workflow.features import Binner
    >>> X = pd.DataFrame({"purchase_amount": [5.0, 10.0, 75.5, 1200.0, np.nan, -3.0]})
    >>> tiers = Binner(
    ...     "purchase_amount",
    ...     bins=(0, 10, 50, 200, np.inf),
    ...     labels=("low", "medium", "high", "premium"),
    ...     encode="label",
    ... )
    >>> tiers.fit_transform(X)
      purchase_amount_bin
    0                 low
    1                 low
    2                high
    3             premium
    4                 NaN
    5                 low

    Quantile bins learned at fit. Here the quartiles are 1, 1, 1, 2.25 and 4: the
    tied edges merge, so the column gets 2 bins instead of 4.

    >>> b = Binner("n", bins=4).fit(pd.DataFrame({"n": [1, 1, 1, 1, 1, 2, 3, 4]}))
    >>> b.n_bins_, b.labels_
    (array([2]), [['(-inf, 2.25]', '(2.25, inf)']])

    Fitted on two partitions and merged: the edges are values of the data (here
    the sketch holds every value, so they are exact ranks, not interpolated).

    >>> top = Binner("n", bins=2).partial_fit(pd.DataFrame({"n": [1, 2, 3]}))
    >>> bottom = Binner("n", bins=2).partial_fit(pd.DataFrame({"n": [4, np.nan]}))
    >>> top.merge(bottom).bin_edges_
    [array([1., 2., 4.])]
    >>> Binner("n", bins=2).fit(pd.DataFrame({"n": [1, 2, 3, 4]})).bin_edges_
    [array([1. , 2.5, 4. ])]
    """

    _parameter_constraints = {
        "columns": [None, str, Integral, "array-like"],
        "bins": [Interval(Integral, 2, None, closed="left"), "array-like"],
        "strategy": [StrOptions({"quantile", "uniform"})],
        "labels": [None, "array-like"],
        "encode": [StrOptions({"ordinal", "onehot", "label"})],
        "closed": [StrOptions({"right", "left"})],
        "drop_original": ["boolean"],
        "keep_original": ["boolean", Hidden(StrOptions({"deprecated"}))],
    }

    def __init__(
        self,
        columns,
        *,
        bins=5,
        strategy="quantile",
        labels=None,
        encode="ordinal",
        closed="right",
        drop_original=True,
        keep_original="deprecated",
    ):
        store_params(self, locals())

    def _given_edges(self):
        try:
            edges = np.asarray(self.bins, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"bins must be an int or a sequence of numbers, got {self.bins!r}."
            ) from exc
        if edges.ndim != 1 or edges.size < 2:
            raise ValueError(
                f"bins given as edges needs at least 2 of them, got {self.bins!r}."
            )
        if np.isnan(edges).any() or not np.all(np.diff(edges) > 0):
            raise ValueError(
                "bins given as edges must be strictly increasing numbers, "
                f"got {self.bins!r}."
            )
        return edges

    def _ranks(self):
        """Normalised ranks whose values make the learned edges."""
        if self.strategy == "quantile":
            return np.linspace(0.0, 1.0, self.bins + 1)
        return np.array([0.0, 1.0])

    def _edges_from_quantiles(self, quantiles):
        """Edges from the values at ``_ranks()`` (all NaN: no value at fit)."""
        if np.isnan(quantiles).all():
            return np.array([-np.inf, np.inf])
        if self.strategy == "quantile":
            edges = np.unique(quantiles)
        else:
            low, high = quantiles[0], quantiles[-1]
            edges = np.linspace(low, high, self.bins + 1) if high > low else [low]
        if len(edges) == 1:
            return np.array([edges[0], edges[0]])
        return np.asarray(edges, dtype=np.float64)

    def _learn_edges(self, values):
        present = values[~np.isnan(values)]
        if present.size == 0:
            return self._edges_from_quantiles(np.full(2, np.nan))
        return self._edges_from_quantiles(np.quantile(present, self._ranks()))

    def _learn(self, X):
        """Learn (or check) the bin edges of each column, exactly."""
        self.__dict__.pop("_state", None)  # fit keeps no sketch
        chosen = self._selected_columns(X)
        given = None if isinstance(self.bins, Integral) else self._given_edges()
        edges_list = []
        for i in chosen:
            values = self._numeric_column(X, i, "columns")
            edges_list.append(given if given is not None else self._learn_edges(values))
        self._set_edges(chosen, edges_list)

    def _chunk_state(self, X, positions):
        """The quantile sketch of the binned columns of ``X`` (None: given edges)."""
        values = numeric_matrix(self, X, positions)
        if not isinstance(self.bins, Integral):
            return None
        return QuantileSketch(len(positions)).update(values)

    def _learn_from_state(self):
        """Bin edges from the accumulated sketch (or the given edges)."""
        positions = self._state_columns
        if self._state is None:
            edges_list = [self._given_edges()] * len(positions)
        elif not positions:
            edges_list = []
        else:
            quantiles = self._state.quantiles(self._ranks())
            edges_list = [self._edges_from_quantiles(q) for q in quantiles]
        self._set_edges(positions, edges_list)

    def _set_edges(self, chosen, edges_list):
        """The fitted attributes of the chosen columns, from their edges."""
        names = self._input_names()
        if self.labels is not None:
            labels = [str(label) for label in self.labels]
            if len(set(labels)) != len(labels):
                raise ValueError(f"labels must be distinct, got {self.labels!r}.")
        label_list = []
        for i, edges in zip(chosen, edges_list):
            n_bins = len(edges) - 1
            if self.labels is None:
                label_list.append(interval_labels(edges, self.closed))
            elif len(labels) != n_bins:
                raise ValueError(
                    f"labels has {len(labels)} entries but column {names[i]!r} has "
                    f"{n_bins} bin(s) (edges {edges.tolist()!r}); give one label "
                    "per bin."
                )
            else:
                label_list.append(labels)
        self.column_indices_ = np.asarray(chosen, dtype=np.intp)
        self.columns_ = [names[i] for i in chosen]
        self.bin_edges_ = list(edges_list)
        self.n_bins_ = np.array([len(e) - 1 for e in edges_list], dtype=np.intp)
        self.labels_ = label_list
        self._check_unique_names(self.get_feature_names_out())

    def _bin_numbers(self, values, edges):
        side = "left" if self.closed == "right" else "right"
        numbers = np.searchsorted(edges[1:-1], values, side=side).astype(np.float64)
        numbers[np.isnan(values)] = np.nan
        return numbers

    def _encoded(self, numbers, k, polars_out):
        """Output columns of the k-th binned column from its bin numbers."""
        if self.encode == "ordinal":
            return [numbers]
        missing = np.isnan(numbers)
        if self.encode == "onehot":
            columns = []
            for b in range(self.n_bins_[k]):
                indicator = (numbers == b).astype(np.float64)
                indicator[missing] = np.nan
                columns.append(indicator)
            return columns
        codes = np.where(missing, -1, numbers).astype(np.int64)
        if polars_out:
            import polars as pl

            labels = np.asarray(self.labels_[k] + [None], dtype=object)
            return [pl.Series(labels[codes].tolist(), dtype=pl.Enum(self.labels_[k]))]
        categories = pd.CategoricalDtype(self.labels_[k], ordered=True)
        return [pd.Series(pd.Categorical.from_codes(codes, dtype=categories))]

    def _transform(self, X):
        """The encoded bins in place of (or next to) each fitted column."""
        container = get_output_container(self, "transform")
        polars_out = container == "polars" or (container == "default" and is_polars(X))
        binned = {}
        for k, i in enumerate(self.column_indices_):
            values = self._numeric_column(X, i, "columns")
            numbers = self._bin_numbers(values, self.bin_edges_[k])
            binned[int(i)] = self._encoded(numbers, k, polars_out)
        out = self._in_place(lambda i: self._column(X, i), binned)
        return self._output(X, self.get_feature_names_out(), out)

    def _names_for(self, name, k):
        if self.encode != "onehot":
            return [f"{name}_bin"]
        if self.labels is None:
            return [f"{name}_bin{b}" for b in range(self.n_bins_[k])]
        return [f"{name}_{label}" for label in self.labels_[k]]

    def _names_out(self, names):
        """``<column>_bin`` (ordinal, label) or one ``<column>_<label>`` per bin
        (onehot) for each binned column, in its place; the other names as is."""
        binned = {
            int(i): self._names_for(names[i], k)
            for k, i in enumerate(self.column_indices_)
        }
        return self._in_place(names.__getitem__, binned)
