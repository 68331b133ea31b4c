"""Multimodal numeric columns: Hartigan's dip test and the modes, for binning.

A column whose values gather around two or more modes (a mixture of groups:
species, product lines, sensor states) is often better binned at the valleys
between them, or explained by the grouping column. The dip statistic is the
distance between the empirical distribution and the closest unimodal one; its
p-value comes from the ``diptest`` package (the ``stats`` extra). Without it the
check is skipped, and the checker says so.
"""

import numpy as np

from sklearn_workflow.quality._findings import finding

try:  # the "stats" extra
    import diptest
except ImportError:  # pragma: no cover - exercised by monkeypatching
    diptest = None

__all__ = [
    "dip_available",
    "find_modes",
    "multimodal_findings",
    "skipped_multimodal_findings",
]

# A column is multimodal when the dip test's p-value is below DIP_ALPHA, the
# dip itself is at least DIP_MIN (the dip is the largest gap, a share of the
# rows, between the empirical distribution function and the closest unimodal
# one, so a huge sample cannot flag a bump of a few rows), and a kernel density
# shows two modes or more (a uniform's flat top, the least favourable case of
# the test, is no mixture of groups).
DIP_ALPHA = 0.05
DIP_MIN = 0.02
# Columns need this many non-missing values and distinct values; at most
# DIP_SAMPLE evenly spaced order statistics are tested (the dip of the quantiles
# is the dip of the column, to 1 / DIP_SAMPLE; the p-value is then that of a
# sample of DIP_SAMPLE values, a conservative one).
DIP_MIN_ROWS = 50
DIP_MIN_UNIQUE = 10
DIP_SAMPLE = 5_000
# Modes: local maxima of a kernel density of at least MODE_MIN_HEIGHT of the
# highest; the bandwidth is BANDWIDTH * min(std, IQR / 1.34) * n ** -0.2 (0.7
# times Silverman's: narrow enough to keep two close modes apart). Two modes are
# one unless the valley between them is at most MODE_MAX_VALLEY of the lower:
# the wiggles of a uniform sample's density stay above 0.59 of their peaks.
BANDWIDTH = 0.63
MODE_MIN_HEIGHT = 0.1
MODE_MAX_VALLEY = 0.58
_GRID = 512


def dip_available():
    """Whether the ``diptest`` package is installed."""
    return diptest is not None


def _quantile_sample(sorted_values):
    """At most ``DIP_SAMPLE`` evenly spaced order statistics of a sorted column,
    with tied values spread evenly over their rounding step (a column of whole
    numbers is a rounded continuous one: ties would look like spikes)."""
    n = sorted_values.size
    if n > DIP_SAMPLE:
        sorted_values = sorted_values[np.linspace(0, n - 1, DIP_SAMPLE).astype(int)]
    uniques, first, counts = np.unique(
        sorted_values, return_index=True, return_counts=True
    )
    if uniques.size == sorted_values.size:
        return sorted_values
    step = np.min(np.diff(uniques)) if uniques.size > 1 else 1.0
    rank = np.arange(sorted_values.size) - np.repeat(first, counts)
    spread = (rank + 0.5) / np.repeat(counts, counts) - 0.5
    return sorted_values + spread * step


def find_modes(sample):
    """Modes and the valleys between them, from a kernel density of ``sample``.

    Returns
    -------
    modes, valleys : list of float
        ``len(valleys) == len(modes) - 1``.
    """
    lo, hi = float(sample.min()), float(sample.max())
    if hi <= lo:
        return [lo], []
    iqr = np.subtract(*np.percentile(sample, [75, 25]))
    scale = min(sample.std(), iqr / 1.34) if iqr > 0 else sample.std()
    bandwidth = BANDWIDTH * scale * sample.size ** (-0.2)
    width = (hi - lo) / _GRID
    counts, edges = np.histogram(sample, bins=_GRID, range=(lo, hi))
    sigma = max(bandwidth / width, 1.0)
    offsets = np.arange(-int(4 * sigma), int(4 * sigma) + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    density = np.convolve(counts, kernel / kernel.sum(), mode="same")
    centres = (edges[:-1] + edges[1:]) / 2
    inner = density[1:-1]
    peaks = (
        np.flatnonzero((inner > density[:-2]) & (inner >= density[2:])) + 1
    ).tolist()
    peaks = [i for i in peaks if density[i] >= MODE_MIN_HEIGHT * density.max()]
    peaks, valleys = _prominent(density, peaks)
    return [float(centres[i]) for i in peaks], [float(centres[i]) for i in valleys]


def _prominent(density, peaks):
    """Drop the lower of two neighbouring peaks until every valley between
    kept peaks is below ``MODE_MAX_VALLEY`` of the lower one."""
    while True:
        valleys = [
            int(a + np.argmin(density[a : b + 1])) for a, b in zip(peaks, peaks[1:])
        ]
        shallow = [
            k
            for k, v in enumerate(valleys)
            if density[v]
            >= MODE_MAX_VALLEY * min(density[peaks[k]], density[peaks[k + 1]])
        ]
        if not shallow:
            return peaks, valleys
        k = shallow[0]
        peaks.pop(k if density[peaks[k]] < density[peaks[k + 1]] else k + 1)


def _fmt(values):
    return ", ".join(f"{v:.4g}" for v in values)


def multimodal_findings(name, sorted_values, n_unique):
    """The ``multimodal`` finding of one numeric column, or none.

    Parameters
    ----------
    name : str
    sorted_values : ndarray
        The column's finite values, sorted.
    n_unique : int
        Its distinct values.
    """
    if (
        diptest is None
        or sorted_values is None
        or sorted_values.size < DIP_MIN_ROWS
        or n_unique < DIP_MIN_UNIQUE
    ):
        return []
    sample = _quantile_sample(sorted_values)
    dip, p_value = diptest.diptest(sample, sort_x=False)
    if not (p_value < DIP_ALPHA and dip >= DIP_MIN):
        return []
    modes, valleys = find_modes(sample)
    if len(modes) < 2:  # a flat top (a uniform) is no mixture of groups
        return []
    shape = f"modes near {_fmt(modes)}"
    binning = (
        f"Bin it at the valleys ({_fmt(valleys)}: Binner or KBinsDiscretizer "
        "with these edges) or "
    )
    return [
        finding(
            "multimodal",
            name,
            "info",
            dip,
            f"{name} is multimodal ({shape}): Hartigan's dip {dip:.3f}, "
            f"p = {p_value:.2g}.",
            binning + "look for the column that separates the groups (a "
            "category); a linear model sees one slope across them.",
        )
    ]


def skipped_multimodal_findings(n_eligible):
    """One info finding saying the check was skipped (``diptest`` missing)."""
    if diptest is not None or not n_eligible:
        return []
    return [
        finding(
            "multimodal",
            None,
            "info",
            None,
            f"The multimodality check of {n_eligible} numeric column(s) was "
            "skipped: it needs the diptest package.",
            "pip install 'sklearn_workflow[stats]' (or pip install diptest).",
        )
    ]
