"""The import walker: the ImportRecords of a module's statements and literal
dynamic imports (``__import__``, ``importlib.import_module``), each flagged
optional, inside a function or dynamic; and locate(), their line numbers.

The walker visits statements only (expressions just for dynamic imports) and skips
branches the target cannot run (see conditions), so they neither bloat the archive
nor raise false warnings.  What the records resolve to is the graph's business.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .scanner_conditions import Conditions
from .scanner_syntax import Visitor, literal_string, visit


ANCHOR_NAME = "__name__"

# Exceptions whose handler makes the imports in a `try` body optional.
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DYNAMIC_WORDS: dict[type, tuple[Any, ...]] = {bytes: (b"__import__", b"import_module"),
                                               str: ("__import__", "import_module")}


@dataclass(frozen=True)
class ImportRecord:
    """One import statement or literal dynamic import, as written.

    Attributes:
        module: the module named, with leading dots when relative.
        names: the names of a ``from`` import (``("*",)`` for a star import).
        optional: inside ``try`` whose handler catches ImportError.
        in_function: inside a function body, so it runs only when called.
        dynamic: ``__import__`` or ``importlib.import_module`` with literal arguments.
        anchor: package a relative `module` is resolved against: None for the
            importing module's ``__package__``, ANCHOR_NAME for its ``__name__``,
            otherwise a literal package name.
    """

    module: str
    names: tuple[str, ...] = ()
    optional: bool = False
    in_function: bool = False
    dynamic: bool = False
    anchor: Optional[str] = None


def may_import_dynamically(source: Union[bytes, str]) -> bool:
    """Whether a source's text names a dynamic import: the Walker visits the
    expressions of those only."""
    return any(word in source for word in _DYNAMIC_WORDS[type(source)])


def locate(source: Union[bytes, str], records: Sequence[ImportRecord]) -> list[int]:
    """Line numbers for `records` (from analyze(), in order), found with CPython's
    parser: far cheaper than libcst positions, for the few files a build reports on.
    0 where the running interpreter cannot parse the source or match a record."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [0] * len(records)
    found = sorted((node.lineno, node.col_offset, written) for node in ast.walk(tree)
                   if isinstance(node, (ast.stmt, ast.expr)) for written in _written_imports(node))
    lines, position = [], 0
    for record in records:
        for index in range(position, len(found)):
            if found[index][2] == record.module:
                lines.append(found[index][0])
                position = index + 1
                break
        else:
            lines.append(0)
    return lines


