"""Generated code (runtime/generated.py): compile(), exec() and eval() as the builtins,
with the sources a trace saw answered from a table while bundled modules import."""

from __future__ import annotations

import __future__
import ast
import builtins
import marshal
import sys
from pathlib import Path
from typing import Any

import pytest

from freezer.generated import compile_sources
from freezer.runtime.generated import FUTURE_FLAGS, GeneratedCode
from freezer.target import probe
from support import build_app, inspect_json, installed_pythons, run_frozen

CO_NESTED = 0x10  # nested_scopes' flag: every nested function has it, it is no __future__ import


def table_of(*entries: tuple[str, str, str, str]) -> dict[tuple, bytes]:
    """A table whose code for each source is that of `instead`: a lookup shows.
    Keys carry this module's __future__ features, as its calls pass them on."""
    flags = sys._getframe().f_code.co_flags & FUTURE_FLAGS
    return {(source, filename, mode, flags, sys.flags.optimize):
            marshal.dumps(compile(instead, filename, mode, flags, True))
            for source, instead, filename, mode in entries}


def generated(table: dict[tuple, bytes], importing: bool = True) -> GeneratedCode:
    code = GeneratedCode(lambda: table, {})
    if importing:
        code.start_imports()
    return code


def test_future_flags_are_the_future_features_a_caller_passes_on() -> None:
    features = 0
    for name in __future__.all_feature_names:
        features |= getattr(__future__, name).compiler_flag
    assert FUTURE_FLAGS == features & ~CO_NESTED


def test_sources_in_the_table_come_from_it_while_modules_import_only() -> None:
    table = table_of(("1 + 1", "2 + 2", "<string>", "eval"),
                     ("x = 1", "x = 2", "<string>", "exec"),
                     ("'a'", "'b'", "f.py", "eval"))
    code = generated(table)
    compile_, exec_, eval_ = (code.functions[name] for name in ("compile", "exec", "eval"))
    assert eval_("1 + 1", {}) == 4
    assert eval_(" \t1 + 1", {}) == 4  # eval() skips leading blanks, as the builtin does
    namespace: dict[str, Any] = {}
    exec_("x = 1", namespace)
    assert namespace["x"] == 2
    assert eval(compile_("'a'", "f.py", "eval")) == "b"
    assert eval_("3 + 3", {}) == 6  # not in the table: compiled
    code.end_imports()
    assert eval_("1 + 1", {}) == 2  # the program's own generated code is compiled


def test_exec_and_eval_without_globals_see_the_callers_namespaces() -> None:
    code = generated({})
    exec_, eval_ = code.functions["exec"], code.functions["eval"]
    local = 5  # noqa: F841 (eval and exec see it)

    def inner() -> tuple[Any, Any]:
        hidden = 7
        exec_("hidden = 8")  # writes to a function's locals do not reach them
        return eval_("hidden + 1"), hidden

    assert eval_("local * 2") == 10
    assert inner() == (8, 7)
    namespace = {"a": 1}
    exec_("b = a + 1", namespace, None)
    assert namespace["b"] == 2


def test_compile_inherits_the_callers_future_features_like_the_builtin() -> None:
    code = generated({})
    caller = ("from __future__ import annotations\n"
              "def make(compile):\n    return compile(SOURCE, 's', 'exec')\n")
    source = "def f(x: int) -> None: pass"
    results = []
    for compile_ in (builtins.compile, code.functions["compile"]):
        namespace = {"SOURCE": source}
        exec(builtins.compile(caller, "caller", "exec"), namespace)
        defined: dict[str, Any] = {}
        exec(namespace["make"](compile_), defined)
        results.append(defined["f"].__annotations__)
    assert results == [{"x": "int", "return": "None"}] * 2
    plain = code.functions["compile"](source, "s", "exec", dont_inherit=True)
    defined = {}
    exec(plain, defined)
    assert defined["f"].__annotations__ == {"x": int, "return": None}


def test_trees_errors_and_code_objects_pass_through() -> None:
    code = generated({})
    compile_, exec_ = code.functions["compile"], code.functions["exec"]
    assert isinstance(compile_("x = 1", "s", "exec", ast.PyCF_ONLY_AST), ast.Module)
    with pytest.raises(SyntaxError) as raised:
        compile_("x = = 1", "broken.py", "exec")
    with pytest.raises(SyntaxError) as expected:
        compile("x = = 1", "broken.py", "exec")
    assert (raised.value.msg, raised.value.filename, raised.value.lineno) == (
        expected.value.msg, expected.value.filename, expected.value.lineno)
    namespace: dict[str, Any] = {}
    exec_(compile("y = 3", "s", "exec"), namespace)
    assert namespace["y"] == 3


