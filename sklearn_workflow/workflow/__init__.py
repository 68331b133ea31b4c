"""The end-to-end runner behind ``python -m sklearn_workflow``."""

__all__ = []
