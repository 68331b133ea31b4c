"""The data-quality report: text (the classic printed report), dict and HTML."""

import numpy as np
import pandas as pd

from sklearn_workflow.report import (
    figure_to_html,
    format_value,
    html_page,
    section,
    table_to_html,
    to_jsonable,
)

__all__ = ["QualityReport"]

_RULE = "=" * 60
_SUMMARY_ROWS = ("count", "mean", "std", "min", "25%", "50%", "75%", "max")
_SUMMARY_KEYS = ("count", "mean", "std", "min", "q25", "q50", "q75", "max")
_MAX_LEVELS_SHOWN = 10


class QualityReport:
    """What :class:`DataQualityChecker` learned about its training data.

    ``print(report)`` gives the data quality report (rows, columns, missing values,
    duplicate rows, data types, numeric summary, categorical cardinality, target
    distribution) followed by the findings; :meth:`to_dict` gives the same content
    as JSON-serialisable values and :meth:`to_html` as a self-contained page.

    Parameters
    ----------
    summary : dict
        The checker's ``contract_``.
    findings : DataFrame
        The checker's ``findings_``.

    Attributes
    ----------
    findings : DataFrame
        The findings, most severe first.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_workflow.quality import DataQualityChecker
    >>> X = pd.DataFrame({"a": [1.0, None, 3.0, 3.0], "b": ["x", "y", "z", "z"]})
    >>> report = DataQualityChecker().fit(X).report_
    >>> print(str(report).splitlines()[1])
    DATA QUALITY REPORT
    >>> report.to_dict()["duplicate_rows"]
    1
    """

    def __init__(self, summary, findings):
        self.summary = summary
        self.findings = findings

    # -- pieces ------------------------------------------------------------------
    def _profiles(self, kind=None):
        return [p for p in self.summary["columns"] if kind is None or p["kind"] == kind]

    def _missing(self):
        return {
            p["name"]: (p["n_missing"], 100 * p["missing_fraction"])
            for p in self._profiles()
            if p["n_missing"]
        }

    def _dtypes(self):
        counts = pd.Series([p["dtype"] for p in self._profiles()], dtype=object)
        return {str(k): int(v) for k, v in counts.value_counts().items()}

    def numeric_summary(self):
        """The numeric columns' summary (count, mean, std, min, quartiles, max).

        Returns
        -------
        summary : DataFrame
            One column per numeric column, one row per statistic, as
            ``DataFrame.describe`` lays it out (statistics over the finite values).
        """
        data = {}
        for p in self._profiles("numeric"):
            stats = dict(p)
            stats["count"] = p["n"] - p["n_missing"]
            data[p["name"]] = [
                np.nan if stats.get(k) is None else float(stats[k])
                for k in _SUMMARY_KEYS
            ]
        return pd.DataFrame(data, index=list(_SUMMARY_ROWS), dtype=np.float64)

    def _categorical(self):
        out = {}
        for p in self._profiles("categorical"):
            entry = {"n_unique": p["n_unique"]}
            if p["n_unique"] <= _MAX_LEVELS_SHOWN:
                entry["value_counts"] = dict(zip(p["categories"], p["category_counts"]))
            out[p["name"]] = entry
        return out

    # -- outputs -----------------------------------------------------------------
    def __str__(self):
        s = self.summary
        n = s["n_rows"]
        lines = [_RULE, "DATA QUALITY REPORT", _RULE, "", f"Rows: {format_value(n)}"]
        lines.append(f"Columns: {s['n_columns']}")
        missing = self._missing()
        if missing:
            lines += ["", "--- Missing Values ---"]
            lines += [
                f"  {c}: {format_value(k)} ({pct:.2f}%)"
                for c, (k, pct) in missing.items()
            ]
        dup = s["n_duplicates"]
        lines += ["", f"Duplicate rows: {format_value(dup)} ({100 * dup / n:.2f}%)"]
        lines += ["", "--- Data Types ---"]
        lines += [f"  {d}: {c} columns" for d, c in self._dtypes().items()]
        numeric = self.numeric_summary()
        if numeric.shape[1]:
            lines += ["", "--- Numeric Summary ---", numeric.round(2).to_string()]
        categorical = self._categorical()
        if categorical:
            lines += ["", "--- Categorical Cardinality ---"]
            for c, entry in categorical.items():
                lines.append(f"  {c}: {format_value(entry['n_unique'])} unique values")
                if "value_counts" in entry:
                    lines.append(f"    Values: {entry['value_counts']}")
        target = s.get("target")
        if target is not None:
            lines += ["", f"--- Target: {target['name']} ---"]
            if target["task"] == "classification":
                total = sum(target["counts"])
                pairs = sorted(
                    zip(target["labels"], target["counts"]), key=lambda t: -t[1]
                )
                lines += [f"  {lab}: {cnt / total:.2%}" for lab, cnt in pairs]
                ratio = target.get("ratio")
                if ratio is not None and ratio < s["imbalance_ratio"]:
                    lines.append(f"  WARNING: Imbalanced! Ratio = {ratio:.2f}")
            else:
                lines.append(
                    "  continuous: "
                    + ", ".join(
                        f"{key} {format_value(target[key])}"
                        for key in ("mean", "std", "min", "max")
                    )
                )
        f = self.findings
        lines += ["", f"--- Findings ({len(f)}) ---"]
        if not len(f):
            lines.append("  none")
        for row in f.itertuples(index=False):
            where = f" {row.column}" if isinstance(row.column, str) else ""
            lines.append(f"  [{row.severity}] {row.check}{where}: {row.message}")
            lines.append(f"      -> {row.suggestion}")
        return "\n".join(lines)

    def __repr__(self):
        s = self.summary
        counts = self.findings["severity"].value_counts()
        parts = ", ".join(f"{int(counts.get(k, 0))} {k}" for k in ("error", "warning"))
        return (
            f"<QualityReport: {format_value(s['n_rows'])} rows x "
            f"{s['n_columns']} columns, {parts} finding(s)>"
        )

    def to_dict(self):
        """The report as JSON-serialisable values (dicts, lists, str, numbers).

        Returns
        -------
        report : dict
            Keys ``n_rows``, ``n_columns``, ``missing`` (count and percent per
            column), ``duplicate_rows``, ``dtypes``, ``numeric_summary``,
            ``categorical``, ``target`` (None without y), ``columns`` (the
            per-column contract) and ``findings`` (a list of records).
        """
        s = self.summary
        numeric = self.numeric_summary()
        out = {
            "n_rows": s["n_rows"],
            "n_columns": s["n_columns"],
            "missing": {
                c: {"count": k, "percent": pct}
                for c, (k, pct) in self._missing().items()
            },
            "duplicate_rows": s["n_duplicates"],
            "dtypes": self._dtypes(),
            "numeric_summary": {
                c: dict(zip(_SUMMARY_ROWS, numeric[c].tolist())) for c in numeric
            },
            "categorical": self._categorical(),
            "target": s.get("target"),
            "columns": s["columns"],
            "findings": self.findings.to_dict(orient="records"),
        }
        return to_jsonable(out)

    def to_html(self, *, figure=None):
        """The report as a self-contained HTML page.

        Parameters
        ----------
        figure : matplotlib Figure, default=None
            An EDA overview (:func:`plot_eda`) to embed as a PNG.

        Returns
        -------
        html : str
        """
        return html_page("Data quality report", *self._html_sections(figure))

    def _html_sections(self, figure=None):
        s = self.summary
        n = s["n_rows"]
        overview = pd.DataFrame(
            {
                "rows": [n],
                "columns": [s["n_columns"]],
                "duplicate rows": [s["n_duplicates"]],
                "duplicate %": [100 * s["n_duplicates"] / n],
            }
        )
        parts = [section("Overview", table_to_html(overview))]
        if len(self.findings):
            parts.append(section("Findings", table_to_html(self.findings)))
        missing = self._missing()
        if missing:
            frame = pd.DataFrame(
                {
                    "column": list(missing),
                    "missing": [k for k, _ in missing.values()],
                    "percent": [p for _, p in missing.values()],
                }
            )
            parts.append(section("Missing values", table_to_html(frame)))
        dtypes = self._dtypes()
        parts.append(
            section(
                "Data types",
                table_to_html(
                    pd.DataFrame(
                        {"dtype": list(dtypes), "columns": list(dtypes.values())}
                    )
                ),
            )
        )
        numeric = self.numeric_summary()
        if numeric.shape[1]:
            parts.append(
                section("Numeric summary", table_to_html(numeric.T, index=True))
            )
        categorical = self._categorical()
        if categorical:
            frame = pd.DataFrame(
                {
                    "column": list(categorical),
                    "unique values": [e["n_unique"] for e in categorical.values()],
                    "values": [
                        str(e.get("value_counts", "")) for e in categorical.values()
                    ],
                }
            )
            parts.append(section("Categorical cardinality", table_to_html(frame)))
        target = s.get("target")
        if target is not None and target["task"] == "classification":
            total = sum(target["counts"])
            frame = pd.DataFrame(
                {
                    "class": [str(v) for v in target["labels"]],
                    "rows": target["counts"],
                    "share": [c / total for c in target["counts"]],
                }
            )
            parts.append(section(f"Target: {target['name']}", table_to_html(frame)))
        if figure is not None:
            parts.append(section("EDA overview", figure_to_html(figure, alt="EDA")))
        return parts

    def _repr_html_(self):
        return "<div>" + "".join(self._html_sections()) + "</div>"

    def __html__(self):
        return self._repr_html_()
