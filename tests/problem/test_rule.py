import builtins
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_workflow.problem import RuleClassifier, RuleSyntaxError
from sklearn_workflow.problem._rule import parse_rule, rule_columns


def _frame(rng, n=200):
    tenure = np.round(rng.exponential(10, n), 1)
    tenure[rng.random(n) < 0.1] = np.nan
    contract = rng.choice(["Monthly", "Annual", "Two-Year"], n).astype(object)
    contract[rng.random(n) < 0.1] = None
    signup = np.datetime64("2024-01-01") + rng.integers(0, 400, n).astype(
        "timedelta64[D]"
    )
    signup = signup.astype("datetime64[us]")
    signup[rng.random(n) < 0.05] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "tenure_months": tenure,
            "contract": pd.Series(contract, dtype="str"),
            "sessions": rng.poisson(5, n),
            "tickets": rng.poisson(5, n),
            "premium": rng.random(n) < 0.3,
            "signup_date": signup,
            "monthly fee": rng.uniform(10, 100, n),
        }
    )


def _missing(value):
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _lt(a, b):
    return not _missing(a) and a < b


# Each rule with a plain per-row reference: a comparison with a missing value is
# false (``!=`` included), ``not`` flips it.
CASES = [
    ("tenure_months < 3", lambda r: _lt(r["tenure_months"], 3)),
    ("3 > tenure_months", lambda r: _lt(r["tenure_months"], 3)),
    (
        "1 <= tenure_months < 3",
        lambda r: not _missing(r["tenure_months"]) and 1 <= r["tenure_months"] < 3,
    ),
    ("not tenure_months < 3", lambda r: not _lt(r["tenure_months"], 3)),
    (
        "contract == 'Monthly'",
        lambda r: not _missing(r["contract"]) and r["contract"] == "Monthly",
    ),
    (
        "contract != 'Monthly'",
        lambda r: not _missing(r["contract"]) and r["contract"] != "Monthly",
    ),
    (
        'contract = "Annual" OR tenure_months < 2',
        lambda r: (
            (not _missing(r["contract"]) and r["contract"] == "Annual")
            or _lt(r["tenure_months"], 2)
        ),
    ),
    (
        "contract in ('Annual', 'Two-Year')",
        lambda r: r["contract"] in ("Annual", "Two-Year"),
    ),
    (
        "contract not in ['Annual']",
        lambda r: not _missing(r["contract"]) and r["contract"] != "Annual",
    ),
    ("contract is missing", lambda r: _missing(r["contract"])),
    ("contract is not missing", lambda r: not _missing(r["contract"])),
    ("sessions > tickets", lambda r: r["sessions"] > r["tickets"]),
    ("premium", lambda r: bool(r["premium"])),
    (
        "not premium and sessions >= 5",
        lambda r: not r["premium"] and r["sessions"] >= 5,
    ),
    ("sessions in (1, 2, 3)", lambda r: r["sessions"] in (1, 2, 3)),
    ("`monthly fee` > 50", lambda r: r["monthly fee"] > 50),
    ("x6 > 50", lambda r: r["monthly fee"] > 50),
    (
        "signup_date >= '2024-06-01'",
        lambda r: (
            not _missing(r["signup_date"])
            and r["signup_date"] >= pd.Timestamp("2024-06-01")
        ),
    ),
    (
        "(tenure_months < 3 or premium) and not (contract == 'Annual')",
        lambda r: (
            (_lt(r["tenure_months"], 3) or bool(r["premium"]))
            and not (not _missing(r["contract"]) and r["contract"] == "Annual")
        ),
    ),
    ("tenure_months > -1.5e0", lambda r: not _missing(r["tenure_months"])),
    ("true", lambda r: True),
    ("contract < 'B'", lambda r: not _missing(r["contract"]) and r["contract"] < "B"),
]


