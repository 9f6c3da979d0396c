"""What the scanner records for each way of writing an import.

Every case is a dedented snippet next to the exact ImportRecords it must give
for a CPython 3.11.7 target on Linux, each with the line locate() finds for it
(as a build's warnings do), counting from the snippet's first line.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest

from freezer.scanner import (
    ANCHOR_NAME, Analysis, ImportRecord, Pattern, ScanError, analyze, from_data, locate, scan,
    to_data,
)

VERSION = (3, 11, 7)
PLATFORM = "linux"


def R(module: str, names: tuple[str, ...] = (), *, line: int, **flags: Any
      ) -> tuple[ImportRecord, int]:
    """An expected record, and the line locate() must find for it."""
    return ImportRecord(module, names, **flags), line


def records(code: str | bytes, **target: Any) -> list[tuple[ImportRecord, int]]:
    """Scan a snippet as the target would see it; each record with its line."""
    code = textwrap.dedent(code) if isinstance(code, str) else code
    found = scan(code, **{"version": VERSION, "platform": PLATFORM, **target})
    return list(zip(found, locate(code, found)))


def modules(code: str, **target: Any) -> list[str]:
    """Just the module names, for cases where only selection matters."""
    options = {"version": VERSION, "platform": PLATFORM, **target}
    return [record.module for record in scan(textwrap.dedent(code), **options)]


STATEMENTS = {
    "import-dotted": ("import a.b.c", [R("a.b.c", line=1)]),
    "import-as": ("import a as b", [R("a", line=1)]),
    "import-several": ("import a, b.c as d", [R("a", line=1), R("b.c", line=1)]),
    "from-dot-import": ("from . import x", [R(".", ("x",), line=1)]),
    "from-relative-module": ("from .m import y", [R(".m", ("y",), line=1)]),
    "from-parent-star": ("from ..pkg.m import *", [R("..pkg.m", ("*",), line=1)]),
    "from-three-dots": ("from ... import a, b as c", [R("...", ("a", "b"), line=1)]),
    "from-absolute-parenthesised": (
        """\
        from a.b import (
            c,
            d as e,
        )
        """,
        [R("a.b", ("c", "d"), line=1)],
    ),
    "dunder-import": ('__import__("a.b")', [R("a.b", line=1, dynamic=True)]),
    "dunder-import-fromlist-level": (
        '__import__("x", globals(), locals(), ["y"], 1)',
        [R(".x", ("y",), line=1, dynamic=True)],
    ),
    "dunder-import-keywords": (
        'm = __import__("x", fromlist=("y", "z"), level=2)',
        [R("..x", ("y", "z"), line=1, dynamic=True)],
    ),
    "import-module": (
        'import importlib\nimportlib.import_module("a.b")',
        [R("importlib", line=1), R("a.b", line=2, dynamic=True)],
    ),
    "import-module-package-dunder": (
        'from importlib import import_module\nm = import_module(".m", __package__)',
        [R("importlib", ("import_module",), line=1),
         R(".m", line=2, dynamic=True, anchor=None)],
    ),
    "import-module-name-dunder": (
        'm = importlib.import_module(".m", __name__)',
        [R(".m", line=1, dynamic=True, anchor=ANCHOR_NAME)],
    ),
    "import-module-literal-package": (
        'importlib.import_module(".m", "pkg")',
        [R(".m", line=1, dynamic=True, anchor="pkg")],
    ),
    "import-module-in-expression": (
        'plugins = [importlib.import_module("plug.a"), helper(__import__("plug.b"))]',
        [R("plug.a", line=1, dynamic=True), R("plug.b", line=1, dynamic=True)],
    ),
}


@pytest.mark.parametrize("code, expected", STATEMENTS.values(), ids=STATEMENTS.keys())
def test_statement_records(code: str, expected: list[tuple[ImportRecord, int]]) -> None:
    assert records(code) == expected


@pytest.mark.parametrize("code", [
    "importlib.import_module(name)",
    'importlib.import_module(f"plugins.{name}")',
    'importlib.import_module("plugins." + name)',
    'importlib.import_module(".m", package)',
    "__import__(name)",
    '__import__("x", globals(), locals(), [], level)',
    "importlib.import_module()",
    'other.import_module("a")',
    'text = "__import__ and import_module are just words here"',
])
def test_non_literal_dynamic_imports_are_ignored(code: str) -> None:
    assert records(code) == []


def test_function_and_method_imports() -> None:
    code = """\
        import top

        def f():
            import in_f
            return importlib.import_module("dyn_in_f")

        async def g():
            from pkg import in_g

        class C:
            import in_class_body

            def method(self):
                import in_method

                def inner():
                    import in_inner
        import after
        """
    assert records(code) == [
        R("top", line=1),
        R("in_f", line=4, in_function=True),
        R("dyn_in_f", line=5, in_function=True, dynamic=True),
        R("pkg", ("in_g",), line=8, in_function=True),
        R("in_class_body", line=11),
        R("in_method", line=14, in_function=True),
        R("in_inner", line=17, in_function=True),
        R("after", line=18),
    ]


@pytest.mark.parametrize("handler", [
    "except ImportError:",
    "except ModuleNotFoundError as exc:",
    "except (ValueError, ModuleNotFoundError):",
    "except builtins.ImportError:",
    "except Exception:",
    "except:",
])
def test_try_guarded_imports_are_optional(handler: str) -> None:
    """The `try` body is optional, and so is the handler's fallback: it runs only when an
    import failed (`except ImportError: import importlib_resources` on a Python that has
    importlib.resources)."""
    code = f"""\
        try:
            import fast
            from speedups import thing
        {handler}
            import slow
        """
    assert records(code) == [
        R("fast", line=2, optional=True),
        R("speedups", ("thing",), line=3, optional=True),
        R("slow", line=5, optional=True),
    ]


def test_try_not_catching_import_error_is_required() -> None:
    code = """\
        try:
            import a
        except (ValueError, OSError):
            import b
        else:
            import c
        finally:
            import d
        """
    assert records(code) == [R("a", line=2), R("b", line=4), R("c", line=6), R("d", line=8)]


def test_optional_else_and_finally_are_not_guarded() -> None:
    """Only the `try` body is protected by its handlers."""
    code = """\
        try:
            import a
        except ImportError:
            pass
        else:
            import b
        finally:
            import c
        """
    assert records(code) == [R("a", line=2, optional=True), R("b", line=6), R("c", line=8)]


def test_imports_under_a_flag_an_optional_import_set_are_optional() -> None:
    """requests: `has_simplejson = True` after `import simplejson` in a guarded try, then
    `if has_simplejson: from simplejson import ...`; the try's else sets flags too."""
    code = """\
        has_simplejson = False
        try:
            import simplejson as json
            has_simplejson = True
        except ImportError:
            import json
        try:
            import ujson
        except ImportError:
            HAS_UJSON = False
        else:
            HAS_UJSON = True
        if has_simplejson:
            from simplejson import JSONDecodeError
        if HAS_UJSON:
            import ujson.extra
        if json.settings:  # a module imported here: that module's business, optional
            import optional_too
        """
    assert records(code) == [
        R("simplejson", line=3, optional=True), R("json", line=6, optional=True),
        R("ujson", line=8, optional=True),
        R("simplejson", ("JSONDecodeError",), line=14, optional=True),
        R("ujson.extra", line=16, optional=True), R("optional_too", line=18, optional=True),
    ]


