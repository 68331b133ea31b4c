import datetime
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer, make_column_transformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from sklearn_workflow import DateFeatureExtractor
from sklearn_workflow.datasets import make_churn
from sklearn_workflow.features._dates import CALENDAR_FEATURES, HOLIDAY_HORIZON

UNITS = ("s", "ms", "us", "ns")
ZONES = (None, "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney")

# Our feature -> the pandas .dt expression that computes the same thing.
PANDAS_REFERENCE = {
    "year": lambda dt: dt.year,
    "quarter": lambda dt: dt.quarter,
    "semester": lambda dt: (dt.month + 5) // 6,
    "month": lambda dt: dt.month,
    "week": lambda dt: dt.isocalendar().week,
    "day": lambda dt: dt.day,
    "day_of_week": lambda dt: dt.day_of_week,
    "day_of_year": lambda dt: dt.day_of_year,
    "hour": lambda dt: dt.hour,
    "minute": lambda dt: dt.minute,
    "second": lambda dt: dt.second,
    "is_weekend": lambda dt: dt.day_of_week >= 5,
    "is_month_start": lambda dt: dt.is_month_start,
    "is_month_end": lambda dt: dt.is_month_end,
    "is_quarter_start": lambda dt: dt.is_quarter_start,
    "is_quarter_end": lambda dt: dt.is_quarter_end,
    "is_year_start": lambda dt: dt.is_year_start,
    "is_year_end": lambda dt: dt.is_year_end,
    "is_leap_year": lambda dt: dt.is_leap_year,
    "days_in_month": lambda dt: dt.days_in_month,
    "is_business_day": lambda dt: dt.day_of_week < 5,
}


def _pandas_features(series, features=CALENDAR_FEATURES):
    """Every feature through pandas' own .dt accessor, float with NaN for NaT."""
    out = {}
    missing = series.isna().to_numpy()
    for feature in features:
        values = pd.Series(PANDAS_REFERENCE[feature](series.dt)).to_numpy(
            dtype=np.float64, na_value=np.nan, copy=True
        )
        values[missing] = np.nan
        out[feature] = values
    return out


def _loop_features(values):
    """Every feature with a plain Python loop over datetime objects."""
    rows = []
    for value in values:
        if value is None or pd.isna(value):
            rows.append({f: np.nan for f in CALENDAR_FEATURES})
            continue
        d = value.date()
        first_next = (
            datetime.date(d.year + 1, 1, 1)
            if d.month == 12
            else datetime.date(d.year, d.month + 1, 1)
        )
        days_in_month = (first_next - datetime.date(d.year, d.month, 1)).days
        leap = (datetime.date(d.year, 12, 31) - datetime.date(d.year, 1, 1)).days == 365
        weekday = d.weekday()
        rows.append(
            {
                "year": d.year,
                "quarter": (d.month - 1) // 3 + 1,
                "semester": 1 if d.month <= 6 else 2,
                "month": d.month,
                "week": d.isocalendar()[1],
                "day": d.day,
                "day_of_week": weekday,
                "day_of_year": d.timetuple().tm_yday,
                "hour": value.hour,
                "minute": value.minute,
                "second": value.second,
                "is_weekend": weekday >= 5,
                "is_month_start": d.day == 1,
                "is_month_end": d.day == days_in_month,
                "is_quarter_start": d.day == 1 and d.month in (1, 4, 7, 10),
                "is_quarter_end": d.day == days_in_month and d.month in (3, 6, 9, 12),
                "is_year_start": (d.month, d.day) == (1, 1),
                "is_year_end": (d.month, d.day) == (12, 31),
                "is_leap_year": leap,
                "days_in_month": days_in_month,
                "is_business_day": weekday < 5,
            }
        )
    return {f: np.array([float(r[f]) for r in rows]) for f in CALENDAR_FEATURES}


