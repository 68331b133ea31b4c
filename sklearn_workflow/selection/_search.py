"""Search spaces, and the configurations of ``ModelSelector(search="random")``.

A search space is plain data: ``{parameter: distribution or list}``, named on the
candidate's own parameters. A distribution is a frozen ``scipy.stats`` one
(``loguniform(1e-2, 1e2)``, ``randint(2, 16)``, ``uniform(0.1, 0.9)``); a list is
a choice among its values.

Configurations are drawn as a scrambled Halton sequence (``scipy.stats.qmc``), a
low-discrepancy sample that covers the unit cube more evenly than independent
draws, mapped through each parameter's quantile function (``ppf``; a list's
values split the unit interval in equal parts). A configuration therefore has a
point in that *quantile space*; the samples "around a leader" are drawn in a box a
quarter of the width of each parameter's range, centred on the leader's point.
"""

import inspect
import math
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
from scipy import stats
from scipy.stats import qmc
from sklearn.base import clone

__all__ = [
    "CandidatePool",
    "Configuration",
    "ConfigurationSearch",
    "auto_n_configs",
    "check_space",
    "describe_space",
    "sample_configurations",
]

# The width, in quantile space, of the box the samples around a leader come from.
_NARROW_WIDTH = 0.25
# How many of the best configurations of the first screen are refined.
_N_LEADERS = 2
# Quantiles are kept off 0 and 1, where a discrete ppf leaves the support.
_EDGE = 1e-9


def _is_distribution(value):
    return callable(getattr(value, "ppf", None)) and callable(
        getattr(value, "cdf", None)
    )


def _is_discrete(dist):
    return isinstance(getattr(dist, "dist", None), stats.rv_discrete)


def check_space(space, estimator, name):
    """Check a search space against the candidate it searches.

    Parameters
    ----------
    space : dict
        ``{parameter: distribution or list}``.
    estimator : estimator
        The candidate, whose own parameters the space names.
    name : str
        The candidate's name, for the messages.

    Returns
    -------
    space : dict
        The space, its lists as tuples.
    """
    if not isinstance(space, dict):
        raise ValueError(
            f"search_spaces[{name!r}] must be a dict {{parameter: distribution or "
            f"list}}, got {space!r}."
        )
    known = estimator.get_params(deep=True)
    checked = {}
    for param, values in space.items():
        if param not in known:
            raise ValueError(
                f"search_spaces[{name!r}] names {param!r}, which is not a parameter "
                f"of {type(estimator).__name__}; its parameters are "
                f"{sorted(known)}."
            )
        if isinstance(values, list | tuple) and len(values) > 0:
            checked[param] = tuple(values)
        elif _is_distribution(values):
            checked[param] = values
        else:
            raise ValueError(
                f"search_spaces[{name!r}][{param!r}] must be a scipy.stats "
                f"distribution or a non-empty list, got {values!r}."
            )
    return checked


def _describe(values):
    if isinstance(values, tuple | list):
        return "one of " + ", ".join(repr(v) for v in values)
    low, high = values.support()
    kind = getattr(getattr(values, "dist", None), "name", type(values).__name__)
    if kind in ("loguniform", "reciprocal"):
        return f"log-uniform on [{low:g}, {high:g}]"
    if kind == "uniform":
        return f"uniform on [{low:g}, {high:g}]"
    if kind == "randint":
        return f"integers in [{low:g}, {high:g}]"
    return f"{kind} on [{low:g}, {high:g}]"


def describe_space(space):
    """A search space as one line of text.

    Examples
    --------
    >>> from scipy.stats import loguniform, randint
    >>> from sklearn_workflow.selection._search import describe_space
    >>> describe_space({"C": loguniform(1e-2, 1e2), "weights": ["uniform", "x"]})
    "C: log-uniform on [0.01, 100]; weights: one of 'uniform', 'x'"
    >>> describe_space({"max_depth": randint(2, 16)})
    'max_depth: integers in [2, 15]'
    >>> describe_space({})
    ''
    """
    return "; ".join(f"{param}: {_describe(values)}" for param, values in space.items())


def _finite_size(values):
    """The number of distinct values, or None for a continuous distribution."""
    if isinstance(values, tuple | list):
        return len(values)
    if _is_discrete(values):
        low, high = values.support()
        return int(high - low + 1) if np.isfinite(high - low) else None
    return None


def auto_n_configs(space):
    """How many configurations ``n_configs="auto"`` gives a candidate.

    Twice the number of parameters searched, between 4 and 8 (1 for an empty
    space), and never more than the space holds when it is finite.

    Examples
    --------
    >>> from scipy.stats import loguniform, randint
    >>> from sklearn_workflow.selection._search import auto_n_configs
    >>> auto_n_configs({"C": loguniform(1e-2, 1e2)})
    4
    >>> auto_n_configs({p: loguniform(1, 2) for p in "abcde"})
    8
    >>> auto_n_configs({"weights": ["uniform", "distance"]}), auto_n_configs({})
    (2, 1)
    """
    if not space:
        return 1
    n = min(8, max(4, 2 * len(space)))
    sizes = [_finite_size(values) for values in space.values()]
    if all(size is not None for size in sizes):
        n = min(n, math.prod(sizes))
    return n


