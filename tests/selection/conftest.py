import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_workflow.selection._selector import _FoldJobs


class _TickingLogit(LogisticRegression):
    """A logistic regression whose fit advances the fake clock by its step."""

    clock = None

    def fit(self, X, y, sample_weight=None):
        if self.clock is not None:
            self.clock.fits += 1
            self.clock.now += self.clock.step
        return super().fit(X, y, sample_weight)


class FakeClock:
    """The seconds ``ModelSelector`` reads as elapsed since its cross-validation
    began: only the fits of ``ticking()`` estimators advance it, by ``step``
    each, so a ``time_budget`` stops a race at a known fit, whatever the load
    of the machine."""

    def __init__(self, step=1.0):
        self.now = 0.0
        self.step = step
        self.fits = 0

    def ticking(self, **params):
        """A logistic regression whose fits advance this clock."""
        return _TickingLogit(**params)


@pytest.fixture
def fake_clock(monkeypatch):
    """A :class:`FakeClock` that ``ModelSelector``'s time budget reads."""
    clock = FakeClock()
    monkeypatch.setattr(_FoldJobs, "elapsed", lambda self: clock.now)
    monkeypatch.setattr(_TickingLogit, "clock", clock)
    return clock
