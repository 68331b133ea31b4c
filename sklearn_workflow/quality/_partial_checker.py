"""Partial and merged fits of DataQualityChecker, from mergeable per-column states.

A :class:`CheckerState` holds, per column, what the contract and the findings of a
fit need, in a form that two partitions combine exactly or within a stated bound:

- counts of rows, missing values, unsupported values and Python types (exact);
- the distinct values with their counts (:class:`ValueCounts`: exact; for a
  numeric or datetime column only while it has at most ``VALUE_CAP`` distinct
  values, beyond which a KLL quantile sketch and a HyperLogLog count take over);
- weighted moments, the range and the infinite values (``MomentState``: exact);
- the cross-moments of the numeric columns over the rows where both of a pair are
  present (:class:`CrossMoments`: Pearson correlations as exact as ``fit``'s);
- the sorted distinct 64-bit hashes of the rows (``RowHashState``: duplicates);
- the target's value counts and moments (its task, summary and checks).

``column_profile`` turns the state into a column profile of the contract, the
same dict that ``profile_column`` gives on all the rows; ``target_from_state``
into the target's task, summary and findings; ``column_findings_from_state`` and
``table_findings_from_state`` into the findings of ``column_findings`` and of the
table checks. The checks that need the rows themselves are listed, with the
reason, in ``SKIPPED_CHECKS`` and reported by ``skipped_findings``.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from sklearn_workflow.problem._task import is_classification, normalize_task
from sklearn_workflow.quality._findings import (
    RowKey,
    _cardinality_findings,
    _constant_findings,
    _id_like_findings,
    _missing_findings,
    _mixed_type_findings,
    _numeric_findings,
    _string_findings,
    _unsupported_findings,
    correlation_findings,
    duplicate_findings,
    few_rows_findings,
    finding,
    target_findings,
)
from sklearn_workflow.quality._modality import (
    DIP_SAMPLE,
    multimodal_findings,
    skipped_multimodal_findings,
)
from sklearn_workflow.quality._profile import (
    _SUMMARY_Q,
    NULL_LIKE,
    category_profile,
    iter_columns,
    read_column,
)
from sklearn_workflow.quality._target import _sorted_labels
from sklearn_workflow.scale._moments import MomentState
from sklearn_workflow.scale._sketch import DistinctSketch, QuantileSketch, RowHashState

__all__ = [
    "SKIPPED_CHECKS",
    "VALUE_CAP",
    "CheckerState",
    "CrossMoments",
    "ValueCounts",
    "column_findings_from_state",
    "column_profile",
    "skipped_findings",
    "table_findings_from_state",
    "target_from_state",
]

# Distinct values of a numeric or datetime column counted exactly; beyond, its
# quantiles come from a KLL sketch and its distinct count from HyperLogLog.
VALUE_CAP = 100_000
# The findings a merged fit does not compute, and why.
SKIPPED_CHECKS = {
    "missing_not_at_random": (
        "Little's test fits the numeric columns' mean and covariance by EM over "
        "the rows"
    ),
    "missing_predictable": (
        "the classifier of each column's missingness is cross-fitted and scored "
        "on the rows"
    ),
    "time_axis": "the time axis is found from the order of the rows",
    "temporal_order": "the late-vs-early classifier is fitted on the rows in order",
    "target_ordered": "the runs test reads the target along the rows in order",
    "leakage": (
        "each column's score is cross-fitted on two halves chosen by row position, "
        "on bins cut at the whole column's quantiles"
    ),
    "conflicting_labels": (
        "the row-hash state keeps each distinct row once, not its labels"
    ),
}
_FLOAT_KINDS = ("numeric", "datetime", "boolean")


def _merge_uniques(a_uniques, a_counts, b_uniques, b_counts):
    """Distinct values of two lists (first appearance order) and their counts."""
    both = np.concatenate([a_uniques, b_uniques])
    codes, uniques = pd.factorize(both)
    weights = np.concatenate([a_counts, b_counts]).astype(np.float64)
    counts = np.bincount(codes, weights=weights, minlength=len(uniques))
    return np.asarray(uniques, dtype=both.dtype), counts.astype(np.int64)


class ValueCounts:
    """Distinct non-missing values and their counts, in first-appearance order.

    Parameters
    ----------
    cap : int or None, default=None
        Beyond this many distinct values the counts are dropped (``overflow``);
        None keeps them all.
    """

    def __init__(self, cap=None):
        self.cap = cap
        self.overflow = False
        self.uniques = np.empty(0, dtype=object)
        self.counts = np.zeros(0, dtype=np.int64)

    @classmethod
    def from_codes(cls, uniques, codes, cap=None):
        """Counts from ``factorize``'s codes (-1 missing) and uniques."""
        state = cls(cap)
        state.uniques = np.asarray(uniques)
        state.counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        return state._check_cap()

    @classmethod
    def from_values(cls, values, cap=None, distinct=None):
        """Counts of the values of a float array (NaN and infinities left out).

        ``distinct``, the distinct finite values when already known, lets a
        column beyond ``cap`` skip the counting.
        """
        state = cls(cap)
        if cap is not None and distinct is not None and distinct.size > cap:
            state.overflow = True
            state.uniques = np.empty(0)
            return state
        state.uniques, state.counts = np.unique(
            values[np.isfinite(values)], return_counts=True
        )
        return state._check_cap()

    def _check_cap(self):
        if self.cap is not None and self.uniques.size > self.cap:
            self.overflow = True
            self.uniques, self.counts = self.uniques[:0], self.counts[:0]
        return self

    def merge(self, other):
        """A new state with the values of both."""
        out = ValueCounts(self.cap)
        out.overflow = self.overflow or other.overflow
        if not out.overflow:
            out.uniques, out.counts = _merge_uniques(
                self.uniques, self.counts, other.uniques, other.counts
            )
        return out._check_cap()


