"""The prepared model: the answers of the batch path, row by row and in batches."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_workflow.deploy import PreparedModel
from sklearn_workflow.workflow._door import cleaner_for, has_infinite, pass_door


@pytest.mark.parametrize("fixture", ["churn_model", "penguins_model"])
def test_prepared_model_equals_the_pipeline_on_a_batch(fixture, request):
    model = request.getfixturevalue(fixture)
    data = request.getfixturevalue(fixture.replace("_model", ""))
    X = data[-1] if fixture == "churn_model" else data[0]
    fast = PreparedModel(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_proba = model.predict_proba(X)
        expected = model.predict(X)
    np.testing.assert_allclose(fast.predict_proba(X), expected_proba, rtol=1e-12)
    predictions, proba = fast.predict_with_proba(X)
    assert (predictions == expected).all()
    assert predictions.dtype == expected.dtype
    np.testing.assert_allclose(proba, expected_proba, rtol=1e-12)
    _, clean, _ = pass_door(model, X)
    np.testing.assert_allclose(
        fast.predict_proba(clean, cleaned=True), expected_proba, rtol=1e-12
    )


def test_prepared_model_one_row_at_a_time_equals_the_batch(churn_model, churn):
    _, _, X_new = churn
    fast = PreparedModel(churn_model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = churn_model.predict_proba(X_new.head(25))
    rows = np.vstack([fast.predict_proba(X_new.iloc[[i]]) for i in range(25)])
    np.testing.assert_allclose(rows, batch, rtol=1e-12)


def test_prepared_model_flattens_the_column_transformer_with_the_same_names(
    churn_model, churn
):
    _, _, X_new = churn
    fast = PreparedModel(churn_model)
    flat = fast.middle[0]
    assert flat.usable and flat.pandas
    clean = churn_model[:2].transform(X_new.head(8))
    ours = flat.transform(clean)
    theirs = churn_model.named_steps["features"].transform(clean)
    assert list(ours.columns) == list(theirs.columns)
    np.testing.assert_array_equal(ours.to_numpy(float), theirs.to_numpy(float))


def test_prepared_model_regressor_and_plain_estimator():
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"]})
    y = np.array([0.5, 1.0, 2.5, 3.0])
    features = ColumnTransformer(
        [("scale", StandardScaler(), ["x"]), ("c", OneHotEncoder(), ["c"])]
    )  # sparse one-hot: the ColumnTransformer itself answers
    model = Pipeline([("features", features), ("model", LinearRegression())]).fit(X, y)
    predictions, proba = PreparedModel(model).predict_with_proba(X)
    assert proba is None
    np.testing.assert_allclose(predictions, model.predict(X))
    plain = LogisticRegression().fit(X[["x"]], y > 1)
    predictions, proba = PreparedModel(plain).predict_with_proba(X[["x"]])
    assert (predictions == plain.predict(X[["x"]])).all()
    np.testing.assert_array_equal(proba, plain.predict_proba(X[["x"]]))


def test_prepared_model_runs_the_cleaner_when_it_converts_or_a_number_is_infinite(
    churn_model, churn
):
    from sklearn_workflow.quality import TableCleaner

    X = pd.DataFrame({"age": ["31", "45", " ", "27"] * 5, "plan": ["a", "b"] * 10})
    y = np.array([0, 1, 1, 0] * 5)
    model = Pipeline(
        [
            ("clean", TableCleaner()),
            (
                "features",
                ColumnTransformer(
                    [("plan", OneHotEncoder(), ["plan"])], remainder="passthrough"
                ),
            ),  # fmt: skip
            ("impute", SimpleImputer()),
            ("model", LogisticRegression()),
        ]
    ).fit(X, y)
    fast = PreparedModel(model)
    assert fast.cleaner is model.named_steps["clean"]
    np.testing.assert_array_equal(fast.predict_proba(X), model.predict_proba(X))
    # the demo's cleaner converts nothing: it runs only on infinite numbers
    _, _, X_new = churn
    fast = PreparedModel(churn_model, engine="python")
    assert cleaner_for(fast.cleaner, X_new) is None
    row = X_new.head(2).astype({"income": float})
    row.loc[row.index[0], "income"] = np.inf
    assert cleaner_for(fast.cleaner, row) is fast.cleaner
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = churn_model.predict_proba(row)
    np.testing.assert_array_equal(fast.predict_proba(row), expected)


def test_prepared_model_passes_a_column_named_alone_as_a_series():
    # A ColumnTransformer column given as a string hands its transformer a 1-D
    # Series (skrub's StringEncoder on free text needs exactly that).
    from skrub import StringEncoder

    rng = np.random.default_rng(0)
    words = np.array(["mr john", "mrs ann smith", "miss kate", "master tom", "dr x"])
    X = pd.DataFrame(
        {"name": rng.choice(words, 120), "age": rng.normal(30, 10, 120).round()}
    )
    y = (X["name"].str.startswith("m") & (X["age"] > 30)).astype(int)
    features = ColumnTransformer(
        [
            ("text", StringEncoder(n_components=2, random_state=0), "name"),
            ("num", StandardScaler(), ["age"]),
        ]
    )
    model = Pipeline([("features", features), ("model", LogisticRegression())])
    model.fit(X, y)
    fast = PreparedModel(model)
    np.testing.assert_allclose(
        fast.predict_proba(X.iloc[:1]), model.predict_proba(X.iloc[:1]), rtol=1e-12
    )
    np.testing.assert_allclose(fast.predict_proba(X), model.predict_proba(X))


# -- the engines ---------------------------------------------------------------------
def _needs_onnx():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")


@pytest.fixture(scope="module")
def onnx_churn(churn_model, churn):
    _needs_onnx()
    X, _, _ = churn
    return PreparedModel(churn_model, check_rows=X.head(150))


@pytest.fixture(scope="module")
def python_churn(churn_model):
    return PreparedModel(churn_model, engine="python")


def assert_same_answers(fast, reference, clean):
    """``fast`` answers the door-cleaned rows as ``reference`` (the Python
    path), or fails as it does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels, proba = reference.predict_with_proba(clean, cleaned=True)
    except ValueError:
        with pytest.raises(ValueError), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fast.predict_with_proba(clean, cleaned=True)
        return
    ours, our_proba = fast.predict_with_proba(clean, cleaned=True)
    assert ours.dtype == labels.dtype
    if proba is None:  # a regressor
        assert our_proba is None
        np.testing.assert_allclose(ours, labels, rtol=1e-9)
    else:
        np.testing.assert_array_equal(ours, labels)
        np.testing.assert_allclose(our_proba, proba, rtol=0, atol=1e-9)


