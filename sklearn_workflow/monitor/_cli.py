"""``python -m sklearn_workflow monitor MODEL DATA``: follow a saved model.

Writes ``monitor.html`` (the decision, the drift timeline, estimated against
realised performance) and ``monitor.json`` into ``--out``, prints the decision
and exits 0 for keep, 1 for retrain or investigate. A model saved without a
monitoring reference is bad input (exit 2, one line). The helpers here are
shared by the ``compare`` and ``retrain`` commands.
"""

from pathlib import Path

from sklearn_workflow.exceptions import BadInputError

__all__ = ["COMMAND", "handle"]

PERIODS = ("h", "D", "W", "M", "Y")

COMMAND = (
    "follow a saved model on new data: drift, performance, retrain decision",
    "Compare DATA with the reference saved in MODEL, chunk by chunk: drift with "
    "alarm levels from the reference's own noise, performance estimated without "
    "labels (and realised with --labels), and a retrain decision with reasons. "
    "Writes monitor.html; exits 0 for keep, 1 for retrain or investigate.",
    [
        ("model", {"help": "a model.skops file with its monitoring reference"}),
        ("data", {"help": "CSV or Parquet file of new rows"}),
        ("--labels", {"help": "column of DATA with the true labels", "metavar": "COL"}),
        ("--time-column", {"help": "column of DATA with the rows' times"}),
        (
            "--chunk",
            {
                "help": "rows per chunk (e.g. 1000) or a period of --time-column "
                "(h, D, W, M, Y); default: the whole file is one chunk",
                "metavar": "SIZE|PERIOD",
            },
        ),
        ("--out", {"help": "output folder", "default": "monitor-output"}),
        (
            "--no-multivariate",
            {"help": "skip the domain-classifier test", "action": "store_true"},
        ),
    ],
)


def load_model(path):
    """A saved model (trusted types only), or a one-line BadInputError."""
    from sklearn_workflow.deploy import load

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"cannot read model {str(path)!r}: no such file")
    try:
        return load(path)
    except ValueError as exc:
        raise BadInputError(str(exc)) from exc


def read_data(path, quiet):
    from sklearn_workflow.utils._files import load_table

    return load_table(path, say=None if quiet else print)


def pop_column(frame, column, flag, source):
    """The column named by ``flag`` taken out of the frame, or None."""
    if column is None:
        return frame, None
    if column not in frame.columns:
        raise BadInputError(
            f"{flag} {column!r} is not a column of {source}; "
            f"columns are {list(frame.columns)}"
        )
    return frame.drop(columns=column), frame[column].to_numpy()


def parse_chunk(text):
    """``(chunk_size, period)`` from ``--chunk``."""
    if text is None:
        return None, None
    if text in PERIODS:
        return None, text
    if str(text).isdigit() and int(text) > 0:
        return int(text), None
    raise BadInputError(
        f"--chunk must be a positive number of rows or one of {PERIODS}; got {text!r}"
    )


def write_json(path, content):
    import json

    from sklearn_workflow.report import to_jsonable

    path.write_text(json.dumps(to_jsonable(content), indent=2), encoding="utf-8")


def handle(args):
    """Run the ``monitor`` command; returns the exit code."""
    from sklearn_workflow.monitor import Monitor, get_reference, monitor_report

    model = load_model(args.model)
    get_reference(model)  # one line and exit 2 when it is missing
    frame = read_data(args.data, args.quiet)
    frame, y = pop_column(frame, args.labels, "--labels", args.data)
    frame, times = pop_column(frame, args.time_column, "--time-column", args.data)
    chunk_size, period = parse_chunk(args.chunk)
    if period is not None and times is None:
        raise BadInputError(f"--chunk {period!r} is a period and needs --time-column")
    monitor = Monitor(
        model,
        chunk_size=chunk_size,
        period=period,
        multivariate=not args.no_multivariate,
    )
    monitor.update(frame, y, timestamp=times)
    decision = monitor.decide()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    html = monitor_report(
        monitor, decision, title=f"Monitoring: {Path(args.data).name}"
    )
    (out / "monitor.html").write_text(html, encoding="utf-8")
    write_json(
        out / "monitor.json",
        {"decision": decision.to_dict(), "chunks": monitor.chunks_},
    )
    if not args.quiet:
        print(decision)
        print(f"report written to {out / 'monitor.html'}")
    return decision.exit_code
