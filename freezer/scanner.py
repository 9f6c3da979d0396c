"""Discover a module's imports with libcst, without running it.

The walker only collects ImportRecords; what they resolve to is the graph's
business.  Branches that cannot run on the target (``if TYPE_CHECKING:``,
``if sys.version_info < (3, 8):``, ``if sys.platform == "win32":``) are
skipped, so they neither bloat the archive nor raise false warnings.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import marshal
import operator
import re
import typing
from dataclasses import dataclass
from collections.abc import Iterator, Sequence
from typing import Any, Optional, TypeVar, Union

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .resolver import resolve_name

ANCHOR_NAME = "__name__"
_Record = TypeVar("_Record")

# Exceptions whose handler makes the imports in a `try` body optional.
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DYNAMIC_WORDS = {bytes: (b"__import__", b"import_module"), str: ("__import__", "import_module")}
# Leading dots: relative names, resolved against the package (pydantic's lazy-import table);
# a `:attribute` after the name is an import string (uvicorn's "pkg.mod:Class", celery's).
_DOTTED_STRING = re.compile(
    r"""['"](\.*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?['"]""")
# Calls that hand out a resource as a real file (with as_file, however imported): a
# module using one wants its files on disk.
_REAL_FILE_CALLS = frozenset({"importlib.resources.path", "resources.path",
                              "importlib_resources.path"})
# Calls that build a path from their arguments: __file__ inside one means the
# module locates files beside itself.
_PATH_CALLS = frozenset({"dirname", "abspath", "realpath", "join", "split", "normpath",
                         "Path", "PurePath", "PosixPath"})
_STRING_METHODS = frozenset({"join", "split"})  # path builders that strings have too
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
_COMPARISONS = {
    cst.Equal: operator.eq, cst.NotEqual: operator.ne, cst.LessThan: operator.lt,
    cst.LessThanEqual: operator.le, cst.GreaterThan: operator.gt,
    cst.GreaterThanEqual: operator.ge,
}


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


