"""Stage 1, problem definition: the problem card and the rule-based baseline."""

__all__ = []