class CrossMoments:
    """Sums behind the Pearson correlations of float columns, mergeable.

    For every pair ``(i, j)`` over the rows where both are finite: the number of
    rows ``N``, the sums ``S[i, j]`` of column ``i``, ``Q[i, j]`` of its squares
    and ``P[i, j]`` of the products, each column shifted by a constant (the
    first chunk's mean, re-shifted on merge) so that no precision is lost to
    large means. ``correlation(means)`` gives the correlations of
    ``correlation_matrix``: the columns centred on their own means over all
    their finite values.
    """

    def __init__(self):
        self.shift = None

    def update(self, block):
        """Add rows: ``block`` of shape (n_rows, n_columns), NaN for missing."""
        present = np.isfinite(block)
        if self.shift is None:
            with np.errstate(invalid="ignore"):
                sums = np.where(present, block, 0.0).sum(axis=0)
                self.shift = np.where(
                    present.any(axis=0), sums / np.maximum(present.sum(axis=0), 1), 0.0
                )
            k = block.shape[1]
            self.n, self.s, self.q, self.p = (np.zeros((k, k)) for _ in range(4))
        x = np.where(present, block - self.shift, 0.0)
        mask = present.astype(np.float64)
        self.n += mask.T @ mask
        self.s += x.T @ mask
        self.q += (x * x).T @ mask
        self.p += x.T @ x
        return self

    def _shifted(self, shift):
        """``(n, s, q, p)`` about another shift."""
        d = shift - self.shift
        s = self.s - d[:, None] * self.n
        q = self.q - 2.0 * d[:, None] * self.s + (d * d)[:, None] * self.n
        p = self.p - d[:, None] * self.s.T - d[None, :] * self.s
        p = p + d[:, None] * d[None, :] * self.n
        return self.n, s, q, p

    def merge(self, other):
        """A new state with the rows of both."""
        if self.shift is None or other.shift is None:
            return self if other.shift is None else other
        out = CrossMoments()
        out.shift = self.shift
        n, s, q, p = other._shifted(self.shift)
        out.n, out.s, out.q, out.p = self.n + n, self.s + s, self.q + q, self.p + p
        return out

    def correlation(self, means, columns):
        """Pearson correlations of ``columns``, centred on ``means`` (their means
        over all their finite values), as ``correlation_matrix`` computes them."""
        if len(columns) < 2:
            return np.eye(len(columns))
        idx = np.ix_(columns, columns)
        n, s, q, p = self.n[idx], self.s[idx], self.q[idx], self.p[idx]
        d = np.asarray(means, dtype=np.float64) - self.shift[columns]
        cross = p - d[None, :] * s - d[:, None] * s.T + d[:, None] * d[None, :] * n
        squares = q - 2.0 * d[:, None] * s + (d * d)[:, None] * n
        # Cancellation leaves a tiny residue where fit's sum of squares is 0.
        squares[squares <= 1e-13 * (q + (d * d)[:, None] * n)] = 0.0
        norms = np.sqrt(squares * squares.T)
        with np.errstate(invalid="ignore", divide="ignore"):
            # No spread on a pair's rows: fit's 0 / 0, read as no correlation.
            corr = np.where(norms > 0, cross / norms, 0.0)
        np.fill_diagonal(corr, 1.0)
        return np.clip(np.nan_to_num(corr), -1.0, 1.0)


