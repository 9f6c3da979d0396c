"""The `freeze` command as a user meets it: entry forms, errors, inspect, verify, reproducibility."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from freezer.runtime import boot
from support import build_app, freeze, inspect_json, installed_pythons, run_frozen, write_tree

APP = {
    "app.py": """
        import sys
        from pkg import greet
        print(greet(sys.argv[1:]))
        sys.exit(len(sys.argv) - 1)
    """,
    "pkg/__init__.py": """
        from .words import join
        def greet(args):
            return "hello " + join(args)
    """,
    "pkg/words.py": """
        def join(args):
            return ",".join(args) or "nobody"
    """,
    "pkg/__main__.py": """
        import sys
        print("main of", __spec__.name, __name__, __package__, sys.argv[1:])
    """,
    "pkg/cli.py": """
        def main():
            print("cli main")
            return 7
    """,
}


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "src", APP)


def one_line_error(result, exit_code: int = 2) -> str:
    assert result.returncode == exit_code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_script_entry_runs_with_args_and_exit_status(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist" / "app.pyz"
    built = freeze("build", app / "app.py", "-o", out)
    assert built.returncode == 0, built.stderr
    assert "wrote" in built.stderr and "3 modules" in built.stderr
    result = run_frozen(out, "a", "b", tmp_path=tmp_path)
    assert (result.stdout, result.stderr, result.returncode) == ("hello a,b\n", "", 2)


def test_module_entry_runs_package_main_like_runpy(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.pyz"
    assert freeze("build", "-m", "pkg", "-o", out, cwd=app).returncode == 0
    result = run_frozen(out, "x", tmp_path=tmp_path)
    assert result.stdout == "main of pkg.__main__ __main__ pkg ['x']\n"


# Reports how the entry module runs, from an audit hook on the exec() of its body:
# `python -m` and `python app.pyz` are both runpy._run_module_as_main (main.c),
# run here after installing the hook.
MAIN_PROBE = """
import runpy, sys
def hook(event, args):
    m = sys.modules.get("__main__")
    if event == "exec" and args[0].co_filename == getattr(m, "__file__", 0):
        print(m.__name__, m.__spec__.name, m.__file__, m.__cached__, type(m.__loader__).__name__,
              m.__loader__ is m.__spec__.loader, m.__package__, "json" in sys.modules,
              file=sys.stderr)
