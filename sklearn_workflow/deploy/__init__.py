"""Stage 7, deployment: secure persistence (skops), serving latency, model card.

:func:`save` and :func:`load` store fitted models as skops files, never as pickle,
and :func:`load` trusts exactly the types a fitted ``sklearn_workflow`` model
needs (:func:`trusted_types`); :func:`make_model_card` writes the Markdown card
that goes next to the saved model.
"""

from sklearn_workflow.deploy._model_card import make_model_card
from sklearn_workflow.deploy._persistence import (
    UntrustedTypesError,
    load,
    save,
    trusted_types,
)

__all__ = ["UntrustedTypesError", "load", "make_model_card", "save", "trusted_types"]