@pytest.mark.parametrize("rule, reference", CASES, ids=[c[0] for c in CASES])
def test_rule_classifier_matches_a_row_by_row_reference(rule, reference, rng):
    X = _frame(rng)
    y = (rng.random(len(X)) < 0.3).astype(int)
    clf = RuleClassifier(rule).fit(X, y)
    expected = np.array([reference(row) for _, row in X.iterrows()], dtype=bool)
    np.testing.assert_array_equal(clf.predict(X), expected.astype(int))
    np.testing.assert_array_equal(clf.predict_proba(X)[:, 1], expected.astype(float))
    assert clf.rule_rate_ == pytest.approx(expected.mean())


def test_rule_classifier_polars_matches_pandas(rng):
    pl = pytest.importorskip("polars")
    X = _frame(rng).drop(columns=["signup_date"])
    y = (rng.random(len(X)) < 0.3).astype(int)
    rule = "(tenure_months < 3 or contract == 'Monthly') and `monthly fee` > 20"
    expected = RuleClassifier(rule).fit(X, y).predict(X)
    got = RuleClassifier(rule).fit(pl.from_pandas(X), y).predict(pl.from_pandas(X))
    np.testing.assert_array_equal(got, expected)


def test_rule_classifier_time_zone_aware_column_compares_local_time():
    times = (
        pd.Series(pd.to_datetime(["2024-03-10 01:00", "2024-03-10 03:00", None]))
        .dt.tz_localize("UTC")
        .dt.tz_convert("America/New_York")
    )
    X = pd.DataFrame({"t": times})
    # 01:00 and 03:00 UTC are 20:00 and 22:00 on March 9th in New York.
    clf = RuleClassifier("t >= '2024-03-09 21:00'").fit(X, [0, 1, 0])
    np.testing.assert_array_equal(clf.predict(X), [0, 1, 0])


def test_rule_classifier_arrays_name_columns_by_position():
    X = np.array([[1.0, 5.0], [4.0, 2.0], [np.nan, 9.0]])
    clf = RuleClassifier("x0 > 2 or x1 > 8").fit(X, [0, 1, 1])
    np.testing.assert_array_equal(clf.predict(X), [0, 1, 1])
    assert clf.columns_ == ["x0", "x1"]
    # A DataFrame with non-string column names: positions only.
    frame = pd.DataFrame(X)
    np.testing.assert_array_equal(
        RuleClassifier("x0 > 2").fit(frame, [0, 1, 1]).predict(frame), [0, 1, 0]
    )


def test_rule_classifier_real_column_named_like_a_position_wins():
    X = pd.DataFrame({"a": [10.0, 0.0], "x0": [0.0, 10.0]})
    np.testing.assert_array_equal(
        RuleClassifier("x0 > 5").fit(X, [0, 1]).predict(X), [0, 1]
    )


def test_rule_classifier_string_labels_and_pos_label():
    X = pd.DataFrame({"v": [1.0, 5.0, 2.0, 7.0]})
    y = np.array(["stay", "churn", "stay", "churn"], dtype=object)
    clf = RuleClassifier("v > 3").fit(X, y)
    # Default: the greater label ("stay") where the rule holds.
    assert clf.pos_label_ == "stay"
    np.testing.assert_array_equal(clf.predict(X), ["churn", "stay", "churn", "stay"])
    clf = RuleClassifier("v > 3", pos_label="churn").fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), y)
    np.testing.assert_array_equal(clf.classes_, ["churn", "stay"])
    np.testing.assert_array_equal(clf.predict_proba(X)[:, 0], [0, 1, 0, 1])


HOSTILE = [
    "__import__('os')",
    "__import__('os').system('echo hacked')",
    "x0.__class__",
    "x0.__class__.__bases__",
    "lambda: 1",
    "(lambda x: x)(1)",
    "abs(x0) > 1",
    "open('/etc/passwd')",
    "x0[0] > 1",
    "[c for c in ()]",
    "x0 > 1; import os",
    "x0 + 1 > 2",
    "exec('1')",
    "eval('x0 > 1')",
    "x0 > 1 if True else 0",
    "{'a': 1}",
    "x0 @ x0",
    "`x0` > 1 and ``",
    "x0 > 1 and",
    "not",
    "x0 in x0",
    "'a' == 'a'",
    "1.2.3 > x0",
    "x0 is 1",
]


