"""The time axis of a table, and whether a random split of it would leak.

While the checker reads the columns one by one, a :class:`ColumnScreen` keeps
what the table-wide screens need on a fixed sample of rows: each column's codes
(quantile bins or categories, missing a code of its own), its missing mask, and
the columns that can be the time axis: datetime columns, date strings, an
integer year column (with a month column when there is one), or the column
named by ``time_column``. Row order alone is never the time axis.

Then :func:`time_findings` picks the axis (``time_axis``: which column and why),
finds the columns that rise with it (an order number, a second date: they encode
the time too) and tests whether time predicts the data (``temporal_order``):
the rank correlation of the target with the time, the target early against
late, and a cross-fitted naive-Bayes classifier of "is this row late?" from the
other columns and the target, scored by its ROC-AUC.
"""

import re
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from sklearn_workflow.quality._findings import finding
from sklearn_workflow.quality._leakage import leak_codes, split_halves
from sklearn_workflow.quality._profile import ColumnData
from sklearn_workflow.utils._dataframe import (
    guess_datetime_format,
    is_date_strings,
    parse_datetime_column,
)

__all__ = ["ColumnScreen", "time_findings", "time_values"]

# The table-wide screens read at most this many rows (a fixed random sample).
SCREEN_ROWS = 20_000
# The temporal_order finding: a late-vs-early ROC-AUC of at least STRONG_AUC or a
# rank correlation of target and time of at least STRONG_CORR in absolute value,
# either with p < TEMPORAL_ALPHA, on at least MIN_TIME_ROWS rows.
STRONG_AUC = 0.65
STRONG_CORR = 0.1
TEMPORAL_ALPHA = 1e-3
MIN_TIME_ROWS = 30
# The rows are in time order when at least this share of their steps keeps it.
ORDERED_SHARE = 0.9
# A column whose rank correlation with the time axis is at least this encodes
# the time (an order number, a second date).
PROXY_CORR = 0.95
# A column that alone tells late rows from early ones with this ROC-AUC is a
# period label (it encodes the time).
PROXY_AUC = 0.9
# Early and late: the first and last fifth of the rows by time.
EDGE_SHARE = 0.2
_YEAR_NAME = re.compile(r"(^|[^a-z])(year|yr)s?([^a-z]|$)", re.IGNORECASE)
_MONTH_NAME = re.compile(r"(^|[^a-z])months?([^a-z]|$)", re.IGNORECASE)
_MICROS_PER_DAY = 86_400_000_000
_N_TARGET_BINS = 32
# Columns with more codes (identifiers, long tails) are left out of the screens.
MAX_SCREEN_CODES = 1_000
# Rows of the rank correlations with the time axis (a fixed sample).
PROXY_ROWS = 5_000


def _screen_rows(n_rows):
    if n_rows <= SCREEN_ROWS:
        return None
    rng = np.random.default_rng(0)
    return np.sort(rng.choice(n_rows, SCREEN_ROWS, replace=False))


def _integers_in(values, lo, hi):
    present = values[~np.isnan(values)]
    return (
        present.size > 0
        and bool(np.all(present == np.floor(present)))
        and present.min() >= lo
        and present.max() <= hi
    )


