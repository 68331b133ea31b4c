"""The racing rule of ``ModelSelector(strategy="racing")``, and the race itself.

:class:`Race` holds the state of one race and runs its steps: the rung-0 screen
(:func:`rung0_keep`), then the full-size folds, each followed by the test below
(:func:`racing_drops`).

After each fold, every surviving candidate is compared with the leader (the highest
mean fold score so far) by a one-sided test on the paired score differences:

- ``d_f`` is the leader's score minus the candidate's score on fold ``f`` (both
  models were trained and validated on the same rows, so the difference is paired);
  ``D`` is their mean over the ``k`` folds done.
- The validation fold is cut into ``B`` (stratified) blocks and both models are
  scored on each block; the variance of the block differences divided by ``B``
  estimates the variance of ``d_f`` that comes from the finite validation sample,
  ``v_f``. From the second fold on, the spread of the ``d_f`` themselves (which also
  contains the variation due to the training rows) is used when it is larger.
- The standard error is Nadeau and Bengio's corrected one,
  ``se = sqrt(s2 * (1 / k + n_test / n_train))``: the second term accounts for the
  overlap of the training sets of different folds, which makes fold scores
  positively correlated (a plain paired t-test is then too eager).
- The candidate is dropped when ``D / se`` exceeds the ``1 - alpha'`` quantile of
  Student's t with ``k * (B - 1)`` degrees of freedom, with the Bonferroni level
  ``alpha' = alpha / ((m - 1) * (K - 1))``: ``m`` candidates compared at up to
  ``K - 1`` looks. The probability that the race ever drops a candidate that is in
  fact as good as the leader is then at most ``alpha`` (under the normal
  approximation).
"""

from dataclasses import KW_ONLY, dataclass, field
from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.model_selection import KFold, StratifiedKFold

__all__ = [
    "RACING_ALPHA",
    "RUNG0_DEFAULTS",
    "Race",
    "check_racing_params",
    "make_blocks",
    "racing_drops",
    "rung0_keep",
    "subsample_rows",
]

# Family-wise level of the race: the chance of ever dropping a candidate that is
# as good as the leader.
RACING_ALPHA = 0.05
_MAX_BLOCKS = 10

# Rung 0 of the race (see ``rung0_keep``): the share of each training fold the
# candidates are first fitted on, on how many of the folds (the first ones), how
# many of the best rung-0 candidates go on, and the margin, in standard deviations
# of the leader's rung-0 score, within which a candidate goes on too. Below
# ``min_rows`` rows a subsample fits in about the time of the whole training fold
# (fixed costs such as a forest's per-tree overhead dominate), so rung 0 is then
# the first full-size fold itself. ``budget`` caps the planned fit time of the race
# at that share of the projected fit time of ``strategy="full"``. These defaults
# were chosen on the benchmark's data sets (see docs/selection.md): a wider margin
# or more folds is safer and saves less.
RUNG0_DEFAULTS = {
    "subsample": 0.25,
    "folds": 3,
    "keep": 2,
    "tolerance": 1.0,
    "min_rows": 500,
    "budget": 0.4,
}


