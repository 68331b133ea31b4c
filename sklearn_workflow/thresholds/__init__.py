"""Stage 6, decision thresholds tuned to the business objective and its constraints."""

__all__ = []
