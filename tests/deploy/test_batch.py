"""Scoring a file in chunks: the predictions of in-memory ``predict``."""

import pandas as pd
import pytest

from sklearn_workflow.deploy import score_file
from sklearn_workflow.deploy._batch import iter_chunks
from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.workflow._cli import main
from sklearn_workflow.workflow._door import predict_table
from sklearn_workflow.workflow._runner import load_table

pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def churn_file(churn, tmp_path_factory):
    _, _, X_new = churn
    folder = tmp_path_factory.mktemp("batch")
    X_new.to_csv(folder / "rows.csv", index=False)
    X_new.to_parquet(folder / "rows.parquet", index=False)
    return folder


@pytest.mark.parametrize("source", ["rows.csv", "rows.parquet"])
@pytest.mark.parametrize("target", ["out.csv", "out.parquet"])
def test_score_file_in_chunks_equals_predict(
    churn_model, churn_file, tmp_path, source, target
):
    path = churn_file / source
    expected, _ = predict_table(churn_model, load_table(path), verbose=0)
    summary = score_file(churn_model, path, tmp_path / target, chunksize=37, verbose=0)
    assert summary["n_rows"] == len(expected) == 300
    assert summary["n_chunks"] == -(-300 // 37)
    out = tmp_path / target
    got = pd.read_parquet(out) if target.endswith("parquet") else pd.read_csv(out)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)


def test_iter_chunks_bounds_each_chunk(churn_file):
    n_rows, chunks = iter_chunks(churn_file / "rows.parquet", 64)
    sizes = [len(c) for c in chunks]
    assert n_rows == 300 and sizes == [64, 64, 64, 64, 44]
    n_rows, chunks = iter_chunks(churn_file / "rows.csv", 100)
    assert n_rows is None and [len(c) for c in chunks] == [100, 100, 100]
    with pytest.raises(BadInputError, match="expected a CSV"):
        iter_chunks(churn_file / "rows.xlsx", 10)


def test_score_file_prints_a_contract_line_per_chunk_and_strict_stops(
    churn_model, churn, tmp_path, capsys
):
    _, _, X_new = churn
    frame = X_new.reset_index(drop=True).copy()
    frame["contract"] = frame["contract"].astype(object)
    frame.loc[150:160, "contract"] = "Lifetime"
    frame.to_parquet(tmp_path / "rows.parquet", index=False)
    summary = score_file(churn_model, tmp_path / "rows.parquet",
                         tmp_path / "out.csv", chunksize=100)  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "chunk 1 (rows 0-99): no contract violation"
    assert lines[1].startswith("chunk 2 (rows 100-199): 1 contract violation(s): ")
    assert lines[1].endswith("contract: contract has 1 categories not seen at fit")
    assert summary["chunks_with_problems"] == 1
    with pytest.raises(BadInputError, match=r"chunk 2 \(rows 100-199\): column "):
        score_file(churn_model, tmp_path / "rows.parquet", tmp_path / "out.csv",
                   chunksize=100, strict=True, verbose=0)  # fmt: skip


def test_predict_command_chunksize_and_parquet_output(
    churn_model, churn_file, tmp_path, capsys
):
    from sklearn_workflow.deploy import save

    model = save(churn_model, tmp_path / "model.skops")
    expected, _ = predict_table(churn_model, load_table(churn_file / "rows.csv"),
                                verbose=0)  # fmt: skip
    out = tmp_path / "preds.parquet"
    args = ["predict", str(model), str(churn_file / "rows.csv"), "--out", str(out)]
    assert main([*args, "--chunksize", "128"]) == 0
    assert "300 predictions written" in capsys.readouterr().out
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_dtype=False)
    out.unlink()
    assert main([*args, "--quiet"]) == 0  # in memory, Parquet out
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_dtype=False)
    assert main([*args, "--chunksize", "0"]) == 2
    assert "--chunksize must be positive; got 0" in capsys.readouterr().err
