"""Code that modules generate while they import, compiled by `freeze build --trace`.

dataclasses writes each class's methods as source text and exec()s it, namedtuple
eval()s its __new__, typing compile()s every string annotation: pydantic's models
cost hundreds of compilations at import (docs/performance.md).  A trace run records, while
bundled modules import, each source compiled and the module that called
compile(), exec() or eval() (freezer/trace.py).  The freezer compiles the sources
with the target interpreter into a table keyed by everything compilation depends
on: source, file name, mode, compiler flags (the caller's __future__ features
included) and optimization level.  At run time those modules call versions of
the three builtins that take a source's code from the table while bundled
modules import, and compile as the builtins do otherwise.
"""

import builtins
import marshal
import sys

from .boot import compile_generated, generated_key

# The compiler flags a caller passes on to compile(), exec() and eval(): its
# __future__ features (CPython's PyCF_MASK; tests check it against __future__).
FUTURE_FLAGS = 0x1FE0000
_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST: compile() returns a tree, nothing to look up
_CO_OPTIMIZED = 0x1  # a function's frame, whose locals exec() and eval() see as a snapshot
_BUILTINS = {name: getattr(builtins, name) for name in ("compile", "exec", "eval")}
_compile, _exec, _eval = _BUILTINS.values()


def _namespaces(frame, locals):
    """The namespaces exec() and eval() use when given no globals: the caller's.
    A function's locals come as a dict that writes do not reach (3.13 hands out a
    write-through proxy where the builtins take a copy)."""
    if locals is None:
        locals = frame.f_locals
        if frame.f_code.co_flags & _CO_OPTIMIZED and sys.version_info >= (3, 13):
            locals = dict(locals)
    return frame.f_globals, locals


class GeneratedCode:
    """compile(), exec() and eval() that behave as the builtins, for the modules
    that generate code.

    `read_table` returns {key: marshal'd code object}; `callers` maps a module
    name to the builtins it calls.  A trace run (`record`) puts the three in
    builtins instead, to learn the callers and the keys.
    """

    def __init__(self, read_table, callers, record=False):
        self._read_table = read_table
        self._table = None
        self._importing = False
        self.callers = callers
        # A trace run's findings: keys of the sources compiled, (module, builtin) calls.
        self.recorded: tuple[set, set] | None = (set(), set()) if record else None
        self.functions = {"compile": self._make_compile(), "exec": self._make_exec(),
                          "eval": self._make_eval()}

    def adapt(self, module):
        """Give a calling module our versions of the builtins it calls (unless it
        defines the name itself)."""
        for name in self.callers.get(module.__name__, ()):
            module.__dict__.setdefault(name, self.functions[name])

    def start_imports(self):
        self._importing = True
        if self.recorded is not None:
            for name, function in self.functions.items():
                setattr(builtins, name, function)

    def end_imports(self):
        """Drop the table: code generated later, when the program runs, is compiled."""
        self._importing = False
        self._table = None
        if self.recorded is not None:
            for name, function in self.functions.items():
                if getattr(builtins, name) is function:
                    setattr(builtins, name, _BUILTINS[name])

    def code(self, source, filename, mode, flags, optimize, caller, via):
        """The code object compile() returns for these arguments, for a call of the
        builtin `via` from the frame `caller`."""
        if optimize == -1:
            optimize = sys.flags.optimize
        key = generated_key(source, filename, mode, flags, optimize)
        if self._importing:
            if self.recorded is not None:
                self._record(self.recorded, key, caller, via)
            else:
                table = self._table  # end_imports in another thread may drop it
                if table is None:
                    table = self._table = self._read_table()
                data = table.get(key)
                if data is not None:
                    return marshal.loads(data)
        return compile_generated(key)

    def _record(self, recorded, key, caller, via):
        """Only calls from a module's own code count: those can be given our builtins."""
        name = caller.f_globals.get("__name__")
        module = sys.modules.get(name)
        if module is not None and module.__dict__ is caller.f_globals:
            sources, calls = recorded
            sources.add(key)
            calls.add((name, via))

    def _make_compile(self):
        def compile(source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **kwargs):
            caller = sys._getframe(1)
            if not dont_inherit:
                flags |= caller.f_code.co_flags & FUTURE_FLAGS
            if (kwargs or flags & _ONLY_AST or type(source) is not str
                    or type(filename) is not str):
                return _compile(source, filename, mode, flags, True, optimize, **kwargs)
            return self.code(source, filename, mode, flags, optimize, caller, "compile")
        compile.__doc__ = _compile.__doc__
        return compile

    def _make_exec(self):
        def exec(source, globals=None, locals=None, **kwargs):
            caller = sys._getframe(1)
            if globals is None:
                globals, locals = _namespaces(caller, locals)
            if type(source) is str and not kwargs:
                source = self.code(source, "<string>", "exec",
                                   caller.f_code.co_flags & FUTURE_FLAGS, -1, caller, "exec")
            return _exec(source, globals, locals, **kwargs)
        exec.__doc__ = _exec.__doc__
        return exec

    def _make_eval(self):
        def eval(source, globals=None, locals=None):
            caller = sys._getframe(1)
            if globals is None:
                globals, locals = _namespaces(caller, locals)
            if type(source) is str:  # eval() skips leading blanks, compile() does not
                source = self.code(source.lstrip(" \t"), "<string>", "eval",
                                   caller.f_code.co_flags & FUTURE_FLAGS, -1, caller, "eval")
            return _eval(source, globals, locals)
        eval.__doc__ = _eval.__doc__
        return eval
