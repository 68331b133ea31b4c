import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_workflow.features import TargetEncoder
from sklearn_workflow.scale import _dask, fit_partitions, transform_partitions
from sklearn_workflow.scale._categories import CategoryTargetState
from sklearn_workflow.scale._moments import MomentState
from sklearn_workflow.scale._partitions import iter_partitions


class MergeableScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """A standard scaler following the mergeable-fit protocol, on MomentState."""

    def fit(self, X, y=None):
        for name in ("_state", "mean_", "scale_"):
            self.__dict__.pop(name, None)
        return self.partial_fit(X)

    def partial_fit(self, X, y=None):
        first = not hasattr(self, "_state")
        X = validate_data(self, X, reset=first, ensure_all_finite="allow-nan")
        if first:
            self._state = MomentState(X.shape[1])
        self._state.update(X)
        return self._finish()

    def merge(self, other):
        check_is_fitted(other)
        if other.n_features_in_ != self.n_features_in_:
            raise ValueError("Cannot merge scalers fitted on different columns.")
        self._state = self._state.merge(other._state)
        return self._finish()

    def _finish(self):
        stats = self._state.finalize()
        self.mean_ = stats["mean"]
        self.var_ = stats["var"] * (stats["weight"] - 1) / stats["weight"]  # ddof=0
        self.scale_ = np.sqrt(self.var_)
        self.n_samples_seen_ = stats["count"]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return (X - self.mean_) / self.scale_


class CategoryRates(BaseEstimator):
    """Raw positive rate of each category of one column (protocol, with a target)."""

    def __init__(self, column):
        self.column = column

    def partial_fit(self, X, y):
        state = CategoryTargetState("classes").update(X[self.column], y)
        self._state = state if not hasattr(self, "_state") else self._state.merge(state)
        return self._finish()

    def merge(self, other):
        self._state = self._state.merge(other._state)
        return self._finish()

    def _finish(self):
        (counts,) = self._state.encoder_statistics()
        self.rates_ = counts[:, 0, 1] / counts[:, 0, :].sum(axis=1)
        return self


def _frame(seed, n=2000):
    rng = np.random.default_rng(seed)
    city = rng.choice(["Paris", "Rome", "Oslo", None], size=n)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(size=n) * 100,
            "age": rng.integers(18, 90, size=n).astype(float),
            "city": pd.Series(city, dtype=object),
            "churned": (rng.random(n) < np.where(city == "Paris", 0.6, 0.2)).astype(
                int
            ),
        }
    )


NUMERIC = ["amount", "age"]


def _assert_scaler_equals_sklearn(fitted, frame):
    expected = StandardScaler().fit(frame[NUMERIC])
    np.testing.assert_allclose(fitted.mean_, expected.mean_, rtol=1e-12)
    np.testing.assert_allclose(fitted.var_, expected.var_, rtol=1e-12)
    np.testing.assert_array_equal(fitted.n_samples_seen_, [len(frame)] * 2)


@pytest.mark.parametrize("n_parts", [1, 2, 3, 7, 16])
def test_fit_partitions_on_pandas_parts_equals_fitting_in_memory(n_parts):
    frame = _frame(0)
    parts = [frame[NUMERIC].iloc[p] for p in np.array_split(np.arange(2000), n_parts)]
    parts.insert(1, frame[NUMERIC].iloc[:0])  # an empty partition is skipped
    scaler = MergeableScaler()
    fitted = fit_partitions(scaler, iter(parts))
    assert not hasattr(scaler, "mean_")  # the given estimator stays unfitted
    _assert_scaler_equals_sklearn(fitted, frame)
    out = np.vstack(list(transform_partitions(fitted, parts)))
    np.testing.assert_allclose(out, StandardScaler().fit_transform(frame[NUMERIC]))


def test_fit_partitions_with_a_target_equals_the_encoder_without_smoothing():
    frame = _frame(1)
    parts = [frame.iloc[p] for p in np.array_split(np.arange(2000), 5)]
    fitted = fit_partitions(CategoryRates("city"), parts, target="churned")
    encoder = TargetEncoder(columns=["city"], smooth=0.0)
    encoder.fit(frame.drop(columns="churned"), frame["churned"])
    np.testing.assert_allclose(fitted.rates_, encoder.encodings_[0], rtol=1e-12)