def _value_at(values, u):
    """The value of a parameter at quantile ``u``, as a Python scalar."""
    if isinstance(values, tuple | list):
        return values[min(int(u * len(values)), len(values) - 1)]
    value = values.ppf(min(max(u, _EDGE), 1.0 - _EDGE))
    if _is_discrete(values):
        return int(round(float(value)))
    return float(value)


def _quantile_of(values, value):
    """The quantile of ``value`` (the middle of its share for a discrete or a
    list value); None when it is not in the space."""
    if isinstance(values, tuple | list):
        matches = [i for i, v in enumerate(values) if v is value or v == value]
        return (matches[0] + 0.5) / len(values) if matches else None
    try:
        if _is_discrete(values):
            return float((values.cdf(value - 1) + values.cdf(value)) / 2)
        return float(values.cdf(value))
    except (TypeError, ValueError):
        return None


def sample_configurations(space, n, seed=None, *, centre=None, width=1.0):
    """``n`` configurations of a space, a scrambled Halton sample mapped through
    each parameter's quantile function.

    Parameters
    ----------
    space : dict
        ``{parameter: distribution or list}``, non-empty.
    n : int
        The number of configurations.
    seed : int, list of int or None, default=None
        Seed of the scrambling.
    centre : ndarray of shape (n_params,) or None, default=None
        A point in quantile space (NaN: unknown in that parameter): the sample
        comes from the box of side ``width`` around it, kept inside the unit
        cube. None: the whole cube.
    width : float, default=1.0
        The side of that box.

    Returns
    -------
    configurations : list of (dict, ndarray)
        Each configuration ``{parameter: value}`` and its point in quantile
        space.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn_workflow.selection._search import sample_configurations
    >>> space = {"C": loguniform(1e-2, 1e2), "penalty": ["l2", None]}
    >>> configs = sample_configurations(space, 4, seed=0)
    >>> [0.01 <= c["C"] <= 100 and c["penalty"] in ("l2", None) for c, _ in configs]
    [True, True, True, True]
    >>> near = sample_configurations(space, 2, seed=0, centre=[0.5, float("nan")],
    ...                              width=0.25)
    >>> [0.1 < c["C"] < 10 for c, _ in near]  # quantiles 0.375 to 0.625
    [True, True]
    """
    params = list(space)
    unit = _halton(len(params), seed).random(n)
    low, high = np.zeros(len(params)), np.ones(len(params))
    if centre is not None:
        centre = np.asarray(centre, dtype=float)
        known = np.isfinite(centre)
        low[known] = np.clip(centre[known] - width / 2, 0.0, 1.0 - width)
        high[known] = low[known] + width
    points = low + unit * (high - low)
    return [
        ({p: _value_at(space[p], u) for p, u in zip(params, point)}, point)
        for point in points
    ]


def _child_seed(seed, *keys):
    # the initial sample of candidate ``p`` is ``(seed, p)``, the samples around
    # its configuration ``k`` ``(seed, p, k)``
    """A seed for one draw, derived from the selector's seed (None: random)."""
    if seed is None:
        return None
    return np.random.default_rng([int(seed), *keys])


@dataclass(eq=False)
class Configuration:
    """One configuration of a candidate: its ``k`` (1 is the candidate as
    given), its parameters and its point in quantile space (None when the
    candidate has no search space)."""

    candidate: str
    k: int
    params: dict
    point: np.ndarray = None

    @property
    def name(self):
        return self.candidate if self.point is None else f"{self.candidate} #{self.k}"