class ColumnState:
    """What one column contributes besides its float values: kind, counts, types."""

    def __init__(self, data, distinct=None):
        self.label, self.name, self.kind = data.label, data.name, data.kind
        self.dtype = data.dtype
        self.n = int(data.missing.size)
        self.n_missing = int(data.missing.sum())
        self.n_unsupported = int(data.n_unsupported)
        self.type_counts = data.type_counts
        self.all_integral = True
        self.values = None
        if data.codes is not None and data.kind in ("categorical", "boolean"):
            self.values = ValueCounts.from_codes(data.uniques, data.codes)
        elif data.kind in ("numeric", "datetime"):
            self.values = ValueCounts.from_values(data.values, VALUE_CAP, distinct)
            finite = data.values[np.isfinite(data.values)]
            self.all_integral = bool(np.all(finite == np.floor(finite)))
        elif data.kind == "categorical":
            self.values = ValueCounts()

    def _types(self):
        """The Python type counts (a column read as plain strings: all str)."""
        if self.type_counts is not None or self.kind != "categorical":
            return self.type_counts
        return {"str": self.n - self.n_missing} if self.n > self.n_missing else {}

    def merge(self, other):
        """A new column state with the rows of both."""
        empty, other_empty = self.n == self.n_missing, other.n == other.n_missing
        if self.kind != other.kind and not (empty or other_empty):
            raise ValueError(
                f"Column {self.name!r} is {self.kind} in one part and {other.kind} "
                "in another; cast it to one type before fitting by parts."
            )
        out = ColumnState.__new__(ColumnState)
        out.__dict__.update((other if empty and not other_empty else self).__dict__)
        out.n, out.n_missing = self.n + other.n, self.n_missing + other.n_missing
        out.n_unsupported = self.n_unsupported + other.n_unsupported
        if self.type_counts is not None or other.type_counts is not None:
            types = pd.Series(self._types() or {}, dtype=np.int64)
            types = types.add(
                pd.Series(other._types() or {}, dtype=np.int64), fill_value=0
            )
            order = types.sort_values(ascending=False, kind="stable")
            out.type_counts = {str(k): int(v) for k, v in order.items()}
        out.all_integral = self.all_integral and other.all_integral
        if (
            self.kind == other.kind
            and self.values is not None
            and other.values is not None
        ):
            out.values = self.values.merge(other.values)
        return out


def _float_values(data):
    """The float values of a column (NaN for missing), or None."""
    return data.values if data.kind in _FLOAT_KINDS else None


def _row_bits(data):
    """What a column adds to the 64-bit row hash (as ``RowKey`` in ``fit``): the
    hash of each value (-1 for missing) or the bits of its float value."""
    if data.kind in ("numeric", "datetime"):
        return None
    if data.codes is None:
        return False
    hashes = pd.util.hash_array(np.asarray(data.uniques, dtype=object))
    bits = np.full(data.codes.size, np.uint64(2**64 - 1), dtype=np.uint64)
    present = data.codes >= 0
    bits[present] = hashes[data.codes[present]]
    return bits