def test_fit_partitions_on_parquet_row_groups(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    frame = _frame(2)
    paths = []
    for i, rows in enumerate(np.array_split(np.arange(2000), 2)):
        path = tmp_path / f"part-{i}.parquet"
        pq.write_table(pa.Table.from_pandas(frame.iloc[rows]), path, row_group_size=300)
        paths.append(str(path))
    assert pq.ParquetFile(paths[0]).num_row_groups == 4
    fitted = fit_partitions(CategoryRates("city"), paths, target="churned")
    in_memory = fit_partitions(CategoryRates("city"), [frame], target="churned")
    np.testing.assert_allclose(fitted.rates_, in_memory.rates_, rtol=1e-12)


def test_fit_partitions_on_parquet_numeric_columns(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    frame = _frame(3)
    path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pandas(frame[NUMERIC]), path, row_group_size=256)
    fitted = fit_partitions(MergeableScaler(), [path])
    _assert_scaler_equals_sklearn(fitted, frame)
    out = np.vstack(list(transform_partitions(fitted, [path])))
    np.testing.assert_allclose(out, StandardScaler().fit_transform(frame[NUMERIC]))


def test_fit_partitions_on_a_polars_lazy_frame_in_batches():
    pl = pytest.importorskip("polars")
    frame = _frame(4)
    lazy = pl.from_pandas(frame).lazy().filter(pl.col("age") > 0)
    batches = list(iter_partitions(lazy.select(NUMERIC), batch_size=300))
    assert len(batches) > 1
    fitted = fit_partitions(MergeableScaler(), lazy.select(NUMERIC), batch_size=300)
    _assert_scaler_equals_sklearn(fitted, frame)
    rates = fit_partitions(
        CategoryRates("city"), lazy, target="churned", batch_size=300
    )
    pandas_rates = fit_partitions(CategoryRates("city"), [frame], target="churned")
    np.testing.assert_allclose(rates.rates_, pandas_rates.rates_, rtol=1e-12)


def test_fit_partitions_on_dask_local_cluster_equals_fitting_in_memory():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    frame = _frame(5)
    data = dd.from_pandas(frame, npartitions=6)
    with (
        distributed.LocalCluster(
            n_workers=2, processes=False, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        fitted = fit_partitions(MergeableScaler(), data[NUMERIC], split_every=2)
        rates = fit_partitions(CategoryRates("city"), data, target="churned")
        transformed = transform_partitions(fitted, data).compute()
    _assert_scaler_equals_sklearn(fitted, frame)
    in_memory = fit_partitions(CategoryRates("city"), [frame], target="churned")
    np.testing.assert_allclose(rates.rates_, in_memory.rates_, rtol=1e-12)
    # transform selects the fitted columns and keeps each partition's index
    expected = StandardScaler().fit_transform(frame[NUMERIC])
    assert list(transformed.columns) == NUMERIC
    np.testing.assert_allclose(transformed.loc[frame.index].to_numpy(), expected)


def test_fit_partitions_on_dask_threads_with_an_empty_partition():
    dd = pytest.importorskip("dask.dataframe")
    frame = _frame(6)
    data = dd.from_pandas(frame[NUMERIC], npartitions=4)
    data = data[data["age"] > 30]  # some rows go; the partitions stay
    fitted = fit_partitions(MergeableScaler(), data)
    _assert_scaler_equals_sklearn(fitted, frame[frame["age"] > 30])
    empty = dd.from_pandas(frame[NUMERIC], npartitions=2)
    with pytest.raises(ValueError, match="no row"):
        fit_partitions(MergeableScaler(), empty[empty["age"] < 0])


def test_the_package_imports_no_engine():
    code = (
        "import sys, sklearn_workflow.scale, sklearn_workflow.scale._sketch\n"
        "import sklearn_workflow.scale._dask\n"
        "loaded = [m for m in ('dask', 'distributed', 'datasketches', 'polars')"
        " if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_missing_engine_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"sklearn-workflow\[dask\]"):
        _dask.fit_dask(MergeableScaler(), None, None, None, None, 8)
    monkeypatch.setitem(sys.modules, "datasketches", None)
    from sklearn_workflow.scale._sketch import QuantileSketch

    with pytest.raises(ImportError, match=r"sklearn-workflow\[sketch\]"):
        QuantileSketch().update(np.ones((2, 1)))


@pytest.mark.parametrize(
    "estimator, data, kwargs, err_type, err_msg",
    [
        (StandardScaler(), [], {}, TypeError, "StandardScaler has no merge"),
        (MergeableScaler(), [], {}, ValueError, "has no row"),
        (MergeableScaler(), 42, {}, TypeError, "got int"),
        (
            MergeableScaler(),
            [pd.DataFrame({"x": [1.0]})],
            {"target": "y"},
            ValueError,
            "target='y' is not a column",
        ),
    ],
)
def test_fit_partitions_errors(estimator, data, kwargs, err_type, err_msg):
    with pytest.raises(err_type, match=err_msg):
        fit_partitions(estimator, data, **kwargs)


def test_dask_split_every_must_be_at_least_two():
    dd = pytest.importorskip("dask.dataframe")
    data = dd.from_pandas(pd.DataFrame({"x": [1.0, 2.0]}), npartitions=2)
    with pytest.raises(ValueError, match="split_every must be at least 2"):
        fit_partitions(MergeableScaler(), data, split_every=1)


def test_transform_partitions_applies_another_method():
    dd = pytest.importorskip("dask.dataframe")
    from sklearn.linear_model import LogisticRegression

    frame = _frame(7)
    model = LogisticRegression().fit(frame[NUMERIC], frame["churned"])
    expected = model.predict(frame[NUMERIC])
    parts = [frame.iloc[p] for p in np.array_split(np.arange(2000), 3)]
    local = np.concatenate(list(transform_partitions(model, parts, method="predict")))
    np.testing.assert_array_equal(local, expected)
    data = dd.from_pandas(frame, npartitions=3)
    on_dask = transform_partitions(model, data, method="predict").compute()
    np.testing.assert_array_equal(on_dask.loc[frame.index].to_numpy(), expected)
    with pytest.raises(ValueError, match="has no method 'decide'"):
        transform_partitions(model, parts, method="decide")


class OutOfFoldRates(BaseEstimator):
    """Raw positive rate of a column's categories, with out-of-fold rates for
    the training rows by hash folds (the protocol, with a fold dimension)."""

    def __init__(self, column, folds):
        self.column = column
        self.folds = folds

    def partial_fit(self, X, y):
        n_folds = self.folds.get_n_splits()
        state = CategoryTargetState("classes", n_folds=n_folds).update(
            X[self.column], y, fold_ids=self.folds.fold_ids(X)
        )
        self._state = state if not hasattr(self, "_state") else self._state.merge(state)
        return self._finish()

    def merge(self, other):
        self._state = self._state.merge(other._state)
        return self._finish()

    def _finish(self):
        (counts,) = self._state.encoder_statistics()
        train = counts.sum(axis=1, keepdims=True) - counts  # the other folds
        weight = train.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.oof_rates_ = np.where(
                weight > 0,
                train[:, :, 1] / weight,
                train[..., 1].sum(0) / weight.sum(0),
            )
        self.categories_ = self._state.finalize()["categories"]
        return self

    def out_of_fold(self, X):
        index = pd.Index(self.categories_)
        rows = index.get_indexer(X[self.column])
        rows = np.where(X[self.column].isna(), len(self.categories_), rows)
        return pd.DataFrame(
            {"rate": self.oof_rates_[rows, self.folds.fold_ids(X)]}, index=X.index
        )


def test_out_of_fold_rates_on_dask_equal_the_target_encoder_in_memory():
    dd = pytest.importorskip("dask.dataframe")
    from sklearn_workflow.scale import HashFolds

    frame = _frame(8)
    frame["customer"] = (np.arange(2000) % 97).astype(str)
    folds = HashFolds("customer", n_splits=3)
    data = dd.from_pandas(frame.sample(frac=1.0, random_state=0), npartitions=5)
    fitted = fit_partitions(OutOfFoldRates("city", folds), data, target="churned")
    encoded = transform_partitions(fitted, data, method="out_of_fold").compute()
    X, y = frame.drop(columns="churned"), frame["churned"]
    encoder = TargetEncoder(columns=["city"], smooth=0.0, cv=folds)
    expected = encoder.fit_transform(X, y)["city_te"]
    np.testing.assert_allclose(encoded["rate"].loc[frame.index], expected, rtol=1e-12)
