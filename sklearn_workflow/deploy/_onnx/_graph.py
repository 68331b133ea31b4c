"""A small ONNX graph builder for the converters of the ONNX export.

skl2onnx hands each converter a scope (unique names) and a container (nodes and
initializers). :class:`GraphBuilder` wraps both: ``g.op("Add", a, b)`` adds a node
and returns the name of its output, ``g.const(values)`` adds an initializer. The
arithmetic helpers (floor division, the civil calendar, a sorted-table lookup)
work on int64 tensors so that dates are computed exactly as
``features/_date_calendar.py`` computes them with numpy.
"""

import numpy as np

__all__ = ["GraphBuilder", "INT64_MISSING"]

# A missing date (NaT) as an int64 epoch value: NaT's own bit pattern.
INT64_MISSING = np.iinfo(np.int64).min


class GraphBuilder:
    """Nodes and constants of one converter, in the float type of the graph.

    Parameters
    ----------
    scope, container : skl2onnx's Scope and ModelComponentContainer
    dtype : numpy dtype
        float64 or float32: the type of the numeric outputs.
    """

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)

    @property
    def onnx_float(self):
        from onnx import TensorProto

        return TensorProto.DOUBLE if self.dtype == np.float64 else TensorProto.FLOAT

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def const(self, values, dtype=None):
        """An initializer holding ``values`` (the graph's float type by default;
        ``dtype=str`` for strings)."""
        from onnx import TensorProto, numpy_helper

        name = self.name("const")
        if dtype is str:
            values = np.asarray(values, dtype=object)
            content = [str(v).encode() for v in values.ravel()]
            self.container.add_initializer(
                name, TensorProto.STRING, list(values.shape), content
            )
        else:
            tensor = numpy_helper.from_array(np.asarray(values, dtype or self.dtype))
            self.container.add_initializer(name, tensor.data_type, None, tensor)
        return name

    def op(self, op_type, *inputs, domain="", **attrs):
        """Add one node; returns the name of its (single) output."""
        output = self.name(op_type.lower())
        self.container.add_node(
            op_type,
            list(inputs),
            [output],
            op_domain=domain,
            op_version=_op_version(self.container, domain),
            name=self.name(op_type),
            **attrs,
        )
        return output

    def output(self, value, name):
        """Copy ``value`` into the operator's output ``name``."""
        self.container.add_node("Identity", [value], [name], name=self.name("Id"))

    # -- columns --------------------------------------------------------------------
    def column(self, tensor, j):
        """Column ``j`` of a 2-D tensor, as an (N, 1) tensor (``j=-1``: the
        last one)."""
        end = np.iinfo(np.int64).max if j == -1 else j + 1
        return self.op(
            "Slice",
            tensor,
            self.const([j], np.int64),
            self.const([end], np.int64),
            self.const([1], np.int64),
        )

    def to_float(self, tensor):
        return self.op("Cast", tensor, to=self.onnx_float)

    def concat(self, columns):
        if len(columns) == 1:
            return self.op("Identity", columns[0])
        return self.op("Concat", *columns, axis=1)

    def nan_where(self, mask, values):
        """``values`` with NaN where ``mask`` holds."""
        return self.op("Where", mask, self.const([np.nan]), values)

    # -- int64 arithmetic --------------------------------------------------------------
    def i64(self, value):
        return self.const([value], np.int64)

    def floordiv(self, a, b):
        """``a // b`` for int64 ``a`` and a positive constant ``b`` (floor, not
        truncation: ``Mod`` takes the sign of the divisor)."""
        divisor = self.i64(b)
        rest = self.op("Mod", a, divisor, fmod=0)
        return self.op("Div", self.op("Sub", a, rest), divisor)

    def mod(self, a, b):
        return self.op("Mod", a, self.i64(b), fmod=0)

    def add(self, a, b):
        return self.op("Add", a, b if isinstance(b, str) else self.i64(b))

    def sub(self, a, b):
        return self.op("Sub", a, b if isinstance(b, str) else self.i64(b))

    def mul(self, a, b):
        return self.op("Mul", a, b if isinstance(b, str) else self.i64(b))

    def bool_to_i64(self, mask):
        return self.op("Cast", mask, to=7)

    def equal(self, a, b):
        return self.op("Equal", a, b if isinstance(b, str) else self.i64(b))

    def count_at_most(self, values, table, *, strict=False):
        """Per row, how many entries of the sorted 1-D ``table`` (a numpy array)
        are ``<= value`` (``< value`` when ``strict``): numpy's ``searchsorted``
        with side "right" (or "left")."""
        compare = "Less" if strict else "LessOrEqual"
        dtype = table.dtype
        hits = self.op(compare, self.const(table[None, :], dtype), values)
        return self.op(
            "ReduceSum",
            self.bool_to_i64(hits),
            self.const([1], np.int64),
            keepdims=1,
        )

    def take(self, table, index):
        """``table[index]`` for a 1-D numpy ``table`` and an (N, 1) int64 index."""
        return self.op("Gather", self.const(table, table.dtype), index, axis=0)


def _op_version(container, domain):
    """The opset a node needs: the graph's for the main domain, 2 for the
    ``ai.onnx.ml`` LabelEncoder (string keys, int64 values)."""
    return container.target_opset if domain == "" else 2
