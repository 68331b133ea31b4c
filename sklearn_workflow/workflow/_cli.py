"""The command line behind ``python -m sklearn_workflow``.

Commands
--------
``run [DATA] [--target COL] [--spec problem.toml] [--out DIR] ...``
    The whole workflow (see :func:`~sklearn_workflow.workflow.run_workflow`).
``predict MODEL DATA [--out preds.csv|preds.parquet] [--strict] [--chunksize N]``
    Load a saved model securely, validate DATA against its data contract, write
    the predictions; with ``--chunksize`` (and always for Parquet input) the
    file is scored chunk by chunk, in memory bounded by the chunk.
``serve MODEL [--host H] [--port P] [--workers N] [--strict] [--token T] ...``
    Serve the model over HTTP (see :func:`sklearn_workflow.deploy.serve`).
``check DATA [--target COL] [--out DIR]``
    The data quality report alone.
``monitor MODEL DATA [--labels COL] [--time-column COL] [--chunk SIZE|PERIOD]``
    Drift, performance with or without labels and the retrain decision
    (``monitor.html``); exit 1 when it recommends retraining or investigating.
``compare CHAMPION CHALLENGER DATA --labels COL``
    Paired tests of two models on the same rows; exit 1 when it recommends
    promoting the challenger.
``retrain MODEL DATA``
    Rerun the workflow with the model's card on new data and compare.

Exit codes: 0 success; 1 the spec verdict was not met (``run``) or the data has
error-level findings (``check``); 2 bad input (unreadable file, unknown target
column, empty data, untrusted model file, ``--strict`` violations), with a
one-line message and no traceback unless ``--debug``; 3 an unexpected internal
error.
"""

import argparse
import sys
import traceback
import warnings
from pathlib import Path

from sklearn_workflow import __version__
from sklearn_workflow.exceptions import BadInputError, UntrustedTypesError

__all__ = ["main"]

EXIT_OK, EXIT_VERDICT, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error and exit code 2 (as for bad input)."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see {self.prog} --help)\n")


# fmt: off
_TASKS = ("binary_classification", "multiclass_classification", "regression")
_TABLE = "CSV or Parquet file"


def _arg(flag, help_text=None, **options):
    return flag, dict(options, help=help_text)


# Each command: its help line, its description and its arguments.
_COMMANDS = {
    "run": (
        "run the whole workflow on a table",
        "Hold out a test split, check the data, engineer features, select and tune "
        "a model, evaluate it against the problem card, and write report.html, "
        "model.skops, metrics.json, model_card.md and findings.csv.",
        [
            _arg("data", f"{_TABLE} (default: the churn demo and its card)", nargs="?"),
            _arg("--target", "name of the target column"),
            _arg("--spec", "problem card (TOML); default: inferred"),
            _arg("--task", "the learning task when no --spec gives it (default: "
                 "read from the target: text, booleans and up to 20 distinct "
                 "integers are classes)", choices=_TASKS),
            _arg("--positive-class", "the positive label of a binary target when "
                 "no --spec gives it (default: the minority class)",
                 metavar="LABEL"),
            _arg("--out", "output folder", default="workflow-output"),
            _arg("--random-state", type=int, default=0),
            _arg("--time-budget", "seconds the run may take (default 60): large "
                 "tables are subsampled for the model selection and the learning "
                 "curve, and the race is stopped in time", type=float, default=60,
                 metavar="SECONDS"),
            _arg("--keep-suspects", "keep leakage-suspect columns instead of "
                 "dropping them", action="store_true"),
            _arg("--time-column", "column of the rows' time: the latest rows are "
                 "held out and every cross-validation splits by time (default: "
                 "the date or year column found, when time predicts the target)",
                 metavar="COL"),
            _arg("--split", "how the test rows are chosen: auto (by time when "
                 "--time-column is given or time predicts the target), random or "
                 "time", choices=("auto", "random", "time"), default="auto"),
        ],
    ),
    "predict": (
        "predict with a saved model",
        "Load MODEL (skops, only trusted types), validate DATA against the model's "
        "data contract, and write predictions and probabilities.",
        [
            _arg("model", "a model.skops file written by run"),
            _arg("data", _TABLE),
            _arg("--out", "output file: .csv, or .parquet (needs pyarrow)",
                 default="predictions.csv"),
            _arg("--strict", "fail (exit 2) when the data violates the contract",
                 action="store_true"),
            _arg("--chunksize", "score a CSV or Parquet file N rows at a time, "
                 "in memory bounded by the chunk, with a progress bar and one "
                 "contract line per chunk (a Parquet file is always read in "
                 "chunks, 100,000 rows by default)", type=int, metavar="N"),
        ],
    ),
    "check": (
        "the data quality report alone",
        "Fit the data quality checker on DATA and print its report; exit 1 when a "
        "finding has severity 'error'.",
        [
            _arg("data", _TABLE),
            _arg("--target", "name of the target column"),
            _arg("--out", "folder for report.html and findings.csv"),
        ],
    ),
}
# fmt: on

# Commands defined in their own modules: command name -> module. Each module has
# ``COMMAND = (help line, description, [(flag, options), ...])`` and
# ``handle(args) -> exit code``, and imports nothing heavy at module level (the
# parser imports it to list the command).
_PLUGGED = {
    "serve": "sklearn_workflow.deploy._serve_cli",
    "monitor": "sklearn_workflow.monitor._cli",
    "compare": "sklearn_workflow.monitor._cli_compare",
    "retrain": "sklearn_workflow.monitor._cli_retrain",
}


def _plugged_commands():
    from importlib import import_module

    return {name: import_module(module) for name, module in _PLUGGED.items()}


