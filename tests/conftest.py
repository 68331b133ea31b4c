import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


def _seeds():
    """Seeds: SKW_TESTS_GLOBAL_RANDOM_SEED=3, =0-9 or =all (default 42)."""
    value = os.environ.get("SKW_TESTS_GLOBAL_RANDOM_SEED", "42")
    if value == "all":
        return list(range(100))
    if "-" in value:
        low, high = value.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(value)]


@pytest.fixture(params=_seeds())
def global_random_seed(request):
    """A seed the test must pass for, whatever its value (see _seeds)."""
    return request.param


@pytest.fixture
def rng(global_random_seed):
    return np.random.default_rng(global_random_seed)
