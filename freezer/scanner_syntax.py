"""libcst helpers the fact finders share: visiting a module statement by
statement (one too deep for libcst is skipped, not fatal), and literal strings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import libcst as cst


class Visitor(cst.CSTVisitor):
    """A fact finder visit() can run: it recovers from a statement cut short."""

    def recover(self) -> None:
        """Forget what a statement whose visit was cut short left half counted."""


def visit(statements: Sequence[cst.CSTNode], visitor: Visitor) -> None:
    """Visit statement by statement: one too deep for libcst's recursive visitor
    (pydoc_data's string of hundreds of parts) is skipped, not fatal."""
    for statement in statements:
        try:
            statement.visit(visitor)
        except RecursionError:
            visitor.recover()


def literal_string(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None
