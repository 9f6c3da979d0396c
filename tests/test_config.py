"""[tool.freeze]: every build option from pyproject.toml, checked, overridden by the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import freeze, inspect_json, run_frozen, write_tree

APP = {
    "app.py": "import helper\nprint(helper.NAME)\n",
    "helper.py": "NAME = 'helper'\n",
}


def project(tmp_path: Path, table: str) -> Path:
    return write_tree(tmp_path / "src", {**APP, "pyproject.toml": table})


def test_options_come_from_the_table_and_the_command_line_wins(tmp_path: Path) -> None:
    src = project(tmp_path, """
        [tool.freeze]
        lazy = true
        source = false
        output = "out/app.pyz"
    """)
    built = freeze("build", "app.py", cwd=src)
    assert built.returncode == 0, built.stderr
    assert built.stderr.startswith("note: read [tool.freeze] from pyproject.toml\n")
    out = src / "out" / "app.pyz"  # relative to the file, wherever freeze runs
    info = inspect_json(out)
    assert info["lazy"] == ["helper"]
    assert all(m["source_length"] == 0 for m in info["modules"])
    assert run_frozen(out, tmp_path=tmp_path).stdout == "helper\n"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    again = freeze("build", src / "app.py", "--no-lazy", "--source", "-o", tmp_path / "cli.pyz",
                   cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    info = inspect_json(tmp_path / "cli.pyz")
    assert info["lazy"] == [] and all(m["source_length"] for m in info["modules"])


@pytest.mark.parametrize("table, message", [
    ("[tool.freeze]\nincludes = ['x']\n", "[tool.freeze] has no key 'includes' (did you mean "
                                          "'include'?)"),
    ("[tool.freeze]\ngc_freeze = false\n", "[tool.freeze] has no key 'gc_freeze' (did you mean "
                                           "'gc-freeze'?)"),
    ("[tool.freeze]\nstrictness = true\n", "[tool.freeze] has no key 'strictness' (did you "
                                           "mean 'strict'?)"),
    ("[tool]\nfreeze = 'x'\n", "[tool.freeze] must be a table, not a string"),
    ("[tool.freeze]\nlazy = 'yes'\n", "[tool.freeze] lazy must be true or false, not a string"),
    ("[tool.freeze]\noutput = ['a.pyz']\n", "[tool.freeze] output must be a string, not a list"),
    ("[tool.freeze]\ntrace = '--help'\n",
     "[tool.freeze] trace must be a list of strings, not a string"),
    ("[tool.freeze.hooks.x]\nincludes = ['x.*']\n",
     "[tool.freeze.hooks.x] has no key 'includes' (did you mean 'include'?)"),
    ("[tool.freeze]\nhooks = 3\n", "[tool.freeze] hooks must be a table of tables, not a number"),
    ("[tool.freeze.hooks.x]\npatches = ['serve_files']\n",
     "[tool.freeze] hooks.x.patches must be a table of module = patch name, not a list"),
    ("[tool.freeze.hooks.x]\npatches = {'x.data' = 'serve_everything'}\n",
     "hook x: no run-time patch named 'serve_everything' (runtime/patches.py has serve_files,"),
    ("[tool.freeze.hooks.x]\nserved = true\n",
     "hook x: served at run time, but it names no patch that serves its files"),
    ("[tool.freeze]\ntrace-timeout = 0\n",
     "[tool.freeze] trace-timeout must be a number of seconds above 0, not 0"),
    ("[tool.freeze\n", "cannot read [tool.freeze]"),
])
def test_a_bad_table_is_one_line_naming_the_file_and_key(tmp_path: Path, table: str,
                                                         message: str) -> None:
    src = project(tmp_path, table)
    result = freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=src)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {src / 'pyproject.toml'}: ") and message in line, line
    assert not (tmp_path / "x.pyz").exists()


def test_globs_add_up_and_python_may_be_relative_to_the_file(tmp_path: Path) -> None:
    import os
    import sys
    src = project(tmp_path, f"""
        [tool.freeze]
        include = ["extra_a"]
        python = ["{os.path.relpath(sys.executable, tmp_path / 'src')}"]
    """)
    write_tree(src, {"extra_a.py": "", "extra_b.py": ""})
    built = freeze("build", "app.py", "--include", "extra_b", "-o", tmp_path / "x.pyz", cwd=src)
    assert built.returncode == 0, built.stderr
    names = {m["name"] for m in inspect_json(tmp_path / "x.pyz")["modules"]}
    assert {"extra_a", "extra_b"} <= names
