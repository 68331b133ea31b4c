"""Multimodal columns: the dip test flags a bimodal real column, not unimodal ones."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.quality import DataQualityChecker, _modality

diptest = pytest.importorskip("diptest")


def _penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    return palmerpenguins.load_penguins()


def _multimodal(findings):
    return findings[findings["check"] == "multimodal"].set_index("column")


def test_flipper_length_is_multimodal_and_the_other_measures_are_not():
    penguins = _penguins().drop(columns=["species", "island", "sex", "year"])
    hits = _multimodal(DataQualityChecker().fit(penguins).findings_)
    assert hits.index.tolist() == ["flipper_length_mm"]
    # Adelie and Chinstrap near 190 mm, Gentoo near 217 mm: bin between them
    suggestion = hits.loc["flipper_length_mm", "suggestion"]
    valley = float(suggestion.split("valleys (")[1].split(":")[0])
    assert 200 < valley < 210
    message = hits.loc["flipper_length_mm", "message"]
    modes = [float(v) for v in message.split("modes near ")[1].split(")")[0].split(",")]
    assert len(modes) == 2 and 185 < modes[0] < 197 and 210 < modes[1] < 222


def test_the_dip_is_the_dip_of_the_package():
    values = np.sort(_penguins()["flipper_length_mm"].dropna().to_numpy(float))
    (row,) = _modality.multimodal_findings("f", values, np.unique(values).size)
    sample = _modality._quantile_sample(values)
    assert row["value"] == pytest.approx(diptest.dipstat(sample))
    # whole millimetres spread over their step, in order, within half a step
    assert np.all(np.diff(sample) >= 0)
    assert np.max(np.abs(sample - values)) <= 0.5


def test_huge_samples_do_not_flag_trivia(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    n = 100_000
    X = pd.DataFrame(
        {
            "normal": rng.normal(size=n),
            "skewed": rng.lognormal(size=n),
            # a bump of 0.3% of the rows: significant at this size, but trivial
            "bump": np.r_[rng.normal(0, 1, n - 300), rng.normal(6, 0.1, 300)],
            "two_groups": np.r_[rng.normal(0, 1, n // 2), rng.normal(5, 1, n // 2)],
            "rating": rng.integers(1, 6, n).astype(float),  # few values
        }
    )
    hits = _multimodal(DataQualityChecker().fit(X).findings_)
    assert hits.index.tolist() == ["two_groups"]
    assert "modes near" in hits.loc["two_groups", "message"]


def test_without_diptest_the_check_is_skipped_and_said(monkeypatch):
    monkeypatch.setattr(_modality, "diptest", None)
    X = _penguins()[["flipper_length_mm", "island"]]
    findings = DataQualityChecker().fit(X).findings_
    row = findings[findings["check"] == "multimodal"]
    assert row["column"].isna().all() and len(row) == 1
    assert "skipped" in row["message"].item()
    assert "diptest" in row["suggestion"].item()


def test_the_package_imports_without_diptest():
    code = (
        "import sys; sys.modules['diptest'] = None\n"
        "import pandas as pd\n"
        "from sklearn_workflow.quality import DataQualityChecker\n"
        "from sklearn_workflow.quality._modality import dip_available\n"
        "X = pd.DataFrame({'a': [1.0, 2.0, 3.0] * 30})\n"
        "f = DataQualityChecker().fit(X).findings_\n"
        "assert not dip_available()\n"
        "print(f['check'].tolist())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "multimodal" in out.stdout
