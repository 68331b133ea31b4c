"""Score a large CSV or Parquet file in chunks, in memory bounded by the chunk.

Each chunk goes through the model's door (the rule of ``predict``: typed by the
cleaner, judged by the checker for the chunk's size, one summary line per
chunk) and through the prepared model (:class:`~sklearn_workflow.deploy.PreparedModel`,
its Python engine: the answers of ``predict``, bit for bit), and its predictions
are appended to the output before the next chunk is read: the process holds
one chunk, its features and its predictions at a time.
"""

import csv
import sys
import warnings
from pathlib import Path

from sklearn_workflow.deploy._fast import PreparedModel
from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.workflow._door import pass_door, prediction_frame

__all__ = ["iter_chunks", "score_file"]

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def _separator(path):
    """The field separator of a delimited file, told from its first lines."""
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        sample = handle.read(64_000)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def iter_chunks(path, chunksize):
    """The rows of a CSV or Parquet file, ``chunksize`` at a time.

    Parameters
    ----------
    path : path-like
        ``.parquet``/``.pq`` (read with pyarrow, by record batches) or
        ``.csv``/``.tsv``/``.txt`` (UTF-8, separator sniffed, ``.`` decimals).
    chunksize : int

    Returns
    -------
    n_rows : int or None
        The file's row count when known without reading it (Parquet).
    chunks : iterator of DataFrame
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise BadInputError(
                f"reading {path.name!r} in chunks needs pyarrow: pip install pyarrow"
            ) from exc
        reader = pq.ParquetFile(path)
        batches = reader.iter_batches(batch_size=chunksize)
        return reader.metadata.num_rows, (b.to_pandas() for b in batches)
    if suffix in CSV_SUFFIXES:
        import pandas as pd

        chunks = pd.read_csv(path, sep=_separator(path), chunksize=chunksize)
        return None, iter(chunks)
    raise BadInputError(
        f"cannot score {path.name!r} in chunks: expected a CSV "
        f"({', '.join(CSV_SUFFIXES)}) or Parquet ({', '.join(PARQUET_SUFFIXES)}) file"
    )


class _Writer:
    """Appends prediction chunks to a Parquet or CSV file."""

    def __init__(self, out):
        self.out = Path(out)
        self.parquet = self.out.suffix.lower() in PARQUET_SUFFIXES
        self.writer = None
        self.out.parent.mkdir(parents=True, exist_ok=True)

    def write(self, frame):
        if not self.parquet:
            first = self.writer is None
            frame.to_csv(
                self.out, mode="w" if first else "a", header=first, index=False
            )
            self.writer = True
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.out, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))

    def close(self):
        if self.parquet and self.writer is not None:
            self.writer.close()


def score_file(model, data, out, *, chunksize=100_000, strict=False, verbose=1):
    """Predict every row of a large file, chunk by chunk.

    Parameters
    ----------
    model : Pipeline
        A fitted workflow pipeline (cleaner and checker first).
    data : path-like
        A CSV or Parquet file (:func:`iter_chunks`).
    out : path-like
        ``.parquet`` or ``.csv``: ``prediction`` and, for classifiers,
        ``proba_<class>`` columns, one row per input row, in order -- the
        columns ``predict`` writes.
    chunksize : int, default=100_000
        Rows per chunk; peak memory grows with it, not with the file.
    strict : bool, default=False
        Stop with a :class:`~sklearn_workflow.exceptions.BadInputError` at the
        first chunk with a contract violation (naming the column and the rows).
    verbose : int, default=1
        A progress bar (stderr) and one contract summary line per chunk.

    Returns
    -------
    summary : dict
        ``n_rows``, ``n_chunks``, ``chunks_with_problems`` and ``out``.

    See Also
    --------
    pandas.read_csv : With ``chunksize``, the CSV reader used here.
    pyarrow.parquet.ParquetFile.iter_batches : The Parquet reader used here.

    Examples
    --------
    A file of five rows scored two rows at a time; the third chunk has one row:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_workflow.deploy import score_file
    >>> folder = Path(tempfile.mkdtemp())
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0]})
    >>> X.to_csv(folder / "rows.csv", index=False)
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1, 1])
    >>> score_file(model, folder / "rows.csv", folder / "out.csv", chunksize=2,
    ...            verbose=0)["n_chunks"]
    3
    >>> pd.read_csv(folder / "out.csv")["prediction"].tolist()
    [0, 0, 1, 1, 1]
    """
    from tqdm.auto import tqdm

    n_rows, chunks = iter_chunks(data, chunksize)
    fast = PreparedModel(model, engine="python")
    writer = _Writer(out)
    bar = tqdm(
        total=n_rows, unit="rows", disable=not verbose, file=sys.stderr, leave=False
    )
    summary = {"n_rows": 0, "n_chunks": 0, "chunks_with_problems": 0}
    try:
        for k, chunk in enumerate(chunks):
            frame, problems = _score_chunk(model, fast, chunk, k, summary, strict)
            writer.write(frame)
            if verbose:
                tqdm.write(problems, file=sys.stdout)
            bar.update(len(chunk))
    finally:
        writer.close()
        bar.close()
    return {**summary, "out": str(out)}


def _score_chunk(model, fast, chunk, k, summary, strict):
    """The predictions of one chunk and its summary line."""
    first = summary["n_rows"]
    rows = f"rows {first:,}-{first + len(chunk) - 1:,}"
    _, clean, report = pass_door(model, chunk)
    problems = report.problems
    if problems:
        summary["chunks_with_problems"] += 1
        if strict:
            column, what = problems[0]
            raise BadInputError(f"--strict: chunk {k + 1} ({rows}): column "
                                f"{column!r}: {what}")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the door has reported them
        predictions, proba = fast.predict_with_proba(clean, cleaned=True)
    summary["n_rows"] += len(chunk)
    summary["n_chunks"] += 1
    found = "; ".join(f"{column}: {what}" for column, what in problems)
    line = f"chunk {k + 1} ({rows}): " + (
        f"{len(problems)} contract violation(s): {found}"
        if problems
        else "no contract violation"
    )
    return prediction_frame(predictions, proba, fast.classes_), line