def test_prepared_model_python_engine_is_bit_identical_to_the_pipeline(
    python_churn, churn_model, churn
):
    _, _, X_new = churn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = churn_model.predict_proba(X_new)
        one = churn_model.predict_proba(X_new.iloc[[3]])
    assert python_churn.engine_ == "python"
    np.testing.assert_array_equal(python_churn.predict_proba(X_new), expected)
    np.testing.assert_array_equal(python_churn.predict_proba(X_new.iloc[[3]]), one)
    # columns in another order than fitted: selected by name, same answers
    shuffled = X_new[X_new.columns[::-1]]
    np.testing.assert_array_equal(python_churn.predict_proba(shuffled), expected)


def test_prepared_model_onnx_engine_answers_as_the_pipeline(
    onnx_churn, churn_model, churn, monkeypatch
):
    _, _, X_new = churn
    assert onnx_churn.engine_ == "onnx", onnx_churn.engine_reason_
    assert "agrees with the pipeline" in onnx_churn.engine_reason_

    def no_python(X):
        raise AssertionError("the Python path ran")

    monkeypatch.setattr(onnx_churn, "transform_clean", no_python)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_proba = churn_model.predict_proba(X_new)
        expected = churn_model.predict(X_new)
    labels, proba = onnx_churn.predict_with_proba(X_new)
    np.testing.assert_array_equal(labels, expected)
    assert labels.dtype == expected.dtype
    np.testing.assert_allclose(proba, expected_proba, rtol=0, atol=1e-9)
    rows = np.vstack([onnx_churn.predict_proba(X_new.iloc[[i]]) for i in range(30)])
    np.testing.assert_allclose(rows, expected_proba[:30], rtol=0, atol=1e-9)
    one = [onnx_churn.predict_with_proba(X_new.iloc[[i]])[0][0] for i in range(30)]
    assert one == expected[:30].tolist()
    # extra columns and another column order: the same answers
    extra = X_new.head(1).assign(unused=1.0)[["unused", *X_new.columns[::-1]]]
    np.testing.assert_allclose(
        onnx_churn.predict_proba(extra), expected_proba[:1], atol=1e-9
    )


def test_prepared_model_labels_follow_the_tuned_threshold(onnx_churn, churn):
    _, _, X_new = churn
    proba = onnx_churn.predict_proba(X_new)
    final = onnx_churn.final
    positive = list(final.classes_).index(final.pos_label_)
    # a naive reading of the rule: positive when its score reaches the threshold
    naive = [
        final.classes_[positive] if p[positive] >= final.threshold_ else 1 - positive
        for p in proba
    ]
    assert onnx_churn.predict_with_proba(X_new)[0].tolist() == naive
    assert 0.0 < final.threshold_ < 1.0 and final.threshold_ != 0.5