sys.addaudithook(hook)
"""


@pytest.mark.parametrize("module, args", [
    ("calendar", ["2024"]),
    ("json.tool", ["data.json"]),  # a submodule: its package is imported first
])
def test_module_entry_from_the_standard_library_runs_like_python_m(
        tmp_path: Path, module: str, args: list[str]) -> None:
    """The interpreter provides the entry module: nothing is bundled, and the
    archive runs it as `python -m` does."""
    out = tmp_path / "std.pyz"
    built = freeze("build", "-m", module, "-o", out, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    cwd = write_tree(tmp_path / "cwd", {"data.json": '{"b": [1, 2], "a": "\\u00e9"}\n'})

    def run(*argv: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-I", "-S", *argv], cwd=cwd,
                              capture_output=True, timeout=60)

    unfrozen, frozen = run("-m", module, *args), run(str(out), *args)
    assert (frozen.returncode, frozen.stderr) == (0, b"")
    assert frozen.stdout == unfrozen.stdout and len(frozen.stdout.splitlines()) > 2
    as_python_m = run("-c", MAIN_PROBE + f"runpy._run_module_as_main({module!r})", *args)
    as_archive = run("-c", MAIN_PROBE + f"sys.argv[0] = sys.path[0] = {str(out)!r}\n"
                     "runpy._run_module_as_main('__main__', False)", *args)
    assert as_python_m.stdout == unfrozen.stdout
    assert as_archive.stdout == frozen.stdout
    # The -c runs differ in sys.argv[0] and sys.path[0] only.
    assert as_archive.stderr == as_python_m.stderr and as_archive.stderr.count(b"\n") == 1


def test_function_entry_exit_status_is_return_value(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.pyz"
    assert freeze("build", "-e", "pkg.cli:main", "-o", out, cwd=app).returncode == 0
    result = run_frozen(out, tmp_path=tmp_path)
    assert (result.stdout, result.returncode) == ("cli main\n", 7)


def test_default_output_is_dist_stem(app: Path) -> None:
    assert freeze("build", "app.py", cwd=app).returncode == 0
    assert (app / "dist" / "app.pyz").is_file()


@pytest.mark.parametrize("args, message", [
    (["missing.py"], "missing.py: no such script file"),
    (["-m", "nosuchmodule"], "-m nosuchmodule: no module named 'nosuchmodule'"),
    (["-e", "pkg.cli"], "-e pkg.cli: expected MODULE:FUNCTION"),
    (["-e", "nosuch.mod:main"], "nosuch.mod: no module of that name"),
    (["-e", "pkg.cli:nosuch"], "Error: -e pkg.cli:nosuch: pkg.cli defines no 'nosuch'"),
    (["-e", "pkg.cli:mian.run"], "Error: -e pkg.cli:mian.run: pkg.cli defines no 'mian'"),
    (["-e", "pkg:nosuch"], "Error: -e pkg:nosuch: pkg defines no 'nosuch'"),
    (["-c", "no-such-console-script"], "-c no-such-console-script: no console script"),
    (["app.py", "--python", "/nonexistent/python"], "--python /nonexistent/python: cannot run it"),
    (["app.py", "--include", "nosuch.*"], "--include nosuch.*: matches no module"),
    (["app.py", "--python", "/bin/true"], "--python /bin/true: not a Python interpreter"),
    (["app.py", "--python", "/bin/false"],
     "--python /bin/false: not a usable CPython 3.10+ (it failed without a word)"),
    # Refused before any venv or pip: a forgotten -o, a script beside -m, a requirements file.
    (["app.py", "dist/app.pyz"], "dist/app.pyz: an archive name where a requirement goes; "
                                 "to write the archive there, give -o dist/app.pyz"),
    (["-m", "json.tool", "app.py"], "app.py: a Python file where a requirement goes; give one "
                                    "entry: the script or -m/-e/-c"),
    (["app.py", "requirements.txt"], "requirements.txt: a file name where a requirement goes"),
])
def test_bad_input_is_one_line_and_exit_2(app: Path, tmp_path: Path, args, message) -> None:
    line = one_line_error(freeze("build", *args, "-o", tmp_path / "x.pyz", cwd=app))
    assert message in line


def test_a_shim_that_fails_is_quoted_by_what_it_says_first(app: Path, tmp_path: Path) -> None:
    shim = tmp_path / "python3.99"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\necho >&2\n"
                    "echo 'Note: see pyenv help global' >&2\nexit 127\n")
    shim.chmod(0o755)
    line = one_line_error(freeze("build", "app.py", "--python", shim, "-o", tmp_path / "x.pyz",
                                 cwd=app))
    assert line.endswith("not a usable CPython 3.10+ (pyenv: python3.99: command not found)")


def test_a_folder_with_main_runs_as_python_folder_does(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"tool/__main__.py": "import helper\nhelper.run()\n",
                                        "tool/helper.py": "def run():\n    print('tool ran')\n"})
    assert freeze("build", "tool", cwd=src).returncode == 0
    assert run_frozen(src / "dist" / "tool.pyz", tmp_path=tmp_path).stdout == "tool ran\n"
    (src / "empty").mkdir()
    assert one_line_error(freeze("build", "empty", cwd=src)) == (
        "Error: empty: a folder without __main__.py; give the script in it, or -m PACKAGE with "
        "--path for a package")


def test_function_entry_accepts_what_the_module_may_bind(app: Path, tmp_path: Path) -> None:
    """Only FUNC's first name is checked; a submodule or a star import may bind it."""
    write_tree(app, {"pkg/star.py": "from pkg.cli import *\n"})
    for ref in ("pkg.cli:main.__call__", "pkg:cli", "pkg.star:main", "pkg:greet"):
        built = freeze("build", "-e", ref, "-o", tmp_path / "e.pyz", cwd=app)
        assert built.returncode == 0, (ref, built.stderr)


