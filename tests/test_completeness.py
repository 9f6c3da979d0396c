"""A build that succeeds is an archive that works: whole distributions, files under
the environment's prefix, loud errors for what cannot work, and a reason for
every module (`freeze why`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Mapping

from support import freeze, inspect_json, run_frozen, run_python, write_tree
from venvs import isolated_env


def install_fake(site: Path, project: str, files: Mapping[str, str], requires: tuple[str, ...] = (),
                 prefix: Mapping[str, str] = {}) -> None:
    """Install a made-up distribution into `site` as pip would: its files, and a
    dist-info whose RECORD lists them (`prefix` files relative to the environment's
    prefix, three folders up, as ../../../share/...)."""
    write_tree(site, files)
    for relative, text in prefix.items():
        write_tree(site.parents[2], {relative: text})
    info = site / f"{project}-1.0.dist-info"
    requirements = "".join(f"Requires-Dist: {name}\n" for name in requires)
    write_tree(info, {"METADATA": f"Metadata-Version: 2.1\nName: {project}\nVersion: 1.0\n"
                                  f"{requirements}\n"})
    rows = [*files, *(f"../../../{relative}" for relative in prefix),
            f"{info.name}/METADATA", f"{info.name}/RECORD"]
    (info / "RECORD").write_text("".join(f"{row},,\n" for row in rows if not row.endswith("/")))


def make_venv(root: Path) -> tuple[Path, Path]:
    """A venv without pip (fast): its python and its site-packages folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return python, Path(site)


# A linter that finds its rules at run time: one module walks the rules folder
# beside the package, another runs each file it is handed by path.  No import,
# string or listing call names a rule module, and no heuristic sees the loading.
LINTER = {
    "lintr/__init__.py": """
        import os
        HERE = os.path.dirname(__file__)
        with open(os.path.join(HERE, "settings.txt")) as f:
            SETTINGS = f.read().strip()
    """,
    "lintr/settings.txt": "strict\n",
    "lintr/walk.py": """
        import os
        def rule_files(package):
            folder = os.path.join(os.path.dirname(package.__file__), "rules")
            return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                          if n.endswith(".py") and n != "__init__.py")
    """,
    "lintr/load.py": """
        import runpy
        def load(path):
            return runpy.run_path(path)
    """,
    "lintr/rules/__init__.py": "",
    **{f"lintr/rules/r{i}.py": f"def check(text):\n    return {i} if 'x{i}' in text else 0\n"
       for i in range(1, 6)},
    "lintr/py2fixture.py": "print 'this is Python 2'\n",
}
LINT_APP = """
    import sys
    import lintr
    from lintr import load, walk
    found = [load.load(path)["check"](sys.argv[1]) for path in walk.rule_files(lintr)]
    print(lintr.SETTINGS, found)
    sys.exit(2 if any(found) else 0)
"""


def test_rules_found_by_a_folder_walk_all_travel(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_fake(site, "lintr", LINTER)
    src = write_tree(tmp_path / "src", {"app.py": LINT_APP})
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--path", site, "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr  # the Python 2 fixture travels as data, quietly
    empty = tmp_path / "empty-cwd"
    empty.mkdir()
    expected = subprocess.run([sys.executable, src / "app.py", "x2 x5"], cwd=empty, text=True,
                              capture_output=True,
                              env={**isolated_env(tmp_path / "env"), "PYTHONPATH": str(site)})
    assert (expected.returncode, expected.stdout) == (2, "strict [0, 2, 0, 0, 5]\n")
    frozen = run_frozen(out, "x2 x5", tmp_path=tmp_path)
    assert (frozen.returncode, frozen.stdout, frozen.stderr) == (2, expected.stdout, "")
    info = inspect_json(out)
    names = {m["name"] for m in info["modules"]}
    assert {f"lintr.rules.r{i}" for i in range(1, 6)} <= names
    assert "lintr.py2fixture" not in names
    assert "lintr/py2fixture.py" in {f["path"] for f in info["files"]}
    assert info["distributions"]["lintr"]["modules"] == len(names & {n for n in names
                                                                      if n.startswith("lintr")})

    why = freeze("why", out, "lintr.rules.r3")
    assert why.returncode == 0, why.stderr
    assert why.stdout.splitlines() == [
        "lintr.rules.r3: its distribution 'lintr' travels whole (reached through lintr)",
        "lintr: imported by __main__ at app.py:2",
        "__main__: the entry point (app.py)"]

    pruned = tmp_path / "pruned.pyz"
    assert freeze("build", "app.py", "--path", site, "--prune", "-o", pruned,
                  cwd=src).returncode == 0
    assert "lintr.rules.r3" not in {m["name"] for m in inspect_json(pruned)["modules"]}


def test_required_distributions_travel_whole_and_conditional_ones_do_not(tmp_path: Path) -> None:
    site = tmp_path / "site"
    install_fake(site, "front", {"front.py": "def hello():\n    return 'hi'\n"},
                 requires=("helper", "winonly; platform_system == 'Windows'"))
    install_fake(site, "helper", {"helper/__init__.py": "", "helper/late.py": "X = 1\n"})
    install_fake(site, "winonly", {"winonly.py": ""})
    src = write_tree(tmp_path / "src", {"app.py": "import front\nprint(front.hello())\n"})
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "--path", site, "-o", out, cwd=src).returncode == 0
    names = {m["name"] for m in inspect_json(out)["modules"]}
    assert {"front", "helper", "helper.late"} <= names and "winonly" not in names
    why = freeze("why", out, "helper.late").stdout.splitlines()
    assert why[0] == "helper.late: its distribution 'helper' travels whole (reached through front)"


