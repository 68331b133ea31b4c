"""ONNX converter of :class:`~sklearn_workflow.features.DateFeatureExtractor`.

Dates enter the graph as int64 microseconds since 1970-01-01T00:00 (the
``datetime64[us]`` ticks; missing dates as the smallest int64, NaT's bit pattern):
the UTC instant for a tz-aware column, the wall-clock time for a naive one. The
graph then does what the extractor does with numpy: the local wall clock (the UTC
instant plus the zone's offset at that instant, from a table of the zone's
transitions), the day number and second of the day by floor division, the civil
date by Howard Hinnant's ``civil_from_days``, and each feature by integer
arithmetic (``features/_date_calendar.py``).
"""

import numpy as np
import pandas as pd

from sklearn_workflow.deploy._onnx._graph import INT64_MISSING

__all__ = ["convert_dates", "zone_transitions"]

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
# The instants whose local time the zone table gives exactly (UTC).
ZONE_TABLE_YEARS = (1900, 2100)
# Days of each month in a common year (index 0 unused), and days before it.
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)
_DAYS_BEFORE_MONTH = np.concatenate([[0], np.cumsum(_MONTH_DAYS[:-1])]).astype(np.int64)
_UNIT_SECONDS = {"D": 86_400, "h": 3_600, "m": 60, "s": 1, "W": 604_800}
HOLIDAY_HORIZON = 365
# Years of a country's holidays embedded after the last year seen at fit.
HOLIDAY_YEARS_AHEAD = 20


def zone_transitions(zone):
    """The UTC-offset changes of ``zone`` between 1900 and 2100.

    Returns
    -------
    instants : ndarray of int64
        Microseconds since the epoch (UTC) at which the offset changes, sorted.
    offsets : ndarray of int64
        The offset in microseconds before the first change, then after each one
        (one more entry than ``instants``).

    Examples
    --------
    Paris is one hour ahead of UTC in winter, two in summer; the last change
    of 2024 was on 27 October at 01:00 UTC:

    >>> instants, offsets = zone_transitions("Europe/Paris")
    >>> at = np.searchsorted(instants, np.datetime64("2024-12-01", "us").view(np.int64))
    >>> str(instants[at - 1].astype("datetime64[us]"))
    '2024-10-27T01:00:00.000000'
    >>> int(offsets[at]) // 3_600_000_000, int(offsets[at - 1]) // 3_600_000_000
    (1, 2)
    """
    first, last = (np.datetime64(f"{y}-01-01", "s") for y in ZONE_TABLE_YEARS)
    hours = np.arange(first, last, np.timedelta64(1, "h"))
    offset = _offsets(hours.astype("datetime64[s]").view(np.int64), zone)
    change = np.flatnonzero(offset[1:] != offset[:-1])
    # Bisect each change to the second: offset(lo) is the old one, offset(hi) new.
    lo = hours[change].astype("datetime64[s]").view(np.int64)
    hi = lo + 3_600
    before = offset[change]
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        old = _offsets(mid, zone) == before
        lo, hi = np.where(old, mid, lo), np.where(old, hi, mid)
    offsets = np.concatenate([offset[:1], offset[change + 1]])
    return hi * US_PER_SECOND, offsets * US_PER_SECOND