def _flagged_rows(X):
    """One row per flagged value a client may send, each made from a real row."""
    base = X.iloc[[0]].reset_index(drop=True)
    rows = []
    for column in X.columns:
        rows.append(base.assign(**{column: None}))
        if X[column].dtype.kind in "if":
            for value in (1e9, -1e9, np.inf, "not a number"):
                rows.append(base.assign(**{column: [value]}))
        elif pd.api.types.is_datetime64_any_dtype(X[column]):
            zone = getattr(X[column].dtype, "tz", None)
            for when in ("1901-02-03", "2190-06-07", "next tuesday"):
                when = pd.to_datetime([when], errors="coerce").tz_localize(zone)
                rows.append(base.assign(**{column: when}))
        else:
            for text in ("a category never seen", "", 42):
                rows.append(base.assign(**{column: [text]}))
    return rows


def test_prepared_model_flagged_rows_get_the_same_answers_on_both_engines(
    onnx_churn, python_churn, churn_model, churn
):
    _, _, X_new = churn
    rows = _flagged_rows(X_new)
    through_onnx = 0
    for row in rows:
        _, clean, report = pass_door(churn_model, row)
        assert_same_answers(onnx_churn, python_churn, clean)
        through_onnx += onnx_churn.onnx_.feeds(clean) is not None
    # only empty text goes to Python (the door reads an infinite number as missing)
    n_texts = sum(X_new[c].dtype.kind == "O" or X_new[c].dtype == "str" for c in X_new)
    assert through_onnx == len(rows) - n_texts
    _, clean, report = pass_door(churn_model, pd.concat(rows, ignore_index=True))
    assert report.problems  # the door flagged them
    assert_same_answers(onnx_churn, python_churn, clean)


