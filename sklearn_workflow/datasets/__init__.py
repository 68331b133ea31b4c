"""Embedded demo data: the customer-churn problem the workflow is built around."""

from sklearn_workflow.datasets._churn import load_demo, make_churn

__all__ = ["load_demo", "make_churn"]
