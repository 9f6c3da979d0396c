"""The runtime inside an archive: modules look real, damage is caught, laziness is real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import build_app, freeze, inspect_json, module_info, run_frozen, run_python, write_tree

PYENV = Path("/root/.pyenv/versions")

# Prints what a program can observe about its modules, with the code root
# (the source tree, or the archive) replaced by ROOT so both runs compare.
PROBE_APP = {
    "app.py": '''
        import importlib, importlib.machinery, importlib.resources, inspect, json, linecache
        import pkgutil, sys
        import pkg.mod, pkg.nested.leaf
        import ns.portion_a, ns.portion_b
        from pkg import sub

        NamespaceLoader = getattr(importlib.machinery, "NamespaceLoader", None) or (
            importlib._bootstrap_external._NamespaceLoader)  # before 3.11

        ROOT = sys.argv[1]

        def rel(value):
            if isinstance(value, str):
                return value.replace(ROOT, "ROOT")
            if isinstance(value, (list, tuple)) or type(value).__name__ == "_NamespacePath":
                return [rel(v) for v in value]
            return value

        def describe(module):
            spec = module.__spec__
            loader = spec.loader
            info = {
                "name": module.__name__, "package": module.__package__,
                "file": rel(getattr(module, "__file__", None)),
                "path": rel(getattr(module, "__path__", None)),
                "spec": [spec.name, spec.parent, rel(spec.origin), spec.has_location,
                         rel(spec.submodule_search_locations)],
                "loader_is_module_loader": module.__loader__ is loader,
                "file_set": "__file__" in vars(module),
                "namespace_loader": isinstance(loader, NamespaceLoader),
                "path_type": type(getattr(module, "__path__", None)).__name__,
            }
            if spec.origin and hasattr(loader, "get_source"):
                info["is_package"] = loader.is_package(spec.name)
                info["source_ok"] = loader.get_source(spec.name) == open_source(module)
                info["get_data_ok"] = loader.get_data(module.__file__) == open_source(module).encode()
                info["filename"] = rel(loader.get_filename(spec.name))
            return info

        def open_source(module):
            return SOURCES[module.__name__]

        SOURCES = json.loads(sys.argv[2])
        report = [describe(m) for m in (pkg, pkg.mod, sub, ns, ns.portion_a, ns.portion_b)]
        report.append(inspect.getsource(pkg.mod.function))
        report.append(linecache.getline(pkg.mod.__file__, 2))
        report.append(rel(pkg.mod.function.__code__.co_filename))
        report.append(rel(__file__))
        report.append([__name__, __spec__, __package__])
        report.append(describe(pkg.nested))  # a namespace package inside a package
        # Namespace packages are not listed; a package's regular contents are.
        report.append(sorted(m.name for m in pkgutil.iter_modules() if m.name in ("pkg", "ns")))
        report.append([(m.name, m.ispkg) for m in pkgutil.iter_modules(pkg.__path__)])
        report.append([m.name for m in pkgutil.iter_modules(ns.__path__)])
        resources = importlib.resources.files(ns)
        report.append([sorted(p.name for p in resources.iterdir() if p.name.endswith(".py")),
                       resources.joinpath("portion_b.py").read_text()])
        print(json.dumps(report, indent=1))
    ''',
    "pkg/__init__.py": "from . import sub\n",
    "pkg/mod.py": '''
        def function():
            return "defined on line 2"
    ''',
    "pkg/sub/__init__.py": "",
    "pkg/nested/leaf.py": "",
    "first/ns/portion_a.py": "A = 1\n",
    "second/ns/portion_b.py": "B = 2\n",
}


def sources(root: Path) -> str:
    return json.dumps({
        "pkg": (root / "pkg/__init__.py").read_text(),
        "pkg.mod": (root / "pkg/mod.py").read_text(),
        "pkg.sub": (root / "pkg/sub/__init__.py").read_text(),
        "ns.portion_a": (root / "first/ns/portion_a.py").read_text(),
        "ns.portion_b": (root / "second/ns/portion_b.py").read_text(),
    })


def test_modules_look_like_the_real_thing(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", PROBE_APP)
    out = tmp_path / "probe.pyz"
    built = freeze("build", "app.py", "--path", "first", "--path", "second", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    frozen = run_frozen(out, out, sources(src), tmp_path=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    # Unfrozen twin: the same tree, with the two namespace portions on sys.path.
    unfrozen_env_script = src / "run_unfrozen.py"
    unfrozen_env_script.write_text(
        "import runpy, sys\n"
        f"sys.path[:0] = [{str(src)!r}, {str(src / 'first')!r}, {str(src / 'second')!r}]\n"
        f"sys.argv = [{str(src / 'app.py')!r}] + sys.argv[1:]\n"
        f"runpy.run_path({str(src / 'app.py')!r}, run_name='__main__')\n")
    unfrozen = run_python(unfrozen_env_script, src, sources(src), tmp_path=tmp_path, flags=["-I", "-S"])
    assert unfrozen.returncode == 0, unfrozen.stderr
    got, want = json.loads(frozen.stdout), json.loads(unfrozen.stdout)
    # runpy.run_path sets __package__ to ""; `python app.py` (and a frozen app) set None.
    want[10][2] = None
    # Namespace portions merge into one directory inside the archive.
    want[3]["path"] = want[3]["spec"][4] = ["ROOT/ns"]
    for entry in want[4:6]:
        entry["file"] = entry["filename"] = entry["spec"][2] = entry["spec"][2].replace(
            "ROOT/first/", "ROOT/").replace("ROOT/second/", "ROOT/")
    assert got == want


# What a console script's function sees of __main__: the script's file (frozen, the
# archive: sys.argv[0] either way) and a script's attributes.
ENTRY_PROBE_APP = {
    "console": """
        # -*- coding: utf-8 -*-
        import re
        import sys
        from pkg.cli import main
        if __name__ == '__main__':
            sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
            sys.exit(main())
    """,
    "pkg/__init__.py": "",
    "pkg/cli.py": """
        import builtins, os, sys

        def main():
            m = sys.modules["__main__"]
            print(m.__name__, m.__file__ == os.path.abspath(sys.argv[0]), m.__spec__,
                  m.__package__, m.__cached__, m.__doc__, m.__builtins__ is builtins,
                  m.__loader__ is not None)
            return 3
    """,
}


def test_a_function_entry_sees_the_archive_as_main_file_like_a_console_script(
        tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", ENTRY_PROBE_APP)  # console is what pip writes
    out = tmp_path / "app.pyz"
    assert freeze("build", "-e", "pkg.cli:main", "-o", out, cwd=src).returncode == 0
    frozen = run_frozen(out, tmp_path=tmp_path)
    # Not -I, which leaves the script's folder (where pkg is) off sys.path.
    unfrozen = run_python(src / "console", tmp_path=tmp_path, flags=["-S"])
    assert (unfrozen.stderr, unfrozen.returncode) == ("", 3)
    assert (frozen.stdout, frozen.stderr, frozen.returncode) == (unfrozen.stdout, "", 3)
    assert frozen.stdout == "__main__ True None None None None True True\n"


def test_every_flipped_byte_of_a_blob_stops_the_run_before_any_code(tmp_path: Path) -> None:
    """The runtime's own read (boot.Archive.read_code, as the importer calls it) refuses
    the blob with any one byte flipped, before unmarshalling it; a few of those archives
    then run end to end, so the refusal is what stops the program."""
    from freezer.runtime import boot
    out = build_app(tmp_path, {"app.py": "import victim\nprint('main ran')\n",
                               "victim.py": "print('victim ran')\n"})
    victim = module_info(out, "victim")
    start, end = victim["offset"], victim["offset"] + victim["length"]
    pristine = out.read_bytes()
    damaged = tmp_path / "damaged.pyz"
    message = f"freeze: {damaged}: module 'victim' is damaged (digest mismatch); rebuild the archive"
    archive = boot.Archive(str(out), boot.MAGIC_NUMBER)
    try:
        archive.read_code("victim", archive.modules["victim"])  # the pristine blob loads
    finally:
        archive.close()
    for position in range(start, end):
        data = bytearray(pristine)
        data[position] ^= 0x5A
        damaged.write_bytes(bytes(data))
        archive = boot.Archive(str(damaged), boot.MAGIC_NUMBER)
        try:
            with pytest.raises(boot.ArchiveError) as refused:
                archive.read_code("victim", archive.modules["victim"])
        finally:
            archive.close()
        assert f"freeze: {refused.value}" == message, position
        # The magic number, the flags, the code and the last byte: each run stops.
        if position in (start, start + 4, (start + end) // 2, end - 1):
            result = run_frozen(damaged, tmp_path=tmp_path)
            assert (result.returncode, result.stdout) == (1, ""), (position, result.stderr)
            assert result.stderr == message + "\n"


def damaged_victim(tmp_path: Path, app: str) -> Path:
    """An archive of `app` whose module `victim` has its last blob byte flipped."""
    out = build_app(tmp_path, {"app.py": app, "victim.py": "X = 1\n"})
    victim = module_info(out, "victim")
    data = bytearray(out.read_bytes())
    data[victim["offset"] + victim["length"] - 1] ^= 1
    out.write_bytes(bytes(data))
    return out


def test_an_optional_import_cannot_hide_a_damaged_module(tmp_path: Path) -> None:
    out = damaged_victim(tmp_path, "try:\n    import victim\nexcept ImportError:\n"
                                   "    print('hidden')\n")
    result = run_frozen(out, tmp_path=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert "module 'victim' is damaged" in result.stderr


@pytest.mark.parametrize("how", ["thread", "pool"])
def test_damage_found_in_another_thread_stops_the_program(tmp_path: Path, how: str) -> None:
    """threading drops SystemExit and a pool keeps it for result(): damage still stops it."""
    out = damaged_victim(tmp_path, """
        import concurrent.futures, threading, time
        def work():
            print("before", flush=True)
            import victim
        if "{how}" == "thread":
            worker = threading.Thread(target=work)
            worker.start()
            worker.join()
        else:
            concurrent.futures.ThreadPoolExecutor(1).submit(work)
            time.sleep(5)
        print("main carried on")
    """.replace("{how}", how))
    result = run_frozen(out, tmp_path=tmp_path)
    assert (result.returncode, result.stdout) == (1, "before\n")
    assert result.stderr == (f"freeze: {out}: module 'victim' is damaged (digest mismatch); "
                             "rebuild the archive\n")


@pytest.mark.parametrize("damaged", ["manifest index", "manifest"])
def test_damaged_manifest_is_one_line(tmp_path: Path, damaged: str) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "print('hi')\n"})
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=src).returncode == 0
    from freezer.runtime import boot
    data = bytearray(out.read_bytes())
    if damaged == "manifest":
        archive = boot.Archive(str(out))
        [(_, offset, size, _)] = archive.pythons.values()
        archive.close()
    else:
        trailer = data[-boot.TRAILER_SIZE:]
        start = len(boot.TRAILER_MAGIC)
        offset = int.from_bytes(trailer[start:start + 8], "little")
        size = int.from_bytes(trailer[start + 8:start + 16], "little")
    data[offset + size // 2] ^= 1
    out.write_bytes(bytes(data))
    result = run_frozen(out, tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"freeze: {out}: {damaged} is damaged (digest mismatch); rebuild the archive\n"


def test_collector_pauses_while_bundled_modules_import_and_freezes_what_they_built(
        tmp_path: Path) -> None:
    files = {
        "app.py": """
            import gc
            at_start = gc.get_freeze_count()  # 3.12 freezes its own start-up objects
            print("main before imports", gc.get_threshold()[0], at_start)
            import outer
            print("after imports", gc.get_threshold()[0], gc.get_freeze_count() > at_start)

            class Node:
                pass

            def garbage_cycle():
                node = Node()
                node.self = node

            garbage_cycle()
            print("cycle collected", gc.collect() > 0)
            try:
                import broken
            except ZeroDivisionError:
                print("after a failed import", gc.get_threshold()[0])
            import busy
            gc.set_threshold(500)
            import retunes
            print("user's threshold kept", gc.get_threshold()[0])
            gc.disable()
            import late
            print("user's choice kept", gc.isenabled())
        """,
        "outer.py": "import gc, inner\nprint('outer body', gc.get_threshold()[0])\n",
        "inner.py": "import gc\nprint('inner body', gc.get_threshold()[0])\n",
        "broken.py": "1 / 0\n",
        "busy.py": """
            import gc  # a program whose work runs inside an import is still collected
            before = gc.get_stats()[0]["collections"]
            for _ in range(150_000):
                cycle = []
                cycle.append(cycle)
            print("collected while importing", gc.get_stats()[0]["collections"] > before)
        """,
        "retunes.py": "import gc\ngc.set_threshold(900)\n",
        "late.py": "import gc\nprint('late body', gc.isenabled(), gc.get_threshold()[0])\n",
    }
    frozen = build_app(tmp_path, files)
    # The interpreter's defaults: threshold 700 (2000 from 3.13), nothing frozen (375 on 3.12).
    unfrozen = run_python(tmp_path / "src" / "app.py", tmp_path=tmp_path, flags=["-S"]).stdout
    default, at_start = unfrozen.split("\n", 1)[0].split()[-2:]
    assert inspect_json(frozen)["gc_freeze"] is True
    assert run_frozen(frozen, tmp_path=tmp_path).stdout == (
        f"main before imports {default} {at_start}\ninner body 100000\nouter body 100000\n"
        f"after imports {default} True\ncycle collected True\nafter a failed import {default}\n"
        "collected while importing True\nuser's threshold kept 900\nlate body False 900\n"
        "user's choice kept False\n")
    plain = build_app(tmp_path, files, "--no-gc-freeze", name="plain.pyz")
    assert inspect_json(plain)["gc_freeze"] is False
    assert run_frozen(plain, tmp_path=tmp_path).stdout == unfrozen == (
        f"main before imports {default} {at_start}\ninner body {default}\nouter body {default}\n"
        f"after imports {default} False\ncycle collected True\nafter a failed import {default}\n"
        "collected while importing True\nuser's threshold kept 900\nlate body False 900\n"
        "user's choice kept False\n")


def test_runtime_modules_an_app_does_not_need_never_run(tmp_path: Path) -> None:
    """Resources, extraction and child processes run from the archive when first
    needed: most apps never need them, and each costs start-up time and memory."""
    frozen = build_app(tmp_path, {"app.py": """
        import sys
        def runtime():
            return sorted(n.partition(".")[2] for n in sys.modules if n.startswith("__freeze__."))
        print(runtime())
        import importlib.metadata
        list(importlib.metadata.distributions())
        print(runtime())
    """})
    assert run_frozen(frozen, tmp_path=tmp_path).stdout == (
        "['boot', 'entry', 'importer']\n['boot', 'entry', 'importer', 'resources']\n")


def test_plugins_found_by_listing_the_folder_beside_file_are_bundled(tmp_path: Path) -> None:
    """A package that lists the folder of its own __file__ and imports what it finds
    by name gets all its modules bundled: no import statement names them."""
    frozen = build_app(tmp_path, {
        "app.py": "from tool.registry import load\nprint(load())\n",
        "tool/__init__.py": "",
        "tool/registry.py": """
            import importlib, os
            HERE = os.path.dirname(__file__)
            def load():
                found = []
                for folder in ("plugins", os.path.join("plugins", "extra")):
                    for name in sorted(os.listdir(os.path.join(HERE, folder))):
                        if name.endswith(".py") and name != "__init__.py":
                            dotted = folder.replace(os.sep, ".") + "." + name[:-3]
                            found.append(importlib.import_module("." + dotted, __package__).NAME)
                return found
        """,
        "tool/plugins/__init__.py": "",
        "tool/plugins/alpha.py": "NAME = 'alpha'\n",
        "tool/plugins/beta.py": "NAME = 'beta'\n",
        "tool/plugins/extra/__init__.py": "",
        "tool/plugins/extra/gamma.py": "NAME = 'gamma'\n",
    })
    ran = run_frozen(frozen, tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "['alpha', 'beta', 'gamma']\n"), ran.stderr


def test_tracers_see_no_runtime_code_as_a_file(tmp_path: Path) -> None:
    """Coverage skips code whose file name starts with "<", as importlib's; the
    runtime's frames (the finder runs inside every import) must be such code, or a
    coverage report looks for their source."""
    frozen = build_app(tmp_path, {
        "app.py": """
            import sys
            files = set()
            def tracer(frame, event, arg):
                files.add(frame.f_code.co_filename.rpartition("app.pyz")[2])
            sys.settrace(tracer)
            import pkg.mod
            sys.settrace(None)
            print(sorted(name for name in files if not name.startswith("<")))
        """,
        "pkg/__init__.py": "",
        "pkg/mod.py": "def f():\n    return 1\nf()\n",
    })
    ran = run_frozen(frozen, tmp_path=tmp_path)
    assert ran.stdout == "['/pkg/__init__.py', '/pkg/mod.py']\n", ran.stderr


def test_lazy_modules_waiting_to_load_stay_waiting_when_linecache_loads(tmp_path: Path) -> None:
    """linecache loading midway through an import cycle registers the bundled modules'
    sources; one still waiting for LazyLoader must not run then (markdown-it, flake8)."""
    frozen = build_app(tmp_path, {
        "app.py": "import pkg\nprint(pkg.B.__name__)\n",
        "pkg/__init__.py": "from . import a\nfrom .b import B\n",
        "pkg/a.py": "from .b import B\n",
        "pkg/b.py": "import linecache\nclass B:\n    pass\n",
    }, "--lazy")
    assert "pkg.a" in inspect_json(frozen)["lazy"]
    ran = run_frozen(frozen, tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "B\n"), ran.stderr


def test_lazy_policy_defers_only_modules_that_just_define_names(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": """
            import sys
            import pkg.heavy, pkg.registers, pkg.cycle_a
            import shlex  # the standard library's modules follow the same policy
            kinds = {n: type(sys.modules[n]).__name__ for n in
                     ("pkg.heavy", "pkg.registers", "pkg.cycle_a", "pkg.cycle_b")}
            print("imported", sorted(kinds.items()), type(sys.modules["shlex"]).__name__)
            print(pkg.heavy.VALUE, shlex.split("a 'b c'"))
        """,
        "pkg/__init__.py": "print('package body')\n",
        "pkg/heavy.py": """
            def _compute():
                print('heavy body')
                return 42
            VALUE = _compute()
        """,
        "pkg/registers.py": "import atexit\natexit.register(print, 'registered at import')\n",
        "pkg/cycle_a.py": "from . import cycle_b\nA = 1\n",
        "pkg/cycle_b.py": "from . import cycle_a\nB = 2\n",
    })
    eager, lazy = tmp_path / "eager.pyz", tmp_path / "lazy.pyz"
    assert freeze("build", "app.py", "-o", eager, cwd=src).returncode == 0
    assert freeze("build", "app.py", "--lazy", "-o", lazy, cwd=src).returncode == 0
    deferred = json.loads(freeze("inspect", "--json", lazy).stdout)["lazy"]
    assert {"pkg.heavy", "shlex"} <= set(deferred)
    assert not {"pkg", "pkg.registers", "pkg.cycle_a", "pkg.cycle_b"} & set(deferred)
    everything_loaded = ("[('pkg.cycle_a', 'module'), ('pkg.cycle_b', 'module'), "
                         "('pkg.heavy', 'module'), ('pkg.registers', 'module')]")
    assert run_frozen(eager, tmp_path=tmp_path).stdout == (
        f"package body\nheavy body\nimported {everything_loaded} module\n"
        "42 ['a', 'b c']\nregistered at import\n")
    assert run_frozen(lazy, tmp_path=tmp_path).stdout == (
        "package body\nimported " + everything_loaded.replace("('pkg.heavy', 'module')",
                                                           "('pkg.heavy', '_LazyModule')")
        + " _LazyModule\nheavy body\n42 ['a', 'b c']\nregistered at import\n")


def test_lazy_modules_come_with_the_lazy_submodules_they_import(tmp_path: Path) -> None:
    """A lazy module's imports of lazy submodules bind them on their packages, as
    eagerly (check-jsonschema reaches jsonschema.protocols as an attribute that only
    the lazy jsonschema._typing's import binds); a module that does more than define
    names, like one that registers itself, still runs at the lazy module's first use,
    and so does a package not imported yet, whose body would run."""
    files = {
        "app.py": """
            import sys
            import pkg
            from pkg.registry import REGISTERED
            print(type(sys.modules["pkg.helpers"]).__name__, pkg.protocols.VALUE, REGISTERED,
                  "other" in sys.modules)
            print(pkg.helpers.describe(), REGISTERED)
        """,
        "pkg/__init__.py": "import pkg.helpers\n",
        "pkg/helpers.py": """
            import pkg.protocols
            import other.tools
            from pkg.plugin import PLUGIN
            def describe():
                return "helpers ran"
        """,
        "other/__init__.py": "print('other package body')\n",
        "other/tools.py": "",
        "pkg/protocols.py": "VALUE = 'protocols bound'\n",
        "pkg/registry.py": "REGISTERED = []\n",
        "pkg/plugin.py": "from pkg.registry import REGISTERED\nREGISTERED.append('plugin')\nPLUGIN = 1\n",
    }
    frozen = build_app(tmp_path, files, "--lazy")
    assert {"pkg.helpers", "pkg.protocols"} <= set(inspect_json(frozen)["lazy"])
    ran = run_frozen(frozen, tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (
        0, "_LazyModule protocols bound [] False\nother package body\nhelpers ran ['plugin']\n"
    ), ran.stderr


def test_classes_another_packages_metaclass_makes_are_not_lazy(tmp_path: Path) -> None:
    """Django imports each app's models by name and never touches them: creating
    the classes registers them.  A module whose classes take their base from
    another package stays eager, also through a base of its own package made so
    (SQLAlchemy's declarative Base); own and standard-library bases stay lazy."""
    files = {
        "app.py": """
            import importlib, sys
            import fw
            importlib.import_module("shop.models")
            import shop.audit  # registers its table, through shop.db's Base
            import shop.colors, shop.local
            print(fw.REGISTRY, [type(sys.modules[n]).__name__ for n in ("shop.colors", "shop.local")])
        """,
        "fw/__init__.py": """
            REGISTRY = []
            class ModelBase(type):
                def __new__(mcs, name, bases, namespace):
                    cls = super().__new__(mcs, name, bases, namespace)
                    REGISTRY.append(name)
                    return cls
            class Model(metaclass=ModelBase):
                pass
        """,
        "shop/__init__.py": "",
        "shop/models.py": "from fw import Model\nclass Item(Model):\n    pass\n",
        "shop/base.py": "class Local:\n    pass\n",
        "shop/db.py": "from fw import Model\nclass Base(Model):\n    pass\n",
        "shop/audit.py": "from shop.db import Base\nclass Audit(Base):\n    pass\n",
        "shop/local.py": "from .base import Local\nclass Thing(Local):\n    pass\n",
        "shop/colors.py": "import enum\nclass Color(enum.Enum):\n    RED = 1\n",
    }
    frozen = build_app(tmp_path, files, "--lazy")
    lazy = set(inspect_json(frozen)["lazy"])
    assert not {"shop.models", "shop.db", "shop.audit"} & lazy
    assert {"shop.colors", "shop.local", "shop.base"} <= lazy
    ran = run_frozen(frozen, tmp_path=tmp_path)
    assert ran.stdout == "['Model', 'Item', 'Base', 'Audit'] ['_LazyModule', '_LazyModule']\n", (
        ran.stderr)


def other_python() -> Path | None:
    """An installed CPython 3.10, 3.12 or 3.13 (not the one running the tests)."""
    for version in sorted(PYENV.glob("3.1[0-3].*"), reverse=True):
        python = version / "bin" / "python"
        if python.exists() and version.name.rsplit(".", 1)[0] != "%d.%d" % sys.version_info[:2]:
            return python
    return None


@pytest.mark.slow
def test_python_option_builds_for_another_version_and_mismatch_is_clear(tmp_path: Path) -> None:
    python = other_python()
    if python is None:
        pytest.skip("no other CPython 3.10-3.13 installed")
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True)
    src = write_tree(tmp_path / "src", {
        "app.py": "import sys, pkg\nprint(pkg.VERSION, sys.version_info[:2])\n",
        "pkg/__init__.py": "import sys\nVERSION = 'ok'\n",
    })
    out = tmp_path / "other.pyz"
    built = freeze("build", "app.py", "--python", venv / "bin" / "python", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    assert out.read_bytes().startswith(f'#!/bin/sh\nexec python{version} -S "$0" "$@"\n'.encode())
    ok = run_frozen(out, tmp_path=tmp_path, python=python)
    assert (ok.returncode, ok.stdout) == (0, f"ok {tuple(map(int, version.split('.')))}\n")
    wrong = run_frozen(out, tmp_path=tmp_path)
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert wrong.stderr.count("\n") == 1
    assert f"built for CPython {version}" in wrong.stderr
    assert "this is CPython %d.%d" % sys.version_info[:2] in wrong.stderr
    assert "freeze build --python python%d.%d" % sys.version_info[:2] in wrong.stderr


MP_APP = {
    "mpapp.py": """
        import multiprocessing as mp
        from pkg.work import square

        def negate(x):
            return -x

        def main():
            for method in ("spawn", "forkserver"):
                ctx = mp.get_context(method)
                with ctx.Pool(2) as pool:
                    print(method, pool.map(square, range(4)), pool.map(negate, range(3)))
                child = ctx.Process(target=square, args=(3,))
                child.start()
                child.join()
                print(method, "exit", child.exitcode)

        if __name__ == "__main__":
            main()
    """,
    "pkg/__init__.py": "",
    "pkg/work.py": "def square(x):\n    return x * x\n",
    "pkg/__main__.py": "import mpapp\nif __name__ == '__main__':\n    mpapp.main()\n",
}


@pytest.mark.parametrize("entry", [["mpapp.py"], ["-m", "pkg"], ["-e", "mpapp:main"]],
                         ids=["script", "module", "function"])
def test_multiprocessing_spawn_and_forkserver_children_import_from_the_archive(
        tmp_path: Path, entry: list[str]) -> None:
    src = write_tree(tmp_path / "src", MP_APP)
    out = tmp_path / "mp.pyz"
    assert freeze("build", *entry, "-o", out, cwd=src).returncode == 0
    result = run_frozen(out, tmp_path=tmp_path)
    assert (result.stderr, result.returncode) == ("", 0)
    assert result.stdout == "".join(f"{m} [0, 1, 4, 9] [0, -1, -2]\n{m} exit 0\n"
                                    for m in ("spawn", "forkserver"))


def test_launcher_runs_without_site_and_exit_builtins_still_work(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": "import sys\nprint('site' in sys.modules, sys.flags.no_site)\nexit(3)\n"})
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=src).returncode == 0
    from venvs import isolated_env
    env = isolated_env(tmp_path / "env")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    result = subprocess.run([out], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert (result.stdout, result.returncode) == ("False 1\n", 3)
    import zipfile
    assert zipfile.ZipFile(out).namelist() == ["__main__.py", "__main__.pyc", "__freeze__/boot.py"]


def test_shebang_option_writes_a_plain_interpreter_line(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "print('ok')\n"})
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "--shebang", "/usr/bin/env python3", "-o", out, cwd=src).returncode == 0
    assert out.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert run_frozen(out, tmp_path=tmp_path).stdout == "ok\n"


def test_finding_and_importing_a_bundled_module_opens_no_file(tmp_path: Path) -> None:
    out = build_app(tmp_path, {
        "app.py": """
            import sys
            events = []
            sys.addaudithook(lambda event, args: events.append(event)
                             if event in ("open", "os.listdir", "os.scandir") else None)
            import importlib.util
            spec = importlib.util.find_spec("pkg.mod")
            import pkg.mod
            print(spec.origin.endswith("app.pyz/pkg/mod.py"), pkg.mod.VALUE, events)
        """,
        "pkg/__init__.py": "",
        "pkg/mod.py": "VALUE = 7\n",
    }, "--include", "pkg.mod")
    assert run_frozen(out, tmp_path=tmp_path).stdout == "True 7 []\n"


def test_no_source_drops_sources_but_keeps_tracebacks_and_filenames(tmp_path: Path) -> None:
    out = build_app(tmp_path, {
        "app.py": """
            import inspect, pkg
            try:
                inspect.getsource(pkg.fail)
            except OSError:
                print("no source")
            pkg.fail()
        """,
        "pkg/__init__.py": "def fail():\n    raise RuntimeError('boom')\n",
    }, "--no-source")
    assert {m["source_length"] for m in inspect_json(out)["modules"]} == {0}
    result = run_frozen(out, tmp_path=tmp_path)
    assert result.stdout == "no source\n" and result.returncode == 1
    assert result.stderr == (
        "Traceback (most recent call last):\n"
        f'  File "{out}/app.py", line 6, in <module>\n'
        f'  File "{out}/pkg/__init__.py", line 2, in fail\n'
        "RuntimeError: boom\n")


def test_archive_files_show_archive_folders_as_real_ones(tmp_path: Path) -> None:
    """What a patched module (botocore.loaders) sees through ArchiveFiles: the archive's
    folders walk like real ones, and every other path goes to the file system."""
    import gzip
    from freezer.runtime import boot, patches, resources
    src = write_tree(tmp_path / "src", {"app.py": "import models\n", "models/__init__.py": "",
                                        "models/s3/2006-03-01/service-2.json": '{"a": 1}'})
    (src / "models" / "s3" / "2006-03-01" / "paginators-1.json.gz").write_bytes(
        gzip.compress(b'{"b": 2}'))
    out = tmp_path / "app.pyz"
    assert freeze("build", src / "app.py", "-o", out).returncode == 0
    archive = boot.Archive(str(out))
    files = patches.ArchiveFiles(resources.Tree(archive), f"{out}/", resources.ArchivePath)
    data = f"{out}/models"
    assert files.listdir(data) == ["__init__.py", "s3"]
    assert files.listdir(f"{data}/s3/") == ["2006-03-01"]
    assert files.isdir(f"{data}/s3") and not files.isfile(f"{data}/s3")
    assert files.isfile(f"{data}/s3/2006-03-01/service-2.json")
    assert files.exists(f"{data}/s3/./2006-03-01") and not files.exists(f"{data}/nope")
    with files.open(f"{data}/s3/2006-03-01/service-2.json", "rb") as file:
        assert file.read() == b'{"a": 1}'
    with files.gzip_open(f"{data}/s3/2006-03-01/paginators-1.json.gz", "rb") as file:
        assert file.read() == b'{"b": 2}'
    with pytest.raises(FileNotFoundError):
        files.listdir(f"{data}/nope")
    outside = tmp_path / "real"
    outside.mkdir()
    (outside / "x.json").write_text("{}")
    assert files.listdir(outside) == ["x.json"] and files.isfile(outside / "x.json")
    with files.open(outside / "x.json") as file:
        assert file.read() == "{}"
    archive.close()


def test_botocore_models_load_from_the_archive_as_plain_dicts(tmp_path: Path) -> None:
    """The botocore.loaders patch: model files are found and read inside the archive, and
    decoded into plain dicts (same order) where botocore asks json for OrderedDicts."""
    assert_runs_in_place(tmp_path, {
        "app.py": """
            import json
            from collections import OrderedDict
            from botocore import loaders
            model = loaders.load("data/s3/service-2")
            print(type(model).__name__, list(model), type(model["b"]).__name__)
            print(type(json.loads('{"x": 1}', object_pairs_hook=OrderedDict)).__name__)
            print(loaders.json.loads("[1]", parse_int=str))
        """,
        "botocore/__init__.py": "",
        "botocore/loaders.py": """
            import gzip
            import json
            import os
            from collections import OrderedDict

            _JSON_OPEN_METHODS = {".json": open, ".json.gz": gzip.open}

            def load(name):
                path = os.path.join(os.path.dirname(__file__), name)
                for ext, open_method in _JSON_OPEN_METHODS.items():
                    if os.path.isfile(path + ext):
                        with open_method(path + ext, "rb") as fp:
                            return json.loads(fp.read().decode(), object_pairs_hook=OrderedDict)
        """,
        "botocore/data/s3/service-2.json": '{"z": 1, "b": {"c": 2}, "a": 3}',
    }, "dict ['z', 'b', 'a'] dict\nOrderedDict\n['1']\n")


def test_served_package_reads_its_data_by_path_inside_the_archive(tmp_path: Path) -> None:
    """babel (a served package) lists and opens its data files by path: the runtime's views
    of os and open answer from the archive, and nothing is extracted."""
    assert_runs_in_place(tmp_path, {
        "app.py": "from babel import core, localedata\nprint(core.load(), localedata.names())\n",
        "babel/__init__.py": "",
        "babel/core.py": """
            import os
            def load():
                name = os.path.join(os.path.dirname(__file__), "global.dat")
                with open(name, "rb") as file:
                    return os.path.isfile(name), file.read()
        """,
        "babel/localedata.py": """
            import os
            _dirname = os.path.join(os.path.dirname(__file__), "locale-data")
            def names():
                return sorted(os.listdir(_dirname)), os.path.exists(_dirname + "/en.dat")
        """,
        "babel/global.dat": "global",
        "babel/locale-data/en.dat": "en",
        "babel/locale-data/fr.dat": "fr",
    }, "(True, b'global') (['en.dat', 'fr.dat'], True)\n")


def test_sources_in_data_folders_travel_as_data(tmp_path: Path) -> None:
    """alembic's project templates: env.py files in folders that are not packages are
    data that `alembic init` copies, not modules."""
    assert_runs_in_place(tmp_path, {
        "app.py": """
            from importlib.resources import files
            import tool
            template = files(tool) / "templates" / "generic"
            print(sorted(p.name for p in template.iterdir()), (template / "env.py").read_text())
        """,
        "tool/__init__.py": "",
        "tool/templates/generic/env.py": "print('migrations')\n",
        "tool/templates/generic/script.py.mako": "${up}\n",
    }, "['env.py', 'script.py.mako'] print('migrations')\n\n")


def assert_runs_in_place(tmp_path: Path, files: dict[str, str], stdout: str) -> None:
    """Freeze `files` and run the archive: it prints `stdout` and extracted nothing."""
    frozen = build_app(tmp_path, files)
    result = run_frozen(frozen, tmp_path=tmp_path)
    assert result.stdout == stdout, result.stderr
    assert not any(file["extract"] for file in inspect_json(frozen)["files"])


def test_warnings_show_source_lines_like_the_unfrozen_run(tmp_path: Path) -> None:
    """warnings ask linecache by file name only; bundled modules register their sources."""
    files = {
        "app.py": """
            import warnings
            warnings.simplefilter("always")
            import early
            early.old()
            import linecache  # loaded after `early` ran: it still finds early's source
            import late
            late.old()
            """,
        "early.py": "import warnings\ndef old():\n    warnings.warn('early api', DeprecationWarning)\n",
        "late.py": "import warnings\ndef old():\n    warnings.warn('late api', FutureWarning)\n",
    }
    out = build_app(tmp_path, files)
    frozen = run_frozen(out, tmp_path=tmp_path)
    unfrozen = run_python(tmp_path / "src" / "app.py", tmp_path=tmp_path, flags=("-S",))
    assert frozen.returncode == unfrozen.returncode == 0, frozen.stderr
    assert "\n  warnings.warn('early api', DeprecationWarning)\n" in frozen.stderr
    assert frozen.stderr.replace(str(out), "SRC") == unfrozen.stderr.replace(
        str(tmp_path / "src"), "SRC")
