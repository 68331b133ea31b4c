"""A rule-based baseline classifier and the small, safe grammar of its rules.

A rule such as ``"tenure_months < 3 and contract == 'Monthly'"`` is split into
tokens by a hand-written tokenizer and parsed by a recursive-descent parser into a
tree of tuples. The tree is evaluated column by column with numpy: every node is
one vectorised operation over all the rows. The user's text is never passed to
Python's ``eval``, ``exec`` or ``compile``: anything outside the grammar (a call, an
attribute, a subscript, a lambda, an operator the grammar lacks) is a syntax error.

Grammar (keywords are case-insensitive)::

    rule       := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | predicate
    predicate  := "(" or_expr ")"
                | operand (cmp_op operand)+          # chains: 1 <= x < 3
                | operand ["not"] "in" list
                | operand "is" ["not"] "missing"
                | operand                            # a boolean or 0/1 column
    cmp_op     := "<" | "<=" | ">" | ">=" | "==" | "=" | "!="
    operand    := NAME | `any column name` | NUMBER | "-" NUMBER | STRING
                | "true" | "false"
    list       := ("(" | "[") literal ("," literal)* [","] (")" | "]")
"""

import operator
import re
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from sklearn_workflow.exceptions import RuleSyntaxError
from sklearn_workflow.utils._dataframe import (
    column_kind,
    column_names,
    factorize,
    get_column,
    is_dataframe,
    missing_mask,
    to_datetime64,
    to_float_array,
)
from sklearn_workflow.utils._param_validation import _fit_context

__all__ = ["RuleClassifier"]

