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
computed. With the ONNX engine the steps after the door are one onnxruntime
call (:mod:`sklearn_workflow.deploy._fast_onnx`), used only where it gives the
pipeline's answers (:mod:`sklearn_workflow.deploy._fast_parity`).
"""

import copy
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from sklearn_workflow.deploy._fast_onnx import OnnxEngine, threshold_labels
from sklearn_workflow.deploy._fast_parity import (
    check_engine,
    door_rows,
    reference_rows,
)
from sklearn_workflow.utils._dataframe import is_pandas
from sklearn_workflow.workflow._door import cleaner_for

__all__ = ["PreparedModel"]

ENGINES = ("auto", "python", "onnx")


class _FlatColumns:
    """A fitted ColumnTransformer as its transformers called directly.

    Each transformer (a copy set to plain array output) receives its own
    columns; the blocks are written into one float array, named by the
    ColumnTransformer's ``get_feature_names_out`` when its output is pandas.
    A frame whose columns come in the fitted order is indexed by position.
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
        self.columns_in = [
            str(c) for c in getattr(transformer, "feature_names_in_", [])
        ]
        where = {name: k for k, name in enumerate(self.columns_in)}
        self.positions = [
            where.get(c) if isinstance(c, str) else [where.get(n) for n in c]
            for _, c in self.parts
        ]
        flat = [p for k in self.positions for p in (k if isinstance(k, list) else [k])]
        self.by_position = None not in flat

    def _select(self, X, ordered, k):
        """The columns of part ``k``: by position when ``X`` is in fitted order."""
        columns = self.parts[k][1]
        if ordered and not isinstance(columns, str):
            return X.take(self.positions[k], axis=1)
        return X[columns]

    def transform(self, X):
        if not self.usable:
            return self.transformer.transform(X)
        ordered = (
            self.by_position and is_pandas(X) and X.columns.tolist() == self.columns_in
        )
        # the layout of the ColumnTransformer's own output: a DataFrame's columns
        # are contiguous, numpy's hstack is by row (bit-identical products after)
        out = np.empty((len(X), len(self.names)), order="F" if self.pandas else "C")
        start = 0
        for k, (step, _) in enumerate(self.parts):
            part = self._select(X, ordered, k)
            block = part.to_numpy() if step is None else step.transform(part)
            block = np.asarray(block) if not hasattr(block, "toarray") else None
            if block is None or block.dtype.kind not in "biuf":
                return self.transformer.transform(X)
            block = block.reshape(len(X), -1)
            if start + block.shape[1] > out.shape[1]:
                return self.transformer.transform(X)
            out[:, start : start + block.shape[1]] = block
            start += block.shape[1]
        if start != out.shape[1]:
            return self.transformer.transform(X)
        if self.pandas:
            return pd.DataFrame(out, columns=self.names, index=X.index, copy=False)
        return out