def make_blocks(y_test, classification, seed=None, max_blocks=_MAX_BLOCKS):
    """Cut a validation fold into blocks, stratified for classification.

    Parameters
    ----------
    y_test : ndarray of shape (n_test,)
        The validation targets.
    classification : bool
        Stratify the blocks on the classes (every block then holds every class).
    seed : int or None, default=None
        Seed of the shuffle.
    max_blocks : int, default=10
        The most blocks.

    Returns
    -------
    blocks : list of ndarray
        Positions into ``y_test``; empty when the fold is too small to cut (fewer
        than two rows per block, or a class with a single row).
    """
    n = y_test.shape[0]
    if classification:
        _, counts = np.unique(y_test, return_counts=True)
        n_blocks = min(max_blocks, int(counts.min()))
        splitter = StratifiedKFold
    else:
        n_blocks = min(max_blocks, n // 2)
        splitter = KFold
    if n_blocks < 2:
        return []
    split = splitter(n_splits=n_blocks, shuffle=True, random_state=seed)
    return [test for _, test in split.split(np.zeros((n, 1)), y_test)]


def racing_drops(fold_scores, block_scores, *, test_train_ratio, n_looks, n_compared):
    """Which candidates are significantly behind the leader.

    Parameters
    ----------
    fold_scores : ndarray of shape (n_alive, k)
        Scores of the surviving candidates on the ``k`` folds done (greater is
        better).
    block_scores : list of k ndarrays of shape (n_alive, B_f)
        Their scores on the blocks of each fold (same blocks for every candidate);
        an empty array for a fold that could not be cut.
    test_train_ratio : float
        Validation size over training size of a fold (1 / (K - 1) for K-fold).
    n_looks : int
        The number of looks of the race (K - 1).
    n_compared : int
        The number of candidates the race started with, the leader excluded.

    Returns
    -------
    drop : ndarray of bool of shape (n_alive,)
        True for the candidates to drop; the leader is never dropped.
    statistic : ndarray of shape (n_alive,)
        The test statistic ``D / se`` (0 for the leader, NaN where undefined).
    """
    fold_scores = np.asarray(fold_scores, dtype=float)
    n_alive, k = fold_scores.shape
    means = fold_scores.mean(axis=1)
    drop = np.zeros(n_alive, dtype=bool)
    statistic = np.full(n_alive, np.nan)
    if n_alive < 2 or not np.isfinite(means).any():
        return drop, statistic
    leader = int(np.nanargmax(means))
    statistic[leader] = 0.0
    alpha = RACING_ALPHA / (max(n_compared, 1) * max(n_looks, 1))
    for c in range(n_alive):
        if c == leader or not np.isfinite(means[c]):
            continue
        diffs = fold_scores[leader] - fold_scores[c]
        within, dof = [], 0
        for blocks in block_scores:
            blocks = np.asarray(blocks, dtype=float)
            if blocks.ndim != 2 or blocks.shape[1] < 2:
                continue
            d_blocks = blocks[leader] - blocks[c]
            if not np.isfinite(d_blocks).all():
                continue
            within.append(d_blocks.var(ddof=1) / d_blocks.shape[0])
            dof += d_blocks.shape[0] - 1
        if not within:
            continue
        s2 = float(np.mean(within))
        if k >= 2:
            s2 = max(s2, float(diffs.var(ddof=1)))
        mean_diff = float(diffs.mean())
        se = np.sqrt(s2 * (1.0 / k + test_train_ratio))
        if se == 0.0:
            statistic[c] = np.inf if mean_diff > 0 else 0.0
        else:
            statistic[c] = mean_diff / se
        drop[c] = statistic[c] > stats.t.ppf(1.0 - alpha, dof)
    return drop, statistic


def subsample_rows(train, y_train, fraction, classification, seed=None):
    """A (stratified) random share of the rows of a training fold.

    Parameters
    ----------
    train : ndarray of shape (n_train,)
        The positions of the training fold.
    y_train : ndarray of shape (n_train,)
        Their targets.
    fraction : float
        The share of rows to keep, in (0, 1).
    classification : bool
        Stratify on the classes: every class keeps its share of rows, and at
        least two rows (or all of its rows when it has fewer).
    seed : int or None, default=None
        Seed of the draw.

    Returns
    -------
    rows : ndarray
        Sorted positions (a subset of ``train``); ``train`` itself when the
        subsample would not be smaller.
    """
    rng = np.random.default_rng(seed)
    n = train.shape[0]
    if not classification:
        size = int(np.ceil(fraction * n))
        if size >= n:
            return train
        return np.sort(train[rng.choice(n, size=size, replace=False)])
    classes, codes, counts = np.unique(y_train, return_inverse=True, return_counts=True)
    take = np.minimum(counts, np.maximum(2, np.ceil(fraction * counts).astype(int)))
    if take.sum() >= n:
        return train
    # One shuffle, then the first ``take[k]`` rows of class k in that order.
    order = rng.permutation(n)
    by_class = order[np.argsort(codes[order], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank_in_class = np.arange(n) - np.repeat(starts, counts)
    chosen = by_class[rank_in_class < np.repeat(take, counts)]
    return np.sort(train[chosen])


def rung0_keep(
    fold_scores,
    *,
    keep,
    tolerance,
    spread=None,
    spent=0.0,
    cost_to_go=None,
    full_cost=None,
    budget=None,
):
    """Which candidates go on to the full-size folds after rung 0.

    Rung 0 scores every candidate on a few folds, fitted either on subsamples of
    the training folds or on the first full-size fold. A candidate is *eligible*
    to go on when it is among the ``keep`` best rung-0 means (ties included), or
    when its rung-0 mean is within ``tolerance`` standard deviations of the
    leader's mean. This is a screen, not a test: a candidate whose learning curve
    is steeper than the leader's can be behind at rung 0 and ahead on the full
    folds.

    With a ``budget``, the eligible candidates go on in order of their rung-0
    mean while the fit time already spent plus the projected full-size fit time
    of those going on stays within the larger of ``budget * full_cost`` and the
    plan of rung 0 and the leader plus ``budget`` times the leader's cost (when
    the leader is the expensive candidate, the others may still add that much);
    an eligible candidate that does not fit is marked over budget (a cheaper one
    further down can still go on). The leader always goes on.

    Parameters
    ----------
    fold_scores : ndarray of shape (n_candidates, n_folds)
        Rung-0 scores (greater is better); NaN for a fold that failed.
    keep : int
        The number of best candidates that are eligible whatever their margin.
    tolerance : float
        The margin, in standard deviations of the leader's rung-0 score.
    spread : float, ndarray of shape (n_candidates,) or None, default=None
        That standard deviation (or each candidate's, of which the leader's is
        used); None: the one of the leader's rung-0 fold scores (0 with a single
        fold).
    spent : float, default=0.0
        The fit time rung 0 took.
    cost_to_go : ndarray of shape (n_candidates,) or None, default=None
        The projected fit time of each candidate's remaining full-size folds.
    full_cost : float or None, default=None
        The projected fit time of ``strategy="full"``.
    budget : float or None, default=None
        The share of ``full_cost`` the race may plan to spend; None: no limit
        (and the costs are not needed).

    Returns
    -------
    go_on : ndarray of bool of shape (n_candidates,)
        True for the candidates that go on; a candidate with a failed rung-0
        fold goes on (its failure is then recorded on the full-size folds).
    margin : float
        The margin used, in score units.
    over_budget : ndarray of bool of shape (n_candidates,)
        True for the eligible candidates left out by the budget.
    """
    fold_scores = np.asarray(fold_scores, dtype=float)
    n = fold_scores.shape[0]
    finite = np.isfinite(fold_scores).all(axis=1)
    over_budget = np.zeros(n, dtype=bool)
    if not finite.any():
        return np.ones(n, dtype=bool), np.nan, over_budget
    means = np.where(finite, fold_scores.mean(axis=1), -np.inf)
    leader = int(np.argmax(means))
    if spread is None:
        k = fold_scores.shape[1]
        spread = fold_scores[leader].std(ddof=1) if k > 1 else 0.0
    else:
        spread = np.broadcast_to(np.asarray(spread, dtype=float), (n,))[leader]
    margin = tolerance * float(spread) if np.isfinite(spread) else 0.0
    # the ``keep`` best, and any tied with the last of them
    kth = np.sort(means)[::-1][min(keep, n) - 1]
    eligible = finite & ((means >= kth - 1e-12) | (means >= means[leader] - margin))
    go_on = ~finite
    go_on[leader] = True
    if budget is None:
        return go_on | eligible, float(margin), over_budget
    cost_to_go = np.asarray(cost_to_go, dtype=float)
    planned = spent + cost_to_go[go_on].sum()
    # An expensive leader can take the whole budget by itself; the others may
    # then still add ``budget`` times the leader's cost (a cheap candidate is
    # not dropped to save next to nothing).
    limit = max(budget * full_cost, planned + budget * cost_to_go[leader])
    for c in np.argsort(-means, kind="stable"):
        if not eligible[c] or go_on[c]:
            continue
        if planned + cost_to_go[c] <= limit:
            go_on[c] = True
            planned += cost_to_go[c]
        else:
            over_budget[c] = True
    return go_on, float(margin), over_budget


def check_racing_params(given):
    """``RUNG0_DEFAULTS`` updated with ``given``, each value checked.

    Parameters
    ----------
    given : dict or None
        The ``racing_params`` of ``ModelSelector``; None: the defaults.

    Returns
    -------
    params : dict
        Every key of ``RUNG0_DEFAULTS``.
    """
    params = dict(RUNG0_DEFAULTS)
    given = given or {}
    unknown = sorted(set(given) - set(params))
    if unknown:
        raise ValueError(
            f"racing_params has unknown keys {unknown}; the keys are "
            f"{sorted(params)}, got {given!r}."
        )
    params.update(given)
    checks = {
        "subsample": (
            lambda v: v is None or (_is_real(v) and 0 < v < 1),
            "a float in (0, 1) or None",
        ),
        "folds": (lambda v: _is_int(v) and v >= 2, "an int >= 2"),
        "keep": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
        "tolerance": (lambda v: _is_real(v) and v >= 0, "a float >= 0"),
        "min_rows": (lambda v: _is_int(v) and v >= 0, "an int >= 0"),
        "budget": (
            lambda v: v is None or (_is_real(v) and v > 0),
            "a float > 0 or None",
        ),
    }
    for key, (valid, expected) in checks.items():
        if not valid(params[key]):
            raise ValueError(
                f"racing_params[{key!r}] must be {expected}, got {params[key]!r}."
            )
    return params


def _score_of(result, score):
    """The ``score`` of one (candidate, fold) result; NaN when it failed or
    did not run (None)."""
    if result is None or result["error"] is not None:
        return np.nan
    return result["scores"][score]


def _mean_score(results, c, folds, score):
    """Candidate ``c``'s mean ``score`` over ``folds`` of ``results`` (NaN when
    one failed or did not run)."""
    return float(np.mean([_score_of(results.get((c, f)), score) for f in folds]))


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(eq=False)
class Race:
    """One race of ``ModelSelector(strategy="racing")``: its state and its steps.

    Rung 0 screens the racers (on subsamples of the first training folds, or on
    the first full-size fold); then the full-size folds run one at a time, each
    followed by :func:`racing_drops`; once fewer than two racers are left, the
    remaining folds run as one batch, beside the refit of the last racer.

    Parameters
    ----------
    names : list of str
        The names of the candidates, for the progress lines.
    racers : list of int
        The candidates that race (the baseline does not: it runs every fold).
    y : ndarray of shape (n_samples,)
        The target.
    splits : list of (train, test)
        The full-size folds.
    params : dict
        The rung-0 parameters, checked by :func:`check_racing_params`.
    run_jobs : callable
        ``run_jobs(jobs, splits, blocks=None, rung=None, refit=None,
        until=None, always=())`` fits and scores the ``jobs`` [(candidate,
        fold)] on ``splits`` (and on the ``blocks`` of each fold) and returns
        ``({(candidate, fold): result}, refitted)``, where ``refitted`` is
        candidate ``refit`` fitted on all the rows (None without ``refit``).
        ``rung=0`` records failures, never raises them. With ``until``, no job
        of a candidate outside ``always`` starts once ``clock()`` has passed
        it, and the results hold only the jobs that ran.
    score : str
        The name of the primary score in the results.
    classification : bool
        Stratify the blocks and the subsamples.
    seed : int or None
        Seed of the blocks and the subsamples.
    refit : bool
        Refit the last racer left beside its remaining folds.
    verbose : int
        Print each drop.
    time_budget : float or None, default=None
        The wall-clock limit of the race, in seconds (see :meth:`run`).
    clock : callable or None, default=None
        ``clock()``: the seconds elapsed since the cross-validation began;
        needed with ``time_budget``.
    n_workers : int, default=1
        How many (candidate, fold) fits run at once, for the time projections.
    say : callable, default=print
        Writes a line (each drop, with ``verbose``).
    on_step : callable or None, default=None
        ``on_step(race)`` after rung 0 and after each step of full-size folds.
    refine : callable or None, default=None
        ``refine(means)``, called once at the first screen (after rung 0, or
        after the first full-size fold when there is no subsample rung) with
        ``{racer: mean primary score there}`` (NaN for a failure): it adds
        candidates (configurations near the leaders) to the lists that ``names``
        and ``run_jobs`` read, and returns their indices. They then run the same
        rung (or fold) and are screened with the others.

    Attributes
    ----------
    outcomes : dict
        ``{(candidate, fold): result}`` of the full-size folds run.
    dropped : dict
        ``{candidate: fold}``: 0 for rung 0, else the number of folds done.
    over_budget : set
        The candidates the budget dropped.
    out_of_time : set
        The candidates ``time_budget`` dropped.
    not_run : set
        The candidates ``time_budget`` left out before their first fit.
    stopped : dict
        ``{leader: folds run}`` when ``time_budget`` left out the leader's last
        folds; else empty.
    finished : bool
        Whether :meth:`run` has ended.
    rung0 : dict or None
        The subsample rung: ``racers``, their ``scores`` (n_racers, n_folds0),
        ``fit_time``, ``share`` and ``rows`` (the mean rows of a subsample);
        None when it did not run.
    early_refit : tuple or None
        ``(name, estimator)``: the last racer refitted beside its last folds.
    """

    names: list
    racers: list
    y: np.ndarray
    splits: list
    _: KW_ONLY
    params: dict
    run_jobs: object
    score: str
    classification: bool
    seed: object
    refit: bool
    verbose: int
    time_budget: float = None
    clock: object = None
    n_workers: int = 1
    say: object = print
    on_step: object = None
    refine: object = None
    outcomes: dict = field(default_factory=dict, init=False)
    dropped: dict = field(default_factory=dict, init=False)
    over_budget: set = field(default_factory=set, init=False)
    out_of_time: set = field(default_factory=set, init=False)
    not_run: set = field(default_factory=set, init=False)
    stopped: dict = field(default_factory=dict, init=False)
    finished: bool = field(default=False, init=False)
    rung0: dict = field(default=None, init=False)
    early_refit: tuple = field(default=None, init=False)

    def __post_init__(self):
        self.racers = list(self.racers)
        self.blocks = [
            make_blocks(self.y[test], self.classification, seed=self.seed)
            for _, test in self.splits
        ]
        self.ratio = float(np.mean([len(te) / len(tr) for tr, te in self.splits]))
        self.alive = list(range(len(self.names)))
        self.n_compared = len(self.racers) - 1

    def run(self):
        """Rung 0, then the full-size folds; returns self.

        With ``time_budget``, after rung 0 and after each full-size fold the
        projected end of the next fold (every candidate still racing, at its
        mean fold time so far, on ``n_workers``) is compared with the limit:
        past it, the racers but the leader are dropped (``out_of_time``). The
        leader then runs as many of its remaining folds as are projected to end
        within the limit (at least one full-size fold in all); the folds left
        out are recorded in ``stopped``. Inside rung 0 and inside a fold, no
        fit starts once the limit has passed, but those of the first racer
        (rung 0), of the leader (a full-size fold) and of the baseline: a
        racer left without a fit is ``not_run``, one left with only some of
        its rung-0 fits, or without the fold, is dropped there
        (``out_of_time``); the configurations near the leaders are not added
        once the limit has passed.
        """
        sub_splits = self._rung0_splits()
        if sub_splits:
            self._run_rung0(sub_splits)
            self._check_time(0)
            self._step_done()
        # the racers that went on from rung 0 are compared at each look
        self.n_compared = len(self.racers) - 1
        n_folds = len(self.splits)
        for f in range(n_folds):
            batch = self._run_folds(f)
            if len(batch) != 1:  # the last batch, or none left in time
                break
            if f == 0 and not sub_splits:
                self._refine_first_fold()  # no subsample rung: refine here
            if f == 0 and sub_splits == []:
                self._screen_first_fold()  # rung 0 is this first full-size fold
            if f + 1 < n_folds:
                self._test(f + 1)
                self._check_time(f + 1)
            self._step_done()
        self._record_stopped()
        self.finished = True
        self._step_done()
        return self

    def _step_done(self):
        if self.on_step is not None:
            self.on_step(self)

    def planned_fits(self):
        """The (candidate, fold) fits still planned: the folds not yet run by
        the candidates still in the race (and the baseline)."""
        if self.finished:
            return 0
        n_folds = len(self.splits)
        return sum(
            1 for c in self.alive for f in range(n_folds) if (c, f) not in self.outcomes
        )

    def _competing(self):
        return [c for c in self.alive if c in self.racers]

    # -- rung 0 -----------------------------------------------------------------
    def _rung0_splits(self):
        """The (subsample, validation) splits of rung 0.

        None: no rung 0 (``subsample=None``, no more racers than ``keep``, or
        folds too small to subsample); an empty list: rung 0 is the first
        full-size fold, because the subsample would have fewer than ``min_rows``
        rows.
        """
        params, splits, seed = self.params, self.splits, self.seed
        if params["subsample"] is None or len(self.racers) <= params["keep"]:
            return None
        n_folds0 = min(params["folds"], len(splits))
        sub_splits = [
            (
                subsample_rows(
                    train,
                    self.y[train],
                    params["subsample"],
                    self.classification,
                    seed=None if seed is None else seed + f,
                ),
                test,
            )
            for f, (train, test) in enumerate(splits[:n_folds0])
        ]
        if all(len(s) == len(t) for (s, _), (t, _) in zip(sub_splits, splits)):
            return None
        if min(len(s) for s, _ in sub_splits) < params["min_rows"]:
            return []
        return sub_splits

    def _run_rung0(self, sub_splits):
        """Every racer on a subsample of each training fold, then the screen.

        With ``time_budget``, the racers cut by it (all but the first may be)
        are left out of the screen (:meth:`_cut`)."""
        n_folds0 = len(sub_splits)
        folds0 = range(n_folds0)
        results = self._run_rung0_jobs(self.racers, sub_splits, self.racers[:1])
        if not self._late():
            means = {
                c: _mean_score(results, c, folds0, self.score) for c in self.racers
            }
            added = self._extend(means)
            if added:
                results.update(self._run_rung0_jobs(added, sub_splits))
        ran = [c for c in self.racers if any((c, f) in results for f in folds0)]
        scores = np.array(
            [[_score_of(results.get((c, f)), self.score) for f in folds0] for c in ran]
        )
        fit_time = np.array(
            [
                sum(results[c, f]["fit_time"] for f in folds0 if (c, f) in results)
                for c in ran
            ]
        )
        pairs = zip(sub_splits, self.splits)
        share = float(np.mean([len(s) / len(t) for (s, _), (t, _) in pairs]))
        self.rung0 = {
            "racers": ran,
            "scores": scores,
            "fit_time": fit_time,
            "share": share,
            "rows": int(round(np.mean([len(s) for s, _ in sub_splits]))),
        }
        done = [k for k, c in enumerate(ran) if all((c, f) in results for f in folds0)]
        self._cut([c for c in self.racers if c not in [ran[k] for k in done]], 0)
        if done:
            go_on, margin, budget_out = self._screen(
                scores[done], fit_time[done], share
            )
            for k, on, out in zip(done, go_on, budget_out):
                if not on:
                    self._drop(ran[k], 0, out, margin)
        self.racers = [c for c in self.racers if c in self.alive]

    def _run_rung0_jobs(self, racers, sub_splits, always=()):
        """``racers`` on every subsample of rung 0, within ``time_budget``."""
        jobs = [(c, f) for c in racers for f in range(len(sub_splits))]
        kwargs = {"until": self.time_budget, "always": set(always)}
        return self.run_jobs(jobs, sub_splits, rung=0, **kwargs)[0]

    def _extend(self, means):
        """The candidates ``refine`` adds at the first screen, now racing."""
        if self.refine is None:
            return []
        added = list(self.refine(means))
        self.racers += added
        self.alive += added
        self.n_compared += len(added)
        return added

    def _refine_first_fold(self):
        """Without a subsample rung: refine after the first full-size fold, and
        run the configurations added on that fold (none once past
        ``time_budget``)."""
        if self._late():
            return
        competing = self._competing()
        added = self._extend(
            {c: _mean_score(self.outcomes, c, [0], self.score) for c in competing}
        )
        if added:
            results, _ = self.run_jobs(
                [(c, 0) for c in added],
                self.splits,
                self.blocks,
                until=self.time_budget,
            )
            self.outcomes.update(results)
            self._cut([c for c in added if (c, 0) not in results], 0)
            self._drop_failures(added, [0])

    def _screen_first_fold(self):
        """Rung 0 on the first full-size fold: its scores, spread from blocks."""
        screened = [c for c in self.racers if c in self.alive]
        if len(screened) <= self.params["keep"]:
            return
        first = [self.outcomes[c, 0] for c in screened]
        go_on, margin, budget_out = self._screen(
            np.array([[r["scores"][self.score]] for r in first]),
            np.array([r["fit_time"] for r in first]),
            blocks=[r["block_scores"] for r in first],
        )
        for c, on, out in zip(screened, go_on, budget_out):
            if not on:
                self._drop(c, 1, out, margin)

    def _screen(self, scores, fit_time, share=None, blocks=None):
        """The rung-0 screen (``rung0_keep``) with its margin and budget.

        ``scores`` (n_racers, n_folds0) and ``fit_time`` (n_racers, summed over
        those folds) come either from fits on ``share`` of the training rows
        (the subsample rung), or, ``share=None``, from the first full-size fold,
        whose ``blocks`` scores give each racer's standard deviation.
        """
        n_folds, n_folds0 = len(self.splits), scores.shape[1]
        spread = None
        if blocks is not None:
            # the standard deviation of a fold score, from its blocks
            spread = np.zeros(len(blocks))
            for k, b in enumerate(blocks):
                b = np.asarray([] if b is None else b, dtype=float)
                b = b[np.isfinite(b)]
                if b.size > 1:
                    spread[k] = b.std(ddof=1) / np.sqrt(b.size)
        # fit time taken as proportional to the rows
        per_fold = fit_time / n_folds0 / (1.0 if share is None else share)
        done = n_folds0 if share is None else 0  # full-size folds already run
        return rung0_keep(
            scores,
            keep=self.params["keep"],
            tolerance=self.params["tolerance"],
            spread=spread,
            spent=float(fit_time.sum()),
            cost_to_go=per_fold * (n_folds - done),
            full_cost=float(n_folds * per_fold.sum()),
            budget=self.params["budget"],
        )

    def _drop(self, c, fold, over_budget, margin):
        """Drop candidate ``c`` at the screen (rung 0 or the first fold)."""
        self.alive.remove(c)
        self.dropped[c] = fold
        if over_budget:
            self.over_budget.add(c)
        if self.verbose:
            where = "at rung 0" if fold == 0 else "after fold 1"
            why = (
                "its projected fit time is over the racing budget"
                if over_budget
                else f"more than {margin:.4f} behind the leader"
            )
            self.say(f"[ModelSelector] {self.names[c]} dropped {where}: {why}")

    # -- the full-size folds ----------------------------------------------------
    def _run_folds(self, f):
        """Run fold ``f``, or every fold from ``f`` on once the race is decided."""
        competing = self._competing()
        # once fewer than two racers are left the race is decided: the
        # remaining folds run as one batch (in parallel with n_jobs), as many
        # as end within time_budget
        batch = [f]
        if len(competing) < 2:
            batch = range(f, f + self._folds_in_time(f))
        if not batch:
            return batch
        if len(competing) >= 2 and self.time_budget is not None:
            self._run_timed_fold(f, competing)
            return batch
        jobs = [(c, g) for g in batch for c in self.alive]
        # the last racer left is the winner (if its folds do not fail): its
        # refit on all the rows can run beside its remaining folds
        refit = competing[0] if self.refit and len(batch) > 1 and competing else None
        results, refitted = self.run_jobs(jobs, self.splits, self.blocks, refit=refit)
        if refit is not None:
            self.early_refit = (self.names[refit], refitted)
        self.outcomes.update(results)
        self._drop_failures(list(self.alive), batch)
        return batch

    def _run_timed_fold(self, f, competing):
        """Fold ``f`` of the racers and the baseline within ``time_budget``:
        the baseline and the leader first, whatever the time; the racers that
        did not start are cut (:meth:`_cut`)."""
        leader = self._leader(f)
        others = [c for c in self.alive if c not in competing]
        order = [*others, leader, *(c for c in competing if c != leader)]
        results, _ = self.run_jobs(
            [(c, f) for c in order],
            self.splits,
            self.blocks,
            until=self.time_budget,
            always={*others, leader},
        )
        self.outcomes.update(results)
        self._cut([c for c in competing if (c, f) not in results], f)
        self._drop_failures(list(self.alive), [f])

    def _drop_failures(self, candidates, folds):
        """Racers among ``candidates`` that failed on one of ``folds`` leave the
        race (dropped at that fold)."""
        for g in folds:
            for c in candidates:
                if (c, g) not in self.outcomes:
                    continue  # cut by time_budget
                failed = self.outcomes[c, g]["error"] is not None
                if failed and c in self.racers and c in self.alive:
                    self.alive.remove(c)
                    self.dropped[c] = g + 1

    def _test(self, k):
        """After ``k`` folds: drop the racers significantly behind the leader."""
        competing = self._competing()
        if len(competing) < 2:
            return
        outcomes = self.outcomes
        fold_scores = np.array(
            [
                [outcomes[c, g]["scores"][self.score] for g in range(k)]
                for c in competing
            ]
        )
        block_scores = []
        for g in range(k):
            per = [outcomes[c, g]["block_scores"] for c in competing]
            block_scores.append(
                np.array(per) if all(b is not None for b in per) else np.empty(0)
            )
        drop, _ = racing_drops(
            fold_scores,
            block_scores,
            test_train_ratio=self.ratio,
            n_looks=len(self.splits) - 1,
            n_compared=self.n_compared,
        )
        for c, out in zip(competing, drop):
            if out:
                self.alive.remove(c)
                self.dropped[c] = k
                if self.verbose:
                    self.say(
                        f"[ModelSelector] {self.names[c]} dropped after fold "
                        f"{k}: significantly behind the leader"
                    )

    # -- the time limit -----------------------------------------------------------
    def _fold_time(self, c):
        """Candidate ``c``'s mean fit and score time of one full-size fold (from
        rung 0 when it ran no full-size fold yet, 0 when unknown)."""
        times = [
            r["fit_time"] + r["score_time"]
            for (d, _), r in self.outcomes.items()
            if d == c
        ]
        if times:
            return float(np.mean(times))
        if self.rung0 is not None and c in self.rung0["racers"]:
            k = self.rung0["racers"].index(c)
            n_folds0 = self.rung0["scores"].shape[1]
            return float(self.rung0["fit_time"][k] / n_folds0 / self.rung0["share"])
        return 0.0

    def _projected(self, candidates, n_folds):
        """The projected wall time of ``n_folds`` folds of ``candidates``."""
        per_fold = sum(self._fold_time(c) for c in candidates)
        return float(np.ceil(n_folds / max(self.n_workers, 1))) * per_fold

    def _folds_in_time(self, f):
        """How many of the folds from ``f`` on end within ``time_budget``."""
        n_left = len(self.splits) - f
        if self.time_budget is None:
            return n_left
        left = self.time_budget - self.clock()
        fits = [
            m for m in range(1, n_left + 1) if self._projected(self.alive, m) <= left
        ]
        # at least one full-size fold: the scores are full-size fold scores
        return max(fits, default=0) or int(f == 0)

    def _check_time(self, k):
        """After rung 0 (``k=0``) or fold ``k``: past ``time_budget``, the racers
        but the leader are dropped."""
        competing = self._competing()
        if self.time_budget is None or len(competing) < 2:
            return
        end = self.clock() + self._projected(self.alive, 1)
        if end <= self.time_budget:
            return
        leader = self._leader(k)
        for c in competing:
            if c == leader:
                continue
            self.alive.remove(c)
            self.dropped[c] = k
            self.out_of_time.add(c)
            self._say_out_of_time(c, "at rung 0" if k == 0 else f"after fold {k}")

    def _late(self):
        """Whether the elapsed time has passed ``time_budget``."""
        return self.time_budget is not None and self.clock() >= self.time_budget

    def _leader(self, k):
        """The racer with the best mean at rung 0 (``k=0``) or over ``k``
        folds; the first racer when none has a score yet."""
        competing = self._competing()
        if k == 0 and self.rung0 is None:
            return competing[0]
        return competing[int(np.argmax([self._mean_so_far(c, k) for c in competing]))]

    def _cut(self, candidates, k):
        """Racers that ``time_budget`` left without their rung 0 (``k=0``) or
        their fold ``k + 1``: ``not_run`` when they never started a fit, else
        dropped at rung 0 or after fold ``k`` (``out_of_time``)."""
        ran0 = self.rung0["racers"] if self.rung0 is not None else []
        for c in candidates:
            if c not in self.alive:
                continue
            self.alive.remove(c)
            if c not in ran0 and not any(d == c for d, _ in self.outcomes):
                self.not_run.add(c)
                self._say_out_of_time(c, None)
                continue
            self.dropped[c] = k
            self.out_of_time.add(c)
            self._say_out_of_time(c, "at rung 0" if k == 0 else f"after fold {k}")

    def _say_out_of_time(self, c, where):
        """The progress line of a racer ``time_budget`` stopped ``where``
        (None: before it started)."""
        if self.verbose:
            what = "not started" if where is None else f"dropped {where}"
            self.say(
                f"[ModelSelector] {self.names[c]} {what}: out of time "
                f"(time_budget={self.time_budget:g}s)"
            )

    def _mean_so_far(self, c, k):
        """``c``'s mean primary score at rung 0 (``k=0``) or over ``k`` folds;
        -inf when it has none."""
        if k == 0:
            scores = self.rung0["scores"][self.rung0["racers"].index(c)]
        else:
            scores = [
                _score_of(self.outcomes.get((c, g)), self.score) for g in range(k)
            ]
        scores = np.asarray(scores, dtype=float)
        scores = scores[np.isfinite(scores)]
        return float(scores.mean()) if scores.size else -np.inf

    def _record_stopped(self):
        """The racer left whose last folds ``time_budget`` left out."""
        n_folds = len(self.splits)
        for c in self._competing():
            ran = sum(1 for f in range(n_folds) if (c, f) in self.outcomes)
            if ran < n_folds:
                self.stopped[c] = ran
