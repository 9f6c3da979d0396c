"""The names a module's top level binds, for -e's FUNCTION check (CPython's ast:
no part of an Analysis)."""

from __future__ import annotations

import ast
from typing import Optional, Union


# Calls through which a module can bind names no statement shows.
_DYNAMIC_BINDERS = frozenset({"globals", "vars", "locals", "exec", "setattr"})


def top_level_names(source: Union[bytes, str]) -> Optional[frozenset[str]]:
    """The names a module's top level binds (def, class, assignment, import, for
    and with targets, ``global`` in a function), or None when a name may be bound
    in a way no statement shows: ``from x import *``, a module ``__getattr__``,
    ``globals()``/``exec``/``setattr``, replacing itself in ``sys.modules``, or a
    source this Python cannot parse.  -e checks its FUNCTION against them."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    names: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            for inner in ast.walk(node):  # `global NAME` binds at the top level
                if isinstance(inner, ast.Global):
                    names.update(inner.names)
            pending.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in _DYNAMIC_BINDERS:
            return None
        elif isinstance(node, ast.Attribute) and node.attr == "modules" \
                and isinstance(node.value, ast.Name) and node.value.id == "sys":
            return None
        elif type(node).__name__ in ("MatchAs", "MatchStar") and getattr(node, "name", None):
            names.add(node.name)  # type: ignore[attr-defined]
        elif type(node).__name__ == "MatchMapping" and getattr(node, "rest", None):
            names.add(node.rest)  # type: ignore[attr-defined]
        pending.extend(ast.iter_child_nodes(node))
    return None if "__getattr__" in names else frozenset(names)
