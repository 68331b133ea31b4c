"""The progress bar of ``ModelSelector(verbose=1)``.

A ``tqdm`` bar on stderr counts the (candidate, fold) fits done out of those
planned -- a number the race lowers as it drops candidates -- and names the
current leader; the lines the selector prints (each racing drop, and with
``verbose >= 2`` each fold) go to stdout above the bar.
"""

import sys

import numpy as np
from tqdm.auto import tqdm

__all__ = ["FitProgress"]


class FitProgress:
    """Fits done out of those planned, and the leader, for one selector fit.

    Parameters
    ----------
    names : list of str
        The candidates.
    score : str
        The primary score, which names the leader.
    planned : int
        The (candidate, fold) fits planned at the start.
    verbose : int
        0: nothing is shown and :meth:`say` prints nothing.
    baseline : int or None, default=None
        The position of the baseline, never the leader.

    Examples
    --------
    >>> from sklearn_workflow.selection._progress import FitProgress
    >>> progress = FitProgress(["tree", "logit"], "accuracy", 4, verbose=0)
    >>> progress.done(0, {"error": None, "scores": {"accuracy": 0.8}})
    >>> progress.done(1, {"error": None, "scores": {"accuracy": 0.9}})
    >>> progress.done(1, {"error": "ValueError: boom"})
    >>> progress.leader()
    'logit 0.9000'
    >>> progress.plan(remaining=0, contenders=[0])  # logit was dropped
    >>> progress.leader(), progress.n_done, progress.n_planned
    ('tree 0.8000', 3, 3)
    >>> progress.close()
    """

    def __init__(self, names, score, planned, verbose, baseline=None):
        self.names, self.score = names, score
        self.verbose, self.baseline = verbose, baseline
        self.scores = {}
        self.contenders = None
        self.n_done, self.n_planned = 0, planned
        self.bar = None
        if verbose:
            self.bar = tqdm(
                total=planned,
                desc="ModelSelector",
                unit="fit",
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def done(self, c, result, rung=None):
        """Count one finished fit of candidate ``c`` (``rung=0``: on a subsample,
        not a full-size fold score)."""
        if rung != 0 and c != self.baseline and result["error"] is None:
            self.scores.setdefault(c, []).append(result["scores"][self.score])
        self.n_done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"leader: {self.leader()}", refresh=False)
            self.bar.update(1)

    def plan(self, remaining, contenders=None):
        """``remaining`` fits are still planned; only ``contenders`` can lead."""
        self.n_planned = self.n_done + remaining
        self.contenders = None if contenders is None else set(contenders)
        if self.bar is not None:
            self.bar.total = self.n_planned
            self.bar.set_postfix_str(f"leader: {self.leader()}", refresh=False)
            self.bar.refresh()

    def leader(self):
        """The best mean full-size fold score so far, as ``"name score"``."""
        means = {
            c: float(np.mean(s))
            for c, s in self.scores.items()
            if self.contenders is None or c in self.contenders
        }
        if not means:
            return "-"
        best = max(means, key=means.get)
        return f"{self.names[best]} {means[best]:.4f}"

    def say(self, line):
        """Print ``line`` on stdout, above the bar."""
        if not self.verbose:
            return
        if self.bar is None:
            print(line)
        else:
            tqdm.write(line, file=sys.stdout)

    def close(self):
        """Leave the bar as it ended."""
        if self.bar is not None:
            self.bar.close()
