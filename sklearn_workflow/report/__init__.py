"""HTML rendering shared by the quality, evaluation and workflow reports."""

__all__ = []