@pytest.mark.parametrize("rule", HOSTILE)
def test_rule_classifier_rejects_hostile_and_malformed_rules(rule, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the rule text reached eval/exec/compile")

    X = np.array([[1.0], [3.0]])
    with monkeypatch.context() as patch:
        for name in ("eval", "exec", "compile"):
            patch.setattr(builtins, name, forbidden)
        with pytest.raises(RuleSyntaxError):
            parse_rule(rule)
    with pytest.raises(RuleSyntaxError):
        RuleClassifier(rule).fit(X, [0, 1])


@pytest.mark.parametrize(
    "rule, X, y, err_type, err_msg",
    [
        (
            "tenure < 3",
            pd.DataFrame({"tenure_months": [1.0, 5.0]}),
            [0, 1],
            ValueError,
            "unknown column 'tenure'.*'tenure_months'",
        ),
        (
            "contract < 3",
            pd.DataFrame({"contract": ["a", "b"]}),
            [0, 1],
            ValueError,
            "column 'contract' is categorical.*3",
        ),
        (
            "v == 'x'",
            pd.DataFrame({"v": [1.0, 2.0]}),
            [0, 1],
            ValueError,
            "column 'v' is numeric",
        ),
        (
            "contract",
            pd.DataFrame({"contract": ["a", "b"]}),
            [0, 1],
            ValueError,
            "'contract' is categorical.*alone as a condition",
        ),
        (
            "d > 'not a date'",
            pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-01-02"])}),
            [0, 1],
            ValueError,
            "column 'd' is datetime",
        ),
        (
            "a > b",
            pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}),
            [0, 1],
            ValueError,
            "compares column 'a' \\(numeric\\) with column 'b' \\(categorical\\)",
        ),
        ("x0 > 0", np.zeros((3, 1)), [0, 1, 2], ValueError, "Only binary"),
        ("x0 > 0", np.zeros((3, 1)), [1, 1, 1], ValueError, "1 class"),
        ("x0 > 0", np.zeros((2, 1)), [0, 1], ValueError, "pos_label must be one"),
        ("x5 > 0", np.zeros((2, 1)), [0, 1], ValueError, "unknown column 'x5'"),
        ("", np.zeros((2, 1)), [0, 1], RuleSyntaxError, "rule is empty"),
    ],
)
def test_rule_classifier_errors(rule, X, y, err_type, err_msg):
    params = {"pos_label": 7} if "pos_label" in err_msg else {}
    with pytest.raises(err_type, match=err_msg):
        RuleClassifier(rule, **params).fit(X, y)


def test_rule_classifier_predict_checks_columns():
    X = pd.DataFrame({"a": [1.0, 2.0], "b": [0.0, 1.0]})
    clf = RuleClassifier("a > 1").fit(X, [0, 1])
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(X[["b", "a"]])


def test_rule_columns_in_order_of_first_use():
    tree = parse_rule("b > 1 and (a < 2 or b is missing) and c in (1, 2)")
    assert rule_columns(tree) == ["b", "a", "c"]


def test_rule_string_escapes():
    X = pd.DataFrame({"name": ["it's", 'say "hi"', "plain"]})
    clf = RuleClassifier('name in (\'it\\\'s\', "say \\"hi\\"")').fit(X, [1, 1, 0])
    np.testing.assert_array_equal(clf.predict(X), [1, 1, 0])


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(-100, 100, allow_nan=False), st.just(float("nan"))),
        min_size=2,
        max_size=40,
    ),
    low=st.floats(-100, 100, allow_nan=False),
    width=st.floats(0, 100, allow_nan=False),
    op=st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
)
def test_rule_classifier_numeric_comparisons_property(values, low, width, op):
    X = np.array(values).reshape(-1, 1)
    y = np.arange(len(values)) % 2
    compare = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
    }[op]
    rule = f"x0 {op} {low!r} or {low!r} <= x0 <= {low + width!r}"
    clf = RuleClassifier(rule).fit(X, y)
    expected = [
        not math.isnan(v) and (compare(v, low) or low <= v <= low + width)
        for v in values
    ]
    np.testing.assert_array_equal(clf.predict(X), np.array(expected, dtype=int))