def _random_series(rng, n, unit, tz, missing=0.1, years=("1890", "2250")):
    # 1890..2250 fits every resolution (datetime64[ns] ends in 2262).
    low = pd.Timestamp(years[0]).value // 10**9
    high = pd.Timestamp(years[1]).value // 10**9
    seconds = rng.integers(low, high, n)
    # Half of the rows near the DST changes and New Year of a few years.
    special = pd.to_datetime(
        [
            "2021-03-14 01:30",
            "2021-11-07 01:30",
            "2024-03-31 00:59",
            "2024-10-27 01:30",
            "2020-12-31 23:59",
            "2021-01-03 12:00",
            "2024-02-29 08:00",
            "1900-02-28 23:00",
            "2000-02-29 00:00",
        ]
    ).as_unit("s")
    picks = special.to_numpy().view(np.int64)[rng.integers(0, len(special), n // 2)]
    seconds[: n // 2] = picks + rng.integers(-7200, 7200, n // 2)
    values = seconds.astype("datetime64[s]").astype(f"datetime64[{unit}]")
    if unit != "s":
        sub = rng.integers(0, {"ms": 10**3, "us": 10**6, "ns": 10**9}[unit], n)
        values = values + sub.astype(f"timedelta64[{unit}]")
    values[rng.random(n) < missing] = np.datetime64("NaT")
    series = pd.Series(values)
    if tz is not None:
        series = series.dt.tz_localize("UTC").dt.tz_convert(tz)
    return series


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("tz", ZONES)
def test_date_feature_extractor_matches_pandas_dt(unit, tz, rng):
    series = _random_series(rng, 2000, unit, tz)
    X = pd.DataFrame({"when": series, "other": np.arange(len(series))})
    out = DateFeatureExtractor(features="all").fit_transform(X)
    expected = _pandas_features(series)
    for feature in CALENDAR_FEATURES:
        np.testing.assert_array_equal(
            out[f"when_{feature}"].to_numpy(), expected[feature], err_msg=feature
        )
    np.testing.assert_array_equal(out["other"], X["other"])


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("tz", ZONES)
def test_date_feature_extractor_matches_pandas_dt_on_a_few_years(unit, tz, rng):
    # Dates within a few years: the per-day table spans the whole range (the
    # test above, with dates spread over centuries, uses the distinct days).
    series = _random_series(rng, 3000, unit, tz, years=("2019-06-01", "2025-03-01"))
    series = series.where(series.dt.year >= 2019)  # the DST/New-Year picks stay
    X = pd.DataFrame({"when": series})
    out = DateFeatureExtractor(features="all", cyclical=True).fit_transform(X)
    expected = _pandas_features(series)
    for feature in CALENDAR_FEATURES:
        np.testing.assert_array_equal(
            out[f"when_{feature}"].to_numpy(), expected[feature], err_msg=feature
        )


def test_date_feature_extractor_day_table_paths_agree(rng):
    # The same rows give the same features whether the table covers the range of
    # days or only the distinct days (forced by one far-away date).
    series = _random_series(rng, 500, "us", "Europe/Paris", years=("2020", "2022"))
    far = pd.Series(pd.to_datetime(["2200-01-01"]).tz_localize("Europe/Paris"))
    extractor = DateFeatureExtractor(features="all", cyclical=True, holidays="FR")
    narrow = extractor.fit_transform(series.to_frame("d"))
    wide = extractor.fit_transform(
        pd.concat([series, far], ignore_index=True).to_frame("d")
    )
    pd.testing.assert_frame_equal(wide.iloc[:-1], narrow)


@pytest.mark.parametrize("tz", ZONES)
def test_date_feature_extractor_matches_a_python_datetime_loop(tz, rng):
    series = _random_series(rng, 400, "us", tz)
    out = DateFeatureExtractor(features="all").fit_transform(series.to_frame("d"))
    expected = _loop_features(series.dt.to_pydatetime())
    for feature in CALENDAR_FEATURES:
        np.testing.assert_array_equal(
            out[f"d_{feature}"].to_numpy(), expected[feature], err_msg=feature
        )


def test_date_feature_extractor_iso_weeks_around_new_year():
    dates = pd.to_datetime(
        [
            "2020-12-31",  # Thursday of week 53 of 2020
            "2021-01-01",  # still ISO week 53 of 2020
            "2021-01-03",  # Sunday, week 53
            "2021-01-04",  # Monday, week 1 of 2021
            "2024-12-30",  # Monday, already week 1 of 2025
            "2026-12-31",  # week 53 of 2026 (a year starting on a Thursday)
            "2027-01-01",
            "2016-01-03",  # week 53 of 2015
        ]
    )
    out = DateFeatureExtractor(features=("week", "day_of_week")).fit_transform(
        pd.DataFrame({"d": dates})
    )
    assert out["d_week"].tolist() == [53, 53, 53, 1, 1, 53, 53, 53]
    assert out["d_day_of_week"].tolist() == [3, 4, 6, 0, 0, 3, 4, 6]


def test_date_feature_extractor_weekend_is_saturday_and_sunday():
    dates = pd.date_range("2024-06-03", periods=7, freq="D")  # Monday to Sunday
    out = DateFeatureExtractor(features=("is_weekend", "day_of_week")).fit_transform(
        pd.DataFrame({"d": dates})
    )
    assert out["d_is_weekend"].tolist() == [0, 0, 0, 0, 0, 1, 1]
    assert out["d_day_of_week"].tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_date_feature_extractor_leap_years():
    dates = pd.to_datetime(
        ["1900-02-15", "2000-02-29", "2023-02-15", "2024-12-31"], format="ISO8601"
    )
    out = DateFeatureExtractor(
        features=("is_leap_year", "days_in_month", "day_of_year")
    ).fit_transform(pd.DataFrame({"d": dates}))
    assert out["d_is_leap_year"].tolist() == [0, 1, 0, 1]
    assert out["d_days_in_month"].tolist() == [28, 29, 28, 31]
    assert out["d_day_of_year"].tolist() == [46, 60, 46, 366]


def test_date_feature_extractor_local_time_across_dst():
    # 2024-03-10 in New York: 01:59 EST is followed by 03:00 EDT.
    utc = pd.date_range("2024-03-10 06:30", periods=4, freq="30min", tz="UTC")
    X = pd.DataFrame({"t": utc.tz_convert("America/New_York")})
    out = DateFeatureExtractor(features=("hour", "minute")).fit_transform(X)
    assert out["t_hour"].tolist() == [1, 3, 3, 4]
    assert out["t_minute"].tolist() == [30, 0, 30, 0]
    # The same instants seen from Paris (timezone="Europe/Paris").
    out = DateFeatureExtractor(
        features=("hour",), timezone="Europe/Paris"
    ).fit_transform(X)
    assert out["t_hour"].tolist() == [7, 8, 8, 9]


def test_date_feature_extractor_converts_to_the_fit_timezone():
    fit = pd.DataFrame(
        {
            "t": pd.to_datetime(["2024-01-01 12:00"], format="ISO8601").tz_localize(
                "Asia/Tokyo"
            )
        }
    )
    extractor = DateFeatureExtractor(features=("day", "hour")).fit(fit)
    assert extractor.timezones_ == {"t": "Asia/Tokyo"}
    new = pd.DataFrame(
        {
            "t": pd.to_datetime(["2024-01-01 20:00"], format="ISO8601").tz_localize(
                "America/New_York"
            )
        }
    )
    out = extractor.transform(new)
    # 20:00 in New York (UTC-5) is 10:00 the next day in Tokyo (UTC+9).
    assert out.iloc[0].tolist() == [2.0, 10.0]


@pytest.mark.parametrize(
    "fit_tz, transform_tz, timezone",
    [(None, "UTC", "fit"), ("UTC", None, "fit"), (None, "UTC", "Europe/Paris")],
)
def test_date_feature_extractor_naive_aware_mismatch_is_an_error(
    fit_tz, transform_tz, timezone
):
    def frame(tz):
        values = pd.to_datetime(["2024-01-01 12:00"], format="ISO8601")
        return pd.DataFrame({"t": values if tz is None else values.tz_localize(tz)})

    extractor = DateFeatureExtractor(timezone=timezone).fit(frame(fit_tz))
    with pytest.raises(ValueError, match="Column 't' was .* at fit but is"):
        extractor.transform(frame(transform_tz))


def test_date_feature_extractor_datetime_column_as_strings_at_transform_is_an_error():
    X = pd.DataFrame({"d": pd.to_datetime(["2024-01-01"])})
    extractor = DateFeatureExtractor().fit(X)
    with pytest.raises(ValueError, match="Column 'd' was a datetime column at fit"):
        extractor.transform(pd.DataFrame({"d": ["2024-01-01"]}))


def test_date_feature_extractor_set_output_containers():
    pl = pytest.importorskip("polars")
    X = pd.DataFrame(
        {"d": pd.to_datetime(["2024-01-01", None]), "s": ["a", "b"]}, index=[5, 7]
    )
    extractor = DateFeatureExtractor(features=("day",))
    out = extractor.set_output(transform="polars").fit_transform(X)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["s", "d_day"] and out["s"].to_list() == ["a", "b"]
    out = extractor.set_output(transform="default").fit_transform(X)
    assert list(out.index) == [5, 7]
    # numpy in, numpy out: an object array when a passthrough column is text.
    out = DateFeatureExtractor(0, features=("day",)).fit_transform(X.to_numpy())
    assert out.dtype == object and out.shape == (2, 2)
    assert out[0, 0] == "a" and out[0, 1] == 1.0 and np.isnan(out[1, 1])


def test_date_feature_extractor_nat_gives_nan_in_every_feature():
    X = pd.DataFrame(
        {"d": pd.to_datetime([None, "2024-05-01 10:00", None], format="ISO8601")}
    )
    extractor = DateFeatureExtractor(
        features="all",
        cyclical=True,
        holidays=("2024-05-01",),
        elapsed="fit_min",
        differences=(("d", "d"),),
    )
    out = extractor.fit_transform(X)
    assert out.shape[1] == len(extractor.get_feature_names_out())
    assert out.iloc[[0, 2]].isna().all().all()
    assert out.iloc[1].notna().all()
    assert out.dtypes.eq(np.float64).all()


def test_date_feature_extractor_cyclical_uses_true_periods():
    dates = pd.to_datetime(
        ["2024-02-29 18:00", "2023-02-28 06:00", "2024-12-31"], format="ISO8601"
    )
    out = DateFeatureExtractor(
        features=("month", "week", "day", "day_of_week", "day_of_year", "hour"),
        cyclical=True,
    ).fit_transform(pd.DataFrame({"d": dates}))

    def angle(value, period):
        return 2 * np.pi * value / period

    # Plain-loop reference: phase from 0 and the period of that month / year.
    for i, ts in enumerate(dates):
        d = ts.date()
        leap = ts.is_leap_year
        iso_year, iso_week, _ = d.isocalendar()
        weeks_in_iso_year = datetime.date(iso_year, 12, 28).isocalendar()[1]
        expected = {
            "month": angle(d.month - 1, 12),
            "week": angle(iso_week - 1, weeks_in_iso_year),
            "day": angle(d.day - 1, ts.days_in_month),
            "day_of_week": angle(d.weekday(), 7),
            "day_of_year": angle(ts.day_of_year - 1, 366 if leap else 365),
            "hour": angle(ts.hour, 24),
        }
        for feature, value in expected.items():
            assert out[f"d_{feature}_sin"][i] == pytest.approx(np.sin(value))
            assert out[f"d_{feature}_cos"][i] == pytest.approx(np.cos(value))
    # The last day of February is one step before the first of March, in a leap
    # year as in a common one.
    assert out["d_day_sin"][0] == pytest.approx(np.sin(2 * np.pi * 28 / 29))
    assert out["d_day_sin"][1] == pytest.approx(np.sin(2 * np.pi * 27 / 28))


def test_date_feature_extractor_country_holidays_match_the_holidays_package():
    holidays = pytest.importorskip("holidays")
    days = pd.date_range("2023-12-01", "2025-01-31", freq="D")
    X = pd.DataFrame({"d": days + pd.Timedelta(hours=15)})
    extractor = DateFeatureExtractor(features=("is_business_day",), holidays="US")
    out = extractor.fit_transform(X)
    calendar = holidays.country_holidays("US", years=range(2022, 2027))
    known = sorted(calendar)
    for i, ts in enumerate(days):
        d = ts.date()
        upcoming = min(h for h in known if h >= d)
        past = max(h for h in known if h <= d)
        assert out["d_is_holiday"][i] == (d in calendar)
        assert out["d_days_to_holiday"][i] == (upcoming - d).days
        assert out["d_days_from_holiday"][i] == (d - past).days
    busday = np.is_busday(
        days.to_numpy().astype("datetime64[D]"),
        holidays=np.array(known, dtype="datetime64[D]"),
    )
    np.testing.assert_array_equal(out["d_is_business_day"], busday)


def test_date_feature_extractor_holidays_of_years_not_seen_at_fit():
    pytest.importorskip("holidays")
    fit = pd.DataFrame({"d": pd.to_datetime(["2020-06-01"], format="ISO8601")})
    extractor = DateFeatureExtractor(features=("year",), holidays="US").fit(fit)
    out = extractor.transform(
        pd.DataFrame({"d": pd.to_datetime(["2031-07-04"], format="ISO8601")})
    )
    assert out["d_is_holiday"].tolist() == [1.0]


def test_date_feature_extractor_holidays_with_subdivision():
    pytest.importorskip("holidays")
    # Cesar Chavez Day (March 31) is a California state holiday only.
    X = pd.DataFrame({"d": pd.to_datetime(["2022-03-31"], format="ISO8601")})
    ca = DateFeatureExtractor(features=("day",), holidays="US-CA").fit_transform(X)
    us = DateFeatureExtractor(features=("day",), holidays="US").fit_transform(X)
    assert ca["d_is_holiday"].tolist() == [1.0]
    assert us["d_is_holiday"].tolist() == [0.0]


def test_date_feature_extractor_holiday_list_and_cap():
    X = pd.DataFrame(
        {
            "d": pd.to_datetime(
                ["2024-01-01", "2024-01-05", "2026-06-01", None], format="ISO8601"
            )
        }
    )
    out = DateFeatureExtractor(
        features=("is_business_day",), holidays=("2024-01-01", "2024-01-10")
    ).fit_transform(X)
    assert out["d_is_holiday"].tolist()[:3] == [1, 0, 0]
    assert out["d_days_to_holiday"].tolist()[:3] == [0, 5, HOLIDAY_HORIZON]
    assert out["d_days_from_holiday"].tolist()[:3] == [0, 4, HOLIDAY_HORIZON]
    # 2024-01-01 is a Monday but a holiday; 2024-01-05 a Friday.
    assert out["d_is_business_day"].tolist()[:3] == [0, 1, 1]
    assert out.iloc[3].isna().all()


def _utc_us(series):
    if series.dt.tz is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.to_numpy().astype("datetime64[us]")


@pytest.mark.parametrize("unit, divisor", [("D", "1D"), ("h", "1h"), ("W", "7D")])
@pytest.mark.parametrize("tz", [None, "Europe/Berlin"])
def test_date_feature_extractor_differences_match_pandas(unit, divisor, tz, rng):
    a = _random_series(rng, 500, "us", tz)
    b = _random_series(rng, 500, "ms", tz)
    X = pd.DataFrame({"a": a, "b": b})
    name = {"D": "days", "h": "hours", "W": "weeks"}[unit]
    extractor = DateFeatureExtractor(
        features=("year",), differences=(("a", "b"),), unit=unit
    )
    out = extractor.fit_transform(X)
    # Exact in microseconds, also for spans beyond pandas 2's nanosecond range.
    expected = (_utc_us(a) - _utc_us(b)) / np.timedelta64(pd.Timedelta(divisor))
    np.testing.assert_allclose(out[f"a_minus_b_{name}"], expected, rtol=1e-12)


def test_date_feature_extractor_differences_across_dst_count_real_hours():
    paris = pd.to_datetime(["2024-03-31 00:00", "2024-03-31 05:00"], format="ISO8601")
    X = pd.DataFrame({"start": paris[:1].repeat(1), "end": paris[1:]})
    X = X.apply(lambda c: c.dt.tz_localize("Europe/Paris"))
    out = DateFeatureExtractor(
        features=("hour",), differences=(("end", "start"),), unit="h"
    ).fit_transform(X)
    assert out["end_minus_start_hours"].tolist() == [4.0]  # the clocks jump at 2:00


def test_date_feature_extractor_elapsed_since_a_reference():
    X = pd.DataFrame(
        {
            "d": pd.to_datetime(
                ["2024-01-11", "2024-01-01 12:00", None], format="ISO8601"
            )
        }
    )
    out = DateFeatureExtractor(features=("day",), elapsed="fit_min").fit_transform(X)
    np.testing.assert_array_equal(out["d_elapsed_days"], [9.5, 0.0, np.nan])
    extractor = DateFeatureExtractor(features=("day",), elapsed="2024-01-01", unit="h")
    out = extractor.fit_transform(X)
    np.testing.assert_array_equal(out["d_elapsed_hours"], [240.0, 12.0, np.nan])
    # fit_max is learned at fit and replayed at transform.
    extractor = DateFeatureExtractor(features=("day",), elapsed="fit_max").fit(X)
    new = pd.DataFrame({"d": pd.to_datetime(["2024-01-12"], format="ISO8601")})
    assert extractor.transform(new)["d_elapsed_days"].tolist() == [1.0]


def test_date_feature_extractor_elapsed_naive_reference_in_the_column_zone():
    X = pd.DataFrame(
        {
            "d": pd.to_datetime(["2024-01-02 00:00"], format="ISO8601").tz_localize(
                "America/New_York"
            )
        }
    )
    out = DateFeatureExtractor(
        features=("day",), elapsed="2024-01-01", unit="h"
    ).fit_transform(X)
    assert out["d_elapsed_hours"].tolist() == [24.0]


def test_date_feature_extractor_parses_strings_with_the_fit_format():
    X = pd.DataFrame({"d": ["03/04/2024", "25/12/2024", None], "v": [1, 2, 3]})
    extractor = DateFeatureExtractor("d", features=("month", "day")).fit(X)
    assert extractor.formats_ == {"d": "%d/%m/%Y"}
    out = extractor.transform(X)
    np.testing.assert_array_equal(out["d_month"], [4, 12, np.nan])
    # At transform the format is strict: an ISO string is not guessed.
    new = pd.DataFrame({"d": ["2024-05-06", "06/05/2024"], "v": [1, 2]})
    np.testing.assert_array_equal(extractor.transform(new)["d_month"], [np.nan, 5.0])


@pytest.mark.parametrize("dayfirst, month", [(False, [4, 4]), (True, [3, 5])])
def test_date_feature_extractor_dayfirst_for_ambiguous_strings(dayfirst, month):
    X = pd.DataFrame({"d": ["04/03/2024", "04/05/2024"]})
    out = DateFeatureExtractor(
        "d", features=("month",), dayfirst=dayfirst
    ).fit_transform(X)
    assert out["d_month"].tolist() == month


def test_date_feature_extractor_parses_iso_strings_with_offsets():
    X = pd.DataFrame({"d": ["2024-01-01T10:00:00+01:00", "2024-07-01T10:00:00+02:00"]})
    out = DateFeatureExtractor("d", features=("hour",), timezone="UTC").fit_transform(X)
    assert out["d_hour"].tolist() == [9.0, 8.0]


def test_date_feature_extractor_explicit_format():
    X = pd.DataFrame({"d": ["2024|02|03", "garbage"]})
    out = DateFeatureExtractor("d", features=("day",), format="%Y|%m|%d").fit_transform(
        X
    )
    np.testing.assert_array_equal(out["d_day"], [3.0, np.nan])


def test_date_feature_extractor_auto_features_depend_on_the_time_of_day():
    dates = pd.DataFrame(
        {"d": pd.to_datetime(["2024-01-01", "2024-01-02"], format="ISO8601")}
    )
    minutes = pd.DataFrame(
        {"d": pd.to_datetime(["2024-01-01 10:30", "2024-01-02"], format="ISO8601")}
    )
    hours = pd.DataFrame(
        {"d": pd.to_datetime(["2024-01-01 10:00", "2024-01-02"], format="ISO8601")}
    )
    subsecond = pd.DataFrame(
        {"d": pd.to_datetime(["2024-01-01 00:00:00.5"], format="ISO8601")}
    )
    date_part = ("year", "month", "day", "day_of_week", "day_of_year")
    for X, time_part in [
        (dates, ()),
        (hours, ("hour",)),
        (minutes, ("hour", "minute")),
        (subsecond, ("hour", "minute", "second")),
    ]:
        extractor = DateFeatureExtractor().fit(X)
        assert extractor.features_["d"] == date_part + time_part + ("is_weekend",)


def test_date_feature_extractor_passes_other_columns_through():
    X, _ = make_churn(n_samples=200, random_state=0)
    out = DateFeatureExtractor().fit_transform(X)
    others = [c for c in X.columns if c not in ("signup_date", "last_login")]
    pd.testing.assert_frame_equal(out[others], X[others])
    assert "signup_date" not in out and "signup_date_month" in out
    kept = DateFeatureExtractor(drop_original=False).fit_transform(X)
    assert list(kept.columns[: X.shape[1]]) == list(X.columns)
    pd.testing.assert_series_equal(kept["signup_date"], X["signup_date"])


def test_date_feature_extractor_gives_the_seed_features_on_the_demo_data():
    X, _ = make_churn(n_samples=300, random_state=0)
    extractor = DateFeatureExtractor(differences=(("last_login", "signup_date"),))
    out = extractor.fit_transform(X)
    account_age = (X["last_login"] - X["signup_date"]).dt.days
    np.testing.assert_array_equal(out["last_login_minus_signup_date_days"], account_age)
    np.testing.assert_array_equal(out["signup_date_month"], X["signup_date"].dt.month)
    day_of_week = X["signup_date"].dt.day_of_week
    np.testing.assert_array_equal(out["signup_date_day_of_week"], day_of_week)
    np.testing.assert_array_equal(
        out["signup_date_is_weekend"], day_of_week.isin([5, 6]).astype(int)
    )
    # Dates at midnight: no time-of-day features.
    assert "signup_date_hour" not in out
    assert list(out.columns) == list(extractor.get_feature_names_out())


def test_date_feature_extractor_polars_in_polars_out():
    pl = pytest.importorskip("polars")
    X = pl.DataFrame(
        {
            "d": [datetime.date(2024, 2, 29), None],
            "t": pl.Series(
                [datetime.datetime(2024, 3, 31, 1, 30), None]
            ).dt.replace_time_zone("UTC"),
            "v": ["a", "b"],
        }
    )
    extractor = DateFeatureExtractor(features=("day", "hour"), timezone="Europe/Paris")
    out = extractor.fit_transform(X)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == ["v", "d_day", "d_hour", "t_day", "t_hour"]
    assert out["v"].to_list() == ["a", "b"]
    assert out.row(0) == ("a", 29.0, 0.0, 31.0, 3.0)
    assert out["d_day"].is_nan().to_list()[1]
    assert extractor.set_output(transform="pandas").transform(X).shape == (2, 5)


def test_date_feature_extractor_numpy_datetime64_and_epoch_input():
    values = np.array([["2024-01-01T06:00"], ["NaT"]], dtype="datetime64[m]")
    out = DateFeatureExtractor(features=("hour",)).fit_transform(values)
    np.testing.assert_array_equal(out, [[6.0], [np.nan]])
    epoch = np.array([[0.0], [86_400.0 * 366 + 3_600], [np.nan]])
    # numbers are read as dates only when asked
    with pytest.warns(UserWarning, match=r"'x0' unchanged.*columns='all'"):
        passed = DateFeatureExtractor().fit_transform(epoch)
    np.testing.assert_array_equal(passed, epoch)
    extractor = DateFeatureExtractor(
        columns="all", features=("year", "day_of_year", "hour")
    )
    out = extractor.fit_transform(epoch)
    np.testing.assert_array_equal(
        out, [[1970, 1, 0], [1971, 2, 1], [np.nan, np.nan, np.nan]]
    )
    assert list(extractor.get_feature_names_out()) == [
        "x0_year",
        "x0_day_of_year",
        "x0_hour",
    ]


def test_date_feature_extractor_in_column_transformer_pipeline_and_grid_search():
    X, y = make_churn(n_samples=300, random_state=0)
    X = X[["signup_date", "last_login", "num_sessions"]]
    preprocess = make_column_transformer(
        (DateFeatureExtractor(), ["signup_date", "last_login"]),
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    pipeline = make_pipeline(
        preprocess, DecisionTreeClassifier(max_depth=3, random_state=0)
    )
    search = GridSearchCV(
        pipeline,
        {"columntransformer__datefeatureextractor__cyclical": [False, True]},
        cv=3,
    )
    search.fit(X, y)
    assert search.best_params_ is not None
    names = search.best_estimator_[0].get_feature_names_out()
    assert "signup_date_month" in names and "num_sessions" in names
    assert isinstance(preprocess, ColumnTransformer)


def test_date_feature_extractor_pickle_and_skops_round_trip():
    skops_io = pytest.importorskip("skops.io")
    X = pd.DataFrame(
        {
            "d": pd.to_datetime(
                ["2024-01-01 10:00", None, "2024-07-04"], format="ISO8601"
            ).tz_localize("US/Eastern"),
            "s": ["2024-01-02", "2024-01-03", "bad"],
        }
    )
    extractor = DateFeatureExtractor(
        columns=("d", "s"), cyclical=True, holidays="US", elapsed="fit_min"
    ).fit(X)
    expected = extractor.transform(X)
    restored = pickle.loads(pickle.dumps(extractor))
    pd.testing.assert_frame_equal(restored.transform(X), expected)
    data = skops_io.dumps(extractor)
    untrusted = skops_io.get_untrusted_types(data=data)
    restored = skops_io.loads(data, trusted=untrusted)
    pd.testing.assert_frame_equal(restored.transform(X), expected)


@pytest.mark.parametrize(
    "params, X, err_type, err_msg",
    [
        ({"features": ("month", "moon")}, None, ValueError, "features must be"),
        ({"features": ("month", "month")}, None, ValueError, "features must be"),
        ({"columns": "nope"}, None, ValueError, "column 'nope' is not in X"),
        ({"timezone": "Mars/Olympus"}, None, ValueError, "got 'Mars/Olympus'"),
        (
            {"differences": ("d",)},
            None,
            ValueError,
            "differences=.*: expected a sequence",
        ),
        ({"differences": (("d", "x"),)}, None, ValueError, "column 'x' is not in X"),
        ({"elapsed": "not a date"}, None, ValueError, "elapsed must be"),
        ({"holidays": "XX"}, None, ValueError, "got 'XX'"),
        ({"holidays": ("not a date",)}, None, ValueError, "holidays must be"),
        ({"columns": "s"}, None, ValueError, "Column 's' could not be parsed"),
        (
            {"differences": (("d", "z"),)},
            None,
            ValueError,
            "columns 'd' .* and 'z' .* must both be naive or both be tz-aware",
        ),
        ({"columns": 0}, np.zeros((2, 2)), None, None),
        ({"columns": 5}, np.zeros((2, 2)), ValueError, "column 5 is not in X"),
        (
            {"elapsed": pd.Timestamp("2024-01-01", tz="UTC")},
            None,
            ValueError,
            "is tz-aware but column 'd' is naive",
        ),
    ],
)
def test_date_feature_extractor_errors(params, X, err_type, err_msg):
    if X is None:
        X = pd.DataFrame(
            {
                "d": pd.to_datetime(["2024-01-01", "2024-02-01"], format="ISO8601"),
                "z": pd.to_datetime(["2024-01-01", None], format="ISO8601").tz_localize(
                    "UTC"
                ),
                "s": ["hello", "world"],
            }
        )
        if "elapsed" in params:
            X = X[["d"]]
    extractor = DateFeatureExtractor(**params)
    if err_type is None:
        extractor.fit(X)
        return
    with pytest.raises(err_type, match=err_msg):
        extractor.fit(X)


_UNIT_STRATEGY = st.sampled_from(UNITS)
_ZONE_STRATEGY = st.sampled_from(ZONES)


@settings(max_examples=60, deadline=None)
@given(
    ticks=st.lists(
        st.integers(min_value=-(2**62), max_value=2**62) | st.none(),
        min_size=1,
        max_size=30,
    ),
    unit=_UNIT_STRATEGY,
    tz=_ZONE_STRATEGY,
)
def test_date_feature_extractor_property_equals_pandas(ticks, unit, tz):
    # Any representable instant of any resolution (pandas' own bounds for the
    # coarser units), naive or tz-aware, with missing values.
    bound = {"s": 10**11, "ms": 10**14, "us": 10**17, "ns": 2**62}[unit]
    values = np.array(
        [
            np.iinfo(np.int64).min if t is None else t % (2 * bound) - bound
            for t in ticks
        ],
        dtype=np.int64,
    ).view(f"datetime64[{unit}]")
    series = pd.Series(values)
    if tz is not None:
        # Keep clear of the year-10000 edge after conversion.
        inside = (series < pd.Timestamp("9999-01-01")) & (series > pd.Timestamp("0002"))
        series = series.where(inside).dt.tz_localize("UTC")
        series = series.dt.tz_convert(tz)
    X = pd.DataFrame({"d": series})
    extractor = DateFeatureExtractor(features="all", cyclical=True)
    out = extractor.fit_transform(X)
    expected = _pandas_features(series)
    for feature in CALENDAR_FEATURES:
        np.testing.assert_array_equal(out[f"d_{feature}"].to_numpy(), expected[feature])
    assert list(out.columns) == list(extractor.get_feature_names_out())
    sines = out.filter(like="_sin").to_numpy()
    assert np.all(np.isnan(sines) | (np.abs(sines) <= 1.0))


@pytest.mark.parametrize(
    "fmt",
    [
        "%Y-%m-%d",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ],
)
@pytest.mark.parametrize("bad", [None, "2024-02-30", "2023-02-29", "24:00", "x", "T"])
def test_date_feature_extractor_fixed_width_iso_strings_parse_as_pandas(fmt, bad, rng):
    # Arrow-backed ISO strings take pyarrow's validating cast when every string
    # fits the format exactly; the result must be pandas' strict parse either way.
    seconds = rng.integers(0, 2 * 10**9, 300)
    strings = pd.Series(pd.to_datetime(seconds, unit="s").strftime(fmt), dtype="str")
    strings[rng.random(300) < 0.1] = None
    if bad == "24:00":
        bad = pd.Timestamp("2024-01-05").strftime(fmt).replace("00:00", "24:00")
    elif bad == "T":
        bad = strings.dropna().iloc[0].replace(" ", "T").replace("T", " ", 1)
    elif bad is not None and len(fmt) > 8:
        bad = bad + fmt[8:].replace("%H", "10").replace("%M", "00").replace("%S", "00")
    if bad is not None:
        strings[0] = bad
    expected = pd.to_datetime(strings, format=fmt, errors="coerce")
    X = pd.DataFrame({"d": strings})
    extractor = DateFeatureExtractor("d", features=("year", "day", "hour", "minute"))
    out = extractor.fit(X.iloc[1:]).transform(X)
    assert extractor.formats_ == {"d": fmt}
    np.testing.assert_array_equal(out["d_day"], expected.dt.day.astype(float))
    np.testing.assert_array_equal(out["d_hour"], expected.dt.hour.astype(float))
    np.testing.assert_array_equal(out["d_minute"], expected.dt.minute.astype(float))


@pytest.mark.parametrize(
    "zone",
    ["America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Europe/Dublin"],
)
@pytest.mark.parametrize("unit", ["s", "us", "ns"])
def test_wall_clock_from_day_offsets_equals_pandas_conversion(zone, unit, rng):
    from sklearn_workflow.features._dates import _wall_clock

    # Lord Howe moves by 30 minutes at a half hour of UTC, Kathmandu changed
    # from +5:30 to +5:45 in 1986: transitions off the UTC hour and day.
    low = np.datetime64("1984-01-01", "s").astype(np.int64)
    high = np.datetime64("1990-01-01", "s").astype(np.int64)
    # about six rows a day: each side of a transition has rows
    seconds = rng.integers(low, high, 12_000)
    instants = seconds.astype("datetime64[s]").astype(f"datetime64[{unit}]")
    instants[rng.random(instants.size) < 0.05] = np.datetime64("NaT")
    expected = (
        pd.DatetimeIndex(instants).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    )
    np.testing.assert_array_equal(_wall_clock(instants, zone), expected.to_numpy())


def test_numeric_columns_are_dates_only_when_named():
    X = pd.DataFrame(
        {
            "mpg": [18.0, 15.0, 26.0],
            "cylinders": [8, 8, 4],
            "weight": [3504, 3693, 2000],
        }
    )
    with pytest.warns(UserWarning, match=r"'mpg', 'cylinders', 'weight' unchanged"):
        out = DateFeatureExtractor().fit_transform(X)
    pd.testing.assert_frame_equal(out, X)
    named = DateFeatureExtractor(columns=["weight"], features=("hour", "minute"))
    out = named.fit_transform(X)
    # 3504 seconds after 1970-01-01 00:00 is 00:58
    assert out[["weight_hour", "weight_minute"]].iloc[0].tolist() == [0.0, 58.0]


@pytest.mark.parametrize("name", ["year", "model_year", "YearBuilt", "Year of sale"])
def test_an_integer_column_named_like_a_year_holds_years(name):
    X = pd.DataFrame({name: pd.array([1970, 2024, None], dtype="Int64")})
    out = DateFeatureExtractor(
        columns="all", features=("year", "month", "day", "is_leap_year")
    ).fit_transform(X)
    expected = [[1970, 1, 1, 0], [2024, 1, 1, 1], [np.nan] * 4]
    np.testing.assert_array_equal(out.to_numpy(), expected)


@pytest.mark.parametrize(
    "X, match",
    [
        (pd.DataFrame({"model_year": [70, 82]}), r"'model_year'.*from 70 to 82"),
        (pd.DataFrame({"years": [1970, 2024]}), None),  # not the word "year"
        (pd.DataFrame({"yearly": [1970, 2024]}), None),
        (pd.DataFrame({"year": [1970.5, 2024.0]}), None),  # not integers
    ],
)
def test_year_columns_need_four_digit_years_and_the_word_year(X, match):
    extractor = DateFeatureExtractor(columns="all", features=("year",))
    if match:
        with pytest.raises(ValueError, match=match):
            extractor.fit(X)
    else:
        # read as seconds since 1970
        assert extractor.fit_transform(X).iloc[:, 0].tolist() == [1970.0, 1970.0]