def _read(label, name, col):
    """``read_column``; a pandas categorical's codes in first-appearance order
    found by a hash of its integer codes (no sort)."""
    if not (isinstance(col, pd.Series) and isinstance(col.dtype, pd.CategoricalDtype)):
        return read_column(label, name, col)
    data = read_column(label, name, col, encode=False)
    codes = col.cat.codes.to_numpy().astype(np.int64)
    used = pd.unique(codes[codes >= 0])
    remap = np.full(len(col.cat.categories) + 1, -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    data.codes = remap[codes]  # -1 reads the last entry: missing stays -1
    data.uniques = np.asarray(col.cat.categories.take(used), dtype=object)
    return data


class TargetState:
    """The target's values, counts and moments, mergeable."""

    def __init__(self, y, n_rows):
        name = getattr(y, "name", None)
        self.name = "target" if name is None else str(name)
        values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values.ravel()
        if values.ndim != 1 or values.shape[0] != n_rows:
            raise ValueError(
                f"y must be 1-D with one value per row of X ({n_rows}); got shape "
                f"{values.shape}."
            )
        data = read_column(self.name, self.name, values, encode_numbers=True)
        self.kind, self.n_missing = data.kind, int(data.missing.sum())
        cap = VALUE_CAP if data.kind == "numeric" else None
        codes = data.codes if data.codes is not None else np.full(n_rows, -1)
        uniques = data.uniques if data.uniques is not None else np.empty(0)
        self.values = ValueCounts.from_codes(uniques, codes, cap)
        floats = data.values if data.values is not None else np.full(n_rows, np.nan)
        self.moments = MomentState(1).update(floats)

    def merge(self, other):
        if self.kind != other.kind and other.values.uniques.size:
            if self.values.uniques.size:
                raise ValueError(
                    f"The target {self.name!r} is {self.kind} in one part and "
                    f"{other.kind} in another."
                )
        out = TargetState.__new__(TargetState)
        out.__dict__.update((self if self.values.uniques.size else other).__dict__)
        out.n_missing = self.n_missing + other.n_missing
        out.values = self.values.merge(other.values)
        out.moments = self.moments.merge(other.moments)
        return out


class CheckerState:
    """The mergeable state of a partially fitted DataQualityChecker.

    ``CheckerState.from_chunk(X, y)`` reads one chunk (a DataFrame or 2-D array
    with the checker's columns); ``merge`` returns a new state with the rows of
    both, and leaves both unchanged.
    """

    @classmethod
    def from_chunk(cls, X, y=None):
        state = cls()
        columns, floats, distinct, row_key = [], [], [], None
        for label, name, col in iter_columns(X):
            data = _read(label, name, col)
            if row_key is None:
                row_key = RowKey(data.missing.size)
            present = None
            if data.kind in ("numeric", "datetime"):
                present = pd.unique(data.values[np.isfinite(data.values)])
            columns.append(ColumnState(data, present))
            floats.append(_float_values(data))
            distinct.append(present)
            bits = _row_bits(data)
            if bits is None:
                row_key.add_floats(data.values)
            elif bits is not False:
                row_key.add(bits)
        state.n_rows, state.columns = row_key.key.size, columns
        state._add_float_states(floats, distinct)
        state.rows = RowHashState().update_hashes(row_key.key)
        state.target = None if y is None else TargetState(y, state.n_rows)
        return state

    def _add_float_states(self, floats, distinct):
        """Moments and cross-moments of the float columns; the quantile and
        distinct-count sketches of the numeric and datetime ones."""
        block = np.full((self.n_rows, len(floats)), np.nan)
        for j, values in enumerate(floats):
            if values is not None:
                block[:, j] = values
        self.moments = MomentState().update(block)
        self.cross = CrossMoments().update(block)
        sketched = [present is not None for present in distinct]
        self.quantiles = QuantileSketch(len(floats)).update(
            np.where(sketched, block, np.nan)
        )
        self.distinct = DistinctSketch(n_columns=len(floats))
        for j, present in enumerate(distinct):
            if present is not None:
                hashes = pd.util.hash_array(present)
                self.distinct.update_hashes(self.distinct.registers[j], hashes)

    def merge(self, other):
        """A new state with the rows of both states."""
        if len(self.columns) != len(other.columns):
            raise ValueError(
                f"Cannot merge checker states of {len(self.columns)} and "
                f"{len(other.columns)} columns."
            )
        if (self.target is None) != (other.target is None):
            raise ValueError("Cannot merge a state fitted with y and one without.")
        out = CheckerState()
        out.n_rows = self.n_rows + other.n_rows
        out.columns = [a.merge(b) for a, b in zip(self.columns, other.columns)]
        for name in ("moments", "cross", "quantiles", "distinct", "rows"):
            setattr(out, name, getattr(self, name).merge(getattr(other, name)))
        out.target = None if self.target is None else self.target.merge(other.target)
        return out


# -- the profiles of the contract ----------------------------------------------------
class _ExactOrder:
    """The sorted finite values of a column, read from its exact value counts."""

    def __init__(self, values):
        order = np.argsort(values.uniques, kind="stable")
        self.uniques = values.uniques[order].astype(np.float64)
        self.cum = np.concatenate([[0], np.cumsum(values.counts[order])])
        self.m = int(self.cum[-1])

    def at(self, positions):
        """The values at 0-based positions of the sorted array."""
        return self.uniques[np.searchsorted(self.cum, positions, side="right") - 1]

    def quantiles(self, q):
        """As ``quantiles_from_sorted`` on the sorted values (bit for bit)."""
        position = np.asarray(q, dtype=np.float64) * (self.m - 1)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, self.m - 1)
        v_low, v_high = self.at(low), self.at(high)
        return v_low + (position - low) * (v_high - v_low)

    def count_below(self, x, side="left"):
        """Values below ``x`` (``side="right"``: at most ``x``)."""
        return self.cum[np.searchsorted(self.uniques, x, side=side)]

    def top(self):
        return int(np.diff(self.cum).max()) if self.m else 0