def test_imports_under_a_flag_from_another_module_are_optional() -> None:
    """defusedxml: `from .common import PY3`, then `if PY3: ... else: import xmlrpclib`;
    httpie: `if is_windows: import colorama`. The flag's module decides: both branches are
    optional. A flag known here, or a name bound here, decides as usual."""
    code = """\
        import sys
        from .common import PY3, is_windows as WINDOWS
        if PY3:
            import xmlrpc.client
        else:
            import xmlrpclib
        if not WINDOWS:
            import termios
        local = sys.argv[1:]
        if local:
            import needed
        def f():
            from elsewhere import late
        if late:
            import also_needed
        import cython
        if cython.compiled:
            from cython.cimports.cpython import dict
        """
    assert records(code) == [
        R("sys", line=1), R(".common", ("PY3", "is_windows"), line=2),
        R("xmlrpc.client", line=4, optional=True), R("xmlrpclib", line=6, optional=True),
        R("termios", line=8, optional=True), R("needed", line=11),
        R("elsewhere", ("late",), line=13, in_function=True), R("also_needed", line=15),
        R("cython", line=16), R("cython.cimports.cpython", ("dict",), line=18, optional=True),
    ]


def test_optional_inside_function() -> None:
    code = """\
        def f():
            try:
                import a
            except ImportError:
                a = None
        """
    assert records(code) == [R("a", line=3, optional=True, in_function=True)]


@pytest.mark.parametrize("test", ["TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING"])
def test_type_checking_branch_skipped_else_kept(test: str) -> None:
    code = f"""\
        from typing import TYPE_CHECKING
        if {test}:
            import only_for_mypy
        else:
            import at_runtime
        """
    assert records(code) == [R("typing", ("TYPE_CHECKING",), line=1), R("at_runtime", line=5)]


