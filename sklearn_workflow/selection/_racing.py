"""The racing rule of ``ModelSelector(strategy="racing")``.

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

import numpy as np
from scipy import stats
from sklearn.model_selection import KFold, StratifiedKFold

__all__ = [
    "RACING_ALPHA",
    "RUNG0_DEFAULTS",
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
