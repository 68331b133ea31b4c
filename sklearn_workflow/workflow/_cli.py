"""The command line behind ``python -m sklearn_workflow``."""

import argparse
import sys
from pathlib import Path

import pandas as pd

from sklearn_workflow import __version__

# The seven stages, and the object that runs each one once it exists.
STAGES = (
    ("1 problem definition", None),
    ("2 data quality", None),
    ("3 exploratory analysis", None),
    ("4 feature engineering", None),
    ("5 model selection", None),
    ("6 training and tuning", None),
    ("7 evaluation and deployment", None),
)


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_workflow",
        description="The machine-learning workflow, from problem to production.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the workflow on a table")
    run.add_argument("data", nargs="?", help="CSV or Parquet file (default: demo)")
    run.add_argument("--target", help="name of the target column")
    run.add_argument("--out", default="workflow-output", help="output folder")
    run.add_argument("--random-state", type=int, default=0)
    run.add_argument("--quiet", action="store_true")
    return parser


def _read_table(path):
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def _load(args):
    if args.data is None:
        from sklearn_workflow.datasets import load_demo

        X, y = load_demo()
        return X, y, "demo churn data (make_churn, random_state=0)"
    frame = _read_table(args.data)
    if args.target is None or args.target not in frame.columns:
        raise ValueError(
            f"--target must name a column of {args.data}; got {args.target!r}"
        )
    return frame.drop(columns=args.target), frame[args.target], args.data


def _run(args):
    X, y, source = _load(args)
    say = (lambda *a: None) if args.quiet else print
    say(f"sklearn_workflow {__version__}: {source}")
    say(f"  {X.shape[0]:,} rows, {X.shape[1]} feature columns, target {y.name!r}")
    say(f"  target distribution: {y.value_counts(normalize=True).round(3).to_dict()}")
    missing = [name for name, runner in STAGES if runner is None]
    if missing:
        say("Stages not available yet in this version: " + "; ".join(missing))
    return 0


def main(argv=None):
    """Entry point of ``python -m sklearn_workflow``; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