@pytest.mark.parametrize("test, taken", [
    ("sys.version_info >= (3, 11)", True),
    ("sys.version_info >= (3, 12)", False),
    ("sys.version_info < (3, 8)", False),
    ("sys.version_info > (3, 11, 6)", True),
    ("sys.version_info[:2] == (3, 11)", True),
    ("sys.version_info[:2] <= (3, 11)", True),
    ("sys.version_info[:2] != (3, 11)", False),
    ("sys.version_info[0] == 3", True),
    ("sys.version_info[1] < 10", False),
    ('sys.platform == "win32"', False),
    ('sys.platform != "win32"', True),
    ('sys.platform == "linux"', True),
    ('sys.platform.startswith("linux")', True),
    ('sys.platform.startswith("win")', False),
    ("os.name == 'nt'", False),
    ('os.name == "posix"', True),
    ("not sys.version_info >= (3, 11)", False),
    ('not sys.platform == "win32"', True),
    ("not TYPE_CHECKING", True),
    ('sys.version_info >= (3, 8) and sys.platform == "linux"', True),
    ('sys.version_info >= (3, 8) and sys.platform == "win32"', False),
    ('sys.version_info < (3, 8) or sys.platform == "win32"', False),
    ('sys.version_info < (3, 8) or sys.platform == "linux"', True),
    ('(sys.platform == "darwin" or sys.platform == "win32") and sys.version_info >= (3, 9)',
     False),
    ("sys.version_info >= (3, 11) and unknown()", None),
    ("sys.version_info < (3, 8) and unknown()", False),
    ("sys.version_info >= (3, 11) or unknown()", True),
    ("sys.version_info < (3, 8) or unknown()", None),
])
def test_target_conditions(test: str, taken: bool | None) -> None:
    """Branches are kept when they can run on the target; None means both kept."""
    code = f"""\
        if {test}:
            import yes
        else:
            import no
        """
    expected = {True: ["yes"], False: ["no"], None: ["yes", "no"]}[taken]
    assert modules(code) == expected


@pytest.mark.parametrize("test", [
    "PY2",
    "sys.version_info.major >= 3",
    "sys.platform in ('win32', 'cygwin')",
    "sys.version_info >= version",
    "sys.platform == 3",
])
def test_unknown_conditions_keep_both_branches(test: str) -> None:
    code = f"""\
        if {test}:
            import yes
        else:
            import no
        """
    assert modules(code) == ["yes", "no"]


def test_other_target_changes_the_outcome() -> None:
    code = """\
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
        if sys.platform == "win32":
            import winreg
        """
    assert modules(code, version=(3, 10, 2), platform="win32") == ["tomli", "winreg"]
    assert modules(code) == ["tomllib"]


def test_elif_chain_on_platform() -> None:
    code = """\
        if sys.platform == "win32":
            import windows
        elif sys.platform == "darwin":
            import mac
        elif sys.platform.startswith("linux"):
            import linux
        else:
            import other
        """
    assert records(code) == [R("linux", line=6)]
    assert modules(code, platform="darwin") == ["mac"]
    assert modules(code, platform="freebsd13") == ["other"]


def test_one_line_suites() -> None:
    code = """\
        if x: import y
        if TYPE_CHECKING: import z
        else: import w
        for i in range(3): import in_loop
        while False: import in_while
        with ctx(): import in_with
        try: import t
        except ImportError: import u
        def f(): import in_def; from . import sibling
        """
    assert records(code) == [
        R("y", line=1),
        R("w", line=3),
        R("in_loop", line=4),
        R("in_while", line=5),
        R("in_with", line=6),
        R("t", line=7, optional=True),
        R("u", line=8, optional=True),
        R("in_def", line=9, in_function=True),
        R(".", ("sibling",), line=9, in_function=True),
    ]


def test_loop_else_and_nested_blocks() -> None:
    code = """\
        for x in y:
            with a, b:
                import deep
        else:
            import loop_else
        while cond:
            pass
        else:
            import while_else
        """
    assert modules(code) == ["deep", "loop_else", "while_else"]


def test_match_case_bodies() -> None:
    code = """\
        match command:
            case "json":
                import json
            case ["yaml", *rest]:
                from yaml import safe_load
            case _: import pickle
        """
    assert records(code) == [
        R("json", line=3),
        R("yaml", ("safe_load",), line=5),
        R("pickle", line=6),
    ]


def test_try_star() -> None:
    code = """\
        try:
            import grouped
        except* ImportError:
            import fallback
        """
    grouped, fallback = (2, 4) if sys.version_info >= (3, 11) else (0, 0)  # locate() parses
    assert records(code) == [R("grouped", line=grouped, optional=True),  # with this Python
                             R("fallback", line=fallback, optional=True)]


