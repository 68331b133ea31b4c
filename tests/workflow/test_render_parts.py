import re

import numpy as np
import pandas as pd
import pytest

from sklearn_workflow.workflow._render_parts import selection_summary, selection_table


def _results(with_stopped_at):
    frame = pd.DataFrame(
        {
            "rank": [1, 2, 3, 4, 5, 6],
            "name": ["Tree", "Forest", "Baseline", "KNN", "SVM", "Boost"],
            "mean_roc_auc": [0.7, 0.9, 0.5, np.nan, 0.8, np.nan],
            "std_roc_auc": [0.0, 0.01, 0.0, np.nan, 0.02, np.nan],
            "fold_1": [0.7, 0.9, 0.5, np.nan, 0.8, np.nan],
            "fit_time": [0.1, 3.0, 0.0, 0.0, 1.0, 0.0],
            "rung0_fit_time": [0.0, 0.0, 0.0, 0.2, 0.0, 0.0],
            "rung0_mean": [np.nan, np.nan, np.nan, 0.6, np.nan, np.nan],
            "n_folds": [1, 5, 5, 0, 3, 0],
            "status": [
                "dropped at fold 1",
                "completed",
                "baseline",
                "dropped at rung 0",
                "stopped at fold 3 (time)",
                "failed",
            ],
            "error": ["", "", "", "", "", "ValueError: boom"],
        }
    )
    if with_stopped_at:
        frame["stopped_at"] = ["fold 1 of 5", "", "", "rung 0", "fold 3 of 5", ""]
    return frame


@pytest.mark.parametrize("with_stopped_at", [True, False])
def test_selection_summary_orders_rows_and_shows_where_the_race_stopped(
    with_stopped_at,
):
    summary = selection_summary(_results(with_stopped_at), best="Forest")
    # The winner, the stopped candidates (most folds first), failures, baseline.
    assert summary["candidate"].tolist() == [
        "Forest",
        "SVM",
        "Tree",
        "KNN",
        "Boost",
        "Baseline",
    ]
    assert summary["rank"].tolist()[:4] == [1.0, 2.0, 3.0, 4.0]
    assert summary["rank"].iloc[4:].isna().all()
    outcome = summary.set_index("candidate")["outcome"]
    point = "fold 1 of 5" if with_stopped_at else "fold 1"
    assert outcome["Tree"] == f"stopped at {point}"
    assert outcome["SVM"].endswith("(time)")
    assert outcome["KNN"] == "stopped at rung 0"
    assert outcome["Boost"] == "failed: ValueError: boom"
    score = summary.set_index("candidate")["roc_auc"]
    assert score["Forest"] == "0.9 +/- 0.01"
    assert score["SVM"] == "0.8 (3 folds)"
    assert score["KNN"] == "0.6 (subsample)"  # no zero for a candidate not scored
    fit = summary.set_index("candidate")["fit time (s)"]
    assert fit["KNN"] == pytest.approx(0.2)
    assert np.isnan(fit["Boost"]) and np.isnan(fit["Baseline"])


def test_selection_table_drops_the_fold_columns_on_request():
    results = _results(True)
    assert "fold_1" in selection_table(results)
    assert "fold_1" not in selection_table(results, folds=False)


@pytest.mark.slow
def test_report_leads_with_the_answer_and_links_every_section(churn_run):
    folder, _, _ = churn_run
    page = (folder / "out" / "report.html").read_text()
    verdict = page.index('class="verdict')
    contents = page.index('<nav class="toc"')
    first_stage = page.index('<section id="problem">')
    assert verdict < contents < first_stage
    summary = page[verdict:contents]
    for label in ("model", "score", "threshold", "dropped", "converted"):
        assert f"<dt>{label}</dt>" in summary
    assert "95% interval" in summary and "cancellation_requested" in summary
    anchors = re.findall(r'<a href="#([\w-]+)">', page[contents:first_stage])
    assert {"drivers", "errors", "next-steps", "selection"} <= set(anchors)
    for anchor in anchors:
        assert f'<section id="{anchor}">' in page
    # The selection table: the baseline row last, no rank for it.
    selection = page[page.index('<section id="selection">') :]
    table = selection[: selection.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    assert "Baseline" in rows[-1] and '<td class=""></td>' in rows[-1]
    next_steps = page[page.index('<section id="next-steps">') :]
    assert next_steps.count("<li>") >= 2 and "Learning curve" in next_steps
    assert "@media print" in page and "http://" not in page


def test_selection_summary_says_which_completed_models_have_no_probabilities():
    results = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "name": ["Forest", "SVC", "Baseline"],
            "mean_f1": [0.8, 0.81, 0.0],
            "std_f1": [0.02, 0.02, 0.0],
            "fit_time": [1.0, 1.0, 0.01],
            "n_folds": [5, 5, 5],
            "status": ["completed", "completed", "baseline"],
            "stopped_at": ["", "", ""],
            "has_proba": [True, False, True],
        }
    )
    outcome = selection_summary(results, best="Forest").set_index("candidate")
    assert outcome.loc["SVC", "outcome"] == "completed, no probabilities"
    assert outcome.loc["Forest", "outcome"] == "completed"
    assert outcome.loc["Baseline", "outcome"] == "baseline"