@pytest.mark.parametrize("output, args, what", [
    ("app.py", [], "the script app.py"),
    ("link.py", [], "the script app.py"),
    ("req.txt", ["-r", "req.txt"], "the requirements file req.txt"),
    ("lib/extra.py", ["--path", "lib"], "a module source on the search path (lib)"),
    ("pkg/words.py", [], "a module source on the search path"),
    ("pkg/data.txt", [], "pkg/data.txt, a file the build reads"),
])
def test_output_onto_an_input_is_refused_and_nothing_written(app: Path, tmp_path: Path,
                                                              output, args, what) -> None:
    write_tree(app, {"req.txt": "\n", "lib/extra.py": "X = 1\n", "pkg/data.txt": "data\n"})
    (app / "link.py").symlink_to("app.py")
    before = {p: p.read_bytes() for p in app.rglob("*") if p.is_file()}
    line = one_line_error(freeze("build", "app.py", *args, "-o", output, cwd=app))
    assert line.startswith(f"Error: -o {output}: would overwrite ") and what in line
    assert {p: p.read_bytes() for p in app.rglob("*") if p.is_file()} == before
    assert (app / "link.py").is_symlink()


def test_rebuilding_over_the_previous_archive_is_fine(app: Path) -> None:
    for _ in range(2):
        assert freeze("build", "app.py", "-o", "app.pyz", cwd=app).returncode == 0


def test_plain_script_given_as_console_script_says_how_to_freeze_it(app: Path,
                                                                     tmp_path: Path) -> None:
    """awscli installs `aws` with setup(scripts=...): a file in bin/, not an entry point."""
    import subprocess
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    (venv / "bin" / "legacy-tool").write_text("#!/usr/bin/env python\nprint('hi')\n")
    python = venv / "bin" / "python"
    line = one_line_error(freeze("build", "-c", "legacy-tool", "--python", python,
                                 "-o", tmp_path / "x.pyz", cwd=app))
    assert line == (f"Error: -c legacy-tool: {venv}/bin/legacy-tool is a plain script, not an "
                    f"entry point; freeze it as one: `freeze build {venv}/bin/legacy-tool "
                    f"--python {python}`")


def test_syntax_error_names_file_and_line(app: Path, tmp_path: Path) -> None:
    (app / "pkg" / "words.py").write_text("def join(args):\n    return (\n\nx = 1\n")
    line = one_line_error(freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=app))
    assert "pkg/words.py:" in line and "syntax error" in line


def test_unwritable_output_is_one_line_and_leaves_nothing(app: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    line = one_line_error(freeze("build", "app.py", "-o", blocker / "app.pyz", cwd=app))
    assert f"cannot write {blocker / 'app.pyz'}" in line


def test_failed_build_keeps_previous_archive_and_leaves_no_temp(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=app).returncode == 0
    before = out.read_bytes()
    (app / "app.py").write_text("print(\n")
    assert freeze("build", "app.py", "-o", out, cwd=app).returncode == 2
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["app.pyz"]


def test_relative_import_beyond_top_level_is_an_error(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": "import pkg.mod\n",
        "pkg/__init__.py": "",
        "pkg/mod.py": "x = 1\nfrom ... import thing\n",
    })
    line = one_line_error(freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=src))
    assert "pkg/mod.py:2: attempted relative import beyond top-level package" in line