def test_bytes_source_with_encoding_declaration() -> None:
    code = "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\nimport a\n".encode("latin-1")
    assert records(code) == [R("a", line=3)]


@pytest.mark.parametrize("code, line", [
    ("import a\ndef f(:\n    pass\n", 2),
    ("x = 1\nimport\ny = 2\n", 2),
    ("a = 1\nb = )\nc = 2\n", 2),
    ("x = 1\n\n\ny = (\n", 4),
    ("for\n", 1),
])
def test_syntax_error_line(code: str, line: int) -> None:
    """The line must be the one CPython's own compiler blames."""
    with pytest.raises(SyntaxError) as cpython:
        compile(code, "<test>", "exec")
    assert cpython.value.lineno == line
    with pytest.raises(ScanError) as ours:
        scan(code, version=VERSION, platform=PLATFORM)
    assert ours.value.line == line
    assert str(ours.value) == cpython.value.msg


# A value unlike the default for each type of Analysis field: a new fact of a new
# type needs one here, so that its round trip through the cache is tested.
SAMPLES = {
    bool: True,
    tuple[str, ...]: ("pkg.mod", ".rel", "pkg:attr"),
    tuple[Pattern, ...]: ((r"\d+", 2), (b"[a-z]", 0)),
    list[ImportRecord]: [ImportRecord("a.b", ("c", "*"), optional=True, in_function=True),
                         ImportRecord(".m", dynamic=True, anchor=ANCHOR_NAME),
                         ImportRecord("..p", anchor="pkg")],
}


def test_every_fact_survives_the_build_cache() -> None:
    """to_data/from_data follow Analysis's fields: a fact added to it travels with no
    other edit, and the data stays plain enough for marshal."""
    hints = typing.get_type_hints(Analysis)
    unknown = {name: hint for name, hint in hints.items() if hint not in SAMPLES}
    assert not unknown, "add a sample value for these field types to SAMPLES"
    analysis = Analysis(**{name: SAMPLES[hint] for name, hint in hints.items()})
    data = to_data(analysis)
    assert from_data(data) == analysis
    assert all(getattr(from_data(data), field.name) != field.default
               for field in dataclasses.fields(Analysis) if field.name != "imports")
    assert from_data(to_data(Analysis([]))) == Analysis([])


def _freezer_files_imported(path: Path) -> set[Path]:
    """`path` and the freezer's modules it imports (`from .x import y`, anywhere in
    it but under `if TYPE_CHECKING:`), theirs in turn, and so on: everything whose
    code its results can depend on."""
    found: set[Path] = set()
    pending = [path]
    while pending:
        path = pending.pop()
        if path in found:
            continue
        found.add(path)
        tree = ast.parse(path.read_bytes())
        skipped = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for inner in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level and id(node) not in skipped:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                   "freezer")
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
                pending.extend(Path(sys.modules[name].__file__) for name in names
                               if name in sys.modules)
    return found


def test_the_analysis_cache_key_covers_every_file_that_shapes_an_analysis() -> None:
    """A change to any of them makes new analyses, never stale cache hits: the
    scanner's finders, and what they import from the freezer (resolve_name's module)."""
    from freezer import cache, graph, scanner
    files = scanner.code_files()
    assert {Path(file) for file in files} == _freezer_files_imported(Path(scanner.__file__))
    assert len(files) > 8 and Path(graph.__file__).parent / "resolver.py" in map(Path, files)
    assert graph._SCANNER_ID == cache.key(cache.code_id(*files), scanner.parser_version())


@pytest.mark.parametrize("source, expected", [
    ('"""doc"""\nimport os\nX = 1\nY: int = 2\nZ += 1\ndef f(): pass\nclass A: pass\n', True),
    ("import re\nPATTERN = re.compile('x')\nlog = getLogger(__name__)\n", True),
    ("@dataclass\nclass A: pass\n@functools.lru_cache()\ndef f(): pass\n", True),
    ("try:\n    import fast\nexcept ImportError:\n    fast = None\n", True),
    ("if sys.version_info >= (3, 11):\n    import tomllib\nelse:\n    import tomli\n", True),
    ("def main(): pass\nif __name__ == '__main__':\n    main()\n", True),
    ("import atexit\natexit.register(print)\n", False),
    ("import sys\nsys.modules[__name__] = object()\n", False),
    ("import other\nother.setting = 1\n", False),
    ("@app.route('/')\ndef index(): pass\n", False),
    ("for name in names:\n    pass\n", False),
    ("print('side effect')\n", False),
])
def test_defines_only_tells_modules_that_may_load_lazily(source: str, expected: bool) -> None:
    from freezer.scanner import analyze
    assert analyze(source, version=(3, 11, 7), platform="linux").defines_only is expected


