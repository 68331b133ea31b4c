"""DateFeatureExtractor: calendar parts, flags, cyclical encodings, holidays and
elapsed times from datetime columns of any resolution and time zone."""

import contextlib
import datetime
import functools
import importlib
import re
import zoneinfo
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from sklearn_workflow.features._base import _ColumnTransformerMixin
from sklearn_workflow.features._date_calendar import (
    CivilCalendar,
    days_from_civil,
    ticks_of,
)
from sklearn_workflow.utils._dataframe import (
    column_kind,
    column_names,
    datetime_timezone,
    guess_datetime_format,
    is_dataframe,
    is_string_column,
    make_output_from_block,
    n_rows,
    parse_datetime_column,
    split_datetime_series,
    to_datetime_series,
    to_float_array,
)
from sklearn_workflow.utils._param_validation import StrOptions, _fit_context
from sklearn_workflow.utils._params import store_params

__all__ = ["DateFeatureExtractor"]

CALENDAR_FEATURES = (
    "year",
    "quarter",
    "semester",
    "month",
    "week",
    "day",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "second",
    "is_weekend",
    "is_month_start",
    "is_month_end",
    "is_quarter_start",
    "is_quarter_end",
    "is_year_start",
    "is_year_end",
    "is_leap_year",
    "days_in_month",
    "is_business_day",
)
_AUTO_DATE_FEATURES = ("year", "month", "day", "day_of_week", "day_of_year")
_AUTO_FLAGS = ("is_weekend",)
_TIME_FEATURES = ("hour", "minute", "second")
# Cyclical features: the value's phase (0-based) and its true period.
_CYCLES = {
    "quarter": (lambda c: c.quarter - 1, lambda c: 4),
    "month": (lambda c: c.month - 1, lambda c: 12),
    "week": (lambda c: c.iso_week - 1, lambda c: c.iso_weeks_in_year),
    "day": (lambda c: c.day - 1, lambda c: c.days_in_month),
    "day_of_week": (lambda c: c.day_of_week, lambda c: 7),
    "day_of_year": (lambda c: c.day_of_year - 1, lambda c: c.days_in_year),
    "hour": (lambda c: c.hour, lambda c: 24),
    "minute": (lambda c: c.minute, lambda c: 60),
    "second": (lambda c: c.second, lambda c: 60),
}
_UNITS = {"D": ("days", 86_400), "h": ("hours", 3_600), "m": ("minutes", 60)}
_UNITS.update({"s": ("seconds", 1), "W": ("weeks", 604_800)})
# Distances to the nearest holiday are capped at this many days.
HOLIDAY_HORIZON = 365
_HOLIDAY_FEATURES = ("is_holiday", "days_to_holiday", "days_from_holiday")
# Kinds of the columns read as dates: parsed, epoch seconds or strings.
_SOURCE_KINDS = ("datetime", "numeric", "categorical")


def _calendar_feature(name, cal, holiday_mask):
    if name == "week":
        return cal.iso_week
    if name == "is_weekend":
        return cal.day_of_week >= 5
    if name == "is_month_start":
        return cal.day == 1
    if name == "is_month_end":
        return cal.day == cal.days_in_month
    if name == "is_quarter_start":
        return (cal.day == 1) & (cal.month % 3 == 1)
    if name == "is_quarter_end":
        return (cal.day == cal.days_in_month) & (cal.month % 3 == 0)
    if name == "is_year_start":
        return (cal.day == 1) & (cal.month == 1)
    if name == "is_year_end":
        return (cal.day == 31) & (cal.month == 12)
    if name == "is_business_day":
        weekday = cal.day_of_week < 5
        return weekday if holiday_mask is None else weekday & ~holiday_mask
    return getattr(cal, name)


def _epoch_seconds_to_datetime64(values):
    """Seconds since 1970-01-01 (float) as datetime64[us], NaN and overflow NaT."""
    micro = np.round(np.asarray(values, dtype=np.float64) * 1e6)
    bad = ~np.isfinite(micro) | (np.abs(micro) > 9.2e18)
    ticks = np.where(bad, 0, micro).astype(np.int64)
    ticks[bad] = np.iinfo(np.int64).min
    return ticks.view("datetime64[us]")


_YEAR_WORD = re.compile(r"(?:^|[^a-z])year(?:$|[^a-z])")


def _holds_years(name, col):
    """Whether a numeric column holds calendar years: its name has the word
    "year" (any case, camelCase split) and its values are integers. They must
    then be four-digit years: a two-digit year (70 for 1970) is an error, not
    a guess."""
    words = re.sub(r"([a-z])([A-Z])", r"\1_\2", str(name)).lower()
    if column_kind(col) != "numeric" or not _YEAR_WORD.search(words):
        return False
    values = to_float_array(col)
    values = values[~np.isnan(values)]
    if not np.array_equal(values, np.floor(values)):
        return False
    if values.size and (values.min() < 1000 or values.max() > 9999):
        raise ValueError(
            f"Column {name!r} is named like a year and holds integers, read as "
            f"years, but its values run from {values.min():g} to "
            f"{values.max():g}, not four-digit years; convert two-digit years "
            "first (add 1900 or 2000), or rename the column to read it as "
            "seconds since 1970."
        )
    return True