def test_a_trace_records_sources_and_the_modules_that_generated_them() -> None:
    code = GeneratedCode(dict, {}, record=True)
    code.start_imports()
    try:
        assert builtins.eval is code.functions["eval"]
        assert eval("40 + 2", {}) == 42
        from collections import namedtuple
        namedtuple("Point", "x y")
    finally:
        code.end_imports()
    assert builtins.eval is not code.functions["eval"]
    sources, calls = code.recorded
    annotations = __future__.annotations.compiler_flag  # this module's, passed on
    assert ("40 + 2", "<string>", "eval", annotations, sys.flags.optimize) in sources
    assert ("collections", "eval") in calls and (__name__, "eval") in calls


def test_sources_that_warn_or_fail_are_left_to_run_time() -> None:
    sources = [("1 is 1", "<string>", "eval", 0, 0), ("x = = 1", "<string>", "exec", 0, 0),
               ("2", "<string>", "eval", 0, 0)]
    table = marshal.loads(compile_sources(probe(sys.executable), sources))
    assert list(table) == [("2", "<string>", "eval", 0, 0)]


# The module the app imports generates code three ways; `count` reports how many
# compilations its import took.
APP = {
    "app.py": """
        import sys
        compiled = []
        sys.addaudithook(lambda event, args: compiled.append(args) if event == "compile" else None)
        import models
        if sys.argv[1:] == ["count"]:
            print(len(compiled))
        else:
            print(models.Order(3, "tea"), models.Point(1, 2), models.Hint.__annotations__)
    """,
    "models.py": """
        from __future__ import annotations
        import collections, dataclasses, typing

        @dataclasses.dataclass(frozen=True)
        class Order:
            quantity: int
            item: str = "coffee"

        Point = collections.namedtuple("Point", "x y")

        class Hint:
            value: typing.Optional[int]

        HINTS = typing.get_type_hints(Hint)
    """,
}
OUTPUT = ("Order(quantity=3, item='tea') Point(x=1, y=2) "
          "{'value': 'typing.Optional[int]'}\n")


PYTHONS = installed_pythons()


def generated_table(archive: Path) -> dict[tuple, bytes]:
    """The table of an archive built for one Python, read as the runtime reads it."""
    from freezer.runtime import boot
    opened = boot.Archive(str(archive))
    try:
        return opened.read_generated()
    finally:
        opened.close()


@pytest.mark.parametrize("python", PYTHONS, ids=lambda p: p.parent.parent.name)
def test_traced_archive_answers_generated_code_from_its_table(python: Path, tmp_path: Path
                                                              ) -> None:
    plain = build_app(tmp_path, APP, "--python", python, name="plain.pyz")
    assert generated_table(plain) == {}
    compiled = int(run_frozen(plain, "count", tmp_path=tmp_path, python=python).stdout)
    assert compiled >= 5  # dataclass methods, namedtuple's __new__, the forward reference

    traced = build_app(tmp_path, APP, "--python", python, "--trace", "", name="traced.pyz")
    info = inspect_json(traced)["generated"]
    assert info["modules"] == {"collections": ["eval"], "dataclasses": ["exec"],
                               "typing": ["compile"]}
    table = generated_table(traced)
    assert info["sources"] == len(table) >= 5
    # The table is what the target compiles for those sources, in a fresh process:
    # whether it came from the build cache or not.
    assert marshal.loads(compile_sources(probe(str(python)), list(table))) == table
    assert run_frozen(traced, "count", tmp_path=tmp_path, python=python).stdout == "0\n"
    ran = run_frozen(traced, tmp_path=tmp_path, python=python)
    assert (ran.returncode, ran.stdout) == (0, OUTPUT), ran.stderr


@pytest.mark.parametrize("python", [
    pytest.param(python, marks=[] if python == PYTHONS[-1] else [pytest.mark.slow])
    for python in PYTHONS], ids=lambda p: p.parent.parent.name)
def test_a_traced_build_is_the_same_without_the_cache(python: Path, tmp_path: Path) -> None:
    """Everything computed afresh (the stdlib's analyses too: seconds each Python) gives
    the bytes the cache gave; a pattern arriving interned from a cached analysis once
    made them differ on 3.12.  The newest Python checks it in the fast suite."""
    traced = build_app(tmp_path, APP, "--python", python, "--trace", "", name="traced.pyz")
    again = build_app(tmp_path, APP, "--python", python, "--trace", "", "--no-cache",
                      name="again.pyz")
    assert again.read_bytes() == traced.read_bytes()