def test_locate_finds_each_records_line() -> None:
    """The line of the statement or call, in order, past a skipped branch."""
    code = textwrap.dedent("""
        import a.b, c
        from . import x
        try:
            from ..pkg import (
                y,
                z,
            )
        except ImportError:
            pass
        def f():
            import importlib
            importlib.import_module("dyn.mod")
            __import__("other")
        if TYPE_CHECKING:
            import skipped
        import last
    """)
    found = scan(code, version=VERSION, platform=PLATFORM)
    assert locate(code, found) == [2, 2, 3, 5, 12, 13, 14, 17]


@pytest.mark.parametrize("source, expected", [
    ("import os\nHERE = os.path.dirname(os.path.abspath(__file__))\n", True),
    ("from pathlib import Path\nDATA = Path(__file__).parent / 'data'\n", True),
    ("import os, dataclasses\nSKIP = os.path.dirname(dataclasses.__file__)\n", False),
    ("print(__file__)\n", False),
    ("from .util import _StrPath\nHERE = _StrPath(__file__).resolve().parent\n", True),
    ("import os\nCHECKERS = os.listdir(__path__[0])\n", True),
])
def test_reads_own_files_only_for_paths_built_from_this_modules_file(source: str, expected: bool) -> None:
    from freezer.scanner import analyze
    assert analyze(source, version=(3, 11, 7), platform="linux").reads_own_files is expected


@pytest.mark.parametrize("source, expected", [
    ("from pylint.utils import register_plugins\n"
     "def initialize(linter):\n    register_plugins(linter, __path__[0])\n", True),
    ("import os\nCHECKERS = os.listdir(__path__[0])\n", True),
    ("import os\nDATA = os.path.join(__path__[0], 'data.txt')\n", False),
    ("def get_include():\n    here = __path__[0]\n    return [here]\n", False),
    ("import pkgutil\nNAMES = pkgutil.iter_modules(__path__)\n", False),
])
def test_handing_the_packages_folder_to_a_call_lists_it(source: str, expected: bool) -> None:
    """pylint finds its checkers by listing pylint/checkers; lxml's get_include only
    returns its folder, and a path built in the folder names one file."""
    from freezer.scanner import analyze
    analysis = analyze(source, version=(3, 11, 7), platform="linux")
    assert analysis.lists_own_folder is expected
    assert from_data(to_data(analysis)) == analysis


@pytest.mark.parametrize("source, expected", [
    ("import os, importlib\nHERE = os.path.dirname(__file__)\n"
     "MODS = [importlib.import_module('.' + n[:-3], __package__) for n in os.listdir(HERE)]\n", True),
    ("from pathlib import Path\nfrom importlib import import_module\n"
     "def load():\n    for p in Path(__file__).parent.glob('*.py'):\n"
     "        import_module(f'{__package__}.{p.stem}')\n", True),
    ("import os\nTEMPLATES = os.listdir(os.path.join(os.path.dirname(__file__), 't'))\n", False),
    ("import importlib, os\nPLUGINS = os.listdir('/etc/plugins')\n"
     "def get(name):\n    return importlib.import_module(name)\n", False),
])
def test_listing_beside_its_file_and_importing_by_name_lists_its_package(
        source: str, expected: bool) -> None:
    """Plugin discovery: list the folder beside __file__, import what is there by name."""
    from freezer.scanner import analyze
    analysis = analyze(source, version=(3, 11, 7), platform="linux")
    assert analysis.lists_own_package is expected
    assert from_data(to_data(analysis)) == analysis


def test_class_bases_name_the_modules_they_come_from() -> None:
    from freezer.scanner import analyze
    source = textwrap.dedent("""\
        import enum
        import django.db.models as dm
        from django.db import models
        from .base import Local
        try:
            from sqlalchemy.orm import DeclarativeBase
        except ImportError:
            DeclarativeBase = object
        class A(models.Model): pass
        class B(Local): pass
        class C(enum.Enum): pass
        if True:
            class D(DeclarativeBase, metaclass=dm.Meta): pass
        class E: pass
        def f():
            from other import Base
            class F(Base): pass
        """)
    analysis = analyze(source, version=(3, 11, 7), platform="linux")
    assert analysis.class_bases == ("django.db", ".base", "enum", "sqlalchemy.orm", "django.db.models")
    assert from_data(to_data(analysis)) == analysis


def test_paths_built_from_another_modules_file_name_its_package() -> None:
    """alembic: `Path(alembic.__file__).absolute().parent / "templates"`."""
    from freezer.scanner import analyze
    source = ("import alembic, os\nfrom pathlib import Path\n"
              "TEMPLATES = Path(alembic.__file__).absolute().parent / 'templates'\n"
              "LOG = print(os.__file__)\n")
    analysis = analyze(source, version=(3, 11, 7), platform="linux")
    assert analysis.named_packages == ("alembic",) and not analysis.reads_own_files


