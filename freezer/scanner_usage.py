"""How a module uses files and modules beyond its imports: ``__file__`` or
importlib.resources building paths to its own files (or another module's), its
package's folder listed, modules listed with pkgutil or made from files and run,
finders put on ``sys.meta_path``, package names given to hooked calls."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .resolver import resolve_name
from .scanner_lazy import is_main_guard
from .scanner_syntax import Visitor, literal_string


# Calls that hand out a resource as a real file (with as_file, however imported): a
# module using one wants its files on disk.
_REAL_FILE_CALLS = frozenset({"importlib.resources.path", "resources.path",
                              "importlib_resources.path"})
# Calls that build a path from their arguments: __file__ inside one means the
# module locates files beside itself.
_PATH_CALLS = frozenset({"dirname", "abspath", "realpath", "join", "split", "normpath",
                         "Path", "PurePath", "PosixPath"})
_STRING_METHODS = frozenset({"join", "split"})  # path builders that strings have too
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
# Words without one of which (or of the hooked calls) a source has nothing to find.
_CLUES = ("__file__", "__path__[", "iter_modules", "walk_packages", "as_file", "resources.path",
          "meta_path", *_FILE_LOADERS)


def may_use_files(text: str, package_calls: frozenset[str]) -> bool:
    """Whether UsageFinder may find anything in a source: it visits every
    expression, so the others are spared it."""
    return any(word in text for word in (*_CLUES, *package_calls))


class UsageFinder(Visitor):
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
            package = literal_string(node.args[0].value)
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
        name = literal_string(index)
        return (_MODULE, name) if name else (_UNKNOWN, "")
    if isinstance(node, cst.Call) and node.args:
        callee = (get_full_name_for_node(node.func) or "").rpartition(".")[2]
        name = literal_string(node.args[0].value)
        if name and callee == "import_module":
            package = literal_string(node.args[1].value) if len(node.args) > 1 else None
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


# What a module's top-level code may read of the process that imports it (docs/server.md):
# its arguments, environment, folder, standard streams and terminal, its pid, the time
# it started.  A warm start server must not import such a module before it forks the
# child that becomes a run: the module would keep the server's values.
_PROCESS_STATE = frozenset({
    "sys.argv", "sys.orig_argv", "sys.stdin", "sys.stdout", "sys.stderr", "sys.__stdin__",
    "sys.__stdout__", "sys.__stderr__", "os.environ", "os.environb", "os.getenv", "os.getenvb",
    "os.getcwd", "os.getcwdb", "os.getpid", "os.getppid", "os.isatty", "os.get_terminal_size",
    "shutil.get_terminal_size", "os.ttyname", "os.ctermid", "os.path.expanduser",
    "os.path.expandvars", "getpass.getuser", "time.time", "time.time_ns", "time.monotonic",
    "time.monotonic_ns", "time.perf_counter", "time.perf_counter_ns", "datetime.datetime.now",
    "datetime.now", "datetime.datetime.today", "datetime.today", "datetime.datetime.utcnow",
    "datetime.utcnow", "datetime.date.today", "date.today", "pathlib.Path.cwd", "Path.cwd",
    "pathlib.Path.home", "Path.home"})
# Names `from sys import ...` binds to an object a run replaces: holding it reads it.
_SYS_OBJECTS = frozenset({"argv", "orig_argv", "stdin", "stdout", "stderr", "__stdin__",
                          "__stdout__", "__stderr__"})
# What a standard stream's encoding and error handler follow from (the locale and the
# interpreter's options) a server shares with every run it serves: reading them is safe.
_STREAMS = frozenset({f"sys.{name}" for name in _SYS_OBJECTS if "std" in name})
_STREAM_SETTINGS = frozenset({"encoding", "errors"})
_STATE_CLUES = tuple(sorted({name.rpartition(".")[2] for name in _PROCESS_STATE} | {"isatty"}))


def may_read_process_state(text: str) -> bool:
    """Whether ProcessStateFinder may find anything in a source."""
    return any(word in text for word in _STATE_CLUES)


class ProcessStateFinder(Visitor):
    """Finds top-level code (what runs at import: not function bodies, lambdas or
    `if __name__ == "__main__":` blocks) that reads process state: a name of
    _PROCESS_STATE, bare after `from os import getenv`, any `.isatty`, or `from sys
    import argv`; a standard stream's encoding or error handler does not count."""

    def __init__(self) -> None:
        super().__init__()
        self.reads_process_state = False
        self._bare: set[str] = set()  # names bound by `from os import getenv` and the like

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for decorator in node.decorators:  # decorators and defaults run at definition
            decorator.visit(self)
        node.params.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_If(self, node: cst.If) -> Optional[bool]:
        if is_main_guard(node.test):
            if node.orelse is not None:
                node.orelse.visit(self)
            return False
        return None

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        module = get_full_name_for_node(node.module) if node.module and not node.relative else None
        if module is None or isinstance(node.names, cst.ImportStar):
            return False
        for alias in node.names:
            name = get_full_name_for_node(alias.name) or ""
            if module == "sys" and name in _SYS_OBJECTS:
                self.reads_process_state = True
            elif f"{module}.{name}" in _PROCESS_STATE:
                self._bare.add(alias.asname.name.value if alias.asname is not None
                               and isinstance(alias.asname.name, cst.Name) else name)
        return False

    def visit_Call(self, node: cst.Call) -> Optional[bool]:
        # getattr(sys.stderr, "encoding", None), as `sys.stderr.encoding` below.
        if (get_full_name_for_node(node.func) == "getattr" and len(node.args) >= 2
                and get_full_name_for_node(node.args[0].value) in _STREAMS
                and literal_string(node.args[1].value) in _STREAM_SETTINGS):
            for arg in node.args[2:]:
                arg.visit(self)
            return False
        return None

    def visit_Attribute(self, node: cst.Attribute) -> Optional[bool]:
        if (node.attr.value in _STREAM_SETTINGS
                and get_full_name_for_node(node.value) in _STREAMS):
            return False  # the same in the server as in each run it serves
        if node.attr.value == "isatty" or get_full_name_for_node(node) in _PROCESS_STATE:
            self.reads_process_state = True
            return False
        return None

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self._bare:
            self.reads_process_state = True