class _SketchOrder:
    """The same questions answered by the column's KLL sketch (within its bound)."""

    def __init__(self, sketch, j, m):
        self.sketch, self.j, self.m = sketch, j, int(m)

    def at(self, positions):
        return self.quantiles(np.asarray(positions) / max(self.m - 1, 1))

    def quantiles(self, q):
        return self.sketch.quantiles(np.atleast_1d(q), columns=[self.j])[0]

    def count_below(self, x, side="left"):
        inclusive = side == "right"
        cdf = self.sketch.cdf(np.atleast_1d(x), inclusive, columns=[self.j])[0]
        counts = np.round(cdf * self.m).astype(np.int64)
        return counts if np.ndim(x) else counts[0]

    def top(self):
        """The longest run of equal values among 2,000 evenly spaced quantiles."""
        q = self.quantiles(np.linspace(0, 1, 2001))
        starts = np.flatnonzero(np.concatenate([[True], q[1:] != q[:-1], [True]]))
        return int(round((np.diff(starts).max() - 1) / 2000 * self.m))


def _order(state, j):
    column = state.columns[j]
    if column.values is not None and not column.values.overflow:
        return _ExactOrder(column.values)
    return _SketchOrder(state.quantiles, j, state.moments.count[j])


def _clean(value):
    return float(value) if np.isfinite(value) else None


def _numeric_summary(state, j, order, kind, n_bins):
    """The keys ``_numeric_profile`` gives, from the moments and the order."""
    m = order.m
    out = dict.fromkeys(("min", "max", "mean", "std", "q25", "q50", "q75", "skewness"))
    out.update(n_finite=m, n_outliers=0, edges=[], bin_fractions=[])
    if m == 0:
        return out
    low, high = float(state.moments.min[j]), float(state.moments.max[j])
    q25, q50, q75 = order.quantiles(_SUMMARY_Q)
    out.update(min=low, max=high, q25=float(q25), q50=float(q50), q75=float(q75))
    edges = np.unique(order.quantiles(np.linspace(0, 1, n_bins + 1)))[1:]
    at_max = m - order.count_below(high)
    if edges.size and at_max < m / (2 * n_bins):
        edges = edges[:-1]
    cuts = order.count_below(edges) if edges.size else np.zeros(0, dtype=np.int64)
    out["edges"] = edges.tolist()
    out["bin_fractions"] = (np.diff(np.concatenate([[0], cuts, [m]])) / m).tolist()
    if kind == "numeric":
        moments = state.moments
        n, m2, m3 = moments.weight[j], moments.m2[j], moments.m3[j]
        with np.errstate(all="ignore"):
            std = np.sqrt(m2 / (n - 1)) if n > 1 else np.nan
            skew = np.nan
            if n > 2 and m2 > 0 and low != high:
                skew = (m3 / n) / (m2 / n) ** 1.5 * np.sqrt(n * (n - 1)) / (n - 2)
        out.update(mean=_clean(moments.mean[j]), std=_clean(std), skewness=_clean(skew))
        iqr = q75 - q25
        out["n_outliers"] = int(
            order.count_below(q25 - 1.5 * iqr)
            + m
            - order.count_below(q75 + 1.5 * iqr, side="right")
        )
    return out


