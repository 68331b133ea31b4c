"""The EDA overview: six panels that answer the first questions about a table."""

import numpy as np

from sklearn_workflow.problem._task import infer_task
from sklearn_workflow.quality._findings import correlation_matrix
from sklearn_workflow.quality._profile import iter_columns, read_column
from sklearn_workflow.utils._dataframe import is_dataframe

__all__ = ["plot_eda"]

_MAX_POINTS = 5000
_MAX_HEATMAP = 20
_MAX_BOXES = 6


def plot_eda(X, y=None, *, task=None, max_points=_MAX_POINTS, random_state=0):
    """Draw the exploratory-analysis overview of a table, one figure, six panels.

    Panels: the target distribution (bars for classes, a histogram for a continuous
    target), the correlation of each numeric feature with the target, the most
    correlated feature against the target, missing values per column, the
    correlation matrix of the numeric columns, and box plots (robust-scaled, so
    they share one axis) of the numeric columns with the most outliers. Without
    ``y`` the target panels say so.

    Parameters
    ----------
    X : pandas or polars DataFrame, or array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), default=None
    task : {"binary_classification", "multiclass_classification", "regression"} \
or None, default=None
        Whether ``y`` holds classes (bars, boxes per class) or a number (a
        histogram, a scatter); None reads it with
        :func:`~sklearn_workflow.problem.infer_task`. An integer price is a
        number: drawn as classes, its thousands of values would take minutes.
    max_points : int, default=5000
        At most this many rows are drawn in the scatter panel (a random subset).
    random_state : int, default=0
        Seed of that subset.

    Returns
    -------
    figure : matplotlib Figure

    See Also
    --------
    DataQualityChecker.plot : The same figure from a checker.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.quality import plot_eda
    >>> X = pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": ["u", "v", "u", None]})
    >>> fig = plot_eda(X, pd.Series([0, 1, 0, 1], name="y"))
    >>> [ax.get_title() for ax in fig.axes[:4]]
    ['Target distribution', 'Feature-target correlations', 'a vs target', \
'Missing values']
    """
    from matplotlib.figure import Figure

    if not is_dataframe(X):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got an array of shape {X.shape}.")
    columns = [read_column(label, name, col) for label, name, col in iter_columns(X)]
    numeric = [
        d for d in columns if d.kind in ("numeric", "boolean") and _has_spread(d.values)
    ]
    target = _Target(y, task)
    fig = Figure(figsize=(15, 10))
    axes = fig.subplots(2, 3)
    _plot_target(axes[0, 0], target)
    target_corr = _plot_target_correlations(axes[0, 1], numeric, target)
    _plot_top_feature(
        axes[0, 2],
        numeric,
        target,
        target_corr,
        np.random.default_rng(random_state),
        max_points,
    )
    _plot_missing(axes[1, 0], columns)
    _plot_correlation_matrix(fig, axes[1, 1], numeric)
    _plot_outliers(axes[1, 2], numeric)
    fig.tight_layout()
    return fig


class _Target:
    """The target as floats (class codes for labels), its name and its kind."""

    def __init__(self, y, task=None):
        self.values, self.name, self.classes, self.data = None, "target", None, None
        if y is None:
            return
        self.name = str(getattr(y, "name", None) or "target")
        self.data = read_column(self.name, self.name, np.asarray(y))
        if self.data.kind in ("numeric", "boolean"):
            self.values = self.data.values
            if task is None:
                task = infer_task(self.values)
            self.classes = task != "regression"
        elif self.data.codes is not None:
            codes = self.data.codes
            self.values = np.where(codes >= 0, codes, np.nan).astype(float)
            self.classes = True


def _plot_target(ax, target):
    ax.set_title("Target distribution")
    y_values = target.values
    if y_values is None:
        _empty(ax, "no target given")
    elif target.classes:
        labels, counts = np.unique(y_values[~np.isnan(y_values)], return_counts=True)
        if target.data.kind not in ("numeric", "boolean"):
            labels = [str(target.data.uniques[int(v)]) for v in labels]
        else:
            labels = [f"{v:g}" for v in labels]
        ax.bar(labels, counts, color="#4c72b0")
        ax.set_ylabel("rows")
    else:
        ax.hist(y_values[np.isfinite(y_values)], bins=50, color="#4c72b0")


