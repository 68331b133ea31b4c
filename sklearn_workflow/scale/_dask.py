"""The Dask adapter: fit as per-partition tasks plus a tree of merges.

Dask is imported inside the functions only (``pip install "sklearn-workflow[dask]"``),
so importing the package never needs it.
"""

import warnings

import numpy as np
import pandas as pd

from sklearn_workflow.scale._optional import import_optional

__all__ = ["fit_dask", "is_dask_collection", "transform_dask"]

_PURPOSE = "Fitting on a Dask DataFrame"


def is_dask_collection(data):
    """True for a Dask DataFrame (or Series): checked without importing Dask."""
    module = type(data).__module__ or ""
    return module.split(".")[0] == "dask" and hasattr(data, "to_delayed")


def fit_dask(estimator, data, target, fit_partition, merge_fitted, split_every):
    """One ``fit_partition`` task per partition, merged ``split_every`` at a time.

    The graph runs on Dask's current scheduler: the ``distributed.Client`` in
    use, or the local threads. The last merge (of at most ``split_every``
    fitted estimators) runs here, in the process that receives the result
    anyway: no worker ever holds the whole fitted state twice (a state that
    grows with the rows, such as row hashes, would double a worker's memory).
    """
    dask = import_optional("dask", "dask", _PURPOSE)
    if split_every < 2:
        raise ValueError(f"split_every must be at least 2, got {split_every!r}.")
    fit = dask.delayed(fit_partition, pure=True)
    merge = dask.delayed(merge_fitted, pure=True)
    level = [fit(estimator, part, target) for part in data.to_delayed()]
    while len(level) > split_every:
        level = [
            merge(*level[i : i + split_every])
            for i in range(0, len(level), split_every)
        ]
    return merge_fitted(*dask.compute(*level))


def _transform_partition(partition, estimator, select_features, method, meta=None):
    if meta is not None and len(partition) == 0:
        return meta
    out = getattr(estimator, method)(select_features(estimator, partition))
    if isinstance(out, pd.DataFrame):
        out.index = partition.index
        return out
    out = np.asarray(out)
    if out.ndim == 1:
        return pd.Series(out, index=partition.index, name=method)
    names = estimator.get_feature_names_out()
    return pd.DataFrame(out, columns=names, index=partition.index)


def transform_dask(estimator, data, select_features, method="transform"):
    """``map_partitions`` of ``method``; the output schema from a few rows."""
    import_optional("dask.dataframe", "dask", "Transforming a Dask DataFrame")
    with warnings.catch_warnings():  # "fewer rows than asked" on a short partition
        warnings.simplefilter("ignore", UserWarning)
        sample = data.head(16)  # computes the first partition only
    if len(sample) == 0:
        sample = data._meta_nonempty
    meta = _transform_partition(sample, estimator, select_features, method).iloc[:0]
    # One task holds the estimator: each worker receives it once, not with every
    # partition (a fitted state may be large). The estimator and the meta are no
    # partitioned frames: no alignment.
    dask = import_optional("dask", "dask", "Transforming a Dask DataFrame")
    fitted = dask.delayed(estimator, pure=True, traverse=False)
    return data.map_partitions(
        _transform_partition,
        fitted,
        select_features,
        method,
        meta,
        meta=meta,
        align_dataframes=False,
    )
