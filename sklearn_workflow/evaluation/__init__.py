"""Stage 7, evaluation: the evaluation report, baseline comparison and spec verdict."""

__all__ = []