@pytest.mark.parametrize("source, named", [
    ("""
        import importlib
        from pathlib import Path
        v = importlib.import_module("pkg.data")
        SCHEMA = Path(v.__file__).parent / "schema.json"
     """, ("pkg.data",)),
    ("""
        import os
        from . import v4 as v
        HERE = os.path.dirname(v.__file__)
     """, (".v4",)),
    ("""
        import os
        import pkg.sub
        class Store:
            def __init__(self):
                self.mod = pkg.sub
            def folder(self):
                return os.path.join(os.path.dirname(self.mod.__file__), "data")
     """, ("pkg.sub",)),
    ("""
        import os, pkg.tables as t
        from importlib import import_module
        alias = t
        A = os.path.dirname(alias.__file__)
        B = os.path.dirname(import_module(".x", "pkg.y").__file__)
        C = os.path.dirname(__import__("top.mod").__file__)
        D = os.path.dirname(__import__("top.mod", None, None, ["f"]).__file__)
        E = os.path.dirname(sys.modules["pkg.z"].__file__)
        F = os.path.dirname(sys.modules[__name__].__file__)
     """, ("pkg.tables", "pkg.y.x", "top", "top.mod", "pkg.z", ".")),
    ("""
        import os
        from . import v4 as v
        print(v.__file__, os.__file__)
        NAME = os.path.basename("v.__file__")
     """, ()),
])
def test_file_of_a_module_bound_to_a_name_names_that_module(source: str, named: tuple[str, ...]
                                                            ) -> None:
    """A module held in a variable or attribute: the binding says which it is, wherever
    it is in the module (the method using `self.mod` may come first)."""
    from freezer.scanner import analyze
    analysis = analyze(textwrap.dedent(source), version=(3, 11, 7), platform="linux")
    assert (analysis.named_packages, analysis.reads_other_files) == (named, False)
    assert not analysis.reads_own_files
    assert from_data(to_data(analysis)) == analysis


@pytest.mark.parametrize("source", [
    "import os, sys\nHERE = os.path.dirname(sys.modules[type(x).__module__].__file__)\n",
    "import os\nv = make()\nv = os\nX = os.path.dirname(v.__file__)\n",
    "import importlib, os\nv = importlib.import_module(NAME)\nX = os.path.dirname(v.__file__)\n",
])
def test_file_of_a_module_it_cannot_name_reads_other_files(source: str) -> None:
    """Uncertain: extracting its own top-level package costs a first run, missing
    files cost a broken archive."""
    from freezer.scanner import analyze
    analysis = analyze(source, version=(3, 11, 7), platform="linux")
    assert analysis.reads_other_files and not analysis.reads_own_files


@pytest.mark.parametrize("source", [
    "import os\ndef folder(module):\n    return os.path.dirname(module.__file__)\n",
    "from pathlib import Path\nfor m in MODULES:\n    print(Path(m.__file__).parent)\n",
    "from pathlib import Path\nX = Path(undeclared.__file__)\n",
])
def test_file_of_a_module_from_elsewhere_extracts_nothing(source: str) -> None:
    """A parameter or loop variable holds a module from elsewhere (rich's traceback
    filters frames by the folders of the modules it is given): extracting its own
    package would not help, and would cost every first run."""
    from freezer.scanner import analyze
    analysis = analyze(source, version=(3, 11, 7), platform="linux")
    assert not analysis.reads_other_files and not analysis.reads_own_files


@pytest.mark.parametrize("source, expected", [
    ("""
        import importlib.util
        from importlib.machinery import FileFinder, SourceFileLoader, SOURCE_SUFFIXES
        def load(folder, name):
            spec = FileFinder(folder, (SourceFileLoader, SOURCE_SUFFIXES)).find_spec(name)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
     """, True),
    ("""
        from importlib import util
        def load(path):
            spec = util.spec_from_file_location("rule", path)
            module = util.module_from_spec(spec)
            spec.loader.exec_module(module)
     """, True),
    ("import importlib.machinery\n"
     "m = importlib.machinery.SourceFileLoader('conf', PATH).load_module()\n", True),
    ("import importlib.util\nSPEC = importlib.util.spec_from_file_location('x', PATH)\n", False),
    ("import importlib.util\nM = importlib.util.module_from_spec(SPEC)\n"
     "SPEC.loader.exec_module(M)\n", False),
])
def test_running_modules_made_from_files_loads_module_files(source: str, expected: bool) -> None:
    """A linter: one module lists rules/, another loads each file by path."""
    from freezer.scanner import analyze
    analysis = analyze(textwrap.dedent(source), version=(3, 11, 7), platform="linux")
    assert analysis.loads_module_files is expected
    assert from_data(to_data(analysis)) == analysis


