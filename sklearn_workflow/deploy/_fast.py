"""A fitted pipeline prepared for many small predictions (one row at a time).

A one-row ``predict_proba`` through a fitted workflow pipeline spends most of
its time on work that does not depend on the row: each step validates its
input again, the ``ColumnTransformer`` dispatches the columns through joblib,
indexes the frame once per transformer and builds one DataFrame per
transformer before concatenating them, and ``predict`` after
``predict_proba`` runs the whole pipeline a second time.
:class:`PreparedModel` does each of these once: the door (cleaner and checker)
runs once, outside (the server's :func:`~sklearn_workflow.workflow._door.pass_door`),
each ``ColumnTransformer`` becomes a flat list of its fitted transformers
writing plain arrays, and predictions come from the probabilities already
computed.
"""

import copy
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from sklearn_workflow.workflow._door import converting_cleaner

__all__ = ["PreparedModel"]


class _FlatColumns:
    """A fitted ColumnTransformer as its transformers called directly.

    Each transformer (a copy set to plain array output) receives its own
    columns; the blocks are stacked into one float array, named by the
    ColumnTransformer's ``get_feature_names_out`` when its output is pandas.
    Anything unusual (sparse or non-numeric blocks, columns given by position)
    goes through the ColumnTransformer itself.
    """

    def __init__(self, transformer):
        self.transformer = transformer
        self.parts = []
        self.usable = True
        for _, step, columns in transformer.transformers_:
            if isinstance(step, str) and step == "drop":
                continue
            if isinstance(columns, str):
                # one column named alone: the transformer takes a 1-D Series
                if isinstance(step, str):
                    columns = [columns]
            elif not isinstance(columns, slice):
                columns = list(columns)
            else:
                columns = None
            names = [columns] if isinstance(columns, str) else columns
            if names is None or not all(isinstance(c, str) for c in names):
                self.usable = False
                return
            if not columns:
                continue
            if isinstance(step, str):  # "passthrough"
                self.parts.append((None, columns))
                continue
            step = copy.deepcopy(step)
            if hasattr(step, "set_output"):
                step.set_output(transform="default")
            self.parts.append((step, columns))
        config = getattr(transformer, "_sklearn_output_config", {})
        self.names = transformer.get_feature_names_out()
        self.pandas = config.get("transform") == "pandas"

    def transform(self, X):
        if not self.usable:
            return self.transformer.transform(X)
        blocks = []
        for step, columns in self.parts:
            part = X[columns]
            out = part.to_numpy() if step is None else step.transform(part)
            out = np.asarray(out) if not hasattr(out, "toarray") else None
            if out is None or out.dtype.kind not in "biuf":
                return self.transformer.transform(X)
            blocks.append(out.reshape(len(X), -1).astype(np.float64, copy=False))
        values = np.hstack(blocks) if blocks else np.empty((len(X), 0))
        if self.pandas:
            return pd.DataFrame(values, columns=self.names, index=X.index)
        return values


class PreparedModel:
    """A fitted pipeline prepared for fast predictions on few rows.

    Parameters
    ----------
    model : estimator
        A fitted estimator, usually the workflow's Pipeline (cleaner and
        checker first, features, then the model).

    Attributes
    ----------
    model : estimator
        The model as given (unchanged).
    classes_ : ndarray or None
        The model's classes (None for a regressor).

    See Also
    --------
    sklearn.pipeline.Pipeline.predict_proba : The batch path; same answers.
    sklearn_workflow.workflow._door.pass_door : The door the prepared model
        leaves out (run it once before, as the server does).

    Notes
    -----
    :meth:`predict_proba` on raw rows runs the cleaner when it types a
    column (a cleaner that converts none would only rebuild the frame) but
    not the checker, which only validates: validation is the
    door's job, done once per request by the server. The answers are those of
    ``model.predict_proba`` and ``model.predict`` (the tests compare them on
    whole tables).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_workflow.deploy import PreparedModel
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> model = model.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> fast = PreparedModel(model)
    >>> predictions, proba = fast.predict_with_proba([[2.5], [float("nan")]])
    Traceback (most recent call last):
    ...
    ValueError: Input X contains NaN...
    >>> predictions, proba = fast.predict_with_proba([[2.5]])
    >>> predictions.tolist(), bool((proba == model.predict_proba([[2.5]])).all())
    ([1], True)
    """

    def __init__(self, model):
        self.model = model
        steps = list(getattr(model, "steps", None) or [("model", model)])
        self.final = steps[-1][1]
        names = [name for name, _ in steps[:-1]]
        self.cleaner = converting_cleaner(dict(steps).get("clean"))
        after = 0
        for k, name in enumerate(names):
            if name in ("clean", "quality"):
                after = k + 1
        self.middle = [
            _FlatColumns(step) if isinstance(step, ColumnTransformer) else step
            for _, step in steps[after:-1]
            if not (isinstance(step, str) or step is None)
        ]
        self.classes_ = getattr(self.final, "classes_", None)

    def transform_clean(self, clean):
        """The final estimator's input, from rows the door has cleaned."""
        X = clean
        for step in self.middle:
            X = step.transform(X)
        return X

    def _clean(self, X):
        if self.cleaner is None:
            return X
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the door counts invalid values
            return self.cleaner.transform(X)

    def predict_proba(self, X, *, cleaned=False):
        """Class probabilities, as ``model.predict_proba(X)``.

        Parameters
        ----------
        X : DataFrame or array-like
            Raw rows (the model's input columns), or rows already cleaned by
            the door when ``cleaned`` is True.
        cleaned : bool, default=False

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
        """
        features = self.transform_clean(X if cleaned else self._clean(X))
        return self.final.predict_proba(features)

    def predict_with_proba(self, X, *, cleaned=False):
        """Predictions and probabilities (None for a regressor), in one pass.

        A classifier tuned on a threshold predicts from the probabilities
        already computed, as its own ``predict`` would; other models call their
        ``predict``.

        Returns
        -------
        predictions : ndarray of shape (n_rows,)
        proba : ndarray of shape (n_rows, n_classes) or None
        """
        features = self.transform_clean(X if cleaned else self._clean(X))
        if not hasattr(self.final, "predict_proba"):
            return self.final.predict(features), None
        proba = self.final.predict_proba(features)
        threshold = getattr(self.final, "threshold_", None)
        method = getattr(self.final, "response_method_", None)
        if threshold is None or method != "predict_proba" or proba.shape[1] != 2:
            return self.final.predict(features), proba
        classes = self.final.classes_
        positive = classes == self.final.pos_label_
        hit = proba[:, positive][:, 0] >= threshold
        labels = np.where(hit, classes[positive][0], classes[~positive][0])
        return labels.astype(classes.dtype, copy=False), proba