def _category_summary(profile, values, max_categories):
    """The category keys of ``profile_column``, from exact value counts."""
    counts = values.counts
    total = profile["n"] - profile["n_missing"]
    profile["top_fraction"] = float(counts.max() / total) if counts.size else None
    category_profile(profile, values.uniques, counts, total, max_categories)


def column_profile(state, j, *, n_bins, max_categories):
    """The profile of column ``j``, as ``profile_column`` gives it for all rows.

    Returns ``(profile, order)``: the order answers quantile questions (None for
    columns without float values).
    """
    column = state.columns[j]
    n, n_missing = column.n, column.n_missing
    profile = {
        "name": column.name,
        "kind": column.kind,
        "dtype": column.dtype,
        "n": n,
        "n_missing": n_missing,
        "missing_fraction": n_missing / n if n else 0.0,
        "n_unique": 0,
        "top_fraction": None,
        "type_counts": column.type_counts,
        "n_unsupported": column.n_unsupported,
        "high_cardinality": False,
    }
    order = None
    if column.kind in ("numeric", "datetime"):
        order = _order(state, j)
        n_pos, n_neg = int(state.moments.n_posinf[j]), int(state.moments.n_neginf[j])
        profile["n_infinite"] = n_pos + n_neg
        profile.update(_numeric_summary(state, j, order, column.kind, n_bins))
        if isinstance(order, _ExactOrder):
            n_unique = order.uniques.size
        else:
            n_unique = int(round(state.distinct.estimate()[j]))
        n_unique += (n_pos > 0) + (n_neg > 0)
        profile["n_unique"] = int(n_unique)
        if n_unique:
            top = max(order.top(), n_pos, n_neg)
            profile["top_fraction"] = float(top / (n - n_missing))
    elif column.kind == "boolean":
        present = state.moments.count[j] > 0
        for key, values in (
            ("mean", state.moments.mean),
            ("min", state.moments.min),
            ("max", state.moments.max),
        ):
            profile[key] = float(values[j]) if present else None
    if column.kind in ("categorical", "boolean") and column.values is not None:
        profile["n_unique"] = int(column.values.uniques.size)
        _category_summary(profile, column.values, max_categories)
    return profile, order


# -- the findings ----------------------------------------------------------------------
def _null_like_codes(values):
    """Codes of the rows whose value is a null-like string (all that
    ``_string_findings`` counts), built from the value counts."""
    normalised = pd.Series(values.uniques, dtype=object).str.strip().str.lower()
    candidates = np.flatnonzero(normalised.isin(list(NULL_LIKE)).to_numpy())
    return np.repeat(candidates, values.counts[candidates])


def column_findings_from_state(state, j, profile, order, params):
    """The findings ``column_findings`` gives column ``j`` in a fit on all rows."""
    column, name, kind = state.columns[j], profile["name"], profile["kind"]
    rows = _unsupported_findings(profile)
    rows += _missing_findings(profile, params["missing_threshold"])
    if kind == "other" or profile["n"] == profile["n_missing"]:
        return rows
    rows += _constant_findings(profile)
    integral = state.moments.count[j] > 0 and column.all_integral
    id_rows = _id_like_findings(profile, np.array([0.0 if integral else 0.5]))
    rows += id_rows
    if kind == "categorical" and not id_rows:
        rows += _cardinality_findings(profile, params)
    rows += _mixed_type_findings(profile)
    if kind == "categorical" and column.values is not None and profile["n_unique"]:
        data = SimpleNamespace(
            uniques=column.values.uniques,
            type_counts=column.type_counts,
            codes=_null_like_codes(column.values),
        )
        rows += _string_findings(data, name, variants=not id_rows)
    if kind == "numeric":
        # Only the number of finite values is read off the sorted values there.
        sized = np.broadcast_to(np.float64(0.0), (int(order.m),))
        rows += _numeric_findings(profile, sized, name)
        if profile["n_missing"] < profile["n"] and order.m:
            positions = (
                np.linspace(0, order.m - 1, DIP_SAMPLE).astype(int)
                if order.m > DIP_SAMPLE
                else np.arange(order.m)
            )
            rows += multimodal_findings(name, order.at(positions), profile["n_unique"])
    return rows