def _offsets(seconds, zone):
    """UTC offset in seconds of ``zone`` at each instant (epoch seconds)."""
    utc = pd.DatetimeIndex(np.asarray(seconds).astype("datetime64[s]"))
    local = utc.tz_localize("UTC").tz_convert(zone).tz_localize(None)
    return np.asarray((local - utc) // pd.Timedelta(seconds=1), dtype=np.int64)


class _Calendar:
    """The calendar parts of local days and seconds of the day, as graph nodes,
    each computed once on first use (like ``CivilCalendar``)."""

    def __init__(self, g, days, seconds):
        self.g, self.days, self.seconds_of_day = g, days, seconds
        self._cache = {}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        cache = self.__dict__["_cache"]
        if name not in cache:
            getattr(type(self), "_" + name)(self)
        return cache[name]

    def _leap(self, year):
        g = self.g
        by4 = g.equal(g.mod(year, 4), 0)
        by100 = g.equal(g.mod(year, 100), 0)
        by400 = g.equal(g.mod(year, 400), 0)
        return g.op("And", by4, g.op("Or", g.op("Not", by100), by400))

    def _civil(self):
        g = self.g
        z = g.add(self.days, 719_468)
        era = g.floordiv(z, 146_097)
        doe = g.sub(z, g.mul(era, 146_097))
        yoe = g.sub(
            g.add(doe, g.floordiv(doe, 36_524)),
            g.add(g.floordiv(doe, 1_460), g.floordiv(doe, 146_096)),
        )
        yoe = g.floordiv(yoe, 365)
        doy = g.sub(
            doe,
            g.sub(g.add(g.mul(yoe, 365), g.floordiv(yoe, 4)), g.floordiv(yoe, 100)),
        )
        mp = g.floordiv(g.add(g.mul(doy, 5), 2), 153)
        day = g.add(g.sub(doy, g.floordiv(g.add(g.mul(mp, 153), 2), 5)), 1)
        march_on = g.op("Less", mp, g.i64(10))
        month = g.op("Where", march_on, g.add(mp, 3), g.sub(mp, 9))
        early = g.bool_to_i64(g.op("LessOrEqual", month, g.i64(2)))
        year = g.add(g.add(yoe, g.mul(era, 400)), early)
        self._cache.update(year=year, month=month, day=day)

    _year = _month = _day = _civil

    def _day_of_week(self):
        self._cache["day_of_week"] = self.g.mod(self.g.add(self.days, 3), 7)

    def _is_leap_year(self):
        self._cache["is_leap_year"] = self._leap(self.year)

    def _days_in_year(self):
        g = self.g
        self._cache["days_in_year"] = g.add(g.bool_to_i64(self.is_leap_year), 365)

    def _days_in_month(self):
        g = self.g
        feb = g.op("And", g.equal(self.month, 2), self.is_leap_year)
        base = g.take(_MONTH_DAYS, self.month)
        self._cache["days_in_month"] = g.add(base, g.bool_to_i64(feb))

    def _day_of_year(self):
        g = self.g
        shift = g.op("And", g.op("Greater", self.month, g.i64(2)), self.is_leap_year)
        before = g.take(_DAYS_BEFORE_MONTH, self.month)
        value = g.add(g.add(before, g.bool_to_i64(shift)), self.day)
        self._cache["day_of_year"] = value

    def _quarter(self):
        self._cache["quarter"] = self.g.floordiv(self.g.add(self.month, 2), 3)

    def _semester(self):
        self._cache["semester"] = self.g.floordiv(self.g.add(self.month, 5), 6)

    def _iso(self):
        g = self.g
        thursday = g.add(g.sub(g.sub(self.day_of_year, 1), self.day_of_week), 3)
        previous = g.add(g.bool_to_i64(self._leap(g.sub(self.year, 1))), 365)
        before = g.op("Less", thursday, g.i64(0))
        after = g.op("GreaterOrEqual", thursday, self.days_in_year)
        thursday = g.op("Where", before, g.add(thursday, previous), thursday)
        thursday = g.op("Where", after, g.sub(thursday, self.days_in_year), thursday)
        iso_year = g.add(g.sub(self.year, g.bool_to_i64(before)), g.bool_to_i64(after))
        week = g.add(g.floordiv(thursday, 7), 1)
        self._cache.update(iso_week=week, iso_year=iso_year)

    _iso_week = _iso_year = _iso

    def _iso_weeks_in_year(self):
        g = self.g
        before = g.sub(self.iso_year, 1)
        days = g.add(
            g.sub(g.mul(before, 365), 719_162),
            g.add(
                g.sub(g.floordiv(before, 4), g.floordiv(before, 100)),
                g.floordiv(before, 400),
            ),
        )
        jan1 = g.mod(g.add(days, 3), 7)
        long_year = g.op(
            "Or",
            g.equal(jan1, 3),
            g.op("And", g.equal(jan1, 2), self._leap(self.iso_year)),
        )
        self._cache["iso_weeks_in_year"] = g.add(g.bool_to_i64(long_year), 52)

    def _hour(self):
        self._cache["hour"] = self.g.floordiv(self.seconds_of_day, 3600)

    def _minute(self):
        g = self.g
        self._cache["minute"] = g.mod(g.floordiv(self.seconds_of_day, 60), 60)

    def _second(self):
        self._cache["second"] = self.g.mod(self.seconds_of_day, 60)


# The calendar part of each feature, and the flags built from the parts.
_CYCLES = {
    "quarter": (lambda c, g: g.sub(c.quarter, 1), lambda c, g: g.i64(4)),
    "month": (lambda c, g: g.sub(c.month, 1), lambda c, g: g.i64(12)),
    "week": (lambda c, g: g.sub(c.iso_week, 1), lambda c, g: c.iso_weeks_in_year),
    "day": (lambda c, g: g.sub(c.day, 1), lambda c, g: c.days_in_month),
    "day_of_week": (lambda c, g: c.day_of_week, lambda c, g: g.i64(7)),
    "day_of_year": (lambda c, g: g.sub(c.day_of_year, 1), lambda c, g: c.days_in_year),
    "hour": (lambda c, g: c.hour, lambda c, g: g.i64(24)),
    "minute": (lambda c, g: c.minute, lambda c, g: g.i64(60)),
    "second": (lambda c, g: c.second, lambda c, g: g.i64(60)),
}


def _flag(name, c, g, holiday):
    """A calendar feature as an int64 or bool node."""
    if name == "week":
        return c.iso_week
    if name == "is_weekend":
        return g.op("GreaterOrEqual", c.day_of_week, g.i64(5))
    last_day = g.op("Equal", c.day, c.days_in_month)
    first_day = g.equal(c.day, 1)
    if name == "is_month_start":
        return first_day
    if name == "is_month_end":
        return last_day
    if name in ("is_quarter_start", "is_quarter_end"):
        rest = 1 if name == "is_quarter_start" else 0
        in_month = g.equal(g.mod(c.month, 3), rest)
        return g.op("And", first_day if rest else last_day, in_month)
    if name == "is_year_start":
        return g.op("And", first_day, g.equal(c.month, 1))
    if name == "is_year_end":
        return g.op("And", g.equal(c.day, 31), g.equal(c.month, 12))
    if name == "is_business_day":
        weekday = g.op("Less", c.day_of_week, g.i64(5))
        if holiday is None:
            return weekday
        return g.op("And", weekday, g.op("Not", holiday))
    return getattr(c, name)


def _feature(argument, c, g, holiday):
    """A date or time feature (or its sin/cos) as a float node."""
    if isinstance(argument, tuple):
        feature, function = argument
        phase, period = _CYCLES[feature]
        ratio = g.op("Div", g.to_float(phase(c, g)), g.to_float(period(c, g)))
        angle = g.op("Mul", ratio, g.const([2 * np.pi]))
        return g.op("Sin" if function is np.sin else "Cos", angle)
    return g.to_float(_flag(argument, c, g, holiday))


def _holiday_table(model):
    """Sorted day numbers of the holidays the graph knows: the fitted ones, and
    for a country code its holidays up to ``HOLIDAY_YEARS_AHEAD`` years after."""
    known = np.unique(model.holidays_.astype("datetime64[D]").view(np.int64))
    if not isinstance(model.holidays, str) or not known.size:
        return known
    from sklearn_workflow.features._dates import (
        _country_holiday_days,
        _split_country,
    )

    years = known.astype("datetime64[D]").astype("datetime64[Y]").view(np.int64)
    first, last = int(years.min()) + 1970, int(years.max()) + 1970
    country, subdiv = _split_country(model.holidays)
    days = _country_holiday_days(
        country, subdiv, max(first, 1), min(last + HOLIDAY_YEARS_AHEAD, 9999)
    )
    return np.unique(np.concatenate([known, days]))


def _holidays(g, days, table):
    """is_holiday, days to the next and from the previous holiday (capped)."""
    if table.size == 0:
        capped = g.to_float(g.add(g.mul(days, 0), HOLIDAY_HORIZON))
        return g.op("Not", g.op("Equal", days, days)), capped, capped
    k = table.size
    after = g.count_at_most(days, table, strict=True)  # searchsorted left
    following = g.take(table, g.op("Min", after, g.i64(k - 1)))
    horizon = g.i64(HOLIDAY_HORIZON)
    to_next = g.op(
        "Where", g.op("Less", after, g.i64(k)), g.sub(following, days), horizon
    )
    previous = g.sub(g.count_at_most(days, table), 1)
    preceding = g.take(table, g.op("Max", previous, g.i64(0)))
    from_previous = g.op(
        "Where",
        g.op("GreaterOrEqual", previous, g.i64(0)),
        g.sub(days, preceding),
        horizon,
    )
    return (
        g.equal(to_next, 0),
        g.to_float(g.op("Min", to_next, horizon)),
        g.to_float(g.op("Min", from_previous, horizon)),
    )


class _DateColumn:
    """One date column in the graph: instants, local days and seconds, missing."""

    def __init__(self, g, ticks, zone):
        self.missing = g.equal(ticks, INT64_MISSING)
        self.instants = g.op("Where", self.missing, g.i64(0), ticks)
        local = self.instants
        if zone is not None:
            instants, offsets = zone_transitions(zone)
            if instants.size:
                index = g.count_at_most(self.instants, instants)
                local = g.add(local, g.take(offsets, index))
            else:
                local = g.add(local, int(offsets[0]))
        self.days = g.floordiv(local, US_PER_DAY)
        micros = g.sub(local, g.mul(self.days, US_PER_DAY))
        self.calendar = _Calendar(g, self.days, g.floordiv(micros, US_PER_SECOND))
        self.holidays = None


def _elapsed(g, a, b_instants, b_missing, unit):
    """(a - b) in ``unit`` seconds: exact days, then the fractional seconds."""
    days_b = g.floordiv(b_instants, US_PER_DAY)
    days_a = g.floordiv(a.instants, US_PER_DAY)
    secs_a = g.op("Div", g.to_float(g.sub(a.instants, g.mul(days_a, US_PER_DAY))),
                  g.const([float(US_PER_SECOND)]))  # fmt: skip
    secs_b = g.op("Div", g.to_float(g.sub(b_instants, g.mul(days_b, US_PER_DAY))),
                  g.const([float(US_PER_SECOND)]))  # fmt: skip
    whole = g.op("Mul", g.to_float(g.sub(days_a, days_b)), g.const([86_400 / unit]))
    value = g.op(
        "Add", whole, g.op("Div", g.op("Sub", secs_a, secs_b), g.const([unit]))
    )
    missing = a.missing if b_missing is None else g.op("Or", a.missing, b_missing)
    return g.nan_where(missing, value)


def _reference_micros(reference):
    """A fitted elapsed reference as int64 microseconds, or None for NaT."""
    if np.isnat(reference):
        return None
    return int(np.datetime64(reference, "us").view(np.int64))


def convert_dates(g, model, columns):
    """The extractor's output columns (float nodes, in output order).

    ``columns`` holds one int64 node per input column of the extractor (the
    passed-through ones as float nodes)."""
    names = model._names_
    dates = {}
    for key in model.columns_:
        zone = model._zone(names[key]) if model.timezones_[names[key]] else None
        dates[key] = _DateColumn(g, columns[model._positions_[key]], zone)
    holidays = {}
    if model.holidays is not None:
        table = _holiday_table(model)
        for key, column in dates.items():
            holidays[key] = _holidays(g, column.days, table)
    unit = _UNIT_SECONDS[model.unit]
    out = []
    for key, _, kind, argument in model._plan():
        column = dates[key]
        if kind in ("date", "time"):
            holiday = holidays.get(key, (None,))[0]
            value = _feature(argument, column.calendar, g, holiday)
        elif kind == "holiday":
            value = holidays[key][argument]
            if argument == 0:
                value = g.to_float(value)
        elif kind == "elapsed":
            micros = _reference_micros(model.elapsed_reference_[names[key]])
            if micros is None:
                value = g.nan_where(column.missing, g.const([np.nan]))
            else:
                value = _elapsed(g, column, g.i64(micros), None, unit)
        else:
            other = dates[argument]
            value = _elapsed(g, column, other.instants, other.missing, unit)
        out.append(g.nan_where(column.missing, value))
    return out