def test_prepared_model_checks_on_the_rows_of_its_monitoring_reference(
    churn_model, churn
):
    _needs_onnx()
    import copy

    from sklearn_workflow.deploy._fast_parity import UNSEEN, reference_rows
    from sklearn_workflow.monitor import attach_reference, build_reference

    X, y, _ = churn
    model = copy.deepcopy(churn_model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = model.predict_proba(X)[:, 1]
    reference = build_reference(model, X, y, oof_scores=scores, reference_rows=120)
    attach_reference(model, reference)
    rows, source = reference_rows(model)
    assert source == "the model's monitoring reference"
    assert list(rows.columns) == list(model.feature_names_in_) and len(rows) == 120
    for column in rows.columns:  # every decoded value is one of the training table
        decoded = rows[column].dropna()
        if X[column].dtype.kind == "M":
            assert decoded.dt.floor("s").isin(X[column].dt.floor("s")).all()
        elif X[column].dtype.kind in "if":
            assert decoded.isin(X[column].astype(float)).all()
        else:
            assert decoded.isin([*X[column].dropna().unique(), UNSEEN]).all()
    fast = PreparedModel(model)
    assert fast.engine_ == "onnx", fast.engine_reason_
    assert "monitoring reference" in fast.engine_reason_


def _door_pipeline(final, features):
    from sklearn_workflow.quality import DataQualityChecker, TableCleaner

    return Pipeline(
        [
            ("clean", TableCleaner()),
            ("quality", DataQualityChecker()),
            ("features", features),
            ("model", final),
        ]  # fmt: skip
    )


def test_prepared_model_onnx_regressor_and_text_classes(penguins):
    _needs_onnx()
    from sklearn_workflow.features import LogTransformer, TargetEncoder

    X, species = penguins
    X = X.dropna().reset_index(drop=True)
    species = species.loc[X.index]
    numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
    features = ColumnTransformer(
        [
            ("te", TargetEncoder(random_state=0), ["island", "sex"]),
            ("log", LogTransformer(), numbers),
        ]  # fmt: skip
    )
    regressor = _door_pipeline(LinearRegression(), features)
    regressor.fit(X, X["body_mass_g"])
    fast = PreparedModel(regressor, check_rows=X.head(50))
    assert fast.engine_ == "onnx", fast.engine_reason_
    assert_same_answers(fast, PreparedModel(regressor, "python"), X.tail(60))
    # text classes, no imputation: the pipeline refuses a missing value
    classifier = _door_pipeline(LogisticRegression(max_iter=500), clone(features))
    classifier.fit(X, species)
    fast = PreparedModel(classifier, "onnx", check_rows=X.head(50))
    assert fast.engine_ == "onnx" and fast.onnx_.refused == {"missing", "infinite"}
    labels, _ = fast.predict_with_proba(X.tail(60))
    np.testing.assert_array_equal(labels, classifier.predict(X.tail(60)))
    assert labels.dtype == object and set(labels) <= set(species)
    missing = X.tail(1).assign(bill_depth_mm=np.nan)
    with pytest.raises(ValueError, match="NaN"):
        classifier.predict(missing)
    with pytest.raises(ValueError, match="NaN"):
        fast.predict_with_proba(missing)


class _Tripled(StandardScaler):
    """A step skl2onnx has no converter for."""


@pytest.mark.parametrize(
    "case, reason",
    [
        ("no_rows", "no rows to check the ONNX graph on"),
        ("no_converter", "does not convert to ONNX"),
        ("no_onnxruntime", "onnxruntime is not installed"),
        ("disagrees", "disagrees with the pipeline"),
    ],
)
def test_prepared_model_auto_falls_back_to_python_and_says_why(
    case, reason, churn_model, churn, monkeypatch
):
    _needs_onnx()
    import sys

    from sklearn_workflow.deploy import _fast_parity

    X, y, X_new = churn
    model, rows = churn_model, X.head(60)
    if case == "no_rows":
        rows = None
    elif case == "no_converter":
        model = Pipeline([("scale", _Tripled()), ("model", LogisticRegression())])
        rows = X[["age", "income"]].head(60).fillna(0.0)
        model.fit(rows, y.head(60))
    elif case == "no_onnxruntime":
        monkeypatch.setitem(sys.modules, "onnxruntime", None)
    else:
        monkeypatch.setattr(_fast_parity, "MAX_DIFF", -1.0)
    fast = PreparedModel(model, check_rows=rows)
    assert fast.engine_ == "python" and fast.onnx_ is None
    assert reason in fast.engine_reason_
    head = X_new.head(5)[list(model.feature_names_in_)].fillna(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(
            fast.predict_proba(head), model.predict_proba(head)
        )
    if case != "no_rows":
        error = ImportError if case == "no_onnxruntime" else ValueError
        with pytest.raises(error, match=reason):
            PreparedModel(model, "onnx", check_rows=rows)


@pytest.mark.parametrize("engine", ["fast", None, "ONNX"])
def test_prepared_model_refuses_an_unknown_engine(engine, churn_model):
    with pytest.raises(ValueError, match=f"engine must be one of .* got {engine!r}"):
        PreparedModel(churn_model, engine)


def test_prepared_model_python_answers_when_the_graph_fails_to_run(
    onnx_churn, python_churn, churn, monkeypatch
):
    _, _, X_new = churn

    def broken(feeds):
        raise RuntimeError("onnxruntime: a kernel failed")

    monkeypatch.setattr(onnx_churn.onnx_, "predict_proba", broken)
    monkeypatch.setattr(onnx_churn.onnx_, "predict_with_proba", broken)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = python_churn.predict_with_proba(X_new)
    np.testing.assert_array_equal(onnx_churn.predict_proba(X_new), expected[1])
    labels, proba = onnx_churn.predict_with_proba(X_new)
    np.testing.assert_array_equal(labels, expected[0])


def test_prepared_model_check_rows_without_the_model_columns(churn_model, churn):
    _needs_onnx()
    X, _, _ = churn
    fast = PreparedModel(churn_model, check_rows=X.drop(columns="city").head(20))
    assert fast.engine_ == "python"
    assert "do not pass the model's door" in fast.engine_reason_
    assert "city" in fast.engine_reason_


def test_prepared_model_onnx_engine_with_tz_aware_dates(churn_model, churn):
    _needs_onnx()

    def zoned(frame):
        return frame.assign(
            signup_date=frame["signup_date"].dt.tz_localize(
                "Europe/Paris", nonexistent="shift_forward", ambiguous="NaT"
            ),
            last_login=frame["last_login"]
            .dt.tz_localize("UTC")
            .dt.tz_convert("America/New_York"),
        )

    X, y, X_new = churn
    X, X_new = zoned(X), zoned(X_new)
    model = clone(churn_model).fit(X, y)
    fast = PreparedModel(model, check_rows=X.head(80))
    assert fast.engine_ == "onnx", fast.engine_reason_
    python = PreparedModel(model, "python")
    rows = [X_new.iloc[[i]] for i in range(20)] + _flagged_rows(X_new)
    for row in [X_new, *rows]:
        _, clean, _ = pass_door(model, row)
        assert_same_answers(fast, python, clean)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = model.predict(X_new)
    np.testing.assert_array_equal(fast.predict_with_proba(X_new)[0], expected)


@pytest.mark.parametrize(
    "X, found",
    [
        (pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}), False),
        (pd.DataFrame({"a": [1.0, -np.inf], "b": ["x", "y"]}), True),
        (pd.DataFrame({"a": pd.array([None, np.inf], dtype="Float64")}), True),
        (pd.DataFrame({"a": pd.array([None, 1.0], dtype="Float64")}), False),
        (pd.DataFrame({"a": [1, 2]}), False),
        (np.array([[1.0, np.inf]]), True),
        (np.array([[1.0, np.nan]]), False),
        ([[1.0, 2.0]], False),
        (np.array([["1", "inf"]], dtype=object), True),  # the cleaner looks
    ],
)
def test_has_infinite_looks_at_float_columns(X, found):
    assert has_infinite(X) is found
