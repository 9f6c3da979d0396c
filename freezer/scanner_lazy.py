"""Facts for lazy loading: whether a module's top level only defines names (so
running it on first use changes nothing anyone else sees), and which modules its
top-level classes take their bases and metaclasses from (a metaclass may register
each class it makes)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node


# Decorators known to return the function or class they get, registering nothing.
_PURE_DECORATORS = frozenset({
    "property", "staticmethod", "classmethod", "dataclass", "dataclasses.dataclass",
    "functools.wraps", "wraps", "functools.lru_cache", "lru_cache", "functools.cache", "cache",
    "functools.cached_property", "cached_property", "functools.total_ordering",
    "total_ordering", "functools.singledispatch", "singledispatch", "contextmanager",
    "contextlib.contextmanager", "abstractmethod", "abc.abstractmethod", "overload",
    "typing.overload", "final", "typing.final", "runtime_checkable", "typing.runtime_checkable",
})


def defines_only(body: Sequence[cst.CSTNode]) -> bool:
    """True when every top-level statement only binds names in this module."""
    return all(_binds_only(statement) for statement in body)


def _binds_only(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return all(_small_binds_only(small) for small in node.body)
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return all(_pure_decorator(d.decorator) for d in node.decorators)
    if isinstance(node, cst.If):
        if is_main_guard(node.test):  # does not run on import
            return node.orelse is None or _binds_only(node.orelse)
        return _suite_binds_only(node.body) and (node.orelse is None or _binds_only(node.orelse))
    if isinstance(node, cst.Else):
        return _suite_binds_only(node.body)
    if isinstance(node, cst.Try):
        parts = [node.body, *(h.body for h in node.handlers),
                 *(p.body for p in (node.orelse, node.finalbody) if p is not None)]
        return all(_suite_binds_only(part) for part in parts)
    return False


def class_bases(body: Sequence[cst.CSTNode]) -> tuple[str, ...]:
    """Modules the bases and metaclasses of top-level classes come from: creating a
    class runs its metaclass, which may register it (Django's models)."""
    sources: dict[str, str] = {}  # name an import binds -> the module it comes from
    found: list[str] = []
    for node in _top_level(body):
        if isinstance(node, cst.ClassDef):
            roots = (_root_name(arg.value) for arg in (*node.bases, *node.keywords))
            found.extend(sources[root] for root in roots if root in sources)
            continue
        for small in node.body if isinstance(node, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = get_full_name_for_node(alias.name) or ""
                    bound = alias.evaluated_alias or full.partition(".")[0]
                    sources[bound] = full if alias.asname else bound
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = "." * len(small.relative) + (
                    get_full_name_for_node(small.module) or "" if small.module else "")
                for alias in small.names:
                    sources[alias.evaluated_alias or alias.evaluated_name] = module
    return tuple(dict.fromkeys(found))


def _top_level(body: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Statements that run at import, inside `if` and `try` blocks too."""
    for node in body:
        yield node
        yield from _top_level(_blocks(node))


def _blocks(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.If):
        return [*_statements(node.body), *([node.orelse] if node.orelse else [])]
    if isinstance(node, cst.Else):
        return _statements(node.body)
    if isinstance(node, cst.Try):
        return [*_statements(node.body), *(s for h in node.handlers for s in _statements(h.body)),
                *([node.orelse] if node.orelse else []),
                *(_statements(node.finalbody.body) if node.finalbody else [])]
    return []


def _statements(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body) if isinstance(suite, cst.IndentedBlock) else []


def _root_name(node: cst.BaseExpression) -> str:
    """`a` of `a.b.C`, `a.C[T]` or `a.f(x)`."""
    while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node.value if isinstance(node, cst.Name) else ""


def _suite_binds_only(suite: cst.BaseSuite) -> bool:
    if isinstance(suite, cst.SimpleStatementSuite):
        return _binds_only(suite)
    return all(_binds_only(statement) for statement in suite.body)


def is_main_guard(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Comparison) and get_full_name_for_node(test.left) == "__name__"
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].comparator, cst.SimpleString)
            and test.comparisons[0].comparator.evaluated_value == "__main__")


def _small_binds_only(node: cst.BaseSmallStatement) -> bool:
    if isinstance(node, (cst.Import, cst.ImportFrom, cst.Pass)):
        return True
    if isinstance(node, cst.Expr):  # docstrings and other bare literals only
        return isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis))
    if isinstance(node, cst.Assign):
        return all(isinstance(t.target, (cst.Name, cst.Tuple, cst.List)) for t in node.targets)
    if isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        return isinstance(node.target, cst.Name)
    return False


def _pure_decorator(node: cst.BaseExpression) -> bool:
    target = node.func if isinstance(node, cst.Call) else node
    return get_full_name_for_node(target) in _PURE_DECORATORS
