"""``partial_fit`` and ``merge`` of the feature transformers whose fit is a state.

A transformer that mixes in ``_MergeableFitMixin`` keeps its fitted statistics in
``self._state`` (a mergeable state of ``sklearn_workflow.scale``, or None when
nothing needs accumulating) over the input columns ``self._state_columns``, and
provides two hooks:

- ``_chunk_state(X, positions)``: the state of the rows of ``X`` (already checked);
- ``_learn_from_state()``: set the fitted attributes from ``self._state``;
- optionally ``_state_positions(X)``: the input columns of the state (by default
  those of the ``columns`` parameter).

The mixin follows the mergeable-fit protocol of ``sklearn_workflow.scale``:
``partial_fit`` updates the state with a chunk and recomputes the fitted
attributes; ``merge`` combines the states of two partially fitted transformers
with the same parameters and input columns.
"""

import numpy as np

from sklearn_workflow.utils._dataframe import n_rows
from sklearn_workflow.utils._param_validation import _fit_context

__all__ = []


def numeric_matrix(estimator, X, positions):
    """The numeric columns at ``positions`` as an array (n_rows, n_columns)."""
    if not positions:
        return np.empty((n_rows(X), 0))
    columns = [estimator._numeric_column(X, i, "columns") for i in positions]
    return np.column_stack(columns)


def _merged(mine, theirs):
    return None if mine is None else mine.merge(theirs)


class _MergeableFitMixin:
    """``partial_fit`` and ``merge`` over a mergeable fitted state."""

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Add the rows of ``X`` to the fitted state and refit from it.

        On an unfitted transformer (or one fitted by ``fit`` that keeps no
        state) it starts from scratch and picks the columns on this ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A chunk of the training data, with the same columns every time.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The transformer, fitted on all the rows it accumulated.
        """
        first = not hasattr(self, "_state")
        if first:
            self._warn_deprecated_keep_original()
        X = self._check_input(X, reset=first)
        positions = self._state_positions(X) if first else self._state_columns
        state = self._chunk_state(X, positions)
        if not first:
            state = _merged(self._state, state)
        self._state, self._state_columns = state, positions
        self._learn_from_state()
        return self

    def _state_positions(self, X):
        """The input columns the state covers, picked on the first chunk."""
        return self._selected_columns(X)

    def merge(self, other):
        """Add the fitted state of ``other`` and refit from both.

        Parameters
        ----------
        other : object
            A transformer of the same class and parameters, fitted by
            ``partial_fit`` on the same input columns. It is left unchanged.

        Returns
        -------
        self : object
            The transformer, fitted on the rows of both.
        """
        self._check_mergeable(other)
        self._state = _merged(self._state, other._state)
        self._learn_from_state()
        return self

    def _check_mergeable(self, other):
        name = type(self).__name__
        if type(other) is not type(self):
            raise TypeError(
                f"{name}.merge needs another {name}, got {type(other).__name__}."
            )
        for which, est in (("self", self), ("other", other)):
            if not hasattr(est, "_state"):
                raise ValueError(
                    f"{name}.merge needs two transformers fitted by partial_fit; "
                    f"{which} has no accumulated state (call partial_fit first)."
                )
        mine, theirs = self.get_params(deep=False), other.get_params(deep=False)
        for param, value in mine.items():
            if repr(value) != repr(theirs[param]):
                raise ValueError(
                    f"{name}.merge: the two transformers differ in {param} "
                    f"({value!r} and {theirs[param]!r})."
                )
        self._check_same_columns(other)

    def _check_same_columns(self, other):
        name = type(self).__name__
        mine = list(getattr(self, "feature_names_in_", [self.n_features_in_]))
        theirs = list(getattr(other, "feature_names_in_", [other.n_features_in_]))
        if mine != theirs:
            raise ValueError(
                f"{name}.merge: the two transformers were fitted on different "
                f"input columns ({mine!r} and {theirs!r})."
            )
        if list(self._state_columns) != list(other._state_columns):
            names = np.asarray(self._input_names(), dtype=object)
            raise ValueError(
                f"{name}.merge: the two transformers use different columns "
                f"({names[self._state_columns].tolist()!r} and "
                f"{names[other._state_columns].tolist()!r}); with columns=None "
                "the columns are picked by kind, which differed between the "
                "chunks. Give the same dtypes to every chunk or name the columns."
            )