class PreparedModel:
    """A fitted pipeline prepared for fast predictions on few rows.

    Two engines give the pipeline's answers. "python" runs the steps after
    the door with each ``ColumnTransformer`` flattened into its transformers
    (answers bit-identical to the pipeline's). "onnx" converts the pipeline
    once (:func:`~sklearn_workflow.deploy.to_onnx`), opens one onnxruntime
    session, and turns each call's rows into the graph's inputs with the
    layout read once from the graph. A one-row call through ONNX costs about
    as much as the final estimator's own one-row ``predict_proba``.

    Parameters
    ----------
    model : estimator
        A fitted estimator, usually the workflow's Pipeline (cleaner and
        checker first, features, then the model).
    engine : {"auto", "python", "onnx"}, default="auto"
        "auto" answers through ONNX when onnxruntime is installed, the model
        converts, and the graph agrees with the Python path on rows to check
        (see Notes); otherwise through Python, and :attr:`engine_reason_`
        says why. "onnx" raises instead of falling back.
    check_rows : DataFrame or array-like, default=None
        Raw rows (the model's input columns) to check the graph on. None
        uses the rows of the model's monitoring reference
        (:func:`~sklearn_workflow.monitor.attach_reference`); a model
        carrying neither stays on the Python path with ``engine="auto"``.

    Attributes
    ----------
    model : estimator
        The model as given (unchanged).
    classes_ : ndarray or None
        The model's classes (None for a regressor).
    engine_ : {"python", "onnx"}
        The engine that answers.
    engine_reason_ : str
        Why: the parity found, or why ONNX was not used.

    See Also
    --------
    sklearn.pipeline.Pipeline.predict_proba : The batch path; same answers.
    sklearn_workflow.deploy.to_onnx : The graph of the ONNX engine.
    sklearn_workflow.workflow._door.pass_door : The door the prepared model
        leaves out (run it once before, as the server does).

    Notes
    -----
    :meth:`predict_proba` on raw rows runs the cleaner when it types a
    column or a row holds an infinite number (otherwise it would only rebuild
    the frame) but
    not the checker, which only validates: validation is the door's job,
    done once per request by the server. The Python path answers as
    ``model.predict_proba`` and ``model.predict`` do, bit for bit.

    The ONNX engine is used only when, on the check rows passed through the
    door and on rows made from the first one with a missing value, an
    infinite number, a value far out of range and an unseen category in
    each column, its labels equal the Python path's and its probabilities
    (a regressor's predictions) are within 1e-9. Labels of a classifier
    tuned on a threshold are computed from the probabilities, at the tuned
    threshold, as with Python. Rows the graph cannot answer as the pipeline
    would go through Python: a column of another dtype than the door
    leaves (numbers as text), an empty string in a text column, and missing
    or infinite values the pipeline refuses with an error.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_workflow.deploy import PreparedModel
    >>> model = make_pipeline(StandardScaler(), LogisticRegression())
    >>> model = model.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> fast = PreparedModel(model)
    >>> fast.engine_
    'python'
    >>> print(fast.engine_reason_)
    no rows to check the ONNX graph on: the model carries no monitoring reference
    >>> predictions, proba = fast.predict_with_proba([[2.5], [float("nan")]])
    Traceback (most recent call last):
    ...
    ValueError: Input X contains NaN...
    >>> predictions, proba = fast.predict_with_proba([[2.5]])
    >>> predictions.tolist(), bool((proba == model.predict_proba([[2.5]])).all())
    ([1], True)

    With rows to check, the graph answers when it agrees with the model
    (here a tree: its probabilities are exact), and a row the model refuses
    (an infinite number) still goes through Python:

    >>> from sklearn.tree import DecisionTreeClassifier
    >>> tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    >>> tree = tree.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> fast = PreparedModel(tree, check_rows=[[0.5], [2.0]])
    >>> fast.engine_, sorted(fast.onnx_.refused)
    ('onnx', ['infinite'])
    >>> bool((fast.predict_proba([[2.5]]) == tree.predict_proba([[2.5]])).all())
    True
    >>> fast.predict_proba([[float("inf")]])
    Traceback (most recent call last):
    ...
    ValueError: Input X contains infinity...

    A graph that disagrees with the model beyond 1e-9 on the check rows (an
    older onnxruntime computes some double-precision operators less exactly)
    is not used: ``engine_`` is "python" and ``engine_reason_`` gives the
    largest difference found.
    """

    def __init__(self, model, engine="auto", *, check_rows=None):
        if engine not in ENGINES:
            raise ValueError(
                f"PreparedModel: engine must be one of {ENGINES}, got {engine!r}"
            )
        self.model = model
        self.engine = engine
        steps = list(getattr(model, "steps", None) or [("model", model)])
        self.final = steps[-1][1]
        names = [name for name, _ in steps[:-1]]
        self.cleaner = dict(steps).get("clean")
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
        self.onnx_ = None
        self.engine_, self.engine_reason_ = self._choose_engine(engine, check_rows)

    # -- choosing the engine --------------------------------------------------------
    def _choose_engine(self, engine, check_rows):
        if engine == "python":
            return "python", "engine='python' was asked for"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                onnx = OnnxEngine(self.model, self.final)
        except ImportError as exc:
            return self._refuse(engine, f"onnxruntime is not installed ({exc})", exc)
        except Exception as exc:  # a step without converter, a failed conversion
            why = f"the model does not convert to ONNX ({type(exc).__name__}: {exc})"
            return self._refuse(engine, why, exc)
        clean, source = self._check_rows(check_rows)
        if clean is None:
            if engine == "onnx":
                self.onnx_ = onnx
                return "onnx", f"engine='onnx' was asked for, unchecked: {source}"
            return "python", f"no rows to check the ONNX graph on: {source}"
        try:
            ok, message = check_engine(self._python, onnx, clean)
        except Exception as exc:  # the graph fails to run on the check rows
            ok, message = False, f"the check failed ({type(exc).__name__}: {exc})"
        if not ok:
            return self._refuse(engine, f"{message} ({source})", None)
        self.onnx_ = onnx
        return "onnx", f"{message} ({source})"

    def _refuse(self, engine, reason, exc):
        if engine == "onnx":
            error = ImportError if isinstance(exc, ImportError) else ValueError
            raise error(f"PreparedModel(engine='onnx'): {reason}") from exc
        return "python", reason

    def _check_rows(self, check_rows):
        """The rows to check, as the door leaves them, and where they come from."""
        source = "the rows passed as check_rows"
        if check_rows is None:
            source = "the model's monitoring reference"
        try:
            if check_rows is None:
                check_rows, source = reference_rows(self.model)
                if check_rows is None:
                    return None, source
            clean = door_rows(self.model, check_rows)
            if clean is None:
                clean = self._clean(check_rows)
        except (ValueError, TypeError, KeyError) as exc:
            return None, f"{source} do not pass the model's door ({exc})"
        return clean, source

    # -- the Python path ------------------------------------------------------------
    def transform_clean(self, clean):
        """The final estimator's input, from rows the door has cleaned."""
        X = clean
        for step in self.middle:
            X = step.transform(X)
        return X

    def _clean(self, X):
        cleaner = cleaner_for(self.cleaner, X)
        if cleaner is None:
            return X
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the door counts invalid values
            return cleaner.transform(X)

    def _python(self, clean):
        """Predictions and probabilities of the Python path on cleaned rows."""
        features = self.transform_clean(clean)
        if not hasattr(self.final, "predict_proba"):
            return self.final.predict(features), None
        proba = self.final.predict_proba(features)
        labels = threshold_labels(self.final, proba)
        return (self.final.predict(features) if labels is None else labels), proba

    def _onnx(self, method, clean):
        """The ONNX engine's ``method`` on these rows, or None when the Python
        path answers them (rows handed back, or a graph that fails to run)."""
        feeds = None if self.onnx_ is None else self.onnx_.feeds(clean)
        if feeds is None:
            return None
        try:
            return getattr(self.onnx_, method)(feeds)
        except Exception:  # onnxruntime's errors: the pipeline answers, or raises
            return None

    # -- predictions ----------------------------------------------------------------
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
        clean = X if cleaned else self._clean(X)
        if self.classes_ is not None and hasattr(self.final, "predict_proba"):
            proba = self._onnx("predict_proba", clean)
            if proba is not None:
                return proba
        return self.final.predict_proba(self.transform_clean(clean))

    def predict_with_proba(self, X, *, cleaned=False):
        """Predictions and probabilities (None for a regressor), in one pass.

        A classifier tuned on a threshold predicts from the probabilities
        already computed, as its own ``predict`` would; other models call their
        ``predict`` (with ONNX, the graph's labels).

        Returns
        -------
        predictions : ndarray of shape (n_rows,)
        proba : ndarray of shape (n_rows, n_classes) or None
        """
        clean = X if cleaned else self._clean(X)
        answer = self._onnx("predict_with_proba", clean)
        return self._python(clean) if answer is None else answer