def test_missing_import_warns_with_file_line_and_strict_fails(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": """
            try:
                import optional_thing
            except ImportError:
                optional_thing = None
            import json


            def later():
                import not_installed_anywhere
                from not_installed_anywhere.sub import thing
                from not_installed_anywhere import other
        """,
    })
    built = freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=src)
    assert built.returncode == 0
    warnings = [line for line in built.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: app.py:9: cannot find module 'not_installed_anywhere' "
                        "(imported by __main__; 2 more imports of 'not_installed_anywhere' there)"]
    strict = one_line_error(freeze("build", "app.py", "--strict", "-o", tmp_path / "y.pyz", cwd=src))
    assert "not_installed_anywhere" in strict and "--strict" in strict


def test_modules_a_bundled_finder_serves_are_not_reported_missing(tmp_path: Path) -> None:
    """six puts a finder on sys.meta_path that serves `six.moves.*` at run time (pip
    and urllib3 vendor it): those imports are no warning, and they work frozen."""
    src = write_tree(tmp_path / "src", {
        "app.py": """
            import vendored.six
            from vendored.six.moves import answer
            from vendored.six.moves.deep import name
            print(answer, name)
        """,
        "vendored/__init__.py": "",
        "vendored/six.py": """
            import sys, types
            class _Importer:
                def find_spec(self, fullname, path=None, target=None):
                    if fullname.startswith(__name__ + ".moves"):
                        from importlib.machinery import ModuleSpec
                        return ModuleSpec(fullname, self, is_package=True)
                def create_module(self, spec):
                    module = types.ModuleType(spec.name)
                    module.answer, module.name, module.__path__ = 42, spec.name, []
                    return module
                def exec_module(self, module):
                    pass
            __path__ = []  # as six: submodules are found at all
            sys.meta_path.append(_Importer())
        """,
    })
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "-o", out, cwd=src)
    assert built.returncode == 0 and "warning" not in built.stderr, built.stderr
    ran = run_frozen(out, tmp_path=tmp_path)
    assert ran.stdout == "42 vendored.six.moves.deep\n", ran.stderr


def test_awscli_vendored_packages_are_bundled_under_their_top_level_names(tmp_path: Path) -> None:
    """The AWS CLI imports the botocore in its own folder as `botocore`, through a
    finder it puts on sys.meta_path; a top-level botocore elsewhere must not win."""
    src = write_tree(tmp_path / "src", {
        "app.py": """
            import awscli.clidriver
            print(awscli.clidriver.describe())
        """,
        "awscli/__init__.py": """
            import os, sys
            class TopLevelImportAliasFinder:
                def __init__(self, underlying):
                    self._underlying = underlying
                def find_spec(self, fullname, path, target=None):
                    if fullname == "botocore":
                        path = [os.path.dirname(__file__)]
                    return self._underlying.find_spec(fullname, path, target)
            for index, finder in enumerate(sys.meta_path):
                if getattr(finder, "__name__", "") == "PathFinder":
                    sys.meta_path.insert(index, TopLevelImportAliasFinder(finder))
                    break
        """,
        "awscli/clidriver.py": """
            import botocore.session
            def describe():
                return f"{botocore.session.WHERE} {botocore.__name__}"
        """,
        "awscli/botocore/__init__.py": "",
        "awscli/botocore/session.py": "WHERE = 'vendored'\n",
        "botocore/__init__.py": "",
        "botocore/session.py": "WHERE = 'top-level'\n",
    })
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "-o", out, cwd=src)
    assert built.returncode == 0 and "warning" not in built.stderr, built.stderr
    modules = {m["name"]: m for m in inspect_json(out)["modules"]}
    assert modules["botocore.session"]["path"] == "botocore/session.py"
    assert "awscli.botocore.session" not in modules
    ran = run_frozen(out, tmp_path=tmp_path)
    assert ran.stdout == "vendored botocore\n", ran.stderr


def test_two_builds_are_byte_identical_and_epoch_is_honoured(app: Path, tmp_path: Path) -> None:
    first, second, dated = tmp_path / "1.pyz", tmp_path / "2.pyz", tmp_path / "3.pyz"
    for out in (first, second):
        assert freeze("build", "app.py", "-o", out, cwd=app).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    env = dict(__import__("os").environ, SOURCE_DATE_EPOCH="1700000000")
    assert freeze("build", "app.py", "-o", dated, cwd=app, env=env).returncode == 0
    assert dated.read_bytes() != first.read_bytes()
    import zipfile
    assert zipfile.ZipFile(dated).getinfo("__main__.py").date_time == (2023, 11, 14, 22, 13, 20)


def test_inspect_json_offsets_point_at_the_blobs(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=app).returncode == 0
    info = json.loads(freeze("inspect", "--json", out).stdout)
    assert info["entry"] == {"kind": "script", "module": "__main__", "attribute": ""}
    assert info["python"]["version"] == sys.version.split()[0]
    names = {m["name"]: m for m in info["modules"]}
    assert set(names) == {"__main__", "pkg", "pkg.words"}
    assert info["external"] == {"sys": "builtin"}
    data = out.read_bytes()
    from freezer.runtime.boot import digest
    for module in info["modules"]:
        blob = data[module["offset"]:module["offset"] + module["length"]]
        assert digest(blob).hex() == module["digest"]
        assert blob[:4] == bytes.fromhex(info["python"]["magic"])
    text = freeze("inspect", out).stdout
    assert "entry    script __main__" in text and "pkg.words" in text


def test_verify_passes_then_names_each_damaged_module(app: Path, tmp_path: Path) -> None:
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=app).returncode == 0
    ok = freeze("verify", out)
    assert (ok.returncode, ok.stdout) == (0, f"{out}: ok\n")
    info = json.loads(freeze("inspect", "--json", out).stdout)
    data = bytearray(out.read_bytes())
    for module in info["modules"]:
        if module["name"] in ("pkg", "pkg.words"):
            data[module["offset"] + module["length"] // 2] ^= 0x01
    out.write_bytes(bytes(data))
    bad = freeze("verify", out)
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [f"{out}: module 'pkg': digest mismatch",
                                       f"{out}: module 'pkg.words': digest mismatch"]


def test_verify_names_a_damaged_regex_table_entry(tmp_path: Path) -> None:
    out = build_app(tmp_path, {"app.py": "import re\nprint(re.compile(r'ab+c').match('abbc'))\n"})
    archive = boot.Archive(str(out))
    offset, size, _ = boot.find_regex(archive.read_regexes(), "ab+c", 0)
    archive.close()
    data = bytearray(out.read_bytes())
    data[offset + size - 1] ^= 0x01
    out.write_bytes(bytes(data))
    bad = freeze("verify", out)
    assert (bad.returncode, bad.stderr) == (1, f"{out}: regex table entry 1: digest mismatch\n")
    ran = run_frozen(out, tmp_path=tmp_path)
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines()[-1] == (
        f"freeze: {out}: regex table entry is damaged (digest mismatch); rebuild the archive")


def test_inspect_and_verify_reject_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    other.write_bytes(b"PK\x05\x06" + bytes(18))
    for command in ("inspect", "verify"):
        line = one_line_error(freeze(command, other))
        assert line == f"Error: {other}: not an archive written by freeze (no trailer)"


def test_verify_tells_a_cut_archive_and_an_older_format_from_damage(app: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=app).returncode == 0
    whole = out.read_bytes()
    cut = tmp_path / "cut.pyz"
    cut.write_bytes(whole[:len(whole) // 2])
    assert one_line_error(freeze("verify", cut)) == (
        f"Error: {cut}: truncated or damaged at its end (no trailer in its "
        f"{len(whole) // 2:,} bytes); copy it again or rebuild it")
    older = tmp_path / "older.pyz"
    older.write_bytes(whole.replace(boot.TRAILER_MAGIC, boot.TRAILER_MAGIC[:-1] + b"\x01"))
    assert "written by another version of freeze (trailer format 1, this one reads 2)" in \
        one_line_error(freeze("verify", older))


@pytest.mark.parametrize("part", ["launcher", "__main__.pyc", "__freeze__/boot.py"])
def test_verify_checks_the_bytes_outside_the_manifest(app: Path, tmp_path: Path,
                                                      part: str) -> None:
    """The launcher and the zip members that start boot are checked too."""
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=app).returncode == 0
    data = bytearray(out.read_bytes())
    if part == "launcher":
        data[data.index(b"exec") + 1] ^= 0x01
        expected = f"{out}: launcher (the lines before the blobs): digest mismatch"
    else:
        info = zipfile.ZipFile(out).getinfo(part)
        data[info.header_offset + 30 + len(part) + info.file_size // 2] ^= 0x01
        expected = f"{out}: zip member {part!r}: damaged"
    out.write_bytes(bytes(data))
    bad = freeze("verify", out)
    assert (bad.returncode, bad.stderr.splitlines()) == (1, [expected])


def test_app_module_shadowing_a_stdlib_name_is_bundled_and_wins(tmp_path: Path) -> None:
    out = build_app(tmp_path, {"app.py": "import calendar, json\nprint(calendar.WHO, json.__name__)\n",
                               "calendar.py": "WHO = 'the app'\n"})
    info = inspect_json(out)
    assert {m["name"] for m in info["modules"]} == {"__main__", "calendar"}
    assert info["external"]["json"] == "stdlib"
    assert run_frozen(out, tmp_path=tmp_path).stdout == "the app json\n"


def test_build_cache_reuses_work_and_changes_nothing(app: Path, tmp_path: Path) -> None:
    """A warm build takes every analysis and blob from the cache.  A miss would store its
    entry again (a new file renamed into place), so the cache's files stay as they were."""
    import os
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))

    def build(out: Path, *flags: str) -> str:
        built = freeze("build", "app.py", *flags, "-o", out, cwd=app, env=env, progress=True)
        assert built.returncode == 0, built.stderr
        return built.stderr

    def entries() -> dict[Path, tuple[int, int]]:
        found = (tmp_path / "cache" / "freeze" / "build").rglob("*")
        return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in found if p.is_file()}

    outputs = [tmp_path / f"{n}.pyz" for n in ("cold", "warm", "nocache")]
    compiled = re.search(r"compiling (\d+) modules", build(outputs[0]))
    assert compiled and "from the build cache" not in compiled.string
    kept = entries()
    assert len(kept) == 3 + int(compiled[1])  # an analysis per module, a blob per compiled one
    warm = build(outputs[1])
    assert f"compiling 0 modules for CPython 3.{sys.version_info.minor}.{sys.version_info.micro} " \
           f"({compiled[1]} more from the build cache)" in warm
    build(outputs[2], "--no-cache")
    assert entries() == kept  # no entry written again: each was found
    assert outputs[0].read_bytes() == outputs[1].read_bytes() == outputs[2].read_bytes()
    (app / "pkg" / "words.py").write_text("def join(args):\n    return '+'.join(args)\n")
    changed = tmp_path / "changed.pyz"
    build(changed)
    assert run_frozen(changed, "a", "b", tmp_path=tmp_path).stdout == "hello a+b\n"
    # The changed module alone is analysed and compiled again: two new entries.
    now = entries()
    assert {p: now[p] for p in kept} == kept and len(now) == len(kept) + 2