@dataclass(eq=False)
class ConfigurationSearch:
    """The configurations of every candidate, and those added around the leaders.

    Parameters
    ----------
    spaces : dict
        ``{candidate: space}`` in order of preference; an empty space: the
        candidate as given only.
    given : dict
        ``{candidate: {parameter: value}}``: the searched parameters of each
        candidate as given (its first configuration).
    n_configs : "auto" or int
        The configurations of each candidate before the race, the first one
        included (see :func:`auto_n_configs`).
    seed : int or None
        Seed of the samples.

    Attributes
    ----------
    configurations : list of Configuration
        Every configuration so far, in the order they were added.
    """

    spaces: dict
    given: dict
    n_configs: object
    seed: object
    configurations: list = field(default_factory=list, init=False)

    def initial(self):
        """The configurations before the race: for each candidate, the one as
        given, then samples of its space."""
        for position, (candidate, space) in enumerate(self.spaces.items()):
            given = self.given.get(candidate, {})
            if not space:
                self.configurations.append(Configuration(candidate, 1, {}))
                continue
            quantiles = [_quantile_of(space[p], given.get(p)) for p in space]
            point = np.array([np.nan if q is None else q for q in quantiles])
            self.configurations.append(Configuration(candidate, 1, given, point))
            n = self._n_of(space)
            drawn = sample_configurations(space, n, _child_seed(self.seed, position))
            self._add(candidate, drawn, limit=n - 1)
        return list(self.configurations)

    def _n_of(self, space):
        if isinstance(self.n_configs, Integral):
            return int(self.n_configs)
        return auto_n_configs(space)

    def _add(self, candidate, drawn, limit):
        """Add up to ``limit`` of the ``drawn`` configurations that the
        candidate does not have yet; returns those added."""
        have = [c.params for c in self.configurations if c.candidate == candidate]
        added = []
        for params, point in drawn:
            if len(added) >= limit:
                break
            if any(params == old for old in have):
                continue
            k = len(have) + 1
            have.append(params)
            added.append(Configuration(candidate, k, params, point))
        self.configurations.extend(added)
        return added

    def refine(self, means):
        """Configurations around the leaders of the first screen.

        Around each of the two best configurations with a search space (by
        ``means``), ``max(1, n // 4)`` samples (``n``: the candidate's
        configurations before the race) in the box a quarter of the width of
        each parameter's range centred on it.

        Parameters
        ----------
        means : dict
            ``{Configuration: mean score}`` (NaN: failed).

        Returns
        -------
        added : list of Configuration
        """
        ranked = sorted(
            (
                c
                for c, mean in means.items()
                if np.isfinite(mean) and c.point is not None
            ),
            key=lambda c: -means[c],
        )
        positions = list(self.spaces)
        added = []
        for leader in ranked[:_N_LEADERS]:
            space = self.spaces[leader.candidate]
            n = max(1, self._n_of(space) // 4)
            position = positions.index(leader.candidate)
            seed = _child_seed(self.seed, position, leader.k)
            drawn = sample_configurations(
                space, n, seed, centre=leader.point, width=_NARROW_WIDTH
            )
            added += self._add(leader.candidate, drawn, limit=n)
        return added


@dataclass(eq=False)
class CandidatePool:
    """The candidates of one ``ModelSelector`` fit, one per configuration.

    What the fold jobs, the progress bar and the race read (``items``,
    ``names``, shared lists), and what the search adds to.

    Parameters
    ----------
    raw : dict
        ``{candidate: (estimator, catalog entry or None)}``, unwrapped.
    wrap : callable
        ``wrap(estimator, entry)``: the estimator inside the preprocessing it
        needs.
    search : ConfigurationSearch or None
        The search, whose configurations the pool starts with; None: one
        configuration per candidate, as given.
    baseline : tuple or None, default=None
        ``(name, estimator)`` of the baseline, after the candidates.

    Attributes
    ----------
    items : list of (str, estimator, entry)
        Each configuration's name, wrapped estimator and catalog entry.
    names : list of str
        The names.
    configurations : list of Configuration
        Each item's configuration.
    """

    raw: dict
    wrap: object
    search: object
    baseline: tuple = None
    items: list = field(default_factory=list, init=False)
    names: list = field(default_factory=list, init=False)
    configurations: list = field(default_factory=list, init=False)

    def __post_init__(self):
        if self.search is None:
            configs = [Configuration(name, 1, {}) for name in self.raw]
        else:
            configs = self.search.initial()
        for config in configs:
            self._append(config)
        if self.baseline is not None:
            name, estimator = self.baseline
            self.raw[name] = (estimator, None)
            self._append(Configuration(name, 1, {}))

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def _append(self, config):
        estimator, entry = self.raw[config.candidate]
        if config.params:
            estimator = clone(estimator).set_params(**config.params)
        self.items.append((config.name, self.wrap(estimator, entry), entry))
        self.names.append(config.name)
        self.configurations.append(config)

    def preference(self):
        """The positions in order of preference: by candidate, then by
        configuration number."""
        position = {name: p for p, name in enumerate(self.raw)}
        configs = self.configurations
        return sorted(
            range(len(configs)),
            key=lambda i: (position[configs[i].candidate], configs[i].k),
        )

    def refine(self, means):
        """Add the configurations near the leaders (:meth:`ConfigurationSearch.
        refine`); ``means`` ``{index: mean score}``. Returns their indices."""
        if self.search is None:
            return []
        start = len(self.items)
        by_config = {self.configurations[c]: mean for c, mean in means.items()}
        for config in self.search.refine(by_config):
            self._append(config)
        return list(range(start, len(self.items)))


def _halton(d, seed):
    """A scrambled Halton sampler; SciPy names its seed ``rng`` from 1.15 on."""
    if "rng" in inspect.signature(qmc.Halton).parameters:
        return qmc.Halton(d=d, scramble=True, rng=seed)
    return qmc.Halton(d=d, scramble=True, seed=seed)