_KEYWORDS = {"and", "or", "not", "in", "is", "missing", "true", "false"}
_CMP_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "=": operator.eq,
    "!=": operator.ne,
}
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z_0-9.]))
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<quoted>`[^`]+`)
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op><=|>=|==|!=|<|>|=)
  | (?P<punct>[()\[\],-])
    """,
    re.VERBOSE,
)
_ESCAPE_RE = re.compile(r"\\(.)")
_MAX_RULE_LENGTH = 10_000


def _tokenize(rule):
    """Split ``rule`` into ``(kind, value, position)`` tokens.

    Kinds: "number", "string", "name" (a column), "keyword", "op", "punct", "end".
    """
    if len(rule) > _MAX_RULE_LENGTH:
        raise RuleSyntaxError(
            f"rule is longer than {_MAX_RULE_LENGTH} characters; got {len(rule)}"
        )
    tokens = []
    pos = 0
    while pos < len(rule):
        match = _TOKEN_RE.match(rule, pos)
        if match is None:
            raise RuleSyntaxError(
                f"unexpected character {rule[pos]!r} at position {pos} in rule "
                f"{rule!r}; a rule has column names, numbers, 'strings', "
                "comparisons, and/or/not, in [...], 'is missing' and parentheses"
            )
        kind, text = match.lastgroup, match.group()
        if kind == "number":
            tokens.append(("number", float(text), pos))
        elif kind == "string":
            body = _ESCAPE_RE.sub(r"\1", text[1:-1])
            tokens.append(("string", body, pos))
        elif kind == "quoted":
            tokens.append(("name", text[1:-1], pos))
        elif kind == "name":
            if text.lower() in _KEYWORDS:
                tokens.append(("keyword", text.lower(), pos))
            else:
                tokens.append(("name", text, pos))
        elif kind in ("op", "punct"):
            tokens.append((kind, text, pos))
        pos = match.end()
    tokens.append(("end", None, len(rule)))
    return tokens


class _Parser:
    """Recursive-descent parser from tokens to a tree of tuples.

    Nodes: ``("col", name)``, ``("lit", value)``, ``("cmp", op, left, right)``,
    ``("in", operand, values, negate)``, ``("missing", operand, negate)``,
    ``("truth", operand)``, ``("const", bool)``, ``("and", a, b)``,
    ``("or", a, b)``, ``("not", a)``.
    """

    def __init__(self, rule):
        self.rule = rule
        self.tokens = _tokenize(rule)
        self.i = 0

    def parse(self):
        if self.tokens[0][0] == "end":
            raise RuleSyntaxError(f"rule is empty; got {self.rule!r}")
        tree = self._or()
        self._expect("end")
        return tree

    # token helpers
    def _peek(self, offset=0):
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def _next(self):
        token = self.tokens[self.i]
        self.i += 1
        return token

    def _is(self, kind, value=None, offset=0):
        tok_kind, tok_value, _ = self._peek(offset)
        return tok_kind == kind and (value is None or tok_value == value)

    def _error(self, token, expected):
        kind, value, pos = token
        what = "the end of the rule" if kind == "end" else repr(str(value))
        hint = ""
        if kind == "punct" and value == "(" and self.i > 0:
            hint = " (function calls are not part of the rule grammar)"
        raise RuleSyntaxError(
            f"expected {expected} at position {pos} in rule {self.rule!r}; "
            f"got {what}{hint}"
        )

    def _expect(self, kind, value=None):
        if not self._is(kind, value):
            names = {"end": "the end of the rule"}
            self._error(self._peek(), names.get(kind, repr(value or kind)))
        return self._next()

    # grammar
    def _or(self):
        left = self._and()
        while self._is("keyword", "or"):
            self._next()
            left = ("or", left, self._and())
        return left

    def _and(self):
        left = self._not()
        while self._is("keyword", "and"):
            self._next()
            left = ("and", left, self._not())
        return left

    def _not(self):
        if self._is("keyword", "not"):
            self._next()
            return ("not", self._not())
        return self._predicate()

    def _predicate(self):
        if self._is("punct", "("):
            self._next()
            inner = self._or()
            self._expect("punct", ")")
            return inner
        start = self._peek()
        left = self._operand()
        if self._is("op"):
            node = None
            while self._is("op"):
                op = self._next()[1]
                right = self._operand()
                self._check_comparison(start, left, right)
                comparison = ("cmp", op, left, right)
                node = comparison if node is None else ("and", node, comparison)
                left = right
            return node
        if self._is("keyword", "in") or (
            self._is("keyword", "not") and self._is("keyword", "in", offset=1)
        ):
            negate = self._next()[1] == "not"
            if negate:
                self._next()
            self._need_column(start, left, "in")
            return ("in", left, self._list(), negate)
        if self._is("keyword", "is"):
            self._next()
            negate = self._is("keyword", "not")
            if negate:
                self._next()
            self._expect("keyword", "missing")
            self._need_column(start, left, "is missing")
            return ("missing", left, negate)
        if left[0] == "col":
            return ("truth", left)
        if left[0] == "lit" and isinstance(left[1], bool):
            return ("const", left[1])
        self._error(self._peek(), "a comparison operator, 'in' or 'is missing'")

    def _operand(self):
        kind, value, _ = token = self._peek()
        if kind == "name":
            self._next()
            return ("col", value)
        if kind in ("number", "string"):
            self._next()
            return ("lit", value)
        if kind == "keyword" and value in ("true", "false"):
            self._next()
            return ("lit", value == "true")
        if kind == "punct" and value == "-" and self._is("number", offset=1):
            self._next()
            return ("lit", -self._next()[1])
        self._error(token, "a column name, a number or a 'string'")

    def _literal(self):
        operand = self._operand()
        if operand[0] != "lit":
            self._error(self.tokens[self.i - 1], "a number or a 'string' in the list")
        return operand[1]

    def _list(self):
        if not (self._is("punct", "(") or self._is("punct", "[")):
            self._error(self._peek(), "'(' or '[' opening the list of values")
        closing = ")" if self._next()[1] == "(" else "]"
        values = [self._literal()]
        while self._is("punct", ","):
            self._next()
            if self._is("punct", closing):
                break
            values.append(self._literal())
        self._expect("punct", closing)
        return tuple(values)

    def _check_comparison(self, start, left, right):
        if left[0] != "col" and right[0] != "col":
            raise RuleSyntaxError(
                f"the comparison at position {start[2]} in rule {self.rule!r} "
                "compares two constants; one side must be a column"
            )

    def _need_column(self, start, operand, what):
        if operand[0] != "col":
            raise RuleSyntaxError(
                f"'{what}' at position {start[2]} in rule {self.rule!r} needs a "
                f"column on its left; got {operand[1]!r}"
            )


def parse_rule(rule):
    """Parse ``rule`` into a tree; raise :class:`RuleSyntaxError` if malformed."""
    if not isinstance(rule, str):
        raise TypeError(f"rule must be a string; got {type(rule).__name__}")
    return _Parser(rule).parse()


def rule_columns(tree):
    """The column names a parsed rule refers to, in order of first use."""
    found = []

    def walk(node):
        if node[0] == "col":
            if node[1] not in found:
                found.append(node[1])
            return
        for child in node[1:]:
            if isinstance(child, tuple) and child and isinstance(child[0], str):
                walk(child)

    walk(tree)
    return found


# --------------------------------------------------------------------------------
# Evaluation: one vectorised numpy operation per node.


class _Column:
    """A column's values prepared for comparisons, with its missing mask."""

    def __init__(self, name, raw):
        self.name = name
        self.kind = column_kind(raw)
        self.missing = np.asarray(missing_mask(raw), dtype=bool)
        if self.kind in ("numeric", "boolean"):
            self.values = to_float_array(raw)
            self.missing = self.missing | np.isnan(self.values)
        elif self.kind == "datetime":
            self.values, _ = to_datetime64(raw)
            self.missing = self.missing | np.isnat(self.values)
        elif self.kind == "categorical":
            self.codes, self.uniques = factorize(raw)
            self.missing = self.missing | (self.codes < 0)
        else:
            raise ValueError(
                f"column {name!r} has a type the rule grammar cannot compare "
                f"(kind {self.kind!r})"
            )

    def literal(self, value, rule):
        """Convert a literal to this column's kind, or raise naming the column."""
        if self.kind in ("numeric", "boolean"):
            if isinstance(value, (bool, Real)):
                return float(value)
        elif self.kind == "datetime":
            if isinstance(value, str):
                try:
                    return np.datetime64(value).astype(self.values.dtype)
                except ValueError:
                    pass
        elif self.kind == "categorical":
            if isinstance(value, str):
                return value
            if isinstance(value, (Real, bool)) and all(
                isinstance(u, (Real, np.number)) for u in self.uniques
            ):
                return value
        raise ValueError(
            f"column {self.name!r} is {self.kind}; rule {rule!r} compares it with "
            f"{value!r}, which is not a {_LITERAL_KIND[self.kind]}"
        )


_LITERAL_KIND = {
    "numeric": "number",
    "boolean": "number or true/false",
    "datetime": "date string such as '2024-01-31'",
    "categorical": "'string'",
}


def _flip(op):
    return {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)


class _Evaluator:
    def __init__(self, X, rule, names):
        self.X = X
        self.rule = rule
        self.names = names
        self.n_rows = X.shape[0]
        self._cache = {}

    def column(self, name):
        if name not in self._cache:
            if name not in self.names:
                # Named columns first; positional aliases only for arrays.
                named = [k for k, v in self.names.items() if k == v]
                listed = named or list(self.names)
                shown = ", ".join(repr(n) for n in listed[:20])
                more = ", ..." if len(listed) > 20 else ""
                also = " (or x0, x1, ... by position)" if named else ""
                raise ValueError(
                    f"rule {self.rule!r} refers to the unknown column {name!r}; "
                    f"the columns are: {shown}{more}{also}"
                )
            raw = get_column(self.X, self.names[name])
            self._cache[name] = _Column(name, raw)
        return self._cache[name]

    def __call__(self, node):
        kind = node[0]
        if kind == "and":
            return self(node[1]) & self(node[2])
        if kind == "or":
            return self(node[1]) | self(node[2])
        if kind == "not":
            return ~self(node[1])
        if kind == "const":
            return np.full(self.n_rows, node[1], dtype=bool)
        if kind == "truth":
            col = self.column(node[1][1])
            if col.kind not in ("numeric", "boolean"):
                raise ValueError(
                    f"column {col.name!r} is {col.kind}; rule {self.rule!r} uses it "
                    "alone as a condition, which only a boolean or 0/1 column can be"
                )
            return (col.values != 0) & ~col.missing
        if kind == "missing":
            mask = self.column(node[1][1]).missing
            return ~mask if node[2] else mask.copy()
        if kind == "in":
            return self._isin(node)
        return self._compare(node)

    def _compare(self, node):
        _, op, left, right = node
        if left[0] != "col":  # constant on the left: 3 > x is x < 3
            op, left, right = _flip(op), right, left
        col = self.column(left[1])
        if right[0] == "col":
            return self._compare_columns(op, col, self.column(right[1]))
        value = col.literal(right[1], self.rule)
        if col.kind == "categorical":
            # Compare the distinct values only, then look the result up by code.
            uniques = col.uniques
            try:
                hits = np.array(
                    [bool(_CMP_OPS[op](u, value)) for u in uniques], dtype=bool
                )
            except TypeError as exc:
                raise ValueError(
                    f"column {col.name!r}: rule {self.rule!r} cannot order its "
                    f"values against {value!r} ({exc})"
                ) from None
            return np.append(hits, False)[col.codes] & ~col.missing
        with np.errstate(invalid="ignore"):
            result = _CMP_OPS[op](col.values, value)
        return np.asarray(result, dtype=bool) & ~col.missing

    def _compare_columns(self, op, left, right):
        numeric = ("numeric", "boolean")
        same = (left.kind in numeric and right.kind in numeric) or (
            left.kind == right.kind and left.kind != "categorical"
        )
        if same:
            with np.errstate(invalid="ignore"):
                result = _CMP_OPS[op](left.values, right.values)
        elif left.kind == right.kind == "categorical":
            lv = np.append(left.uniques, None)[left.codes]
            rv = np.append(right.uniques, None)[right.codes]
            present = ~(left.missing | right.missing)
            result = np.zeros(self.n_rows, dtype=bool)
            try:
                result[present] = _CMP_OPS[op](lv[present], rv[present])
            except TypeError as exc:
                raise ValueError(
                    f"columns {left.name!r} and {right.name!r}: rule "
                    f"{self.rule!r} cannot order their values ({exc})"
                ) from None
        else:
            raise ValueError(
                f"rule {self.rule!r} compares column {left.name!r} ({left.kind}) "
                f"with column {right.name!r} ({right.kind})"
            )
        return np.asarray(result, dtype=bool) & ~(left.missing | right.missing)

    def _isin(self, node):
        _, operand, values, negate = node
        col = self.column(operand[1])
        values = [col.literal(v, self.rule) for v in values]
        if col.kind == "categorical":
            wanted = set(values)
            hits = np.array([u in wanted for u in col.uniques], dtype=bool)
            result = np.append(hits, False)[col.codes]
        else:
            result = np.isin(col.values, np.array(values, dtype=col.values.dtype))
        result = result & ~col.missing
        return (~result & ~col.missing) if negate else result


def _column_lookup(X, feature_names):
    """Map each name a rule may use to the key of that column in ``X``.

    DataFrame columns are named by their (string) names. Every column is also
    named by its position, ``x0``, ``x1``, ..., unless a column of ``X`` has that
    name: positions are the only names of array columns (and of DataFrame
    columns whose names are not all strings).
    """
    names = column_names(X)
    keys = names if names is not None else list(range(X.shape[1]))
    lookup = {f"x{i}": key for i, key in enumerate(keys)}
    if feature_names is not None:
        for name in feature_names:
            lookup[name] = name
    return lookup


def evaluate_rule(tree, X, rule, names):
    """Boolean array: where the parsed ``tree`` holds on the rows of ``X``."""
    return _Evaluator(X, rule, names)(tree)


class RuleClassifier(ClassifierMixin, BaseEstimator):
    """Predict the positive class where a hand-written rule holds.

    A rule-based baseline (such as "churn when tenure < 3 months") as a
    scikit-learn classifier, so that it is cross-validated, scored and compared
    with learned models like any other estimator. Binary classification only.

    The rule is parsed by a small grammar -- column names, numbers, 'strings',
    comparisons (``< <= > >= == != =``, chained as ``1 <= x < 3``), ``in
    [...]``, ``is missing``, ``and``/``or``/``not`` and parentheses -- and
    evaluated with vectorised numpy over the columns. It is never handed to
    Python's ``eval``: calls, attributes, subscripts and lambdas are syntax errors.

    Parameters
    ----------
    rule : str
        The condition under which ``pos_label`` is predicted. Columns of a
        DataFrame are named by their names (quote a name that is not an
        identifier with backticks: ```monthly fee` > 50``). Every column is also
        named by its position, ``x0``, ``x1``, ..., unless a column has that
        name; for a numpy array (or a DataFrame whose column names are not all
        strings) positions are the only names.
    pos_label : int, float, bool or str, default=None
        The class predicted where the rule holds; the other class is predicted
        elsewhere. None means the greater of the two classes (1 for 0/1 labels).

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two classes seen in ``fit``, sorted.
    pos_label_ : object
        The class predicted where the rule holds.
    columns_ : list of str
        The column names the rule uses, in order of first use.
    rule_rate_ : float
        Fraction of the training rows where the rule holds.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in ``fit``, when they are all strings.

    See Also
    --------
    sklearn.dummy.DummyClassifier : A baseline that ignores the features; this
        one applies a domain rule to them.
    ProblemSpec.baseline_estimator : Builds this classifier from the problem
        card's baseline ``rule``.

    Notes
    -----
    Missing values (NaN, None, pd.NA, NaT) make every comparison false, ``!=``
    included: a customer with an unknown tenure is not "tenure < 3". ``not``
    turns such a false into true, and ``is missing`` / ``is not missing`` test
    for missing values explicitly. A column used alone as a condition must be
    boolean or numeric (non-zero is true). Comparisons with a datetime column
    take a date string (``signup_date >= '2024-01-01'``), read in the column's
    own time zone. A string column compares its distinct values only, so the
    cost is one lookup per row.

    ``predict_proba`` is the rule itself: 1 for ``pos_label`` where the rule
    holds and 0 elsewhere, so ranking metrics (ROC-AUC, average precision) see
    a single operating point.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_workflow.problem import RuleClassifier
    >>> X = pd.DataFrame({"tenure_months": [1.5, 12.0, np.nan, 2.0],
    ...                   "contract": ["Monthly", "Annual", "Monthly", None]})
    >>> y = [1, 0, 1, 0]
    >>> clf = RuleClassifier("tenure_months < 3").fit(X, y)
    >>> clf.predict(X)  # the unknown tenure is not "< 3"
    array([1, 0, 0, 1])
    >>> clf.set_params(rule="tenure_months < 3 or tenure_months is missing")
    RuleClassifier(rule='tenure_months < 3 or tenure_months is missing')
    >>> clf.fit(X, y).predict(X)
    array([1, 0, 1, 1])

    Arrays name their columns by position; anything but the grammar is refused:

    >>> RuleClassifier("x0 >= 2").fit(np.array([[1.0], [3.0]]), [0, 1]).predict(
    ...     np.array([[2.0], [0.5]]))
    array([1, 0])
    >>> RuleClassifier("__import__('os')").fit(X, y)
    Traceback (most recent call last):
    ...
    sklearn_workflow.exceptions.RuleSyntaxError: expected the end of the rule ...
    """

    _parameter_constraints = {
        "rule": [str],
        "pos_label": [Real, str, "boolean", None],
    }

    def __init__(self, rule, *, pos_label=None):
        self.rule = rule
        self.pos_label = pos_label

    def _validate_X(self, X, reset):
        if is_dataframe(X):
            return validate_data(self, X, reset=reset, skip_check_array=True)
        return validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Check the rule against ``X`` and learn the two classes of ``y``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns the rule refers to (other columns are ignored).
        y : array-like of shape (n_samples,)
            Binary target.

        Returns
        -------
        self : RuleClassifier
            The fitted classifier.
        """
        tree = parse_rule(self.rule)
        X = self._validate_X(X, reset=True)
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)
        if type_of_target(y) == "multiclass":
            raise ValueError(
                "Only binary classification is supported. RuleClassifier predicts "
                f"one class where the rule holds and one elsewhere; got "
                f"{np.unique(y).size} classes"
            )
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(
                "RuleClassifier needs samples of 2 classes in y; got 1 class: "
                f"{classes.tolist()}"
            )
        if self.pos_label is None:
            pos_label = classes[1]
        else:
            matches = np.flatnonzero(classes == self.pos_label)
            if matches.size == 0:
                raise ValueError(
                    f"pos_label must be one of the classes {classes.tolist()}; "
                    f"got {self.pos_label!r}"
                )
            pos_label = classes[matches[0]]
        self._names = _column_lookup(X, getattr(self, "feature_names_in_", None))
        holds = evaluate_rule(tree, X, self.rule, self._names)
        self._tree = tree
        self.classes_ = classes
        self.pos_label_ = pos_label
        self.columns_ = rule_columns(tree)
        self.rule_rate_ = float(holds.mean())
        return self

    def _holds(self, X):
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return evaluate_rule(self._tree, X, self.rule, self._names)

    def predict(self, X):
        """``pos_label_`` where the rule holds, the other class elsewhere.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        holds = self._holds(X)
        neg_label = self.classes_[self.classes_ != self.pos_label_][0]
        return np.where(holds, self.pos_label_, neg_label).astype(self.classes_.dtype)

    def predict_proba(self, X):
        """The rule as probabilities: 1 for ``pos_label_`` where it holds.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns in the order of ``classes_``.
        """
        holds = self._holds(X).astype(np.float64)
        pos_index = int(np.flatnonzero(self.classes_ == self.pos_label_)[0])
        proba = np.empty((holds.size, 2))
        proba[:, pos_index] = holds
        proba[:, 1 - pos_index] = 1.0 - holds
        return proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.poor_score = True
        return tags