def test_files_a_distribution_installs_under_the_prefix_are_found_through_sys_prefix(
        tmp_path: Path) -> None:
    python, site = make_venv(tmp_path / "venv")
    install_fake(site, "tplconv", {"tplconv/__init__.py": """
        import os, sys, sysconfig
        def template(name):
            with open(os.path.join(sys.prefix, "share", "tplconv", name)) as f:
                first = f.read().strip()
            data = sysconfig.get_path("data")
            with open(os.path.join(data, "share", "tplconv", name)) as f:
                return first, f.read().strip() == first
    """}, prefix={"share/tplconv/page.html": "<p>{body}</p>\n"})
    src = write_tree(tmp_path / "src", {"app.py": """
        import sys, tplconv
        print(tplconv.template("page.html"), sys.prefix != sys.base_prefix)
    """})
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--python", python, "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    expected = run_python(src / "app.py", tmp_path=tmp_path, python=python)
    assert expected.stdout == "('<p>{body}</p>', True) True\n", expected.stderr
    frozen = run_frozen(out, tmp_path=tmp_path, python=python)
    assert (frozen.stdout, frozen.stderr) == (expected.stdout, "")
    why = freeze("why", out, ".prefix/share/tplconv/page.html").stdout.splitlines()
    assert why[0] == ".prefix/share/tplconv/page.html: prefix file of the distribution 'tplconv'"


def test_strict_decides_optional_on_the_final_graph(tmp_path: Path) -> None:
    """pkg.b is first reached through a string (speculative), later through a chain
    of real imports: its missing import is real, and --strict says so."""
    src = write_tree(tmp_path / "src", {
        "app.py": "import pkg\n",
        "pkg/__init__.py": "PLUGINS = ['pkg.b']\nimport pkg.c\n",
        "pkg/c.py": "import pkg.d\n",
        "pkg/d.py": "import pkg.b\n",
        "pkg/b.py": "import nothere\n",
    })
    built = freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=src)
    assert built.returncode == 0
    assert "warning: pkg/b.py:1: cannot find module 'nothere' (imported by pkg.b)" in built.stderr
    strict = freeze("build", "app.py", "--strict", "-o", tmp_path / "y.pyz", cwd=src)
    assert strict.returncode == 2 and "nothere" in strict.stderr


def test_an_entry_that_cannot_start_fails_the_build_naming_the_venv(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "import json\nimport fancylib\n"})
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "-o", out, cwd=src)
    assert built.returncode == 2 and not out.exists()
    assert built.stderr.splitlines() == [
        f"Error: app.py:2: cannot find module 'fancylib', which the entry imports as it "
        f"starts; install it for {sys.executable} or give --python"]
    python, site = make_venv(src / ".venv")
    write_tree(site, {"fancylib.py": "NAME = 'fancy'\n"})
    built = freeze("build", "app.py", "-o", out, cwd=src)
    assert built.returncode == 2
    assert built.stderr.rstrip().endswith(
        "the script's .venv has it: add --python .venv/bin/python"), built.stderr
    # With that venv active (VIRTUAL_ENV), it is the one used, and the build says so.
    active = freeze("build", "app.py", "-o", out, cwd=src,
                    env={**isolated_env(tmp_path / "env"), "VIRTUAL_ENV": str(src / ".venv")})
    assert active.returncode == 0, active.stderr
    assert f"note: using the active virtual environment's {python}" in active.stderr


def test_excluding_a_module_bundled_code_needs_warns_naming_the_importers(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": "import pkg.a\ntry:\n    import heavy\nexcept ImportError:\n    pass\n",
        "pkg/__init__.py": "",
        "pkg/a.py": "import heavy\n",
        "heavy.py": "",
    })
    built = freeze("build", "app.py", "--exclude", "heavy", "-o", tmp_path / "x.pyz", cwd=src)
    assert built.returncode == 0
    assert [line for line in built.stderr.splitlines() if line.startswith("warning:")] == [
        "warning: pkg/a.py:1: 'heavy' is excluded, but pkg.a imports it unconditionally: "
        "that import fails at run time"]


def test_why_names_a_hint_and_refuses_unknown_names(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": "import importlib\nimport pkg\nimportlib.import_module(pkg.NAME)\n",
        "pkg/__init__.py": "NAME = 'pkg.plugin'\n",
        "pkg/plugin.py": "",
    })
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "-o", out, cwd=src).returncode == 0
    assert freeze("why", out, "pkg.plugin").stdout.splitlines()[0] == \
        "pkg.plugin: named by the string 'pkg.plugin' in pkg"
    unknown = freeze("why", out, "nosuch")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (f"Error: {out}: holds no module or file 'nosuch'; "
                                      "`freeze inspect --json` lists them")


def test_a_carried_module_that_analysis_reaches_later_is_scanned(tmp_path: Path) -> None:
    """helper travels whole because front requires it; a hook then brings helper.late,
    whose import of the already carried helper.aaa makes that module analysed too:
    its own import of another distribution is followed."""
    site = tmp_path / "site"
    install_fake(site, "front", {"front.py": "X = 1\n"}, requires=("helper",))
    install_fake(site, "helper", {"helper/__init__.py": "", "helper/aaa.py": "import third\n",
                                  "helper/late.py": "import helper.aaa\n"})
    install_fake(site, "third", {"third.py": "Y = 2\n"})
    src = write_tree(tmp_path / "src", {
        "app.py": "import front\n",
        "pyproject.toml": '[tool.freeze.hooks.helper]\ninclude = ["helper.late"]\n',
    })
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "--path", site, "-o", out, cwd=src).returncode == 0
    assert "third" in {m["name"] for m in inspect_json(out)["modules"]}
    assert freeze("why", out, "third").stdout.splitlines()[0] == \
        "third: imported by helper.aaa at helper/aaa.py:1"