def _date_micros(col, name):
    """Date strings as float microseconds since the epoch (NaN where missing)."""
    fmt = guess_datetime_format(col)
    if fmt is None:
        return np.full(len(col), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = parse_datetime_column(col, fmt)
    if getattr(parsed.dtype, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    values = parsed.to_numpy(dtype="datetime64[us]")
    micros = values.view(np.int64).astype(np.float64)
    micros[np.isnat(values)] = np.nan
    return micros


class ColumnScreen:
    """What the table-wide screens need, gathered one column at a time.

    Parameters
    ----------
    n_rows : int
    time_column : str or None
        The column given as the time axis (None: detect it).
    """

    def __init__(self, n_rows, time_column=None):
        self.n_rows = n_rows
        self.rows = _screen_rows(n_rows)
        self.time_column = time_column
        self.names, self.codes, self.masks = [], [], []
        self.candidates = []  # dicts: name, columns, values, reason, kind
        self.months = {}  # month columns: name -> values
        self.ordinal = {}  # numeric and datetime columns: name -> values
        self.n_numeric = 0

    def _take(self, array):
        return array if self.rows is None else array[self.rows]

    def _sample(self, data):
        """The column on the screen's rows (its quantile edges stay those of
        all the rows: they come from the profile's sorted values)."""
        if self.rows is None:
            return data
        return ColumnData(
            data.label,
            data.name,
            data.kind,
            data.dtype,
            data.missing[self.rows],
            None if data.values is None else data.values[self.rows],
            None if data.codes is None else data.codes[self.rows],
            data.uniques,
        )

    def add(self, data, profile, sorted_values, col):
        """Fold in one column (its ``ColumnData``, profile and raw values)."""
        name, kind = profile["name"], profile["kind"]
        coded = leak_codes(self._sample(data), profile, sorted_values)
        if coded is not None and coded[1] > MAX_SCREEN_CODES:
            coded = None  # an identifier: cross-fitted, it predicts nothing
        if coded is not None:
            codes, n_codes = coded
            dtype = np.int8 if n_codes < 128 else np.int32
            coded = (codes.astype(dtype, copy=False), n_codes)
        self.names.append(name)
        self.codes.append(coded)
        self.masks.append(self._take(data.missing))
        if kind in ("numeric", "datetime") and data.values is not None:
            self.ordinal[name] = self._take(data.values)
        if kind == "numeric" and profile["n_unique"] > 1:
            self.n_numeric += 1
        self._candidate(data, profile, col)

    def _candidate(self, data, profile, col):
        name, kind = profile["name"], profile["kind"]
        given = self.time_column is not None and name == str(self.time_column)
        if self.time_column is not None and not given:
            return
        values, reason = None, None
        if kind == "datetime":
            values, reason = data.values, "a datetime column"
        elif kind == "categorical" and (given or is_date_strings(col)):
            values, reason = _date_micros(col, name), "a column of date strings"
            if given and np.isnan(values).mean() > 0.5:
                raise ValueError(
                    f"time_column={name!r} holds neither dates nor numbers "
                    f"(dtype {profile['dtype']})."
                )
        elif kind == "numeric" and data.values is not None:
            if given:
                values, reason = data.values, "a numeric column"
            elif _YEAR_NAME.search(name) and _integers_in(data.values, 1000, 2999):
                values, reason = data.values, "an integer year column"
            elif _MONTH_NAME.search(name) and _integers_in(data.values, 1, 12):
                self.months[name] = self._take(data.values)
        elif given:
            raise ValueError(
                f"time_column={name!r} holds neither dates nor numbers "
                f"(dtype {profile['dtype']})."
            )
        if values is not None:
            if given:
                reason = f"{reason}, given as time_column"
            self.candidates.append(
                {
                    "name": name,
                    "columns": [name],
                    "values": self._take(values),
                    "reason": reason,
                    "kind": "datetime" if kind != "numeric" else "number",
                }
            )


def _in_order(values):
    """Share of the steps between consecutive present values that keep the
    time order (forwards or, for a file with the latest rows first, backwards)."""
    present = values[~np.isnan(values)]
    if present.size < 2:
        return 0.0
    steps = np.diff(present)
    return float(max(np.mean(steps >= 0), np.mean(steps <= 0)))


def _choose_axis(screen):
    """The time axis among the candidates: datetimes and dates before years;
    then the one most in row order, then the one with most distinct times."""
    if not screen.candidates:
        return None
    years = [c for c in screen.candidates if c["reason"].startswith("an integer year")]
    for year in years:
        if len(screen.months) == 1:
            ((month, values),) = screen.months.items()
            year["values"] = year["values"] + (values - 1) / 12
            year["columns"] = [year["name"], month]
            year["reason"] = f"integer year and month columns ({month})"
    rank = {"a datetime column": 0, "a column of date strings": 0}

    def key(c):
        return (
            rank.get(c["reason"], 1),
            -_in_order(c["values"]),
            -len(np.unique(c["values"][~np.isnan(c["values"])])),
        )

    return min(screen.candidates, key=key)


def _format_time(value, kind, columns=()):
    if len(columns) == 2:  # a year and a month
        year, month = divmod(round(value * 12), 12)
        return f"{year}-{month + 1:02d}"
    if kind == "datetime":
        return str(np.datetime64(int(value), "us").astype("datetime64[D]"))
    return f"{value:.6g}"


def _proxies(screen, axis, time, present):
    """Other numeric or datetime columns whose rank correlation with the time
    is at least ``PROXY_CORR``: they encode the time too."""
    found = []
    rows = np.flatnonzero(present)
    rows = rows[np.linspace(0, rows.size - 1, min(rows.size, PROXY_ROWS)).astype(int)]
    time_rank = stats.rankdata(time[rows])
    for name, values in screen.ordinal.items():
        if name in axis["columns"]:
            continue
        column = values[rows]
        both = ~np.isnan(column)
        if both.sum() < MIN_TIME_ROWS or np.ptp(column[both]) == 0:
            continue
        ranks = stats.rankdata(column[both])
        r = np.corrcoef(stats.rankdata(time_rank[both]), ranks)[0, 1]
        if np.isfinite(r) and abs(r) >= PROXY_CORR:
            found.append((name, float(r)))
    return found


def _target_array(target, screen):
    """The target on the screen's rows: class index or value, NaN where missing."""
    if target is None or target.get("y") is None:
        return None
    full = np.full(screen.n_rows, np.nan)
    full[target["keep"]] = target["y"]
    return screen._take(full)


def _rank_correlation(time, y, classification):
    """Spearman's correlation of the target with the time, and its p-value; for
    several classes, the class whose share moves most (Bonferroni p-value)."""
    classes = np.unique(y)
    if classes.size < 2:
        return 0.0, 1.0
    if not classification or classes.size == 2:
        result = stats.spearmanr(time, y)
        return float(result.statistic), float(result.pvalue)
    best = (0.0, 1.0)
    for c in classes:
        result = stats.spearmanr(time, y == c)
        if abs(result.statistic) > abs(best[0]):
            best = (float(result.statistic), min(1.0, result.pvalue * classes.size))
    return best


def _target_codes(y, classification):
    if classification:
        codes = y.astype(np.int64)
        return codes, int(codes.max()) + 1
    edges = np.unique(np.quantile(y, np.linspace(0, 1, _N_TARGET_BINS + 1)))[1:-1]
    return np.searchsorted(edges, y, side="right"), edges.size + 1


def _late_auc(codes, late, screen, skip):
    """Cross-fitted naive-Bayes ROC-AUC of "late" from the coded columns, its
    one-sided Mann-Whitney p-value, and the columns that alone give an AUC of
    at least ``PROXY_AUC`` (period labels: they encode the time, and are left
    out of the classifier)."""
    from sklearn_workflow.quality._missingness import naive_bayes_auc

    if not codes:
        return 0.5, 1.0, []
    second = split_halves(late.size)
    auc, aucs = naive_bayes_auc(late, codes, second, drop_above=PROXY_AUC)
    names = [n for n, c in zip(screen.names, screen.codes) if c is not None]
    names = [n for n in names if n not in skip] + ["the target"]
    encoders = [n for n, a in zip(names, aucs) if a >= PROXY_AUC]
    n_pos = int(late.sum())
    n_neg = late.size - n_pos
    se = np.sqrt((n_pos + n_neg + 1) / (12 * n_pos * n_neg))
    return auc, float(stats.norm.sf((auc - 0.5) / se)), encoders


def _edges(time, y, classification, labels):
    """The target early and late: a sentence, for the message."""
    lo, hi = np.quantile(time, [EDGE_SHARE, 1 - EDGE_SHARE])
    early, late = y[time <= lo], y[time >= hi]
    if not (early.size and late.size):
        return ""
    if not classification:
        return (
            f"its mean is {early.mean():.4g} in the earliest fifth of the rows by "
            f"time and {late.mean():.4g} in the latest"
        )
    classes = np.unique(y).astype(int)
    shifts = [abs(np.mean(late == c) - np.mean(early == c)) for c in classes]
    c = classes[int(np.argmax(shifts))]
    label = labels[c] if labels and c < len(labels) else c
    return (
        f"class {label!r} is {np.mean(early == c):.1%} of the earliest fifth of "
        f"the rows by time and {np.mean(late == c):.1%} of the latest"
    )


def _temporal_test(screen, axis, skip, time, present, target):
    """Does time predict the data? Rank correlation, early vs late, late AUC."""
    y = _target_array(target, screen)
    use = present if y is None else present & ~np.isnan(y)
    t = time[use]
    if t.size < MIN_TIME_ROWS or np.unique(t).size < 2:
        return {"tested": False, "predicts": False, "strong": False}
    late = t > np.median(t)
    if not late.any():
        late = t >= np.median(t)
    codes = [
        (c[0][use], c[1])
        for name, c in zip(screen.names, screen.codes)
        if c is not None and name not in skip
    ]
    result = {"tested": True, "rank_corr": 0.0, "rank_p": 1.0, "edges": ""}
    if y is not None:
        classification = target["coarse_task"] == "classification"
        yy = y[use]
        r, p_r = _rank_correlation(t, yy, classification)
        result.update(rank_corr=r, rank_p=p_r)
        result["edges"] = _edges(t, yy, classification, target["summary"].get("labels"))
        codes.append(_target_codes(yy, classification))
    auc, p_auc, encoders = _late_auc(codes, late, screen, skip)
    result.update(auc=auc, auc_p=p_auc, time_encoders=encoders, n_rows=int(t.size))
    result["predicts"] = bool(
        (auc >= STRONG_AUC and p_auc < TEMPORAL_ALPHA)
        or (
            abs(result["rank_corr"]) >= STRONG_CORR
            and result["rank_p"] < TEMPORAL_ALPHA
        )
    )
    # A table in time order (or with its time column named) is one whose rows
    # arrive over time: a random split of it mixes the future into training.
    ordered = _in_order(time) >= ORDERED_SHARE or "given as" in axis["reason"]
    result["strong"] = result["predicts"] and bool(ordered)
    return result


def time_findings(screen, target=None):
    """The ``time_axis`` and ``temporal_order`` findings, and what was found.

    Parameters
    ----------
    screen : ColumnScreen
    target : dict or None
        The prepared target (``prepare_target``), or None without ``y``.

    Returns
    -------
    rows : list of dict
        The findings.
    axis : dict or None
        ``column`` (its name), ``columns`` (the columns that make it: a year
        and a month column), ``kind`` ("datetime" or "number"), ``reason``,
        ``in_order`` (share of steps along the rows that do not go back in
        time), ``start``, ``end``, ``proxies`` (columns that rise with it), and
        the test: ``tested``, ``auc``, ``auc_p``, ``rank_corr``, ``rank_p``,
        ``predicts`` (time predicts the data) and ``strong`` (it does, and the
        rows are in time order or the column was named: a random split would
        leak, split by time). None when no column is a time axis.
    """
    axis = _choose_axis(screen)
    if axis is None:
        return [], None
    time = axis["values"]
    present = ~np.isnan(time)
    if present.sum() < 2:
        return [], None
    proxies = _proxies(screen, axis, time, present)
    info = {
        "column": axis["name"],
        "columns": list(axis["columns"]),
        "kind": axis["kind"],
        "reason": axis["reason"],
        "in_order": _in_order(time),
        "start": _format_time(np.nanmin(time), axis["kind"], axis["columns"]),
        "end": _format_time(np.nanmax(time), axis["kind"], axis["columns"]),
        "proxies": [name for name, _ in proxies],
    }
    skip = set(axis["columns"]) | set(info["proxies"])
    info.update(_temporal_test(screen, axis, skip, time, present, target))
    rows = [_axis_finding(info, proxies)]
    if info["strong"]:
        rows.append(_order_finding(info, target))
    return rows, info


def _axis_finding(info, proxies):
    name = info["column"]
    message = (
        f"{name} is the time axis ({info['reason']}): from {info['start']} to "
        f"{info['end']}; the rows follow it on {info['in_order']:.0%} of their "
        "steps."
    )
    if proxies:
        listed = ", ".join(f"{p} (rank correlation {r:.2f})" for p, r in proxies)
        message += f" {listed} rise{'s' if len(proxies) == 1 else ''} with it: "
        message += "they encode the time too."
    if info.get("predicts") and not info["strong"]:
        message += (
            f" Time predicts the data along it (late-vs-early ROC-AUC "
            f"{info['auc']:.2f}, rank correlation with the target "
            f"{info['rank_corr']:.2f}), but the rows are not in time order: a "
            "record of when each row happened rather than a table that grows over "
            "time, so no temporal_order finding; name it as time_column to split "
            "by it."
        )
    encoders = info.get("time_encoders") or []
    if encoders:
        message += (
            f" {', '.join(encoders)} alone tell{'s' if len(encoders) == 1 else ''} "
            "early rows from late ones."
        )
    return finding(
        "time_axis",
        name,
        "info",
        info["in_order"],
        message,
        f"Split by time when time predicts the target (TimeSplitter(time={name!r}));"
        " derive calendar features from it (DateFeatureExtractor) rather than "
        "feeding its raw value.",
    )


def _order_finding(info, target):
    name = info["column"]
    parts = []
    if target is not None and info["rank_p"] < 1.0:
        target_name = target["summary"]["name"]
        p = info["rank_p"]
        p_text = "p < 1e-16" if p < 1e-16 else f"p = {p:.1e}"
        parts.append(
            f"the target {target_name} trends with it (rank correlation "
            f"{info['rank_corr']:.2f}, {p_text})"
        )
        if info["edges"]:
            parts.append(info["edges"])
    parts.append(
        "a classifier tells the later half of the rows from the earlier one with "
        f"ROC-AUC {info['auc']:.2f} from the other columns"
        + (" and the target" if target is not None else "")
    )
    return finding(
        "temporal_order",
        name,
        "warning",
        info["auc"],
        f"Time predicts the data along {name}: " + "; ".join(parts) + ". A random "
        "split trains on the future of its test rows and reports too good a score.",
        f"Split by time: hold out the latest rows and cross-validate with "
        f"TimeSplitter(time={name!r}) (the run command: --split time, the "
        "default when this finding is raised).",
    )


def time_values(X, axis):
    """The time axis of a frame, as ``datetime64[us]`` or float values.

    Parameters
    ----------
    X : pandas DataFrame
    axis : dict
        From :func:`time_findings` (``columns`` and ``kind``).
    """
    columns = axis["columns"]
    first = X[columns[0]]
    if axis["kind"] == "datetime":
        if pd.api.types.is_datetime64_any_dtype(first.dtype):
            series = first
            if getattr(series.dtype, "tz", None) is not None:
                series = series.dt.tz_convert("UTC").dt.tz_localize(None)
            return series.to_numpy(dtype="datetime64[us]")
        micros = _date_micros(first, columns[0])
        values = np.full(micros.size, np.datetime64("NaT"), dtype="datetime64[us]")
        present = ~np.isnan(micros)
        values[present] = micros[present].astype(np.int64).view("datetime64[us]")
        return values
    values = pd.to_numeric(first, errors="coerce").to_numpy(dtype=np.float64)
    if len(columns) == 2:
        month = pd.to_numeric(X[columns[1]], errors="coerce").to_numpy(np.float64)
        values = values + (month - 1) / 12
    return values
