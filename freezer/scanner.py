"""What a module's source says, without running it: its imports and the facts
that decide what else it needs (files on disk, modules found by name, lazy
loading, regular expressions to compile at build time).

analyze() parses a source once with libcst and asks each fact finder in turn;
this module owns Analysis, the record of their answers, and its form in the build
cache.  Adding a fact is one field of Analysis and the code computing it.  The
finders live beside it, one module per kind of fact:

    scanner_conditions  `if` tests only the target decides (version, platform, TYPE_CHECKING)
    scanner_imports     ImportRecords: the import walker, and locate() for their lines
    scanner_usage       files and folders used by path, modules listed or made from files
    scanner_lazy        whether the top level only defines names; where class bases come from
    scanner_patterns    literal regular expressions given to re
    scanner_names       the names a top level binds (for -e; no part of an Analysis)
    scanner_codec       records as marshal-friendly tuples and back
    scanner_syntax      libcst helpers the finders share
"""

from __future__ import annotations

import ast
import marshal
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import libcst as cst

from .scanner_codec import decode, encode
from .scanner_conditions import Conditions
from .scanner_imports import ANCHOR_NAME, ImportRecord, Walker, locate, may_import_dynamically
from .scanner_lazy import class_bases, defines_only
from .scanner_names import top_level_names
from .scanner_patterns import Pattern, PatternFinder
from .scanner_syntax import visit
from .scanner_usage import ProcessStateFinder, UsageFinder, may_read_process_state, may_use_files

__all__ = ["ANCHOR_NAME", "Analysis", "ImportRecord", "Pattern", "ScanError", "analyze",
           "code_files", "from_data", "locate", "parser_version", "scan", "to_data",
           "top_level_names"]

# Leading dots: relative names, resolved against the package (pydantic's lazy-import table);
# a `:attribute` after the name is an import string (uvicorn's "pkg.mod:Class", celery's).
_DOTTED_STRING = re.compile(
    r"""['"](\.*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?['"]""")
# The freezer's modules besides scanner*.py whose code shapes an analysis: resolver
# (resolve_name) and what it imports in turn.
_SHAPED_BY = ("resolver",)


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
    reads_process_state: bool = False


def to_data(analysis: Analysis) -> bytes:
    """An Analysis as bytes, for the build cache: each record a tuple of its fields
    in order, which marshal keeps compact.  The cache key covers this code, so no
    entry written with other fields is ever read back."""
    return marshal.dumps(encode(analysis))


def from_data(data: bytes) -> Analysis:
    return decode(Analysis, marshal.loads(data))


def code_files() -> list[str]:
    """The files whose code shapes an analysis: this module, its finders
    (scanner_*.py) and the other freezer modules they import.  The build cache keys
    analyses by their contents (and libcst's version), so no stale one is read."""
    here = Path(__file__).parent
    return [__file__, *sorted(map(str, here.glob("scanner_*.py"))),
            *(str(here / f"{name}.py") for name in _SHAPED_BY)]


def parser_version() -> str:
    """The version of libcst, whose trees every fact is read from."""
    return cst.LIBCST_VERSION


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
    walker = Walker(Conditions(tuple(version), platform), may_import_dynamically(source))
    walker.walk(module.body)
    text = source if isinstance(source, str) else source.decode("utf-8", "replace")
    usage = UsageFinder(package_calls)
    if may_use_files(text, package_calls):
        visit(module.body, usage)
    patterns = PatternFinder(module.body)
    if patterns.names:
        visit(module.body, patterns)
    state = ProcessStateFinder()
    if may_read_process_state(text):
        visit(module.body, state)
    owners, unknown = usage.file_owners()
    return Analysis(
        imports=walker.records,
        reads_own_files=usage.reads_own_files,
        lists_own_modules=usage.lists_own_modules,
        lists_own_folder=usage.lists_own_folder,
        strings=tuple(dict.fromkeys(match[1] for match in _DOTTED_STRING.finditer(text))),
        named_packages=tuple(dict.fromkeys((*usage.named_packages, *owners))),
        defines_only=defines_only(module.body),
        module_prefixes=tuple(dict.fromkeys(walker.prefixes)),
        patterns=tuple(dict.fromkeys(patterns.found)),
        adds_finder=usage.adds_finder,
        lists_own_package=usage.lists_own_package,
        class_bases=class_bases(module.body),
        reads_other_files=unknown,
        loads_module_files=usage.loads_module_files,
        reads_process_state=state.reads_process_state,
    )


def _cpython_syntax_error(source: Union[bytes, str]) -> Optional[tuple[str, int]]:
    """CPython's message and line: libcst's can be a line late, or 1 for tokenizer errors."""
    try:
        compile(source, "<scan>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return (exc.msg, exc.lineno) if exc.lineno else None
    except ValueError:  # null bytes
        return None
    return None