def _years_to_datetime64(values):
    """Calendar years (float, NaN missing) as January 1 of each, datetime64[s]."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    years = np.where(missing, 1970, values).astype(np.int64)
    seconds = days_from_civil(years, 1, 1) * 86_400
    seconds[missing] = np.iinfo(np.int64).min
    return seconds.view("datetime64[s]")


def _madvise_switch():
    """numpy's switch of its huge-page requests, or None where it has none."""
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._set_madvise_hugepage
        except (ImportError, AttributeError):
            continue
    return None


@contextlib.contextmanager
def _ordinary_pages():
    """Allocate the arrays of the block on ordinary memory pages.

    numpy asks Linux for transparent huge pages for every array of 4 MB or
    more. When other code has just freed a lot of memory (a pandas pipeline, the
    previous step of a workflow), the kernel first compacts memory to find each
    2 MB page, and for the output of many rows (13 features of 2,000,000 rows:
    208 MB) that compaction cost twice the whole computation in measurements,
    against a steady cost of ordinary page faults. numpy's switch is global, so
    it is restored on exit (a concurrent allocation in another thread may miss
    the huge-page hint meanwhile, which changes its speed, not its result).
    """
    switch = _madvise_switch()
    if switch is None:
        yield
        return
    previous = switch(False)
    try:
        yield
    finally:
        switch(previous)


@functools.lru_cache(maxsize=64)
def _country_holiday_days(country, subdiv, first_year, last_year):
    try:
        import holidays as holidays_package
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "DateFeatureExtractor(holidays=<country code>) needs the optional "
            "'holidays' package: pip install holidays (or pass a list of dates)."
        ) from exc
    calendar = holidays_package.country_holidays(
        country, subdiv=subdiv, years=range(first_year, last_year + 1)
    )
    dates = np.array(sorted(calendar.keys()), dtype="datetime64[D]")
    days = np.unique(dates.view(np.int64))
    days.flags.writeable = False
    return days


def _split_country(code):
    country, _, subdiv = code.partition("-")
    return country.upper(), (subdiv or None)


