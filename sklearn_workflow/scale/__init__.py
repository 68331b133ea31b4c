"""Fitting past one machine: mergeable fitted state, hash folds, partitioned fits.

``fit_partitions`` fits an estimator that follows the mergeable-fit protocol
(``partial_fit`` and ``merge``) partition by partition, on a Dask DataFrame, Parquet
files, a polars LazyFrame or any iterable of DataFrames, and merges the fitted
partitions; ``transform_partitions`` applies it partition by partition. ``HashFolds``
assigns cross-validation folds by a hash of a key, so out-of-fold statistics do not
depend on the partitioning. The mergeable states behind the estimators live in the
private modules ``_moments``, ``_categories`` and ``_sketch``. No engine (Dask,
polars, datasketches) is imported until it is used.
"""

from sklearn_workflow.scale._folds import HashFolds
from sklearn_workflow.scale._partitions import fit_partitions, transform_partitions

__all__ = ["HashFolds", "fit_partitions", "transform_partitions"]
