"""Calendar arithmetic on integer datetime64 ticks, vectorised with numpy.

A datetime64 array of any resolution is an int64 count of ticks since
1970-01-01T00:00 (NaT is the smallest int64). Floor division by the ticks of one
day gives the day number and the time of day; the civil date (year, month, day)
follows from the day number with Howard Hinnant's ``civil_from_days`` algorithm,
which needs only integer additions, multiplications and floor divisions. Every
calendar feature is then a few integer operations on these arrays -- one pass per
feature and no Python object per row.

:class:`CivilCalendar` computes each array lazily, once, so that asking for twenty
features costs only the operations they share.
"""

import numpy as np

__all__ = ["TICKS_PER_SECOND", "CivilCalendar", "days_from_civil", "ticks_of"]

# Ticks per second of each datetime64 unit a column can have.
TICKS_PER_SECOND = {
    "D": None,
    "s": 1,
    "ms": 1_000,
    "us": 1_000_000,
    "ns": 1_000_000_000,
}
_SECONDS_PER_DAY = 86_400
_INT32_DAYS = 365_000_000
# Days of each month in a common year, indexed by month 1..12 (index 0 unused).
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int32)
# Days before the first of each month in a common year, indexed by month 1..12.
_DAYS_BEFORE_MONTH = np.concatenate([[0], np.cumsum(_MONTH_DAYS[:-1])]).astype(np.int32)


def ticks_of(values):
    """Split a datetime64 array into int64 ticks, ticks per day and a NaT mask.

    Parameters
    ----------
    values : ndarray of datetime64
        Any unit from days to nanoseconds (coarser units than days are cast to
        days; finer ones than nanoseconds are not supported by pandas either).

    Returns
    -------
    ticks : ndarray of int64
        Ticks since the epoch, 0 where the value is NaT (so that arithmetic on
        them never overflows); use ``missing`` to mask them.
    ticks_per_day : int
    missing : ndarray of bool
    """
    unit, count = np.datetime_data(values.dtype)
    if unit not in TICKS_PER_SECOND or count != 1:
        if unit in ("Y", "M", "W"):
            values = values.astype("datetime64[D]")
        else:
            values = values.astype("datetime64[ns]")
        unit, count = np.datetime_data(values.dtype)
    ticks = values.view(np.int64)
    missing = np.isnat(values)
    if missing.any():
        ticks = np.where(missing, 0, ticks)
    per_second = TICKS_PER_SECOND[unit]
    ticks_per_day = 1 if per_second is None else per_second * _SECONDS_PER_DAY
    return ticks, ticks_per_day, missing


def _is_leap(year):
    return (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))