def test_imports_of_an_optionally_imported_module_are_optional_too(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": "try:\n    import extras\nexcept ImportError:\n    extras = None\nimport core\n",
        "extras.py": "import not_installed_extra\n",
        "core.py": "import not_installed_core\n",
    })
    built = freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=src)
    assert built.returncode == 0
    assert [line for line in built.stderr.splitlines() if line.startswith("warning:")] == [
        "warning: core.py:1: cannot find module 'not_installed_core' (imported by core)"]


@pytest.mark.parametrize("python", installed_pythons()[:1], ids=lambda p: p.parent.parent.name)
def test_set_constants_compile_to_the_same_bytes_every_time(python: Path, tmp_path: Path) -> None:
    """Before 3.11, marshal writes a frozenset constant in iteration order, which
    follows the hash seed of the process that compiled it: the compiler runs with a
    fixed seed (the oldest Python installed shows it)."""
    words = ", ".join(repr(f"word{i}") for i in range(40))
    src = write_tree(tmp_path / "src", {"app.py": f"import sys\nprint(sys.argv[1] in {{{words}}})\n"})
    outputs = [tmp_path / f"{n}.pyz" for n in range(3)]
    for out in outputs:
        built = freeze("build", "app.py", "--python", python, "--no-cache", "-o", out, cwd=src)
        assert built.returncode == 0, built.stderr
    assert outputs[0].read_bytes() == outputs[1].read_bytes() == outputs[2].read_bytes()
    ran = run_frozen(outputs[0], "word7", tmp_path=tmp_path, python=python)
    assert ran.stdout == "True\n", ran.stderr


