"""``python -m sklearn_workflow compare CHAMPION CHALLENGER DATA --labels COL``.

Or ``compare --shadow-log FILE --labels-file FILE --labels COL``: the serving
shadow log (JSON lines with ``id``, ``time``, ``champion``, ``challenger``)
joined by ``id`` to the true labels. Prints the verdict and the tests, writes
``comparison.json`` into ``--out`` when given, and exits 1 when it recommends
promoting the challenger, 0 otherwise.
"""

from pathlib import Path

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.monitor._cli import load_model, pop_column, read_data, write_json

__all__ = ["COMMAND", "handle"]

COMMAND = (
    "champion against challenger on the same rows: paired tests and a verdict",
    "McNemar on the decisions, DeLong on ROC-AUC, a paired bootstrap of the "
    "metric with a non-inferiority margin and the rows needed; verdict promote, "
    "keep or need more data. Exits 1 when it recommends promotion.",
    [
        ("champion", {"help": "the model in service (.skops)", "nargs": "?"}),
        ("challenger", {"help": "the candidate model (.skops)", "nargs": "?"}),
        ("data", {"help": "CSV or Parquet file of labelled rows", "nargs": "?"}),
        ("--labels", {"help": "column of the true labels", "metavar": "COL"}),
        ("--shadow-log", {"help": "the server's shadow log (JSON lines)"}),
        ("--labels-file", {"help": "table of id and label for --shadow-log"}),
        ("--metric", {"help": "metric to compare (default: the card's or ROC-AUC)"}),
        (
            "--margin",
            {"help": "non-inferiority margin", "type": float, "default": 0.0},
        ),
        ("--out", {"help": "folder for comparison.json"}),
    ],
)


def handle(args):
    """Run the ``compare`` command; returns the exit code."""
    from sklearn_workflow.monitor import compare_models
    from sklearn_workflow.monitor._compare import compare_shadow_log

    if args.labels is None:
        raise BadInputError("--labels names the column of the true labels")
    options = {"metric": args.metric, "margin": args.margin}
    if args.shadow_log is not None:
        if args.labels_file is None:
            raise BadInputError("--shadow-log needs --labels-file (id and labels)")
        result = compare_shadow_log(
            args.shadow_log, args.labels_file, label_column=args.labels, **options
        )
    else:
        if None in (args.champion, args.challenger, args.data):
            raise BadInputError(
                "give CHAMPION CHALLENGER DATA, or --shadow-log and --labels-file"
            )
        champion, challenger = load_model(args.champion), load_model(args.challenger)
        frame, y = pop_column(
            read_data(args.data, args.quiet), args.labels, "--labels", args.data
        )
        result = compare_models(champion, challenger, frame, y, **options)
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "comparison.json", result.to_dict())
    if not args.quiet:
        print(result)
    return result.exit_code