def days_from_civil(year, month=1, day=1):
    """Day number (days since 1970-01-01) of a proleptic Gregorian date.

    Works on scalars and arrays; the inverse of :attr:`CivilCalendar.year`,
    :attr:`CivilCalendar.month` and :attr:`CivilCalendar.day`.

    Examples
    --------
    >>> int(days_from_civil(1970, 1, 1)), int(days_from_civil(2000, 3, 1))
    (0, 11017)
    """
    year = np.asarray(year, dtype=np.int64)
    month = np.asarray(month, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    before = year - 1
    days_before_year = (
        365 * before + before // 4 - before // 100 + before // 400 - 719_162
    )
    leap_shift = (month > 2) & _is_leap(year)
    return days_before_year + _DAYS_BEFORE_MONTH[month] + leap_shift + day - 1


class CivilCalendar:
    """Lazily computed calendar parts of int64 ticks in local wall-clock time.

    Parameters
    ----------
    ticks : ndarray of int64
        Local wall-clock ticks since 1970-01-01T00:00 (no NaT: mask them first).
    ticks_per_day : int
        86400 times the ticks per second, or 1 for day-resolution data.

    Notes
    -----
    Each attribute is an integer (int32 when the day numbers allow, else int64)
    or boolean array computed on first access and kept:
    ``days``, ``year``, ``month``, ``day``, ``day_of_week`` (0 = Monday),
    ``day_of_year`` (1-based), ``is_leap_year``, ``days_in_month``,
    ``days_in_year``, ``iso_week`` and ``iso_weeks_in_year`` (ISO 8601, weeks
    start on Monday and week 1 holds the year's first Thursday), ``hour``,
    ``minute``, ``second``.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array(["2020-12-31", "2021-01-03", "2021-01-04"], "datetime64[D]")
    >>> calendar = CivilCalendar(values.view(np.int64), 1)
    >>> calendar.iso_week.tolist(), calendar.day_of_week.tolist()
    ([53, 53, 1], [3, 6, 0])
    """

    def __init__(self, ticks, ticks_per_day):
        self.ticks = ticks
        self.ticks_per_day = ticks_per_day

    # Parts that one computation fills together: the part and that computation.
    _FILLED_BY = {
        "year": "civil",
        "month": "civil",
        "day": "civil",
        "iso_week": "iso",
        "iso_year": "iso",
    }

    def __getattr__(self, name):
        # Only called for names that are not set yet: compute, store and return.
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._FILLED_BY:
            getattr(self, self._FILLED_BY[name])  # stores the part with its siblings
            return self.__dict__[name]
        compute = getattr(type(self), "_" + name, None)
        if compute is None:
            raise AttributeError(name)
        value = compute(self)
        self.__dict__[name] = value
        return value

    # Time of day -------------------------------------------------------------
    def _days64(self):
        if self.ticks_per_day == 1:
            return self.ticks
        return self.ticks // self.ticks_per_day

    def _days(self):
        # int32 arithmetic is about twice as fast; day numbers within a million
        # years of 1970 keep every intermediate value of the algorithms in range.
        days = self.days64
        if days.size and (days.min() < -_INT32_DAYS or days.max() > _INT32_DAYS):
            return days
        return days.astype(np.int32)

    def _seconds_of_day(self):
        if self.ticks_per_day == 1:
            return np.zeros(self.ticks.shape, np.int32)
        time_of_day = self.ticks - self.days64 * self.ticks_per_day
        per_second = self.ticks_per_day // _SECONDS_PER_DAY
        if per_second != 1:
            time_of_day = time_of_day // per_second
        return time_of_day.astype(np.int32)

    def _hour(self):
        return self.seconds_of_day // 3600

    def _minute(self):
        return self.seconds_of_day // 60 % 60

    def _second(self):
        return self.seconds_of_day % 60

    # Civil date (Hinnant's civil_from_days) -------------------------------------
    def _civil(self):
        z = self.days + 719_468
        era = z // 146_097
        doe = z - era * 146_097  # day of era, 0..146096
        yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
        doy = doe - (365 * yoe + yoe // 4 - yoe // 100)  # from March 1st, 0..365
        mp = (5 * doy + 2) // 153  # month from March, 0..11
        day = doy - (153 * mp + 2) // 5 + 1
        month = np.where(mp < 10, mp + 3, mp - 9)
        year = yoe + era * 400 + (month <= 2)
        self.__dict__.update(year=year, month=month, day=day)
        return True

    def _day_of_week(self):
        # 1970-01-01 was a Thursday (3 with Monday = 0).
        return (self.days + 3) % 7

    def _is_leap_year(self):
        return _is_leap(self.year)

    def _days_in_year(self):
        return 365 + self.is_leap_year

    def _days_in_month(self):
        return _MONTH_DAYS[self.month] + ((self.month == 2) & self.is_leap_year)

    def _day_of_year(self):
        leap_shift = (self.month > 2) & self.is_leap_year
        return _DAYS_BEFORE_MONTH[self.month] + leap_shift + self.day

    def _quarter(self):
        return (self.month + 2) // 3

    def _semester(self):
        return (self.month + 5) // 6

    def _iso(self):
        # The ISO week of a day is the week of its Thursday: year and week are
        # those of that Thursday, which lies at most 3 days away (so in the same,
        # the previous or the next civil year).
        thursday = self.day_of_year - 1 - self.day_of_week + 3  # 0-based doy
        year = self.year
        days_in_previous = 365 + _is_leap(year - 1)
        before = thursday < 0
        after = thursday >= self.days_in_year
        thursday = np.where(before, thursday + days_in_previous, thursday)
        thursday = np.where(after, thursday - self.days_in_year, thursday)
        iso_year = year - before + after
        self.__dict__.update(iso_week=thursday // 7 + 1, iso_year=iso_year)
        return True

    def _iso_weeks_in_year(self):
        # An ISO year has 53 weeks when it starts on a Thursday, or on a
        # Wednesday in a leap year.
        iso_year = self.iso_year
        jan1 = (days_from_civil(iso_year) + 3) % 7
        return 52 + ((jan1 == 3) | ((jan1 == 2) & _is_leap(iso_year)))
