"""ONNX export of scikit-learn's own steps: OneHotEncoder's missing text
categories and float type, and the columns of a model without a checker."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from sklearn_workflow.quality import DataQualityChecker, TableCleaner

pytest.importorskip("skl2onnx")
pytest.importorskip("onnxruntime")

from sklearn_workflow.deploy._onnx import onnx_parity, to_onnx


def penguins():
    """A real table: the island and sex columns are text with missing values."""
    palmerpenguins = pytest.importorskip("palmerpenguins")
    table = palmerpenguins.load_penguins().dropna(subset=["bill_length_mm"])
    X = table[["island", "sex", "bill_length_mm", "flipper_length_mm"]]
    return X, np.where(table["species"] == "Adelie", "Adelie", "other")


@pytest.mark.parametrize("one_hot_first", [True, False])
@pytest.mark.parametrize("cleaner", [True, False])
def test_one_hot_encoder_with_missing_categories(one_hot_first, cleaner):
    X, y = penguins()
    assert X["sex"].isna().any()
    one_hot = (
        "one_hot",
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        ["island", "sex"],
    )
    numbers = ("numbers", "passthrough", ["bill_length_mm", "flipper_length_mm"])
    features = ColumnTransformer(
        [one_hot, numbers] if one_hot_first else [numbers, one_hot]
    )
    steps = [DataQualityChecker(), features, LogisticRegression(max_iter=2000)]
    model = make_pipeline(*([TableCleaner()] if cleaner else []), *steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.iloc[::2], y[::2])
    categories = model[-2].named_transformers_["one_hot"].categories_[1]
    assert pd.isna(categories).any()  # the missing sex is a category
    onx = to_onnx(model)
    assert onx.graph.output[1].type.tensor_type.elem_type == 11  # float64
    X_test = X.iloc[1::2]
    parity = onnx_parity(model, onx, X_test, n_calls=1)
    assert parity.max_abs_diff < 1e-9 and parity.n_label_disagreements == 0


@pytest.mark.parametrize("scaled", [True, False])
def test_a_model_without_a_checker_takes_its_columns_in_float64(scaled):
    # skl2onnx joins several number inputs in float32 (or refuses for a bare
    # model); the graph joins them in float64.
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :6]
    steps = [StandardScaler()] if scaled else []
    model = make_pipeline(*steps, LogisticRegression(max_iter=5000)).fit(X, y)
    onx = to_onnx(model, X)
    assert [i.name for i in onx.graph.input][:2] == ["mean_radius", "mean_texture"]
    parity = onnx_parity(model, onx, X, n_calls=1)
    assert parity.max_abs_diff < 1e-12 and parity.n_label_disagreements == 0
