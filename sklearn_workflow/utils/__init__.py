"""Internal helpers: parameter validation, dataframe handling, test instances."""

__all__ = []
