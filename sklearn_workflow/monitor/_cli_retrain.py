"""``python -m sklearn_workflow retrain MODEL DATA``: retrain with the model's card.

Reruns the workflow on DATA with the problem card saved in MODEL's monitoring
reference, then compares the new model with the old one on the run's held-out
rows (:func:`~sklearn_workflow.monitor.compare_models`). Writes the run's
output folder and ``comparison.json``; exits 1 when the new model should
replace the old one, 0 otherwise.
"""

from pathlib import Path

from sklearn_workflow.exceptions import BadInputError
from sklearn_workflow.monitor._cli import load_model, read_data, write_json

__all__ = ["COMMAND", "handle"]

COMMAND = (
    "retrain a saved model on new data with its card, and compare",
    "Rerun the workflow with MODEL's problem card on DATA and compare the new "
    "model with MODEL on the held-out rows; exits 1 when the new model should "
    "be promoted.",
    [
        ("model", {"help": "a model.skops file with its monitoring reference"}),
        ("data", {"help": "CSV or Parquet file with the target column"}),
        ("--out", {"help": "output folder", "default": "retrain-output"}),
        (
            "--time-budget",
            {"help": "seconds for the run", "type": float, "default": 60},
        ),
        (
            "--margin",
            {"help": "non-inferiority margin", "type": float, "default": 0.0},
        ),
        ("--random-state", {"type": int, "default": 0}),
    ],
)


def handle(args):
    """Run the ``retrain`` command; returns the exit code."""
    import pandas as pd

    from sklearn_workflow.monitor import compare_models, get_reference
    from sklearn_workflow.problem import ProblemSpec
    from sklearn_workflow.workflow._runner import run_workflow, split_target

    old = load_model(args.model)
    card = get_reference(old).get("spec")
    if card is None:
        raise BadInputError(f"{args.model}: the reference holds no problem card")
    spec = ProblemSpec.from_dict(card)
    frame = read_data(args.data, args.quiet)
    X, y = split_target(frame, spec.target, args.data)
    result = run_workflow(
        X,
        y,
        spec=spec,
        out=args.out,
        time_budget=args.time_budget,
        random_state=args.random_state,
        verbose=0 if args.quiet else 1,
        source=Path(args.data).name,
    )
    held_out = pd.read_csv(result.files["test_predictions.csv"])["row"].to_numpy()
    X_test, y_test = X.iloc[held_out], y.iloc[held_out].to_numpy()
    comparison = compare_models(old, result.model, X_test, y_test, margin=args.margin)
    write_json(Path(args.out) / "comparison.json", comparison.to_dict())
    if not args.quiet:
        print(comparison)
    return comparison.exit_code