def test_imports_under_suppress_import_error_are_optional() -> None:
    code = """\
        import contextlib
        from contextlib import suppress
        with suppress(ImportError):
            import fqdn
        with contextlib.suppress(ValueError, ModuleNotFoundError):
            import idna
        with suppress(KeyError):
            import required
        """
    assert records(code) == [R("contextlib", line=1), R("contextlib", ("suppress",), line=2),
                             R("fqdn", line=4, optional=True), R("idna", line=6, optional=True),
                             R("required", line=8)]


@pytest.mark.parametrize("source, expected", [
    ("from importlib.resources import as_file, files\n"
     "with as_file(files('pkg') / 'ca.pem') as path:\n    pass\n", True),
    ("import importlib.resources\nCA = importlib.resources.path('pkg', 'ca.pem')\n", True),
    ("import os\nos.path.join('a', 'b')\n", False),
])
def test_asking_importlib_resources_for_real_files_reads_own_files(source: str, expected: bool) -> None:
    from freezer.scanner import analyze
    assert analyze(source, version=(3, 11, 7), platform="linux").reads_own_files is expected


def test_relative_strings_and_computed_import_prefixes_are_hints() -> None:
    from freezer.scanner import analyze
    source = textwrap.dedent("""\
        import importlib
        _dynamic = {"BaseConfig": (__spec__.parent, ".deprecated.config"), "x": "plain.name"}
        PROTOCOLS = {"h11": "uvicorn.protocols.http.h11_impl:H11Protocol"}  # import strings
        def backend(name):
            return importlib.import_module(f"anyio._backends._{name}")
        def other(name):
            return importlib.import_module("pkg.drivers." + name)
        def unknown(name):
            return importlib.import_module(f"{name}.plugin")
        def __getattr__(name):  # textual's widgets: the name goes through a variable
            path = f"._{name.lower()}"
            return importlib.import_module(path, package="pkg.widgets")
        """)
    found = analyze(source, version=(3, 11, 7), platform="linux")
    assert ".deprecated.config" in found.strings and "plain.name" in found.strings
    assert "uvicorn.protocols.http.h11_impl" in found.strings
    assert found.module_prefixes == ("anyio._backends._", "pkg.drivers.", "._")


def test_flags_bound_to_target_conditions() -> None:
    """six's `PY2 = sys.version_info[0] == 2`, attrs' `PY_3_14_PLUS = ...` and xlrd's
    `python_version = sys.version_info[:2]` are known."""
    code = """\
        import sys
        PY2 = sys.version_info[0] == 2
        PY_3_14_PLUS = sys.version_info[:2] >= (3, 14)
        WINDOWS = sys.platform == "win32"
        UNKNOWN = some_call()
        if PY2:
            import StringIO
        else:
            import io
        if PY_3_14_PLUS:
            import annotationlib
        if not WINDOWS:
            import posix_only
        if UNKNOWN:
            import maybe
        python_version = sys.version_info[:2]  # xlrd
        if python_version >= (3, 0):
            import io as text_io
        else:
            import cStringIO
        import os
        if os.name == "nt":
            import win32console
        if sys.version_info[3] == "alpha":  # gevent: the target's version has three fields
            import alpha_only
        """
    assert modules(code, version=(3, 11, 7), platform="linux") == [
        "sys", "io", "posix_only", "maybe", "io", "os", "alpha_only"]


def test_flag_bound_twice_is_unknown() -> None:
    code = """\
        import sys
        FAST = sys.version_info >= (3, 12)
        if something:
            FAST = True
        if FAST:
            import fast_path
        """
    assert modules(code, version=(3, 11, 7), platform="linux") == ["sys", "fast_path"]


def test_type_checking_defined_locally_still_skips() -> None:
    code = """\
        TYPE_CHECKING = False
        if TYPE_CHECKING:
            import only_for_types
        """
    assert modules(code) == []


def test_literal_regular_expressions_with_their_flags() -> None:
    source = textwrap.dedent('''
        import re
        import re as _re
        from re import compile as C, IGNORECASE
        A = re.compile(r"\\d+(?P<x>a)", re.I | re.X)
        B = _re.match("ab" "c", s, flags=re.M)
        def later():
            return C(b"bytes", IGNORECASE), re.sub("a", "b", s, 0, re.S)
        re.split("[,;]", s)
        re.sub("x", "y", s, 0, some_flags)  # flags not known: left to run time
        re.compile(pattern)
        re.compile(f"x{y}")
        other.compile("not re")
    ''')
    analysis = analyze(source, version=VERSION, platform=PLATFORM)
    assert analysis.patterns == (
        ("\\d+(?P<x>a)", 66), ("abc", 8), (b"bytes", 2), ("a", 16), ("[,;]", 0))