class DateFeatureExtractor(_ColumnTransformerMixin, TransformerMixin, BaseEstimator):
    """Calendar features, holidays and elapsed times from datetime columns.

    Every selected column becomes float64 columns named ``<column>_<feature>``:
    calendar parts (year, month, ISO week, day of week, ...), flags
    (``is_weekend``, ``is_month_end``, ...), optional sin/cos pairs with the true
    period of each part, optional holiday flags and distances, and optional
    elapsed times (since a reference date, or between two columns). Other columns
    pass through unchanged, so the transformer works on a whole DataFrame as well
    as inside a ``ColumnTransformer``.

    All parts are computed from the integer datetime64 ticks of the column (day
    number and time of day, then the civil date by integer arithmetic), with one
    time-zone conversion per tz-aware column, at any resolution (s, ms, us, ns).

    Parameters
    ----------
    columns : "all", str, int, list of str or int, or None, default=None
        The date columns. None selects every datetime column (pandas
        ``datetime64`` of any resolution, naive or tz-aware; polars ``Date`` and
        ``Datetime``; numpy ``datetime64``); when the input has none, ``fit``
        warns that it leaves the numeric columns alone, naming them. Columns
        named explicitly, and every column with ``"all"`` (for instance inside
        a ``ColumnTransformer`` that selects the columns), may also be strings
        (parsed, see ``format``) or numbers: an integer column whose name has
        the word "year" (``year``, ``model_year``, ``YearBuilt``) holds years
        (read as January 1 of that year; values outside 1000-9999, such as
        two-digit years, are an error); any other number is read as seconds
        since 1970-01-01 (epoch seconds). Numbers are never read as dates
        unless asked so. Columns named in ``differences`` are added.
    features : "auto", "all" or list of str, default="auto"
        Calendar features, any of ``year``, ``quarter``, ``semester``, ``month``,
        ``week`` (ISO 8601), ``day`` (of month), ``day_of_week`` (0 = Monday),
        ``day_of_year``, ``hour``, ``minute``, ``second``, ``is_weekend``
        (Saturday, Sunday), ``is_month_start``, ``is_month_end``,
        ``is_quarter_start``, ``is_quarter_end``, ``is_year_start``,
        ``is_year_end``, ``is_leap_year``, ``days_in_month`` and
        ``is_business_day`` (Monday to Friday and, with ``holidays``, not a
        holiday). ``"auto"`` is year, month, day, day_of_week, day_of_year and
        is_weekend, plus the time-of-day parts down to the finest one that is not
        always zero at fit (none for a column of dates at midnight).
        ``"all"`` is every feature above.
    cyclical : bool, default=False
        Add ``<feature>_sin`` and ``<feature>_cos`` for each periodic feature,
        with its true period: 4 quarters, 12 months, 52 or 53 ISO weeks (that ISO
        year's), the length of that month for ``day``, 7 days, 365 or 366 days
        for ``day_of_year``, 24 hours, 60 minutes and seconds. The phase starts at
        0 for the first value (January, day 1, Monday, midnight).
    holidays : str, list of dates or None, default=None
        A country code of the ``holidays`` package, optionally with a subdivision
        (``"US"``, ``"US-CA"``, ``"FR"``), or a list of dates. Adds
        ``is_holiday``, ``days_to_holiday`` (days until the next holiday, 0 on a
        holiday) and ``days_from_holiday`` (days since the previous one), both
        capped at 365, computed on the local date. A country code needs the
        optional ``holidays`` package; its calendar is built for the years of
        the data.
    differences : list of (str, str) pairs or None, default=None
        For each pair ``(a, b)``, add ``<a>_minus_<b>_<unit>``: the elapsed time
        ``a - b`` in ``unit`` (fractional, negative when ``a`` is before ``b``).
        Both columns must be naive, or both tz-aware (then the difference is
        between instants, so a DST change counts as the hour it is).
    elapsed : "fit_min", "fit_max", str, date or None, default=None
        Add ``<column>_elapsed_<unit>``: the time since a reference, a trend
        feature. ``"fit_min"`` and ``"fit_max"`` use each column's earliest or
        latest value seen at fit; any other value is a date (a naive reference
        is read in the time zone of a tz-aware column).
    unit : {"D", "h", "m", "s", "W"}, default="D"
        Unit of the ``differences`` and ``elapsed`` features: days, hours,
        minutes, seconds or weeks; it names them (``_days``, ``_hours``, ...).
    timezone : "fit" or str, default="fit"
        Time zone of the wall clock the features are read on, for tz-aware
        columns. ``"fit"`` converts each column at transform to the zone it had
        at fit; an IANA name (``"UTC"``, ``"Europe/Paris"``) converts every
        tz-aware column to that zone. Naive columns are wall-clock times already
        and are never converted. A column that is naive at fit and tz-aware at
        transform, or the reverse, is an error.
    format : str or None, default=None
        strftime format of string columns. None infers it at fit from the
        training column (the format that parses most of its first values); at
        transform the format is applied strictly: strings that do not match give
        missing values.
    dayfirst : bool, default=False
        Read ambiguous string dates such as ``"03/04/2024"`` as 3 April rather
        than 4 March when inferring the format.
    drop_original : bool, default=True
        Drop the date columns from the output; otherwise they are kept in place.

    Attributes
    ----------
    columns_ : list of str or int
        The date columns, in output order.
    features_ : dict of str to tuple of str
        The calendar features of each date column (``"auto"`` resolved).
    timezones_ : dict of str to str or None
        The time zone of each date column at fit (None for naive columns).
    formats_ : dict of str to str or None
        The strftime format of each string column (None for other columns).
    elapsed_reference_ : dict of str to numpy.datetime64
        The reference of each column's elapsed time (only with ``elapsed``):
        a naive wall-clock time for naive columns, the UTC instant for tz-aware
        ones; NaT when ``"fit_min"``/``"fit_max"`` saw no date.
    holidays_ : ndarray of datetime64[D] or None
        The holidays known at fit: the given list, or the country's holidays of
        the years seen at fit and the years next to them. At transform the
        country calendar is extended to the years of the data.
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of str
        Names of the columns seen during fit (DataFrame input only).

    See Also
    --------
    feature_engine.datetime.DatetimeFeatures : calendar parts and flags, one
        pandas ``.dt`` call per feature; no cyclical encoding, holidays, or
        elapsed time (``DatetimeSubtraction`` and ``CyclicalFeatures`` are separate
        transformers, and the latter's periods are the maxima seen at fit, not the
        true month or year lengths).
    skrub.DatetimeEncoder : year to nanosecond parts, day of week, total seconds
        and periodic splines; converts tz-aware columns to UTC rather than
        keeping their local calendar, and has no flags or holidays.

    Notes
    -----
    Missing values (NaT, None, and strings that do not parse) give NaN in every
    derived feature; they are never filled with a fake date.

    The features are computed on the local wall-clock time: a tz-aware timestamp
    is converted to its zone (see ``timezone``) and its local date and hour are
    used, so 2024-03-10 23:30 in New York is a Sunday at 23 h, whatever its UTC
    time. ``differences`` and ``elapsed`` of tz-aware columns measure real elapsed
    time between instants.

    Examples
    --------
    A tz-aware column keeps its local calendar, and a missing date gives NaN:

    >>> import pandas as pd
    >>> from sklearn_workflow.features import DateFeatureExtractor
    >>> when = pd.to_datetime(["2024-03-09 23:30", None, "2024-12-31 08:00"])
    >>> X = pd.DataFrame({"when": when.tz_localize("America/New_York"),
    ...                   "amount": [10.0, 20.0, 30.0]})
    >>> extractor = DateFeatureExtractor(features=("day_of_week", "hour", "week"))
    >>> extractor.fit_transform(X)
       amount  when_day_of_week  when_hour  when_week
    0    10.0               5.0       23.0       10.0
    1    20.0               NaN        NaN        NaN
    2    30.0               1.0        8.0        1.0

    The elapsed time between two columns, in days:

    >>> X = pd.DataFrame({"signup": pd.to_datetime(["2024-01-01", "2024-02-29"]),
    ...                   "login": pd.to_datetime(["2024-01-31 12:00", None])})
    >>> extractor = DateFeatureExtractor(
    ...     features=("month",), differences=(("login", "signup"),))
    >>> extractor.fit_transform(X)
       signup_month  login_month  login_minus_signup_days
    0           1.0          1.0                     30.5
    1           2.0          NaN                      NaN
    """

    _default_kinds = ("datetime",)

    _parameter_constraints = {
        "columns": [None, str, Integral, "array-like"],
        "features": [StrOptions({"auto", "all"}), "array-like"],
        "cyclical": ["boolean"],
        "holidays": [None, str, "array-like"],
        "differences": [None, "array-like"],
        "elapsed": [None, str, datetime.date, np.datetime64],
        "unit": [StrOptions(set(_UNITS))],
        "timezone": [str],
        "format": [None, str],
        "dayfirst": ["boolean"],
        "drop_original": ["boolean"],
    }

    def __init__(
        self,
        columns=None,
        *,
        features="auto",
        cyclical=False,
        holidays=None,
        differences=None,
        elapsed=None,
        unit="D",
        timezone="fit",
        format=None,
        dayfirst=False,
        drop_original=True,
    ):
        store_params(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # Input ----------------------------------------------------------------------
    def _default_columns(self, X):
        """The datetime columns; without any, a warning names the numeric
        columns left alone (numbers are read as dates only when asked)."""
        selected = super()._default_columns(X)
        if selected or self.differences is not None:
            return selected
        names = self._input_names()
        numeric = [
            names[i]
            for i in range(self.n_features_in_)
            if column_kind(self._column(X, i)) == "numeric"
        ]
        if numeric:
            self._warn_left_alone(
                numeric,
                "columns=None selects datetime columns and X has none; numbers "
                "are read as dates (years, or seconds since 1970) only when "
                "asked",
                "Name them in columns=[...] (or pass columns='all') to read them "
                "as dates",
            )
        return selected

    def _date_columns(self, X):
        """Positions of the date columns and the position pairs of differences."""
        if isinstance(self.columns, str) and self.columns == "all":
            selected = list(range(self.n_features_in_))
        else:
            selected = self._selected_columns(X)
        if self.columns is not None:
            for position in selected:
                self._check_kind(X, position, "columns", _SOURCE_KINDS)
        pairs = []
        if self.differences is not None:
            pairs = self._resolve_pairs("differences")
            for position in dict.fromkeys(p for pair in pairs for p in pair):
                if position not in selected:
                    self._check_kind(X, position, "differences", _SOURCE_KINDS)
                    selected.append(position)
        return selected, pairs

    def _source(self, col, name):
        kind = column_kind(col)
        if kind == "datetime":
            return "datetime"
        if kind in ("numeric", "boolean") and not is_string_column(col):
            return "year" if _holds_years(name, col) else "epoch"
        return "string"

    def _to_series(self, key, col, fitting):
        """A date column as a pandas datetime Series (parsed or converted)."""
        name = self._names_[key]
        source = self._sources_[key] if not fitting else self._source(col, name)
        if not fitting and source == "datetime" and column_kind(col) != "datetime":
            raise ValueError(
                f"Column {self._names_[key]!r} was a datetime column at fit "
                f"but is not now (dtype {getattr(col, 'dtype', None)}); convert it "
                "as the training data was."
            )
        if source == "datetime":
            series = to_datetime_series(col)
        elif source == "epoch":
            series = pd.Series(_epoch_seconds_to_datetime64(to_float_array(col)))
        elif source == "year":
            series = pd.Series(_years_to_datetime64(to_float_array(col)))
        else:
            if fitting:
                if self.format is not None:
                    fmt = self.format
                elif is_string_column(col):
                    fmt = guess_datetime_format(col, dayfirst=self.dayfirst)
                    if fmt is None:
                        raise ValueError(
                            f"Column {name!r} could not be parsed as dates: no "
                            "date format matches its values; pass format= or "
                            "convert the column first."
                        )
                else:
                    fmt = None
                self.formats_[name] = fmt
            fmt = self.formats_[name]
            try:
                series = parse_datetime_column(col, fmt)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"Column {name!r} could not be parsed as dates: {exc}"
                ) from exc
            if fitting and series.isna().all() and not pd.isna(col).all():
                raise ValueError(
                    f"Column {name!r} could not be parsed as dates with format "
                    f"{fmt!r}; got values such as {next(iter(col))!r}"
                )
        if fitting:
            self._sources_[key] = source
        return series

    def _zone(self, name):
        return self.timezones_[name] if self.timezone == "fit" else self.timezone

    # Fit --------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, then transform ``X``, parsing and converting each column once.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The input; see ``columns`` for which columns are used.
        y : None
            Ignored.

        Returns
        -------
        X_out : DataFrame or ndarray of shape (n_samples, n_features_out)
            Same as ``fit(X).transform(X)``.
        """
        X = self._check_input(X, reset=True)
        return self._transform(X, self._learn(X))

    def _requested_features(self):
        """The calendar features asked for by name (None for "auto" and "all")."""
        if self.timezone != "fit":
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    "timezone must be 'fit' or an IANA time zone name such as "
                    f"'UTC' or 'Europe/Paris'; got {self.timezone!r}"
                ) from exc
        if isinstance(self.features, str):
            return None
        requested = tuple(self.features)
        unknown = [f for f in requested if f not in CALENDAR_FEATURES]
        if unknown or len(set(requested)) != len(requested):
            raise ValueError(
                f"features must be 'auto', 'all' or a list of distinct names "
                f"among {CALENDAR_FEATURES}; got {self.features!r}"
            )
        return requested

    def _learn(self, X):
        """Learn the date columns, their formats, time zones and feature lists.

        Returns the parsed columns, as pandas datetime Series by column key.
        """
        requested = self._requested_features()
        positions, pairs = self._date_columns(X)
        labels = column_names(X) if is_dataframe(X) else range(self.n_features_in_)
        keys = [labels[p] for p in positions]
        names = self._input_names()
        self.columns_ = keys
        self._names_ = {key: names[p] for key, p in zip(keys, positions)}
        self._positions_ = dict(zip(keys, positions))
        self._pairs_ = [(labels[a], labels[b]) for a, b in pairs]
        self._sources_, self.formats_, self.timezones_ = {}, {}, {}
        self.features_, self.elapsed_reference_, self.holidays_ = {}, {}, None
        parsed = {}
        for key in keys:
            column = self._column(X, self._positions_[key])
            parsed[key] = self._to_series(key, column, fitting=True)
            self._learn_column(self._names_[key], parsed[key], requested)
        for a, b in self._pairs_:
            tz_a = self.timezones_[self._names_[a]]
            tz_b = self.timezones_[self._names_[b]]
            if (tz_a is None) != (tz_b is None):
                raise self._column_error(
                    "differences",
                    f"columns {self._names_[a]!r} (time zone {tz_a}) and "
                    f"{self._names_[b]!r} (time zone {tz_b}) must both be naive "
                    "or both be tz-aware.",
                )
        if self.holidays is not None:
            self.holidays_ = self._fit_holidays(parsed)
        return parsed

    def _learn_column(self, name, series, requested):
        """Time zone, features and elapsed reference of one parsed column."""
        self.timezones_[name] = datetime_timezone(series)
        if requested is not None:
            self.features_[name] = requested
        elif self.features == "all":
            self.features_[name] = CALENDAR_FEATURES
        else:
            local, _ = _split_series(series, zone=self._zone(name))
            ticks, ticks_per_day, missing = ticks_of(local)
            self.features_[name] = self._auto_features(ticks[~missing], ticks_per_day)
        if self.elapsed is not None:
            _, instants = split_datetime_series(series, utc=True)
            self.elapsed_reference_[name] = self._elapsed_reference(name, instants)

    @staticmethod
    def _auto_features(ticks, ticks_per_day):
        features = _AUTO_DATE_FEATURES
        if ticks_per_day > 1 and ticks.size:
            time_of_day = ticks % ticks_per_day
            per_second = ticks_per_day // 86_400
            if (time_of_day % (60 * per_second)).any():
                features += _TIME_FEATURES
            elif (time_of_day % (3600 * per_second)).any():
                features += _TIME_FEATURES[:2]
            elif time_of_day.any():
                features += _TIME_FEATURES[:1]
        return features + _AUTO_FLAGS

    def _elapsed_reference(self, name, instants):
        """The reference instant: naive wall-clock, or UTC for tz-aware columns."""
        tz = self.timezones_[name]
        if isinstance(self.elapsed, str) and self.elapsed in ("fit_min", "fit_max"):
            present = instants[~np.isnat(instants)]
            if present.size == 0:
                return np.datetime64("NaT", "ns")
            return present.min() if self.elapsed == "fit_min" else present.max()
        try:
            reference = pd.Timestamp(self.elapsed)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"elapsed must be 'fit_min', 'fit_max' or a date; got {self.elapsed!r}"
            ) from exc
        if pd.isna(reference):
            raise ValueError(f"elapsed must be a date, not missing; got {reference!r}")
        if reference.tz is not None and tz is None:
            raise ValueError(
                f"elapsed: the reference {self.elapsed!r} is tz-aware but column "
                f"{name!r} is naive"
            )
        if reference.tz is None and tz is not None:
            reference = reference.tz_localize(self._zone(name))
        if reference.tz is not None:
            reference = reference.tz_convert("UTC").tz_localize(None)
        return reference.to_datetime64()

    def _fit_holidays(self, parsed):
        if isinstance(self.holidays, str):
            country, subdiv = _split_country(self.holidays)
            years = self._years(parsed.values())
            first, last = (2000, 2000) if years is None else years
            try:
                days = _country_holiday_days(country, subdiv, first - 1, last + 1)
            except (NotImplementedError, KeyError, ValueError) as exc:
                raise ValueError(
                    "holidays must be a country code of the holidays package "
                    "such as 'US' or 'US-CA', or a list of dates; got "
                    f"{self.holidays!r} ({exc})"
                ) from exc
            return days.astype("datetime64[D]")
        try:
            dates = pd.to_datetime(np.asarray(self.holidays, dtype=object))
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"holidays must be a country code or a list of dates; got "
                f"{self.holidays!r}"
            ) from exc
        dates = np.asarray(dates.tz_localize(None) if dates.tz else dates)
        days = np.unique(dates[~np.isnat(dates)].astype("datetime64[D]"))
        return days

    def _years(self, series_list):
        lows, highs = [], []
        for series in series_list:
            local = series.dt.tz_localize(None) if series.dt.tz else series
            if local.notna().any():
                lows.append(local.min().year)
                highs.append(local.max().year)
        if not lows:
            return None
        return max(min(lows), 2), min(max(highs), 9997)

    # Transform -----------------------------------------------------------------------
    def _holiday_days(self, day_ranges):
        """Sorted day numbers of the holidays around the days of the data."""
        known = self.holidays_.view(np.int64)
        if not isinstance(self.holidays, str) or not day_ranges:
            return known
        low = min(r[0] for r in day_ranges)
        high = max(r[1] for r in day_ranges)
        if known.size and known[0] <= low - 366 and high + 366 <= known[-1]:
            return known
        years = np.array([low, high]).astype("datetime64[D]").astype("datetime64[Y]")
        first, last = (int(y) + 1970 for y in years.view(np.int64))
        country, subdiv = _split_country(self.holidays)
        return _country_holiday_days(
            country, subdiv, max(first - 1, 1), min(last + 1, 9999)
        )

    def _plan(self):
        """The output features in order: (column key, suffix, kind, argument)."""
        plan = []
        for key in self.columns_:
            features = self.features_[self._names_[key]]
            for feature in features:
                kind = "time" if feature in _TIME_FEATURES else "date"
                plan.append((key, feature, kind, feature))
            if self.cyclical:
                for feature in features:
                    if feature in _CYCLES:
                        kind = "time" if feature in _TIME_FEATURES else "date"
                        plan.append((key, f"{feature}_sin", kind, (feature, np.sin)))
                        plan.append((key, f"{feature}_cos", kind, (feature, np.cos)))
            if self.holidays is not None:
                for position, feature in enumerate(_HOLIDAY_FEATURES):
                    plan.append((key, feature, "holiday", position))
            if self.elapsed is not None:
                plan.append((key, f"elapsed_{_UNITS[self.unit][0]}", "elapsed", None))
        for a, b in self._pairs_:
            plan.append((a, f"minus_{{}}_{_UNITS[self.unit][0]}", "difference", b))
        return plan

    def _transform(self, X, parsed=None):
        """The other columns unchanged, then the float64 date features."""
        with _ordinary_pages():
            return self._features(X, parsed)

    def _features(self, X, parsed):
        names = self._names_
        plan = self._plan()
        n = n_rows(X)
        pair_keys = {key for pair in self._pairs_ for key in pair}
        columns = {}
        for key in self.columns_:
            name = names[key]
            if parsed is not None:
                series = parsed[key]
            else:
                column = self._column(X, self._positions_[key])
                series = self._to_series(key, column, fitting=False)
            tz = datetime_timezone(series)
            if (tz is None) != (self.timezones_[name] is None):
                raise ValueError(
                    f"Column {name!r} was "
                    f"{'naive' if self.timezones_[name] is None else 'tz-aware'} "
                    f"at fit but is {'naive' if tz is None else 'tz-aware'} now; "
                    "localize or convert it the same way as the training data."
                )
            local, instants = _split_series(
                series,
                zone=self._zone(name),
                utc=self.elapsed is not None or key in pair_keys,
            )
            columns[key] = _DayTimeIndex(local, instants)

        holiday_table = {}
        if self.holidays is not None:
            ranges = [c.day_range for c in columns.values() if c.day_range]
            holiday_days = self._holiday_days(ranges)
            for key, column in columns.items():
                holiday_table[key] = _holiday_features(column.table_days, holiday_days)

        block = np.empty((len(plan), n), dtype=np.float64)
        gathers = []
        for row, (key, _, kind, argument) in enumerate(plan):
            column = columns[key]
            if kind == "date":
                holiday = holiday_table.get(key, (None,))[0]
                values = _date_values(argument, column.table, holiday)
                gathers.append((row, column.padded(values), column.day_index))
            elif kind == "time":
                gathers.append((row, _second_table(argument), column.second_index))
            elif kind == "holiday":
                values = column.padded(holiday_table[key][argument])
                gathers.append((row, values, column.day_index))
            elif kind == "elapsed":
                reference = np.array([self.elapsed_reference_[names[key]]])
                block[row] = _elapsed(column.instants, reference, _UNITS[self.unit][1])
            else:
                block[row] = _elapsed(
                    column.instants, columns[argument].instants, _UNITS[self.unit][1]
                )
        _fill_rows(block, gathers)

        passthrough = {}
        dropped = set(self._positions_.values()) if self.drop_original else set()
        input_names = self._input_names()
        for position in range(self.n_features_in_):
            if position not in dropped:
                passthrough[input_names[position]] = self._column(X, position)
        names_out = self._output_names(input_names, names)
        return make_output_from_block(
            self, X, passthrough, names_out[len(passthrough) :], block
        )

    def _names_out(self, names):
        """The passed-through names, then ``<column>_<feature>`` per feature."""
        key_names = {key: names[p] for key, p in self._positions_.items()}
        return self._output_names(names, key_names)

    def _output_names(self, input_features, key_names):
        dropped = (
            {key_names[key] for key in self.columns_} if self.drop_original else set()
        )
        out = [f for f in input_features if f not in dropped]
        for key, suffix, kind, argument in self._plan():
            if kind == "difference":
                suffix = suffix.format(key_names[argument])
            out.append(f"{key_names[key]}_{suffix}")
        return out


class _DayTimeIndex:
    """Where each row of a datetime column falls in per-day and per-second tables.

    Every date feature is a function of the local day number alone, so it is
    computed once per distinct day (on the days between the column's first and
    last, or on its distinct days when they are spread far apart) and gathered
    into the rows with one ``take``; the row index of a missing value points to
    a NaN slot at the end of the table. Time-of-day features are gathered the
    same way from tables over the 86,400 seconds of a day.
    """

    def __init__(self, local, instants):
        self.instants = instants
        ticks, ticks_per_day, missing = ticks_of(local)
        n = ticks.shape[0]
        days = ticks // ticks_per_day if ticks_per_day > 1 else ticks
        self.ticks_per_day = ticks_per_day
        self._ticks, self._days, self._missing = ticks, days, missing
        any_missing = bool(missing.any())
        valid = days[~missing] if any_missing else days
        if valid.size == 0:
            self.table_days = np.zeros(0, np.int64)
            self.day_range = None
            self.day_index = np.zeros(n, np.intp)
        else:
            low, high = int(valid.min()), int(valid.max())
            self.day_range = (low, high)
            if high - low < 2 * n + 4096:
                self.table_days = np.arange(low, high + 1, dtype=np.int64)
                self.day_index = (days - low).astype(np.intp, copy=False)
            else:
                self.table_days, inverse = np.unique(valid, return_inverse=True)
                if any_missing:
                    self.day_index = np.empty(n, np.intp)
                    self.day_index[~missing] = inverse
                else:
                    self.day_index = inverse.astype(np.intp, copy=False)
        if any_missing:
            self.day_index[missing] = self.table_days.size
        self.table = CivilCalendar(self.table_days, 1)
        self._second_index = None

    @property
    def second_index(self):
        """Row index into tables over the seconds of a day (86400 = missing)."""
        if self._second_index is None:
            if self.ticks_per_day == 1:
                index = np.zeros(self._ticks.shape, np.intp)
            else:
                per_second = self.ticks_per_day // 86_400
                index = self._ticks - self._days * self.ticks_per_day
                if per_second > 1:
                    index //= per_second
            index[self._missing] = 86_400
            self._second_index = index
        return self._second_index

    def padded(self, table_values):
        """The per-day values as float64, then NaN for the missing rows."""
        table = np.empty(self.table_days.size + 1, dtype=np.float64)
        table[:-1] = table_values
        table[-1] = np.nan
        return table


# Rows gathered at a time: the slice of each index array stays in the cache
# while every output row reads it.
_CHUNK_ROWS = 1 << 15


def _fill_rows(block, gathers):
    """``block[row] = table[index]`` for each ``(row, table, index)``, by chunks of
    rows, so that an index array is read from memory once for all the features
    that share it, not once per feature."""
    n = block.shape[1]
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        for row, table, index in gathers:
            np.take(table, index[start:stop], out=block[row, start:stop], mode="clip")


def _date_values(argument, calendar, holiday_mask):
    if isinstance(argument, tuple):
        feature, function = argument
        phase, period = _CYCLES[feature]
        return function((2 * np.pi) * phase(calendar) / period(calendar))
    return _calendar_feature(argument, calendar, holiday_mask)


@functools.lru_cache(maxsize=32)
def _second_table(argument):
    calendar = CivilCalendar(np.arange(86_400, dtype=np.int64), 86_400)
    table = np.empty(86_401, dtype=np.float64)
    table[:-1] = _date_values(argument, calendar, None)
    table[-1] = np.nan
    table.flags.writeable = False
    return table


def _holiday_features(days, holiday_days):
    """is_holiday, days to the next and from the previous holiday (capped)."""
    days = days.astype(np.int64, copy=False)
    if holiday_days.size == 0:
        capped = np.full(days.shape, HOLIDAY_HORIZON, np.int64)
        return np.zeros(days.shape, bool), capped, capped
    idx = np.searchsorted(holiday_days, days, side="left")
    following = holiday_days[np.minimum(idx, holiday_days.size - 1)]
    to_next = np.where(idx < holiday_days.size, following - days, HOLIDAY_HORIZON)
    idx_prev = np.searchsorted(holiday_days, days, side="right") - 1
    preceding = holiday_days[np.maximum(idx_prev, 0)]
    from_prev = np.where(idx_prev >= 0, days - preceding, HOLIDAY_HORIZON)
    return (
        to_next == 0,
        np.minimum(to_next, HOLIDAY_HORIZON),
        np.minimum(from_prev, HOLIDAY_HORIZON),
    )


def _split_series(series, zone=None, utc=False):
    """Local wall-clock values of a datetime Series in ``zone``, and its UTC
    instants when ``utc`` (see ``split_datetime_series``); a tz-aware Series is
    converted by :func:`_wall_clock`."""
    tz = datetime_timezone(series)
    if tz is None:
        return split_datetime_series(series, utc=utc)
    instants = series.dt.tz_convert(None).to_numpy()  # UTC, without a copy
    local = _wall_clock(instants, str(tz) if zone is None else zone)
    return local, (instants if utc else None)


def _wall_clock(instants, zone):
    """Wall-clock time in ``zone`` of UTC instants (datetime64, NaT kept).

    A zone's offset from UTC changes only at its transitions (daylight saving
    time, law changes), a few times a year. The offset is therefore computed
    once per UTC day of the data's range, by converting the day starts (a few
    thousand values), and gathered into the rows; only the rows of a day whose
    offset changes are converted one by one (vectorised). Compared with a
    conversion of every row (a search in the zone's transitions per row), this
    is one gather and one addition per row. Data spread over far more days than
    it has rows is converted row by row.
    """
    ticks, ticks_per_day, missing = ticks_of(instants)
    unit = np.datetime_data(instants.dtype)[0]
    n = ticks.shape[0]
    index = ticks // ticks_per_day
    any_missing = bool(missing.any())
    present = index[~missing] if any_missing else index
    if present.size == 0:
        return instants.copy()
    low, high = int(present.min()), int(present.max())
    if ticks_per_day == 1 or high - low > 2 * n + 4096:
        return _convert_rows(instants, zone)
    starts = (np.arange(low, high + 2, dtype=np.int64) * ticks_per_day).view(
        instants.dtype
    )
    offsets = _convert_rows(starts, zone).view(np.int64) - starts.view(np.int64)
    changes = offsets[1:] != offsets[:-1]
    index -= low
    if any_missing:
        index[missing] = 0
    local = offsets.take(index)
    local += ticks
    moved = np.flatnonzero(changes.take(index))
    if moved.size:
        local[moved] = _convert_rows(instants[moved], zone).view(np.int64)
    if any_missing:
        local[missing] = np.iinfo(np.int64).min
    return local.view(f"datetime64[{unit}]")


def _convert_rows(instants, zone):
    """Wall-clock time in ``zone`` of UTC instants, row by row (pandas)."""
    index = pd.DatetimeIndex(instants).tz_localize("UTC").tz_convert(zone)
    return index.tz_localize(None).to_numpy()


def _split_instants(values):
    """datetime64 values as (int64 days, float seconds of day, missing)."""
    ticks, ticks_per_day, missing = ticks_of(values)
    days = ticks // ticks_per_day
    per_second = ticks_per_day // 86_400 if ticks_per_day > 1 else None
    if per_second is None:
        seconds = np.zeros(days.shape)
    else:
        seconds = (ticks - days * ticks_per_day) / per_second
    return days, seconds, missing


def _elapsed(a, b, unit_seconds):
    """(a - b) in units of ``unit_seconds``, exact days plus fractional seconds."""
    days_a, seconds_a, missing_a = _split_instants(a)
    days_b, seconds_b, missing_b = _split_instants(b)
    out = (days_a - days_b) * (86_400 / unit_seconds) + (
        seconds_a - seconds_b
    ) / unit_seconds
    out = np.asarray(out, dtype=np.float64)
    missing = missing_a | missing_b
    if missing.any():
        out = np.where(missing, np.nan, out)
    return out