def _written_imports(node: ast.AST) -> list[str]:
    """The module names an ast node imports, spelt as ImportRecord.module is."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return ["." * node.level + (node.module or "")]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if callee == "import_module":
            return [node.args[0].value]
        if callee == "__import__":
            return ["." * _level(node) + node.args[0].value]
    return []


def _level(call: ast.Call) -> int:
    """The literal level of an `__import__` call (its fifth argument): 0 if none."""
    level = call.args[4] if len(call.args) > 4 else \
        next((k.value for k in call.keywords if k.arg == "level"), None)
    return level.value if isinstance(level, ast.Constant) and type(level.value) is int else 0


def _catches_import_error(handler: Union[cst.ExceptHandler, cst.ExceptStarHandler]) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
    for element in types:
        node = element.value if isinstance(element, cst.Element) else element
        name = get_full_name_for_node(node) or ""
        if name.rpartition(".")[2] in _IMPORT_ERRORS:
            return True
    return False


def _suppresses_import_error(node: cst.BaseExpression) -> bool:
    """`contextlib.suppress(ImportError)` and the like."""
    if not isinstance(node, cst.Call) or \
            (get_full_name_for_node(node.func) or "").rpartition(".")[2] != "suppress":
        return False
    return any((get_full_name_for_node(arg.value) or "").rpartition(".")[2] in _IMPORT_ERRORS
               for arg in node.args)


def _literal_prefix(node: cst.BaseExpression) -> Optional[str]:
    """The literal start of an f-string or a `"literal" + x` sum, if any."""
    if isinstance(node, cst.FormattedString):
        prefix = ""
        for part in node.parts:
            if not isinstance(part, cst.FormattedStringText):
                break
            prefix += part.value
        return prefix or None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return literal_string(node.left) or _literal_prefix(node.left)
    return None


class Walker:
    """Walks statements only: expressions are visited just for dynamic imports."""

    def __init__(self, conditions: Conditions, dynamic: bool) -> None:
        self.records: list[ImportRecord] = []
        self.prefixes: list[str] = []
        self._conditions = conditions
        self._calls = _CallFinder(self) if dynamic else None
        self._functions = 0
        self._optional = 0
        # Names bound where an import may have failed (`has_simplejson = True` after
        # `import simplejson` in a guarded try): imports under `if name:` are optional.
        self._optional_flags: set[str] = set()
        self._flagging = 0
        # Names imported at module level (`from .compat import PY3`, `import cython`):
        # what `if PY3:` or `if cython.compiled:` decides is the other module's
        # business, so both branches are optional.
        self._imported_names: set[str] = set()

    def add(self, module: str, names: tuple[str, ...] = (), dynamic: bool = False,
            anchor: Optional[str] = None) -> None:
        self.records.append(ImportRecord(module, names, optional=self._optional > 0,
                                         in_function=self._functions > 0, dynamic=dynamic,
                                         anchor=anchor))

    def walk(self, statements: Sequence[cst.CSTNode]) -> None:
        for statement in statements:
            self._statement(statement)

    def _block(self, block: cst.BaseSuite) -> None:
        if isinstance(block, cst.SimpleStatementSuite):  # `if x: import y`
            self._statement(block)
        else:
            self.walk(block.body)

    def _statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                if isinstance(small, cst.Import):
                    self._import(small)
                elif isinstance(small, cst.ImportFrom):
                    self._import_from(small)
                else:
                    if isinstance(small, cst.Assign) and not self._functions:
                        self._bind(small)
                    if isinstance(small, cst.Assign) and (self._optional or self._flagging):
                        self._optional_flags.update(
                            t.target.value for t in small.targets if isinstance(t.target, cst.Name))
                    if self._calls is not None:
                        visit([small], self._calls)
        elif isinstance(node, cst.If):
            truth = self._conditions.truth(node.test)
            flag = _flag_name(node.test)
            flagged = flag in self._optional_flags
            imported = truth is None and flag in self._imported_names
            if truth is not False:
                self._optional += flagged or imported
                self._block(node.body)
                self._optional -= flagged or imported
            if truth is not True and node.orelse is not None:
                self._optional += imported
                self._statement(node.orelse)
                self._optional -= imported
        elif isinstance(node, (cst.Try, cst.TryStar)):
            guarded = any(_catches_import_error(handler) for handler in node.handlers)
            self._optional += guarded
            self._block(node.body)
            for handler in node.handlers:  # fallbacks run only when an import failed
                self._block(handler.body)
            self._optional -= guarded
            if node.orelse is not None:  # runs when the imports worked: a flag set here
                self._flagging += guarded  # says so, but its own imports are required
                self._block(node.orelse.body)
                self._flagging -= guarded
            if node.finalbody is not None:
                self._block(node.finalbody.body)
        elif isinstance(node, cst.With) and any(_suppresses_import_error(item.item)
                                                for item in node.items):
            self._optional += 1
            self._block(node.body)
            self._optional -= 1
        elif isinstance(node, cst.FunctionDef):
            self._functions += 1
            self._block(node.body)
            self._functions -= 1
        elif isinstance(node, cst.Match):
            for case in node.cases:
                self._block(case.body)
        elif isinstance(node, (cst.ClassDef, cst.For, cst.While, cst.With, cst.Else)):
            self._block(node.body)
            orelse = getattr(node, "orelse", None)
            if orelse is not None:
                self._block(orelse.body)

    def _bind(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._conditions.bind(target.target.value, node.value)

    def _import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = alias.evaluated_name
            self.add(name)
            if not self._functions:
                self._imported_names.add(alias.evaluated_alias or name.partition(".")[0])

    def _import_from(self, node: cst.ImportFrom) -> None:
        dots = "." * len(node.relative)
        module = (get_full_name_for_node(node.module) or "") if node.module is not None else ""
        if isinstance(node.names, cst.ImportStar):
            names: tuple[str, ...] = ("*",)
        else:
            names = tuple(alias.evaluated_name for alias in node.names)
            if not self._functions:
                self._imported_names.update(
                    alias.evaluated_alias or alias.evaluated_name for alias in node.names)
        self.add(dots + module, names)


def _flag_name(test: cst.BaseExpression) -> Optional[str]:
    """The name an `if` tests, as in `if PY3:`, `if not PY3:` or `if cython.compiled:`
    (sqlalchemy: `cython` is the real module, or a stand-in where it is missing)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    while isinstance(test, cst.Attribute):
        test = test.value
    return test.value if isinstance(test, cst.Name) else None


class _CallFinder(Visitor):
    """Finds `__import__(...)` and `importlib.import_module(...)` with literal names."""

    def __init__(self, walker: Walker) -> None:
        super().__init__()
        self._walker = walker
        # Names bound to a string with a literal start: `path = f"._{name}"`, then
        # `import_module(path, package=...)` (textual's widgets).
        self._prefixes: dict[str, str] = {}

    def visit_Assign(self, node: cst.Assign) -> None:
        prefix = _literal_prefix(node.value)
        if prefix and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self._prefixes[node.targets[0].target.value] = prefix

    def visit_Call(self, node: cst.Call) -> None:
        callee = get_full_name_for_node(node.func)
        if callee == "__import__":
            self._dunder_import(node)
        elif callee in ("importlib.import_module", "import_module") and node.args:
            self._import_module(node)

    def _import_module(self, node: cst.Call) -> None:
        argument = node.args[0].value
        module = literal_string(argument)
        if module is None:
            prefix = _literal_prefix(argument) or (
                self._prefixes.get(argument.value) if isinstance(argument, cst.Name) else None)
            if prefix:
                self._walker.prefixes.append(prefix)
            return
        anchor = None
        if len(node.args) > 1:
            package = node.args[1].value
            anchor = literal_string(package)
            if anchor is None:
                name = get_full_name_for_node(package)
                if name not in ("__package__", ANCHOR_NAME):
                    return
                anchor = ANCHOR_NAME if name == ANCHOR_NAME else None
        self._walker.add(module, dynamic=True, anchor=anchor)

    def _dunder_import(self, node: cst.Call) -> None:
        args = {arg.keyword.value if arg.keyword else position: arg.value
                for position, arg in enumerate(node.args)}
        module = literal_string(args[0]) if 0 in args else None
        level_node = args.get(4, args.get("level"))
        if module is None or (level_node is not None and not isinstance(level_node, cst.Integer)):
            return
        level = level_node.evaluated_value if isinstance(level_node, cst.Integer) else 0
        fromlist = args.get(3, args.get("fromlist"))
        names: tuple[str, ...] = ()
        if isinstance(fromlist, (cst.List, cst.Tuple)):
            literal = [literal_string(element.value) for element in fromlist.elements]
            names = tuple(name for name in literal if name)
        self._walker.add("." * level + module, names, dynamic=True)
