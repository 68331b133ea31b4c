"""Stage 7, deployment: secure persistence (skops), serving latency, model card."""

__all__ = []