class ScanError(Exception):
    """The source does not parse; `line` says where."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line

    def __reduce__(self) -> tuple[type, tuple[str, int]]:  # back from a worker process
        return ScanError, (self.args[0], self.line)


@dataclass(frozen=True)
class Analysis:
    """What a module's source says about the files and modules it needs.

    Attributes:
        imports: its ImportRecords.
        reads_own_files: ``__file__`` flows into a path-building call
            (``os.path.dirname(__file__)``, ``Path(__file__)``...), or it asks
            importlib.resources for a real file (``as_file``, ``path``): the
            package needs its files on disk.
        lists_own_modules: it calls ``pkgutil.iter_modules``/``walk_packages``,
            typically to import its own package's modules by name.
        lists_own_folder: it hands its package's folder itself, ``__path__[0]``,
            to a call that builds no path from it (pylint's
            ``register_plugins(linter, __path__[0])`` lists the folder and
            imports each module in it by its file's path).
        strings: string constants shaped like dotted names, candidates for
            modules imported by name from tables or f-strings.
        named_packages: first string arguments of calls to the `package_calls`
            analyze() was given, and the modules whose ``__file__`` flows into a
            path-building call (``Path(alembic.__file__).parent``, also through a
            name an import or assignment bound: ``v = import_module("pkg.data")``,
            ``from . import v4 as v``, ``self.mod = pkg.sub``); relative ones keep
            their dots, and a name may end in attributes (``pkg.function``).
        defines_only: its top-level code only defines names (imports, functions,
            classes, constants): running it later, on first use, cannot change
            what anything else sees, so it may load lazily.
        module_prefixes: literal beginnings of names given to ``import_module``
            as f-strings or sums (``f"anyio._backends._{name}"``): any module
            whose name starts so may be imported.
        patterns: ``(pattern, flags)`` of the regular expressions it gives re's
            functions as literals: their compiled form can be made at build time.
        adds_finder: it puts a finder on ``sys.meta_path``, which may serve modules
            under its own name that exist only at run time (six's ``six.moves``).
        lists_own_package: it builds a path from its own ``__file__``, lists a
            folder and imports modules by name: plugin discovery (``for name in
            os.listdir(os.path.dirname(__file__)): import_module(...)``).
        class_bases: the modules its top-level classes take their bases and
            metaclasses from, as written (relative ones with their dots).
        reads_other_files: ``X.__file__`` flows into a path-building call and X
            is no module the scanner can name (a function's argument,
            ``sys.modules[self.__module__]``): most likely a module of its own
            top-level package, which then needs its files on disk.
        loads_module_files: it makes modules from files by path
            (``spec_from_file_location``, ``FileFinder(folder).find_spec``, a
            file loader) and runs them: the folder may be listed anywhere in its
            package (a linter's ``rules/``), so all of it must be real files.
    """

    imports: list[ImportRecord]
    reads_own_files: bool = False
    lists_own_modules: bool = False
    strings: tuple[str, ...] = ()
    named_packages: tuple[str, ...] = ()
    defines_only: bool = False
    module_prefixes: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    lists_own_folder: bool = False
    adds_finder: bool = False
    lists_own_package: bool = False
    class_bases: tuple[str, ...] = ()
    reads_other_files: bool = False
    loads_module_files: bool = False


def to_data(analysis: Analysis) -> bytes:
    """An Analysis as bytes, for the build cache: each record a tuple of its fields
    in order, which marshal keeps compact.  The cache key covers this code, so no
    entry written with other fields is ever read back."""
    return marshal.dumps(_encode(analysis))


def from_data(data: bytes) -> Analysis:
    return _decode(Analysis, marshal.loads(data))


@dataclass(frozen=True)
class _Codec:
    """How the records of one class travel: the names of its fields in order, and
    for each field holding records (the others marshal takes as they are) its index,
    the record class and the sequence type holding several (None: it holds one)."""

    names: tuple[str, ...]
    nested: tuple[tuple[int, type, Optional[type]], ...]


_CODECS: dict[type, _Codec] = {}


def _codec(cls: type) -> _Codec:
    """A record class's codec, read once from its type hints."""
    codec = _CODECS.get(cls)
    if codec is None:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        nested = (_nested(index, hints[field.name]) for index, field in enumerate(fields))
        codec = _CODECS[cls] = _Codec(tuple(field.name for field in fields),
                                      tuple(found for found in nested if found))
    return codec


def _nested(index: int, hint: object) -> Optional[tuple[int, type, Optional[type]]]:
    """How a field of type `hint` holds records: one (`ImportRecord`), several
    (`list[ImportRecord]`, `tuple[ImportRecord, ...]`), or none."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return index, hint, None
    container, args = typing.get_origin(hint), typing.get_args(hint)
    if container in (list, tuple) and args and dataclasses.is_dataclass(args[0]) \
            and isinstance(args[0], type):
        return index, args[0], container
    return None


def _encode(record: object) -> tuple[object, ...]:
    codec = _codec(type(record))
    values = [getattr(record, name) for name in codec.names]
    for index, _, many in codec.nested:
        value = values[index]
        values[index] = _encode(value) if many is None else many(map(_encode, value))
    return tuple(values)


def _decode(cls: type[_Record], data: Sequence[Any]) -> _Record:
    """A record from _encode's tuple; fields go in by position, as dataclasses order
    them (a record class takes all its fields in __init__)."""
    codec = _codec(cls)
    values = list(data)
    for index, nested, many in codec.nested:
        value = values[index]
        if many is None:
            values[index] = _decode(nested, value)
        elif _codec(nested).nested:
            values[index] = many(_decode(nested, item) for item in value)
        else:  # records of plain fields, the common case: straight from their tuples
            values[index] = many(itertools.starmap(nested, value))
    return cls(*values)


def scan(source: Union[bytes, str], *, version: tuple[int, ...], platform: str
         ) -> list[ImportRecord]:
    """Imports of one module's source that can run on the given target."""
    return analyze(source, version=version, platform=platform).imports


def analyze(source: Union[bytes, str], *, version: tuple[int, ...], platform: str,
            package_calls: frozenset[str] = frozenset()) -> Analysis:
    """Imports and dynamic-behaviour hints of one module's source.

    Records carry no line numbers (libcst's positions cost a second pass over the
    whole tree): locate() finds them for the few files a build reports on.
    Expressions are visited only in sources whose text makes a hint possible.
    """
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        message, line = _cpython_syntax_error(source) or (exc.message, exc.raw_line)
        raise ScanError(message, line) from None
    dynamic = any(word in source for word in _DYNAMIC_WORDS[type(source)])
    walker = _Walker(_Conditions(tuple(version), platform), dynamic)
    walker.walk(module.body)
    text = source if isinstance(source, str) else source.decode("utf-8", "replace")
    usage = _UsageFinder(package_calls)
    if any(word in text for word in ("__file__", "__path__[", "iter_modules", "walk_packages",
                                     "as_file", "resources.path", "meta_path", *_FILE_LOADERS,
                                     *package_calls)):
        _visit(module.body, usage)
    strings = tuple(dict.fromkeys(match[1] for match in _DOTTED_STRING.finditer(text)))
    patterns = _PatternFinder(module.body)
    if patterns.names:
        _visit(module.body, patterns)
    owners, unknown = usage.file_owners()
    return Analysis(
        imports=walker.records,
        reads_own_files=usage.reads_own_files,
        lists_own_modules=usage.lists_own_modules,
        lists_own_folder=usage.lists_own_folder,
        strings=strings,
        named_packages=tuple(dict.fromkeys((*usage.named_packages, *owners))),
        defines_only=_defines_only(module.body),
        module_prefixes=tuple(dict.fromkeys(walker.prefixes)),
        patterns=tuple(dict.fromkeys(patterns.found)),
        adds_finder=usage.adds_finder,
        lists_own_package=usage.lists_own_package,
        class_bases=_class_bases(module.body),
        reads_other_files=unknown,
        loads_module_files=usage.loads_module_files,
    )


class _Visitor(cst.CSTVisitor):
    def recover(self) -> None:
        """Forget what a statement whose visit was cut short left half counted."""


def _visit(statements: Sequence[cst.CSTNode], visitor: _Visitor) -> None:
    """Visit statement by statement: one too deep for libcst's recursive visitor
    (pydoc_data's string of hundreds of parts) is skipped, not fatal."""
    for statement in statements:
        try:
            statement.visit(visitor)
        except RecursionError:
            visitor.recover()


def _cpython_syntax_error(source: Union[bytes, str]) -> Optional[tuple[str, int]]:
    """CPython's message and line: libcst's can be a line late, or 1 for tokenizer errors."""
    try:
        compile(source, "<scan>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return (exc.msg, exc.lineno) if exc.lineno else None
    except ValueError:  # null bytes
        return None
    return None


def locate(source: Union[bytes, str], records: Sequence[ImportRecord]) -> list[int]:
    """Line numbers for `records` (from analyze(), in order), found with CPython's
    parser: far cheaper than libcst positions, for the few files a build reports on.
    0 where the running interpreter cannot parse the source or match a record."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [0] * len(records)
    found = sorted((node.lineno, node.col_offset, written) for node in ast.walk(tree)
                   for written in _written_imports(node))
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
        if callee == "__import__":  # a literal level, the fifth argument, adds dots
            level = node.args[4] if len(node.args) > 4 else \
                next((k.value for k in node.keywords if k.arg == "level"), None)
            dots = level.value if isinstance(level, ast.Constant) and type(level.value) is int else 0
            return ["." * dots + node.args[0].value]
    return []


class _Conditions:
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
            left, right = self._value(test.left), self._value(target.comparator)
            if compare and left is not None and right is not None and type(left) is type(right):
                return compare(left, right)
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


def _catches_import_error(handler: cst.ExceptHandler) -> bool:
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
        return _literal_string(node.left) or _literal_prefix(node.left)
    return None


def _literal_string(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


class _Walker:
    """Walks statements only: expressions are visited just for dynamic imports."""

    def __init__(self, conditions: _Conditions, dynamic: bool) -> None:
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
                        _visit([small], self._calls)
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
            name = get_full_name_for_node(alias.name)
            self.add(name)
            if not self._functions:
                self._imported_names.add(alias.evaluated_alias or name.partition(".")[0])

    def _import_from(self, node: cst.ImportFrom) -> None:
        dots = "." * len(node.relative)
        module = get_full_name_for_node(node.module) if node.module is not None else ""
        if isinstance(node.names, cst.ImportStar):
            names: tuple[str, ...] = ("*",)
        else:
            names = tuple(get_full_name_for_node(alias.name) for alias in node.names)
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


class _CallFinder(_Visitor):
    """Finds `__import__(...)` and `importlib.import_module(...)` with literal names."""

    def __init__(self, walker: _Walker) -> None:
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
        module = _literal_string(argument)
        if module is None:
            prefix = _literal_prefix(argument) or (
                self._prefixes.get(argument.value) if isinstance(argument, cst.Name) else None)
            if prefix:
                self._walker.prefixes.append(prefix)
            return
        anchor = None
        if len(node.args) > 1:
            package = node.args[1].value
            anchor = _literal_string(package)
            if anchor is None:
                name = get_full_name_for_node(package)
                if name not in ("__package__", ANCHOR_NAME):
                    return
                anchor = ANCHOR_NAME if name == ANCHOR_NAME else None
        self._walker.add(module, dynamic=True, anchor=anchor)

    def _dunder_import(self, node: cst.Call) -> None:
        args = {arg.keyword.value if arg.keyword else position: arg.value
                for position, arg in enumerate(node.args)}
        module = _literal_string(args[0]) if 0 in args else None
        level_node = args.get(4, args.get("level"))
        if module is None or (level_node is not None and not isinstance(level_node, cst.Integer)):
            return
        level = level_node.evaluated_value if isinstance(level_node, cst.Integer) else 0
        fromlist = args.get(3, args.get("fromlist"))
        names: tuple[str, ...] = ()
        if isinstance(fromlist, (cst.List, cst.Tuple)):
            literal = [_literal_string(element.value) for element in fromlist.elements]
            names = tuple(name for name in literal if name)
        self._walker.add("." * level + module, names, dynamic=True)


# Decorators known to return the function or class they get, registering nothing.
_PURE_DECORATORS = frozenset({
    "property", "staticmethod", "classmethod", "dataclass", "dataclasses.dataclass",
    "functools.wraps", "wraps", "functools.lru_cache", "lru_cache", "functools.cache", "cache",
    "functools.cached_property", "cached_property", "functools.total_ordering",
    "total_ordering", "functools.singledispatch", "singledispatch", "contextmanager",
    "contextlib.contextmanager", "abstractmethod", "abc.abstractmethod", "overload",
    "typing.overload", "final", "typing.final", "runtime_checkable", "typing.runtime_checkable",
})


def _defines_only(body: Sequence[cst.CSTNode]) -> bool:
    """True when every top-level statement only binds names in this module."""
    return all(_binds_only(statement) for statement in body)


def _binds_only(node: cst.CSTNode) -> bool:
    if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return all(_small_binds_only(small) for small in node.body)
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return all(_pure_decorator(d.decorator) for d in node.decorators)
    if isinstance(node, cst.If):
        if _is_main_guard(node.test):  # does not run on import
            return node.orelse is None or _binds_only(node.orelse)
        return _suite_binds_only(node.body) and (node.orelse is None or _binds_only(node.orelse))
    if isinstance(node, cst.Else):
        return _suite_binds_only(node.body)
    if isinstance(node, cst.Try):
        parts = [node.body, *(h.body for h in node.handlers),
                 *(p.body for p in (node.orelse, node.finalbody) if p is not None)]
        return all(_suite_binds_only(part) for part in parts)
    return False


def _class_bases(body: Sequence[cst.CSTNode]) -> tuple[str, ...]:
    """Modules the bases and metaclasses of top-level classes come from: creating a
    class runs its metaclass, which may register it (Django's models)."""
    sources: dict[str, str] = {}  # name an import binds -> the module it comes from
    found = []
    for node in _top_level(body):
        if isinstance(node, cst.ClassDef):
            roots = (_root_name(arg.value) for arg in (*node.bases, *node.keywords))
            found.extend(sources[root] for root in roots if root in sources)
            continue
        for small in node.body if isinstance(node, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Import):
                for alias in small.names:
                    full = get_full_name_for_node(alias.name) or ""
                    bound = alias.asname.name.value if alias.asname else full.partition(".")[0]
                    sources[bound] = full if alias.asname else bound
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = "." * len(small.relative) + (get_full_name_for_node(small.module) or "")
                for alias in small.names:
                    sources[get_full_name_for_node(alias.asname.name if alias.asname
                                                   else alias.name) or ""] = module
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


def _is_main_guard(test: cst.BaseExpression) -> bool:
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


_FINDER_CALLS = frozenset({"sys.meta_path.append", "sys.meta_path.insert", "sys.meta_path.extend"})
# Calls that list a folder, and calls that import a module by a name or path in a string.
_LISTING_CALLS = frozenset({"listdir", "scandir", "walk", "glob", "iglob", "iterdir", "rglob"})
_NAME_IMPORT_CALLS = frozenset({"import_module", "__import__", "spec_from_file_location"})
# Calls that make a module's spec or loader from a file's path, and those that run it.
_FILE_LOADERS = ("spec_from_file_location", "FileFinder", "SourceFileLoader",
                 "SourcelessFileLoader")
_MODULE_RUNNERS = frozenset({"exec_module", "load_module"})
# What a name is bound to: a module's name (relative ones with their dots), a dotted
# name to look up in turn, or nothing the scanner can name.
_MODULE, _ALIAS, _UNKNOWN = "module", "alias", "unknown"
Binding = tuple[str, str]


class _UsageFinder(_Visitor):
    """Finds __file__ inside path-building calls, folder and pkgutil module listing,
    imports by name, modules made from files, finders put on sys.meta_path, and
    package names given to hooked calls."""

    def __init__(self, package_calls: frozenset[str]) -> None:
        super().__init__()
        self.reads_own_files = False
        self.lists_own_modules = False
        self.lists_own_folder = False
        self.adds_finder = False
        self._lists = self._imports_by_name = False
        self._loads_files = self._runs_modules = False
        self.named_packages: list[str] = []
        self._package_calls = package_calls
        self._path_calls = 0
        # Dotted names as written (`v`, `self.mod`) -> what they were bound to,
        # anywhere in the module: a binding after its use in a function counts too.
        self._bindings: dict[str, set[Binding]] = {}
        # The X of each `X.__file__` in a path-building call, as a binding.
        self._owners: list[Binding] = []

    def _callee(self, node: cst.Call) -> str:
        return (get_full_name_for_node(node.func) or "").rpartition(".")[2]

    def visit_Call(self, node: cst.Call) -> None:
        callee = self._callee(node)
        self._path_calls += _is_path_call(node)
        if callee == "as_file" or get_full_name_for_node(node.func) in _REAL_FILE_CALLS:
            self.reads_own_files = True
        if callee in ("iter_modules", "walk_packages"):
            self.lists_own_modules = True
        if not _is_path_call(node) and any(_is_own_folder(arg.value) for arg in node.args):
            self.lists_own_folder = True
        if get_full_name_for_node(node.func) in _FINDER_CALLS:
            self.adds_finder = True
        self._lists = self._lists or callee in _LISTING_CALLS
        self._imports_by_name = self._imports_by_name or callee in _NAME_IMPORT_CALLS
        self._loads_files = self._loads_files or callee in _FILE_LOADERS
        self._runs_modules = self._runs_modules or callee in _MODULE_RUNNERS
        if callee in self._package_calls and node.args:
            package = _literal_string(node.args[0].value)
            if package:
                self.named_packages.append(package)

    def leave_Call(self, original_node: cst.Call) -> None:
        self._path_calls -= _is_path_call(original_node)

    @property
    def lists_own_package(self) -> bool:
        return self.reads_own_files and self._lists and self._imports_by_name

    @property
    def loads_module_files(self) -> bool:
        return self._loads_files and self._runs_modules

    def recover(self) -> None:
        self._path_calls = 0

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        # `other.__file__` is another module's file: that package reads its files
        # (alembic: `Path(alembic.__file__).parent / "templates"`).
        if node.attr.value == "__file__" and self._path_calls:
            self._owners.append(_binding(node.value))
        node.value.visit(self)
        return False

    def visit_Subscript(self, node: cst.Subscript) -> None:
        # `__path__[0]` is the package's folder, listed or opened by path (pylint).
        if _is_own_folder(node):
            self.reads_own_files = True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "__file__" and self._path_calls:
            self.reads_own_files = True

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = get_full_name_for_node(alias.name) or ""
            if alias.asname is not None:  # `import a.b as v`: v is a.b
                self._bind(_dotted(alias.asname.name), (_MODULE, full))
            else:  # `import a.b`: a is a, and a.b is found through it
                top = full.partition(".")[0]
                self._bind(top, (_MODULE, top))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = "." * len(node.relative) + (get_full_name_for_node(node.module) or ""
                                              if node.module is not None else "")
        joint = "" if module.endswith(".") or not module else "."
        for alias in node.names:  # `from pkg import x as v`: v is pkg.x, or pkg's attribute
            bound = alias.asname.name if alias.asname is not None else alias.name
            name = get_full_name_for_node(alias.name)
            self._bind(_dotted(bound), (_MODULE, f"{module}{joint}{name}"))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(_dotted(target.target), _binding(node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(_dotted(node.target), _binding(node.value))

    def _bind(self, name: Optional[str], binding: Binding) -> None:
        if name:
            self._bindings.setdefault(name, set()).add(binding)

    def file_owners(self) -> tuple[list[str], bool]:
        """The modules whose __file__ builds paths here, and whether some X of an
        `X.__file__` is bound here to a module the scanner cannot name
        (`import_module(name)`, `sys.modules[key]`): most likely one of its own."""
        found: list[str] = []
        unknown = False
        for owner in self._owners:
            modules = self._modules(owner, 0)
            found.extend(module for module in modules if module)
            unknown = unknown or "" in modules
        return found, unknown

    def _modules(self, binding: Binding, depth: int) -> set[str]:
        """Module names a binding may stand for; "" for one that is not known."""
        kind, name = binding
        if kind == _MODULE:
            return {name}
        if kind == _UNKNOWN or depth > 8:
            return {""}
        parts = name.split(".")
        for end in range(len(parts), 0, -1):  # longest bound prefix: `self.mod` of `self.mod.x`
            bindings = self._bindings.get(".".join(parts[:end]))
            if bindings:
                rest = "".join(f".{part}" for part in parts[end:])
                return {module + rest if module else "" for bound in bindings
                        for module in self._modules(bound, depth + 1)}
        # Bound nowhere here (a parameter, a loop variable): a module from elsewhere,
        # whose package extracting this one would not bring (rich's traceback takes
        # the folders of the modules it is given to filter frames by).
        return set()


def _dotted(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a chain of names and attributes, else None (get_full_name_for_node
    names a call or a subscript after what it calls or indexes)."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def _binding(node: cst.BaseExpression) -> Binding:
    """What an expression bound to a name stands for: a dotted name to look up, the
    module of `import_module("pkg.mod")`, `__import__("pkg")` or `sys.modules["pkg.mod"]`
    with a literal name (`sys.modules[__name__]` is the module's own package, "."), or
    nothing known."""
    dotted = _dotted(node)
    if dotted:
        return _ALIAS, dotted
    if isinstance(node, cst.Subscript) and get_full_name_for_node(node.value) == "sys.modules" \
            and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        index = node.slice[0].slice.value
        if isinstance(index, cst.Name) and index.value in ("__name__", "__package__"):
            return _MODULE, "."  # itself, or its package: the same folder
        name = _literal_string(index)
        return (_MODULE, name) if name else (_UNKNOWN, "")
    if isinstance(node, cst.Call) and node.args:
        callee = (get_full_name_for_node(node.func) or "").rpartition(".")[2]
        name = _literal_string(node.args[0].value)
        if name and callee == "import_module":
            package = _literal_string(node.args[1].value) if len(node.args) > 1 else None
            try:  # relative to __package__ (no literal package): the graph resolves it
                return _MODULE, resolve_name(name, package) if package else name
            except ValueError:
                return _UNKNOWN, ""
        if name and callee == "__import__" and not any(arg.keyword for arg in node.args):
            fromlist = node.args[3].value if len(node.args) > 3 else None
            level = node.args[4].value if len(node.args) > 4 else None
            dots = "." * level.evaluated_value if isinstance(level, cst.Integer) else ""
            if isinstance(fromlist, (cst.List, cst.Tuple)) and fromlist.elements:
                return _MODULE, dots + name  # with a fromlist, the module itself
            return _MODULE, dots + name.partition(".")[0]
    return _UNKNOWN, ""


def _is_own_folder(node: cst.BaseExpression) -> bool:
    """`__path__[...]`: a folder of the package whose __init__ this is."""
    return (isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name)
            and node.value.value == "__path__")


def _is_path_call(node: cst.Call) -> bool:
    """os.path's path builders, and pathlib's classes and their subclasses, which
    end in Path by convention (sphinx: `_StrPath(__file__).resolve().parent`).
    `join` and `split` count only as os.path's (or imported bare): a string's
    `basename(m.__file__).split(".")` reads no file."""
    full = get_full_name_for_node(node.func) or ""
    callee = full.rpartition(".")[2]
    if callee in _STRING_METHODS:
        return full == callee or full.endswith(f"path.{callee}")
    return callee in _PATH_CALLS or callee.endswith("Path")


class _PatternFinder(_Visitor):
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
                    prefix = alias.asname.name.value if alias.asname else "re"
                    self.names.update({f"{prefix}.{name}": name
                                       for name in (*_REGEX_CALLS, *_REGEX_FLAGS)})
        elif isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None \
                and get_full_name_for_node(node.module) == "re" \
                and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name = alias.name.value
                if name in _REGEX_CALLS or name in _REGEX_FLAGS:
                    self.names[alias.asname.name.value if alias.asname else name] = name

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
