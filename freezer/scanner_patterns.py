"""Literal regular expressions given to re's functions, with their flags: what
can be compiled at build time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .scanner_syntax import Visitor


# re's functions that compile their first argument, and where each takes `flags`.
_REGEX_CALLS = {"compile": 1, "match": 2, "fullmatch": 2, "search": 2, "findall": 2,
                "finditer": 2, "split": 3, "sub": 4, "subn": 4}
# re's flags by name (values fixed since Python 3.6). DEBUG prints and TEMPLATE is
# deprecated: patterns using them are left to run-time compilation.
_REGEX_FLAGS = {"I": 2, "IGNORECASE": 2, "L": 4, "LOCALE": 4, "M": 8, "MULTILINE": 8,
                "S": 16, "DOTALL": 16, "U": 32, "UNICODE": 32, "X": 64, "VERBOSE": 64,
                "A": 256, "ASCII": 256, "NOFLAG": 0}
# A regular expression as re's compile step gets it: (pattern, flags).
Pattern = tuple[Union[str, bytes], int]


class PatternFinder(Visitor):
    """Finds literal regular expressions given to re's functions (``re.compile(r"\\d+",
    re.I)``, also through ``import re as _re`` and ``from re import compile``)."""

    def __init__(self, body: Sequence[cst.CSTNode]) -> None:
        super().__init__()
        self.found: list[Pattern] = []
        # Dotted names meaning re's functions and flags, from the top-level imports.
        self.names: dict[str, str] = {}
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._imports(small)

    def _imports(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                if get_full_name_for_node(alias.name) == "re":
                    prefix = alias.evaluated_alias or "re"
                    self.names.update({f"{prefix}.{name}": name
                                       for name in (*_REGEX_CALLS, *_REGEX_FLAGS)})
        elif isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None \
                and get_full_name_for_node(node.module) == "re" \
                and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = alias.evaluated_name
                if name in _REGEX_CALLS or name in _REGEX_FLAGS:
                    self.names[alias.evaluated_alias or name] = name

    def visit_Call(self, node: cst.Call) -> None:
        function = self.names.get(get_full_name_for_node(node.func) or "")
        if function not in _REGEX_CALLS or not node.args or node.args[0].keyword:
            return
        pattern = node.args[0].value
        if not isinstance(pattern, (cst.SimpleString, cst.ConcatenatedString)):
            return
        value = pattern.evaluated_value
        flags = self._flags(node.args, _REGEX_CALLS[function])
        if isinstance(value, (str, bytes)) and flags is not None:
            self.found.append((value, flags))

    def _flags(self, args: Sequence[cst.Arg], position: int) -> Optional[int]:
        for index, arg in enumerate(args):
            if arg.star:
                return None
            if (arg.keyword.value == "flags") if arg.keyword else index == position:
                return self._flag_value(arg.value)
        return 0

    def _flag_value(self, node: cst.BaseExpression) -> Optional[int]:
        if isinstance(node, cst.Integer):
            return int(node.evaluated_value)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left, right = self._flag_value(node.left), self._flag_value(node.right)
            return None if left is None or right is None else left | right
        return _REGEX_FLAGS.get(self.names.get(get_full_name_for_node(node) or "", ""))