def test_regular_expressions_need_re_imported() -> None:
    source = "compile('a')\nregex.compile('b')\n"
    assert analyze(source, version=VERSION, platform=PLATFORM).patterns == ()


def test_statement_too_deep_for_libcst_is_skipped() -> None:
    """pydoc_data.topics: one string of hundreds of parts, and a dynamic import."""
    deep = "TOPICS = (" + " ".join(f"'part {n}'" for n in range(1000)) + ")\n"
    source = f"import re\n{deep}X = re.compile('a+')\n__import__('json')\n"
    analysis = analyze(source, version=VERSION, platform=PLATFORM)
    assert analysis.patterns == (("a+", 0),)
    assert [record.module for record in analysis.imports] == ["re", "json"]


# A package reading files beside modules it holds in names, and a linter whose
# registry lists rules/ through importlib.resources while its loader runs each file.
FILE_READERS = {
    "app.py": """
        import sys
        import reader, linter.registry
        print(*reader.read_all(), sep=" | ")
        print(linter.registry.check("some text"))
    """,
    "reader/__init__.py": """
        import importlib, os
        from pathlib import Path
        from . import v4 as v
        from . import store

        def read_all():
            data = importlib.import_module("reader.data")
            one = (Path(data.__file__).parent / "one.json").read_text().strip()
            with open(os.path.join(os.path.dirname(v.__file__), "two.txt")) as file:
                two = file.read().strip()
            return one, two, store.Store().read()
    """,
    "reader/data.py": "",
    "reader/one.json": '{"one": 1}\n',
    "reader/v4/__init__.py": "",
    "reader/v4/two.txt": "two\n",
    "reader/store.py": """
        import os
        import tables.sub

        class Store:
            def read(self):
                with open(os.path.join(os.path.dirname(self.mod.__file__), "three.txt")) as file:
                    return file.read().strip()

            def __init__(self):
                self.mod = tables.sub
    """,
    "tables/__init__.py": "",
    "tables/sub/__init__.py": "",
    "tables/sub/three.txt": "three\n",
    "linter/__init__.py": "",
    "linter/registry.py": """
        from importlib.resources import files
        from .loader import load

        def check(text):
            folder = files("linter") / "rules"
            names = sorted(p.name[:-3] for p in folder.iterdir()
                           if p.name.endswith(".py") and p.name != "__init__.py")
            return [load(str(folder), name).check(text) for name in names]
    """,
    "linter/loader.py": """
        import importlib.util
        from importlib.machinery import SOURCE_SUFFIXES, FileFinder, SourceFileLoader

        def load(folder, name):
            spec = FileFinder(folder, (SourceFileLoader, SOURCE_SUFFIXES)).find_spec(name)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    """,
    "linter/rules/__init__.py": "",
    "linter/rules/length.py": "def check(text):\n    return f'length {len(text)}'\n",
    "linter/rules/spaces.py": "def check(text):\n    return f'spaces {text.count(\" \")}'\n",
}


def test_frozen_file_readers_find_their_files(tmp_path: Path) -> None:
    from support import build_app, run_frozen, run_python
    archive = build_app(tmp_path, FILE_READERS)
    expected = run_python(tmp_path / "src" / "app.py", tmp_path=tmp_path)
    assert expected.returncode == 0, expected.stderr
    assert expected.stdout == "{\"one\": 1} | two | three\n['length 9', 'spaces 1']\n"
    frozen = run_frozen(archive, tmp_path=tmp_path)
    assert (frozen.returncode, frozen.stdout) == (0, expected.stdout), frozen.stderr


@pytest.mark.parametrize("source, reads", [
    ("import os\nfrom pkg import md\nprint(os.path.basename(md.__file__).split('.'))\n", ()),
    ("import os\nfrom pkg import md\nX = os.path.join(os.path.dirname(md.__file__), 'x')\n",
     ("pkg.md",)),
    ("from os.path import join, split\nX = split(join('a', md.__file__))\nimport pkg.md as md\n",
     ("pkg.md",)),
])
def test_only_os_paths_join_and_split_build_paths(source: str, reads: tuple[str, ...]) -> None:
    """A string's own split or join of a module's file name reads no file (a driver
    printing which extension `md.__file__` ends in extracted its package)."""
    from freezer.scanner import analyze
    assert analyze(source, version=(3, 11, 7), platform="linux").named_packages == reads