@pytest.mark.parametrize("requirement", [
    (), pytest.param(("six==1.16.0",), marks=pytest.mark.slow, id="with-requirement")])
def test_an_unwritable_cache_is_one_note_and_the_build_goes_on(
        app: Path, tmp_path: Path, requirement: tuple[str, ...]) -> None:
    """A cache folder that cannot be made (a file in its way; root ignores modes): no
    traceback, one note per cache, a working archive, and no temporary venv left."""
    import os
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = dict(os.environ, XDG_CACHE_HOME=str(blocker), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", *requirement, "-o", out, cwd=app, env=env)
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    assert built.stderr.count(f"note: cannot write the build cache {blocker}/freeze/build "
                              "(Not a directory): every build is a cold one") == 1
    if requirement:
        assert "installing into a temporary environment, removed when the build ends" in \
            built.stderr
    assert list((tmp_path / "tmp").iterdir()) == []
    assert run_frozen(out, "x", tmp_path=tmp_path).returncode == 1


def test_a_missing_package_is_one_warning_with_its_importers_counted(tmp_path: Path) -> None:
    """Site-packages paths are shown relative to the site folder, a note totals what is
    missing and says how to fix or silence it, and --exclude of an absent module silences it."""
    import sysconfig
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv)}))
    src = write_tree(tmp_path, {
        f"{site.relative_to(tmp_path)}/chatty/__init__.py": "from . import a, b, c\n",
        **{f"{site.relative_to(tmp_path)}/chatty/{name}.py": "def draw():\n    import plotlib\n"
           for name in "abc"},
        "src/app.py": "import chatty\n",
    }) / "src"
    args = ("build", "app.py", "--python", venv / "bin" / "python", "-o", tmp_path / "x.pyz")
    built = freeze(*args, cwd=src)
    assert built.returncode == 0, built.stderr
    assert [line for line in built.stderr.splitlines() if line.startswith("warning:")] == [
        "warning: chatty/a.py:2: cannot find module 'plotlib' (imported by chatty.a and 2 more "
        "modules)"]
    assert (f"note: 1 module not found (plotlib): an import of it fails at run time as in the "
            f"build environment; install it for {venv / 'bin' / 'python'} if the app needs it, "
            "or --exclude it if it does not, which silences its warning") in built.stderr
    quiet = freeze(*args, "--exclude", "plotlib", cwd=src)
    assert quiet.returncode == 0 and "plotlib" not in quiet.stderr, quiet.stderr


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_build_its_workers_and_its_temp_folders(tmp_path: Path,
                                                                   name: str) -> None:
    """What a CI runner or Popen.terminate() sends, or kill -INT to freeze alone: nothing
    freeze started outlives it (the pipes close), nothing is left in TMPDIR, no archive
    is written."""
    import os
    import signal
    import time
    number = getattr(signal, name)
    src = write_tree(tmp_path / "src", {
        "app.py": "import mods\n",
        "mods/__init__.py": "".join(f"from . import m{n}\n" for n in range(400)),
        **{f"mods/m{n}.py": "import json\n" + "def f(x):\n    return [x for _ in range(3)]\n" * 40
           for n in range(400)},
    })
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp))
    build = subprocess.Popen([sys.executable, "-m", "freezer", "build", "app.py", "--no-cache",
                              "-o", tmp_path / "app.pyz"], cwd=src, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while sum(len(Path(f"/proc/{build.pid}/task/{task}/children").read_text().split())
              for task in os.listdir(f"/proc/{build.pid}/task")) < 2:  # the analysis pool
        assert build.poll() is None and time.monotonic() < deadline, "no workers started"
        time.sleep(0.05)
    build.send_signal(number)
    stdout, stderr = build.communicate(timeout=30)  # returns once every pipe holder is gone
    assert build.returncode == 128 + number, stderr
    assert "Traceback" not in stderr.decode()
    assert list(temp.iterdir()) == [] and not (tmp_path / "app.pyz").exists()


def test_cache_command_shows_and_clears_what_freeze_keeps(tmp_path: Path) -> None:
    import os
    src = write_tree(tmp_path / "src", {
        "app.py": "import data\nprint(data.read())\n",
        "data/__init__.py": "import os\ndef read():\n"
                            "    return open(os.path.join(os.path.dirname(__file__), 'v.txt')).read()\n",
        "data/v.txt": "value",
    })
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=src, env=env).returncode == 0
    run = subprocess.run([sys.executable, "-I", "-S", out], env=env, capture_output=True,
                         text=True)
    assert run.stdout == "value\n", run.stderr
    shown = freeze("cache", env=env)
    rows = {line.split()[0]: line.split() for line in shown.stdout.splitlines()[1:]}
    assert int(rows["build"][1]) > 0 and rows["extracted"][1] == "1"
    assert rows["envs"][-1] == str(tmp_path / "cache" / "freeze" / "envs")
    kept = freeze("cache", "--clear", "--older-than", "1", env=env)
    assert kept.stdout.endswith("removed 0 entries, 0.0 MB\n")
    cleared = freeze("cache", "--clear", "--only", "extracted", env=env)
    assert "removed 1 entry" in cleared.stdout
    assert [p.name for p in (tmp_path / "cache" / "freeze").iterdir()] == ["build"]
    again = subprocess.run([sys.executable, "-I", "-S", out], env=env, capture_output=True,
                           text=True)
    assert again.stdout == "value\n", again.stderr


