"""The prepared model: the answers of the batch path, row by row and in batches."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_workflow.deploy import PreparedModel
from sklearn_workflow.workflow._door import pass_door


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


def test_prepared_model_keeps_a_cleaner_that_converts_and_skips_one_that_does_not(
    churn_model,
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
    assert PreparedModel(churn_model).cleaner is None  # dates and numbers as typed


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
