import numpy as np
import pytest

from sklearn_workflow.monitor import Monitor

from .conftest import load_table, monitored_model, take

# Real tables with enough rows for a training half and unseen chunks, and
# whether their target is classes.
TABLES = [
    ("isl_default", True),
    ("taxi", True),
    ("credit_data", True),
    ("diamonds", False),
    ("yrbss", False),
]


def _unshifted_monitor(name, classification, chunk_size, max_chunks, rng):
    """A model and its reference fitted on a random half (at most 8,000 rows),
    monitored on unseen rows of the same table in chunks of ``chunk_size``."""
    X, y = load_table(name)
    rows = rng.permutation(len(y))
    n_train = min(len(y) // 2, 8000)
    n_chunks = min(max_chunks, (len(y) - n_train) // chunk_size)
    model = monitored_model(*take(X, y, rows[:n_train]), classification=classification)
    monitor = Monitor(model, chunk_size=chunk_size, n_bootstrap=50)
    unseen = rows[n_train : n_train + n_chunks * chunk_size]
    return monitor.update(*take(X, y, unseen))


@pytest.mark.slow
@pytest.mark.parametrize("chunk_size, max_chunks", [(500, 10), (5000, 9)])
def test_monitor_false_alarm_rate_on_unshifted_chunks_of_real_tables(
    churn, churn_model, chunk_size, max_chunks
):
    # Unseen rows of five real tables and fresh rows of the churn generator
    # raise any alarm -- columns, prediction and multivariate together -- on
    # at most 5% of the chunks.
    rng = np.random.default_rng(0)
    alarmed, total = [], 0
    for name, classification in TABLES:
        monitor = _unshifted_monitor(name, classification, chunk_size, max_chunks, rng)
        alarmed += [(name, c["alarms"]) for c in monitor.chunks_ if c["alarms"]]
        total += len(monitor.chunks_)
    _, _, X_new, y_new = churn
    monitor = Monitor(churn_model, chunk_size=chunk_size, n_bootstrap=50)
    monitor.update(*take(X_new, y_new, np.arange(chunk_size * 8)))
    alarmed += [("churn", c["alarms"]) for c in monitor.chunks_ if c["alarms"]]
    total += len(monitor.chunks_)
    assert total >= 20
    assert len(alarmed) <= 0.05 * total, (alarmed, total)