def table_findings_from_state(state, profiles, correlation_threshold):
    """Few rows, duplicates, correlations and the skipped dip test."""
    rows = few_rows_findings(state.n_rows)
    rows += duplicate_findings(state.rows.n_duplicates, state.n_rows)
    corr = [
        j
        for j, p in enumerate(profiles)
        if p["kind"] in ("numeric", "boolean") and p["n_unique"] > 1
    ]
    means = np.where(state.moments.count[corr] > 0, state.moments.mean[corr], 0.0)
    matrix = state.cross.correlation(means, corr)
    names = [profiles[j]["name"] for j in corr]
    rows += correlation_findings(names, matrix, correlation_threshold)
    n_numeric = sum(p["kind"] == "numeric" and p["n_unique"] > 1 for p in profiles)
    rows += skipped_multimodal_findings(n_numeric)
    return rows


def skipped_findings(with_target):
    """One info finding per check a merged fit does not run, saying why."""
    rows = []
    for check, reason in SKIPPED_CHECKS.items():
        if check in ("target_ordered", "leakage", "conflicting_labels") and not (
            with_target
        ):
            continue
        rows.append(
            finding(
                check,
                None,
                "info",
                None,
                f"{check} not checked: a fit by parts (partial_fit, merge) keeps "
                f"no rows, and {reason}.",
                "Run fit on the rows (or on a sample of them) in memory for this "
                "check.",
            )
        )
    return rows


# -- the target --------------------------------------------------------------------
class _Finite:
    """What ``target_findings`` reads of a regression target: size and moments."""

    def __init__(self, moments):
        self.size = int(moments.count[0])
        self._mean, self._min, self._max = (
            float(moments.mean[0]),
            float(moments.min[0]),
            float(moments.max[0]),
        )
        self._std = float(np.sqrt(moments.m2[0] / moments.weight[0]))

    def mean(self):
        return self._mean

    def std(self):
        return self._std

    def min(self):
        return self._min

    def max(self):
        return self._max


def _target_task(target, task):
    """The task of the merged target, by the package's rule on its values."""
    values = target.values
    if values.overflow:
        if task not in ("auto", "regression"):
            raise ValueError(
                f"task={task!r}: the target {target.name!r} has more than "
                f"{VALUE_CAP:,} distinct values; fit it as a regression."
            )
        return "regression"
    full = normalize_task(task, pd.Series(values.uniques))
    if full == "regression" and target.kind not in ("numeric", "boolean"):
        raise ValueError(
            f"task='regression' needs a numeric target; got the {target.kind} "
            f"target {target.name!r}."
        )
    return full


def target_from_state(target, *, task, imbalance_ratio):
    """``(task, summary, findings)`` of the merged target."""
    full = _target_task(target, task)
    coarse = "classification" if is_classification(full) else "regression"
    summary = {"name": target.name, "task": coarse, "n_missing": target.n_missing}
    if coarse == "regression":
        values = _Finite(target.moments)
        for key in ("mean", "std", "min", "max"):
            summary[key] = getattr(values, key)() if values.size else float("nan")
        labels = []
    else:
        uniques = target.values.uniques
        ydata = SimpleNamespace(
            uniques=uniques, codes=np.arange(uniques.size), kind=target.kind
        )
        labels, remap = _sorted_labels(ydata, slice(None))
        counts = np.zeros(len(labels), dtype=np.int64)
        counts[remap] = target.values.counts
        summary["labels"], summary["counts"] = labels, counts.tolist()
        summary["ratio"] = (
            float(counts.min() / counts.max()) if len(labels) >= 2 else None
        )
        values = np.repeat(np.arange(len(labels)), counts)
    rows = target_findings(
        values,
        name=target.name,
        task=coarse,
        labels=labels,
        imbalance_ratio=imbalance_ratio,
        n_missing=target.n_missing,
    )
    return full, summary, rows
