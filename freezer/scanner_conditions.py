"""Conditions that depend only on the target: ``if TYPE_CHECKING:``, ``if
sys.version_info >= (3, 11):``, ``if sys.platform == "win32":``, ``if os.name ==
"nt":`` and module-level flags bound to them (``PY2 = sys.version_info[0] == 2``)
are True or False for a given target; anything else is unknown (None)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Optional

import libcst as cst
from libcst.helpers import get_full_name_for_node


_COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {
    cst.Equal: operator.eq, cst.NotEqual: operator.ne, cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le, cst.GreaterThan: operator.gt,
    cst.GreaterThanEqual: operator.ge,
}


class Conditions:
    """Evaluate `if` tests that depend only on the target: True, False or None."""

    def __init__(self, version: tuple[int, ...], platform: str) -> None:
        self._version = version
        self._platform = platform
        # Module-level flags (PY2 = sys.version_info[0] == 2); None: not known.
        self._names: dict[str, Optional[bool]] = {}
        # Module-level copies of the target's version or platform (xlrd's
        # `python_version = sys.version_info[:2]`); None: not known.
        self._values: dict[str, object] = {}

    def bind(self, name: str, value: cst.BaseExpression) -> None:
        """Remember `name = value` when the value is known; forget names bound twice."""
        truth = self.truth(value)
        self._names[name] = truth if self._names.get(name, truth) == truth else None
        known = self._value(value) if _of_target(value) else None
        self._values[name] = known if self._values.get(name, known) == known else None

    def truth(self, test: cst.BaseExpression) -> Optional[bool]:
        if isinstance(test, cst.Name) and self._names.get(test.value) is not None:
            return self._names[test.value]
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self.truth(test.expression)
            return None if inner is None else not inner
        if isinstance(test, cst.BooleanOperation):
            left, right = self.truth(test.left), self.truth(test.right)
            if isinstance(test.operator, cst.And):
                return False if False in (left, right) else (True if left and right else None)
            return True if True in (left, right) else (False if left is right is False else None)
        name = get_full_name_for_node(test) or ""
        if name == "TYPE_CHECKING" or name.endswith(".TYPE_CHECKING"):  # `import typing as t`
            return False
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            compare = _COMPARISONS.get(type(target.operator))
            one, other = self._value(test.left), self._value(target.comparator)
            if compare and one is not None and other is not None and type(one) is type(other):
                return bool(compare(one, other))
        if (isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute)
                and test.func.attr.value == "startswith" and len(test.args) == 1):
            subject, prefix = self._value(test.func.value), self._value(test.args[0].value)
            if isinstance(subject, str) and isinstance(prefix, str):
                return subject.startswith(prefix)
        return None

    def _value(self, node: cst.BaseExpression) -> object:
        if isinstance(node, cst.Name) and self._values.get(node.value) is not None:
            return self._values[node.value]
        # get_full_name_for_node names a subscript or call after its base: not a value.
        name = get_full_name_for_node(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if name == "sys.version_info":
            return self._version
        if name == "sys.platform":
            return self._platform
        if name == "os.name":
            return "nt" if self._platform == "win32" else "posix"
        if isinstance(node, (cst.SimpleString, cst.Integer)):
            return node.evaluated_value
        if isinstance(node, cst.Tuple):
            items = tuple(self._value(element.value) for element in node.elements)
            return None if None in items else items
        if isinstance(node, cst.Subscript) and len(node.slice) == 1:
            base, index = self._value(node.value), node.slice[0].slice
            if isinstance(base, tuple) and isinstance(index, cst.Slice) and index.lower is None \
                    and index.step is None and isinstance(index.upper, cst.Integer):
                return base[:index.upper.evaluated_value]
            if isinstance(base, tuple) and isinstance(index, cst.Index) \
                    and isinstance(index.value, cst.Integer) \
                    and -len(base) <= index.value.evaluated_value < len(base):
                return base[index.value.evaluated_value]
        return None


def _of_target(node: cst.BaseExpression) -> bool:
    """`sys.version_info` or `sys.platform`, or a subscript of one."""
    while isinstance(node, cst.Subscript):
        node = node.value
    return get_full_name_for_node(node) in ("sys.version_info", "sys.platform")