def _plot_target_correlations(ax, numeric, target):
    """Bars of each numeric feature's correlation with y; returns them by name."""
    ax.set_title("Feature-target correlations")
    target_corr = {}
    if target.values is not None:
        for d in numeric:
            r = _pearson(d.values, target.values)
            if np.isfinite(r):
                target_corr[d.name] = r
    if target_corr:
        items = sorted(target_corr.items(), key=lambda t: t[1])
        ax.barh([k for k, _ in items], [v for _, v in items], color="#55a868")
        ax.axvline(0, color="black", linewidth=0.8)
    else:
        _empty(ax, "no numeric feature and target")
    return target_corr


def _plot_top_feature(ax, numeric, target, target_corr, rng, max_points):
    """The most correlated feature against y: boxes per class, or a scatter."""
    if not target_corr:
        ax.set_title("Top feature vs target")
        _empty(ax, "no numeric feature and target")
        return
    top = max(target_corr, key=lambda k: abs(target_corr[k]))
    d = next(c for c in numeric if c.name == top)
    y_values = target.values
    ax.set_title(f"{top} vs target")
    rows = np.arange(d.values.size)
    if rows.size > max_points:
        rows = np.sort(rng.choice(rows, max_points, replace=False))
    if target.classes:
        groups = [v for v in np.unique(y_values[~np.isnan(y_values)])]
        data = [
            d.values[rows][(y_values[rows] == g) & np.isfinite(d.values[rows])]
            for g in groups
        ]
        ax.boxplot(data)
        ax.set_xticks(range(1, len(groups) + 1), [f"{g:g}" for g in groups])
        ax.set_xlabel(target.name)
        ax.set_ylabel(top)
    else:
        ax.scatter(d.values[rows], y_values[rows], alpha=0.1, s=5)
        ax.set_xlabel(top)
        ax.set_ylabel(target.name)


def _plot_missing(ax, columns):
    ax.set_title("Missing values")
    ax.barh([d.name for d in columns], [int(d.missing.sum()) for d in columns])
    ax.set_xlabel("missing rows")


def _plot_correlation_matrix(fig, ax, numeric):
    ax.set_title("Correlation matrix")
    names = [d.name for d in numeric]
    if len(names) < 2:
        _empty(ax, "fewer than two numeric columns")
        return
    corr = correlation_matrix([d.values for d in numeric])
    names, corr = names[:_MAX_HEATMAP], corr[:_MAX_HEATMAP, :_MAX_HEATMAP]
    image = ax.imshow(corr, cmap="coolwarm", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90)
    ax.set_yticks(range(len(names)), names)
    if len(names) <= 10:
        for i in range(len(names)):
            for j in range(len(names)):
                ax.text(j, i, f"{corr[i, j]:.2f}", ha="center", va="center")
    fig.colorbar(image, ax=ax, shrink=0.8)


def _plot_outliers(ax, numeric):
    """Robust-scaled boxes of the columns with the most values beyond 2 IQR."""
    ax.set_title("Outlier check (robust-scaled)")
    boxes = []
    for d in numeric:
        v = d.values[np.isfinite(d.values)]
        q1, q2, q3 = np.quantile(v, [0.25, 0.5, 0.75])
        iqr = q3 - q1
        if iqr <= 0:
            continue
        scaled = (v - q2) / iqr
        share = np.mean(np.abs(scaled) > 2.0)
        boxes.append((share, d.name, scaled))
    boxes.sort(key=lambda t: -t[0])
    if not boxes:
        _empty(ax, "no numeric column with spread")
        return
    boxes = boxes[:_MAX_BOXES]
    ax.boxplot([b[2] for b in boxes])
    ax.set_xticks(range(1, len(boxes) + 1), [b[1] for b in boxes], rotation=30)


def _has_spread(values):
    finite = values[np.isfinite(values)]
    return finite.size > 1 and finite.min() < finite.max()


def _empty(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _pearson(a, b):
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 2:
        return np.nan
    a, b = a[ok], b[ok]
    if a.std() == 0 or b.std() == 0:
        return np.nan
    return float(np.corrcoef(a, b)[0, 1])