def test_a_build_says_what_it_is_doing_and_sums_up(app: Path, tmp_path: Path) -> None:
    """Timed lines per phase when stderr is not a terminal, a line redrawn in place when
    it is; -q prints nothing, -v every module's and file's reason; one summary line."""
    import re
    from support import PROGRESS_LINE
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--no-cache", "-o", out, cwd=app, progress=True)
    assert built.returncode == 0, built.stderr
    phases = [line.split("] ", 1)[1] for line in built.stderr.splitlines()
              if PROGRESS_LINE.match(line + "\n")]
    assert phases[0].startswith("analysing imports for CPython ")
    assert re.fullmatch(r"compiling \d+ modules for CPython [\d.]+", phases[1]), phases
    assert phases[2:] == ["collecting package data, metadata and libraries", f"writing {out}"]
    assert re.fullmatch(rf"wrote {re.escape(str(out))}: 3 modules, 0 files, [\d,]+ bytes, for "
                        r"CPython [\d.]+, in \d+\.\d s", built.stderr.splitlines()[-1])

    quiet = freeze("build", "app.py", "-q", "-o", tmp_path / "q.pyz", cwd=app, progress=True)
    assert (quiet.returncode, quiet.stderr) == (0, "") and (tmp_path / "q.pyz").is_file()
    verbose = freeze("build", "app.py", "-v", "-o", tmp_path / "v.pyz", cwd=app)
    assert "        __main__: the entry point (app.py)\n" in verbose.stderr
    assert "        pkg.words: imported by pkg at pkg/__init__.py:1" in verbose.stderr

    import os
    import pty
    main, terminal = pty.openpty()
    on_terminal = subprocess.run([sys.executable, "-m", "freezer", "build", "app.py", "--no-cache",
                                  "-o", tmp_path / "t.pyz"], cwd=app, stderr=terminal,
                                 stdin=subprocess.DEVNULL, timeout=300)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: nothing more to read
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert on_terminal.returncode == 0
    assert b"\r\x1b[K[" in shown and b"compiling" in shown
    assert not PROGRESS_LINE.search(shown.decode().replace("\r\n", "\n"))


