"""`freeze build --trace ARGS`: a representative run's regular expressions are prebuilt
and the lazy modules it loaded become eager (freezer/trace.py)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from support import build_app, freeze, inspect_json, installed_pythons, run_frozen, write_tree

# `check` makes re's parser refuse to run, so a pattern compiled then must come from the
# archive's table.  The pattern is built at run time: the scanner cannot see it.
APP = {
    "app.py": """
        import re, sys
        import used, unused
        if sys.argv[1:] == ["check"]:
            parser = sys.modules.get("re._parser") or sys.modules["sre_parse"]
            def refuse(*args, **kwargs):
                raise AssertionError("parsed at run time")
            parser.parse = refuse
        word = "tr" + "aced"
        print(re.compile(rf"\\b{word}+\\d?", re.I).findall("Traced, TRACEDD"), used.VALUE)
    """,
    "used.py": "VALUE = 'used'\n",
    "unused.py": "VALUE = 'unused'\n",
}


def test_traced_run_prebuilds_its_patterns_and_makes_used_lazy_modules_eager(
        tmp_path: Path) -> None:
    plain = build_app(tmp_path, APP, "--lazy", name="plain.pyz")
    assert {"used", "unused"} <= set(inspect_json(plain)["lazy"])
    refused = run_frozen(plain, "check", tmp_path=tmp_path)
    assert refused.returncode == 1 and "parsed at run time" in refused.stderr

    traced = build_app(tmp_path, APP, "--lazy", "--trace", "", "--trace", "other args",
                       name="traced.pyz")
    lazy = set(inspect_json(traced)["lazy"])
    assert "unused" in lazy and "used" not in lazy
    ran = run_frozen(traced, "check", tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "['Traced', 'TRACEDD'] used\n"), ran.stderr


@pytest.mark.parametrize("python", installed_pythons(), ids=lambda p: p.parent.parent.name)
def test_lazy_and_traced_archives_run_on_every_version(python: Path, tmp_path: Path) -> None:
    """LazyLoader imports threading when a lazy module first loads (3.13, 3.12.3+): the
    standard-library modules threading imports may be lazy themselves.  A traced run loads
    threading that way too, so from 3.12.3 on the trace makes its `_weakrefset` eager."""
    version = tuple(int(part) for part in python.parent.parent.name.split("."))
    plain = build_app(tmp_path, APP, "--lazy", "--python", python, name="plain.pyz")
    traced = build_app(tmp_path, APP, "--lazy", "--trace", "", "--python", python,
                       name="traced.pyz")
    plain_lazy, traced_lazy = (set(inspect_json(built)["lazy"]) for built in (plain, traced))
    assert {"used", "unused", "_weakrefset"} <= plain_lazy
    # What the traced run loaded is eager; what it never touched stays lazy.
    parser = "sre_parse" if version < (3, 11) else "re._parser"
    assert traced_lazy < plain_lazy and "unused" in traced_lazy
    assert not {"used", parser, "functools"} & traced_lazy
    assert ("_weakrefset" in traced_lazy) == (version < (3, 12, 3))
    for built in (plain, traced):
        ran = run_frozen(built, tmp_path=tmp_path, python=python)
        assert (ran.returncode, ran.stdout) == (0, "['Traced', 'TRACEDD'] used\n"), ran.stderr


def test_trace_reports_runs_that_fail(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": """
        import os, sys
        if sys.argv[1] == "crash":
            os._exit(3)
        if sys.argv[1] == "raise":
            raise LookupError("no such record")
        sys.exit(int(sys.argv[1]))
    """})
    out = tmp_path / "app.pyz"
    crashed = freeze("build", "app.py", "--trace", "crash", "-o", out, cwd=src)
    assert crashed.returncode == 2 and not out.exists()
    assert crashed.stderr.strip().splitlines()[-1] == (
        "Error: --trace 'crash': the run stopped before it could report (exit status 3): it was "
        "killed or left through os._exit (mypy does, unless given --no-fast-exit); fix the run "
        "or leave this --trace out")
    unquoted = freeze("build", "app.py", "--trace", "'open", "-o", out, cwd=src)
    assert unquoted.returncode == 2
    assert "--trace \"'open\": cannot split into arguments" in unquoted.stderr
    failed = freeze("build", "app.py", "--trace", "4", "-o", out, cwd=src)
    assert failed.returncode == 0
    assert ("warning: --trace '4': the run exited with status 4; what it did before is used"
            in failed.stderr)
    raised = freeze("build", "app.py", "--trace", "raise", "-o", out, cwd=src)
    assert raised.returncode == 0
    assert ("warning: --trace 'raise': the run failed: LookupError: no such record; what it "
            "did before is used, but a run that works traces better" in raised.stderr)


def test_traced_lambda_handler_is_imported(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"lambda_function.py": """
        import re, sys
        PATTERN = re.compile("".join(["l", "a", "m"]) + "+")
        if "lambda_function" not in sys.modules:
            raise SystemExit("imported under another name")

        def lambda_handler(event, context):
            return PATTERN.pattern
    """})
    out = tmp_path / "function.zip"
    built = freeze("build", "lambda_function.py", "--lambda", "--trace", "", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(out) as package:
        package.extract(".freeze/lambda_function.frz", tmp_path)
    frozen = tmp_path / ".freeze" / "lambda_function.frz"
    from freezer.runtime import boot
    archive = boot.Archive(str(frozen))
    try:
        assert archive.read_regex(archive.read_regexes(), "lam+", 0)
        assert archive.manifest[boot.MANIFEST_TRACE] is False
    finally:
        archive.close()


def test_trace_fails_on_a_module_the_archive_lacks_but_the_build_has(tmp_path: Path) -> None:
    """The import is by a name from the command line, inside `try/except ImportError`:
    the analysis cannot see it, the program hides its failure; the trace run sees it."""
    files = {
        "app.py": """
            import importlib, sys
            try:
                module = importlib.import_module(sys.argv[1])
            except ImportError:
                module = None
            print(getattr(module, "NAME", "none"))
        """,
        "hidden_plugin.py": "NAME = 'hidden'\n",
    }
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "app.pyz"
    failed = freeze("build", "app.py", "--trace", "no_such_module", "--trace", "hidden_plugin",
                    "-o", out, cwd=src)
    assert failed.returncode == 2 and not out.exists(), failed.stderr
    assert failed.stderr.strip().splitlines()[-1] == (
        "Error: --trace 'hidden_plugin': the run imported hidden_plugin, which the build "
        "environment has but the archive lacks (the analysis cannot see that import): "
        "add --include hidden_plugin")
    built = build_app(tmp_path, files, "--include", "hidden_plugin", "--trace", "hidden_plugin")
    ran = run_frozen(built, "hidden_plugin", tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "hidden\n"), ran.stderr


def test_trace_fails_on_a_file_beside_a_bundled_package_or_the_script(tmp_path: Path) -> None:
    """The package finds its folder through `__spec__.origin`, the scanner does not
    follow that: its file stays inside the archive, where open() cannot reach it."""
    files = {
        "app.py": """
            import os, sys
            import skins
            print(skins.load("dark"))
            if sys.argv[1:] == ["settings"]:  # a name no string spells: not detected
                name = "settings" + ".ini"
                with open(os.path.join(os.path.dirname(__file__), name)) as file:
                    print(file.read().strip())
        """,
        "skins/__init__.py": """
            import os
            HOME = os.path.dirname(__spec__.origin)
            def load(name):
                with open(os.path.join(HOME, name + ".css")) as file:
                    return file.read().strip()
        """,
        "skins/dark.css": "body { color: black }\n",
        "settings.ini": "[app]\n",
    }
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "app.pyz"
    failed = freeze("build", "app.py", "--trace", "", "-o", out, cwd=src)
    assert failed.returncode == 2 and not out.exists(), failed.stderr
    assert failed.stderr.strip().splitlines()[-1] == (
        f"Error: --trace '': the run could not find skins/dark.css in the archive "
        f"({src / 'skins' / 'dark.css'}): add --extract skins")
    beside = freeze("build", "app.py", "--extract", "skins", "--trace", "settings", "-o", out,
                    cwd=src)
    assert beside.returncode == 2 and not out.exists(), beside.stderr
    assert beside.stderr.strip().splitlines()[-1] == (
        f"Error: --trace 'settings': the run could not find settings.ini in the archive "
        f"({src / 'settings.ini'}): add --add-data {src / 'settings.ini'}:.")
    built = build_app(tmp_path, files, "--extract", "skins", "--trace", "")
    ran = run_frozen(built, tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "body { color: black }\n"), ran.stderr


def test_check_names_what_the_build_could_have_added(tmp_path: Path) -> None:
    """Misses the build could not have filled (not in the build environment, excluded,
    bytecode caches) pass; the first it could have names its fix, and counts the rest."""
    import sys
    from freezer.errors import FreezeError
    from freezer.graph import build_graph
    from freezer.resolver import Resolver
    from freezer.target import probe
    from freezer.trace import Environment, Trace, check
    tree = write_tree(tmp_path, {
        "app.py": "import pkg, other\n",
        "pkg/__init__.py": "", "pkg/data/x.txt": "x\n",
        "other/__init__.py": "", "other/y.txt": "y\n", "other/z.py": "",
        "unseen.py": "", "left_out/__init__.py": "",
    })
    tgt = probe(sys.executable)
    resolver = Resolver.for_target(tgt, [str(tree), *tgt.path])
    graph = build_graph(tgt, resolver, script=str(tree / "app.py"))
    environment = Environment(graph, resolver, tgt, ("left_*",), ("pkg",))

    def error(modules=(), paths=()) -> str:
        with pytest.raises(FreezeError) as raised:
            check(Trace(frozenset(), frozenset(), missing_modules=tuple(modules),
                        missing_paths=tuple(paths)), environment)
        return str(raised.value)

    check(Trace(frozenset(), frozenset(),
                missing_modules=(("", "nowhere"), ("", "left_out"), ("", "pkg")),
                missing_paths=(("", "pkg/nothing.txt", False), ("", "missing.txt", True),
                               ("", "pkg/__pycache__/x.pyc", True))), environment)
    assert error([("a", "unseen"), ("b", "left_out.sub"), ("c", "unseen"), ("d", "other.z")]) == (
        "--trace 'a': the run imported unseen, which the build environment has but the "
        "archive lacks (the analysis cannot see that import): add --include unseen "
        "(and 1 more)")
    assert error(paths=[("", "other/y.txt", True)]) == (
        f"--trace '': the run could not find other/y.txt in its extraction folder "
        f"({tree / 'other' / 'y.txt'}): add --extract other")
    assert error(paths=[("", "pkg/data/x.txt", True)]).endswith(
        f"add --add-data {tree / 'pkg' / 'data' / 'x.txt'}:pkg/data")


def test_a_glob_that_matches_nothing_in_the_build_environment_is_no_miss(tmp_path: Path) -> None:
    """sqlfluff globs its rules folder for legacy `L*.py` files that no longer exist:
    nothing to find unfrozen either, so the trace passes; once such a file exists,
    the archive's glob finds nothing where the venv's finds it, and the build fails."""
    files = {
        "main.py": "import pkg.core, pkg.plugins\nprint(pkg.core.legacy(), pkg.plugins.NAME)\n",
        "pkg/__init__.py": "",
        "pkg/core/__init__.py": """
            import os
            from glob import glob
            def legacy():
                here = os.path.dirname(__file__)
                return [os.path.basename(p) for p in glob(os.path.join(here, "..", "plugins",
                                                                         "L*.py"))]
        """,
        "pkg/plugins/__init__.py": "NAME = 'plugins'\n",
        "pkg/plugins/extra/__init__.py": "",
    }
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "app.pyz"
    built = freeze("build", "main.py", "--trace", "", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    assert run_frozen(out, tmp_path=tmp_path).stdout == "[] plugins\n"
    write_tree(src, {"pkg/plugins/L001.py": ""})
    failed = freeze("build", "main.py", "--trace", "", "-o", out, cwd=src)
    assert failed.returncode == 2
    assert failed.stderr.strip().endswith("add --extract pkg"), failed.stderr


def test_a_trace_run_that_hangs_is_stopped_with_what_it_started(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": """
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        print(child.pid, flush=True)
        open(sys.argv[1], "w").write(str(child.pid))
        time.sleep(300)
    """})
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    built = freeze("build", "app.py", "--trace", str(pid_file), "--trace-timeout", "3",
                   "-o", tmp_path / "app.pyz", cwd=src)
    assert time.monotonic() - started < 60
    assert built.returncode == 2
    assert built.stderr.strip().endswith(
        "the run took over 3 s and was stopped; trace a shorter representative run, or give "
        "--trace-timeout")
    child = int(pid_file.read_text())
    time.sleep(0.5)
    assert not Path(f"/proc/{child}").exists() or "zombie" in Path(
        f"/proc/{child}/status").read_text()