def _parser():
    parser = _Parser(
        prog="python -m sklearn_workflow",
        description="The machine-learning workflow, from problem to production.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", help="show tracebacks of errors"
    )
    common.add_argument("--quiet", action="store_true", help="print nothing but errors")
    specs = dict(_COMMANDS)
    specs.update({name: m.COMMAND for name, m in _plugged_commands().items()})
    for name, (help_line, description, arguments) in specs.items():
        command = commands.add_parser(
            name, parents=[common], help=help_line, description=description
        )
        for flag, options in arguments:
            command.add_argument(flag, **options)
    return parser


def _run(args):
    from sklearn_workflow.workflow._runner import (
        load_table,
        run_workflow,
        split_target,
    )

    if args.data is None:
        from sklearn_workflow.datasets import load_demo

        X, y = load_demo()
        source = "demo churn data (make_churn, 5,000 rows, random_state=0)"
        if args.spec is not None:
            spec = args.spec
        else:
            from sklearn_workflow.problem import churn_spec

            spec = churn_spec()
        if args.target is not None and args.target != y.name:
            raise BadInputError(
                f"--target {args.target!r} is not a column of the demo data; "
                f"its target is {y.name!r}"
            )
    else:
        frame = load_table(args.data, say=_say(args))
        target = args.target
        spec = args.spec
        if target is None and spec is not None:
            from sklearn_workflow.workflow._runner import load_spec

            spec = load_spec(spec)
            target = spec.target
        X, y = split_target(frame, target, args.data)
        source = Path(args.data).name
    result = run_workflow(
        X,
        y,
        spec=spec,
        task=args.task,
        positive_class=args.positive_class,
        out=args.out,
        random_state=args.random_state,
        time_budget=args.time_budget,
        keep_suspects=args.keep_suspects,
        time_column=args.time_column,
        split=args.split,
        verbose=0 if args.quiet else 1,
        source=source,
    )
    return result.exit_code


def _predict(args):
    from sklearn_workflow.deploy import load
    from sklearn_workflow.workflow._runner import load_table, predict_table

    model_path = Path(args.model)
    if not model_path.is_file():
        raise BadInputError(f"cannot read model {str(model_path)!r}: no such file")
    try:
        model = load(model_path)
    except ValueError as exc:  # not a skops file, or a pickle suffix
        raise BadInputError(str(exc)) from exc
    if args.chunksize is not None and args.chunksize < 1:
        raise BadInputError(f"--chunksize must be positive; got {args.chunksize}")
    out = Path(args.out)
    if args.chunksize is not None or _is_parquet(args.data):
        return _predict_in_chunks(model, args, out)
    frame = load_table(args.data, say=_say(args))
    predictions, _ = predict_table(
        model, frame, verbose=not args.quiet, strict=args.strict
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    if _is_parquet(out):
        predictions.to_parquet(out, index=False)
    else:
        predictions.to_csv(out, index=False)
    if not args.quiet:
        print(f"{len(predictions):,} predictions written to {out}")
    return EXIT_OK


def _is_parquet(path):
    return Path(path).suffix.lower() in (".parquet", ".pq")


def _predict_in_chunks(model, args, out):
    """``predict`` on a file read chunk by chunk (see ``deploy.score_file``)."""
    from sklearn_workflow.deploy import score_file

    data = Path(args.data)
    if not data.is_file():
        raise BadInputError(f"cannot read {str(data)!r}: no such file")
    summary = score_file(
        model,
        data,
        out,
        chunksize=args.chunksize or 100_000,
        strict=args.strict,
        verbose=0 if args.quiet else 1,
    )
    if not args.quiet:
        print(
            f"{summary['n_rows']:,} predictions written to {out} "
            f"({summary['n_chunks']:,} chunks, {summary['chunks_with_problems']:,} "
            "with contract violations)"
        )
    return EXIT_OK


def _check(args):
    from sklearn_workflow.report import html_page, section, table_to_html
    from sklearn_workflow.workflow._runner import check_data, load_table, split_target

    frame = load_table(args.data, say=_say(args))
    if args.target is not None:
        X, y = split_target(frame, args.target, args.data)
    else:
        X, y = frame, None
    checker = check_data(X, y, verbose=not args.quiet)
    findings = checker.findings_
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        findings.to_csv(out / "findings.csv", index=False)
        page = html_page(
            f"Data quality: {Path(args.data).name}",
            section("Findings", table_to_html(findings)),
        )
        (out / "report.html").write_text(page, encoding="utf-8")
    errors = int((findings["severity"].astype(str) == "error").sum())
    return EXIT_VERDICT if errors else EXIT_OK


def main(argv=None):
    """Entry point of ``python -m sklearn_workflow``; returns the exit code.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    code : int
        0 success, 1 verdict not met (``run``) or error findings (``check``),
        2 bad input, 3 internal error.
    """
    args = _parser().parse_args(argv)
    commands = {"run": _run, "predict": _predict, "check": _check}
    commands.update({name: m.handle for name, m in _plugged_commands().items()})
    try:
        with warnings.catch_warnings():
            if not args.debug:  # --debug keeps Python's own warning lines
                warnings.showwarning = _show_warning
            return commands[args.command](args)
    except (BadInputError, UntrustedTypesError, OSError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence
        if args.debug:
            traceback.print_exc()
        print(
            f"internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _say(args):
    """Where a command reports what it read: stdout, or nowhere with --quiet."""
    return None if args.quiet else print


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A warning that reaches the command line: one line on stderr, no source."""
    print(f"warning: {_one_line(message)}", file=sys.stderr)


def _one_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