def test_a_plain_checkout_finds_its_runtime(tmp_path: Path) -> None:
    """Without site (so without the editable install's mapping), the checkout's
    freezer imports its runtime from the checkout's runtime/ folder."""
    checkout = Path(__file__).resolve().parent.parent
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import freezer.archive, "
            "freezer.runtime.boot as boot; print(boot.__file__)")
    ran = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(checkout)],
                         cwd=tmp_path, capture_output=True, text=True)
    assert (ran.returncode, ran.stdout) == (0, f"{checkout / 'runtime' / 'boot.py'}\n"), ran.stderr


def test_commands_that_read_archives_do_not_load_the_build(app: Path, tmp_path: Path) -> None:
    """inspect, verify, why and report answer without libcst and the build's modules
    (importing them took ~0.35 s of every such command)."""
    out = tmp_path / "app.pyz"
    assert freeze("build", app / "app.py", "-o", out).returncode == 0
    code = ("import sys\nfrom freezer import cli\nsys.argv = ['freeze', *sys.argv[1:]]\n"
            "try:\n    cli.main()\nexcept SystemExit as exit:\n    status = exit.code\n"
            "print(status, sorted(m for m in sys.modules if m == 'libcst' or m.startswith("
            "('freezer.build', 'freezer.graph', 'freezer.scanner'))), file=sys.stderr)\n")
    for args in (["inspect", out], ["verify", out], ["why", out, "pkg.words"],
                 ["report", out, "-o", tmp_path / "r.html"]):
        ran = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                             text=True, cwd=tmp_path)
        assert ran.stderr.splitlines()[-1] in ("0 []", "None []"), (args, ran.stderr)
