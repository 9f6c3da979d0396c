"""What installed packages expect inside a frozen app: metadata, resources, pkgutil,
plugins found through entry points, files on disk, hooks and requirements.

Distributions here are real *.dist-info folders in a site folder given with
--path, so each test runs the same program unfrozen (site folder on sys.path)
and frozen, and compares.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from support import build_app, freeze, installed_pythons, run_frozen, run_python, write_tree

SITE = {
    "site/hostpkg/__init__.py": """
        from importlib.metadata import entry_points
        def plugins():
            return sorted((ep.name, ep.load()()) for ep in entry_points(group="hostpkg.plugins"))
    """,
    "site/hostpkg/data/greeting.txt": "hello from a resource\n",
    "site/hostpkg/data/nested/deep.json": '{"deep": true}\n',
    "site/hostpkg/formats/__init__.py": """
        import importlib, pkgutil
        def available():
            return sorted(m.name for m in pkgutil.iter_modules(__path__))
        def load(name):
            return importlib.import_module(f"{__name__}.{name}").NAME
    """,
    "site/hostpkg/formats/csvfmt.py": "NAME = 'csv'\n",
    "site/hostpkg/formats/jsonfmt.py": "NAME = 'json'\n",
    "site/hostpkg-1.2.3.dist-info/METADATA": """
        Metadata-Version: 2.1
        Name: hostpkg
        Version: 1.2.3
        Requires-Dist: plugpkg
    """,
    "site/hostpkg-1.2.3.dist-info/RECORD": """
        hostpkg/__init__.py,,
        hostpkg/data/greeting.txt,,
        hostpkg-1.2.3.dist-info/METADATA,,
    """,
    "site/plugpkg/__init__.py": "def make():\n    return 'made by plugpkg'\n",
    "site/plugpkg-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: plugpkg\nVersion: 0.1\n",
    "site/plugpkg-0.1.dist-info/RECORD": "plugpkg/__init__.py,,\n",
    "site/plugpkg-0.1.dist-info/entry_points.txt": "[hostpkg.plugins]\nmaker = plugpkg:make\n",
    "site/unused-9.9.dist-info/METADATA": "Metadata-Version: 2.1\nName: unused\nVersion: 9.9\n",
    "site/unused-9.9.dist-info/RECORD": "unused.py,,\n",
    "site/unused.py": "",
}

APP = """
    import importlib.metadata as md, importlib.resources as ir, json, pkgutil
    import hostpkg, hostpkg.formats
    print(md.version("hostpkg"), md.metadata("hostpkg")["Name"], md.requires("hostpkg"))
    print(sorted(d.metadata["Name"] for d in md.distributions() if d.metadata["Name"] != "unused"))
    print(hostpkg.plugins())
    print([str(f) for f in md.files("hostpkg")])
    print(md.files("hostpkg")[1].read_text().strip())
    root = ir.files("hostpkg")
    print(root.joinpath("data/greeting.txt").read_text().strip(), (root / "data").is_dir())
    print(sorted(p.name for p in (root / "data").iterdir()))
    print(json.loads((root / "data" / "nested" / "deep.json").read_bytes()))
    with ir.as_file(root / "data" / "greeting.txt") as real:
        print(open(real).read().strip())
    print(pkgutil.get_data("hostpkg", "data/greeting.txt"))
    print(hostpkg.formats.available(), [hostpkg.formats.load(n) for n in hostpkg.formats.available()])
    print(sorted(m.name for m in pkgutil.walk_packages(hostpkg.__path__, "hostpkg.")))
"""


Ran = subprocess.CompletedProcess[str]


def both(tmp_path: Path, app: str, *build_args: str) -> tuple[Ran, Ran]:
    """Run `app` unfrozen (site folder on sys.path) and frozen; return both results."""
    src = write_tree(tmp_path / "src", {**SITE, "app.py": app})
    runner = src / "unfrozen.py"
    runner.write_text(f"import runpy, sys\nsys.path.insert(0, {str(src / 'site')!r})\n"
                      f"runpy.run_path({str(src / 'app.py')!r}, run_name='__main__')\n")
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--path", "site", *build_args, "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    return run_python(runner, tmp_path=tmp_path, flags=["-I", "-S"]), run_frozen(out, tmp_path=tmp_path)


def test_metadata_resources_pkgutil_and_entry_point_plugins_work_frozen(tmp_path: Path) -> None:
    unfrozen, frozen = both(tmp_path, APP)
    assert unfrozen.returncode == 0, unfrozen.stderr
    assert (frozen.stdout, frozen.stderr, frozen.returncode) == (unfrozen.stdout, "", 0)
    assert "made by plugpkg" in frozen.stdout


def test_only_bundled_distributions_are_visible(tmp_path: Path) -> None:
    _, frozen = both(tmp_path, "import importlib.metadata as md, hostpkg\n"
                               "print(sorted(d.metadata['Name'] for d in md.distributions()))\n")
    assert frozen.stdout == "['hostpkg', 'plugpkg']\n"


FILE_READER = {
    "site/datapkg/__init__.py": """
        import os
        HERE = os.path.dirname(os.path.abspath(__file__))
        def table():
            with open(os.path.join(HERE, "table.txt")) as file:
                return file.read().strip()
    """,
    "site/datapkg/table.txt": "rows from a real file\n",
}


def test_package_reading_files_beside_its_file_is_extracted_once(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        **FILE_READER, "app.py": "import datapkg\nprint(datapkg.table())\nprint(datapkg.__file__)\n"})
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--path", "site", "-o", out, cwd=src)
    assert "extracted to the user cache on first run: datapkg" in built.stderr
    cache = tmp_path / "cache"
    first = isolated_cache_run(out, tmp_path, {"XDG_CACHE_HOME": str(cache)})
    assert first.returncode == 0, first.stderr
    text, location = first.stdout.splitlines()
    assert text == "rows from a real file"
    extracted = Path(location)
    assert extracted.is_file() and extracted.name == "__init__.py"
    root = extracted.parent.parent
    assert root.parent.name == "freeze" and str(root).startswith(str(cache))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    stamp = (root / "datapkg" / "table.txt").stat().st_mtime_ns
    again = isolated_cache_run(out, tmp_path, {"XDG_CACHE_HOME": str(cache)})
    assert again.stdout == first.stdout
    assert (root / "datapkg" / "table.txt").stat().st_mtime_ns == stamp


# pylint's way of finding its checkers, in small: list the package's folder, map each
# file back to a module name through sys.path as astroid's modpath_from_file does
# (an __init__.py in every folder on the way), import that module and register it.
FOLDER_LISTER = {
    "site/linter/__init__.py": "",
    "site/linter/utils.py": """
        import importlib, os, sys
        def module_name(path):
            for entry in sys.path:
                if not entry or not path.startswith(entry + os.sep):
                    continue
                parts = os.path.splitext(path[len(entry) + 1:])[0].split(os.sep)
                folders = [os.path.join(entry, *parts[:n]) for n in range(1, len(parts))]
                if all(os.path.isfile(os.path.join(f, "__init__.py")) for f in folders):
                    return ".".join(parts)
            raise ImportError(f"no module for {path}")
        def register_plugins(registry, directory):
            for filename in sorted(os.listdir(directory)):
                base, extension = os.path.splitext(filename)
                path = os.path.join(directory, filename)
                if (extension == ".py" and base != "__init__"
                        or not extension and base != "__pycache__" and os.path.isdir(path)):
                    module = importlib.import_module(module_name(path))
                    module.register(registry)
                    registry.append(module is sys.modules[module.__name__])
    """,
    "site/linter/checkers/__init__.py": """
        from linter.utils import register_plugins
        def initialize(registry):
            register_plugins(registry, __path__[0])
    """,
    "site/linter/checkers/names.py": "def register(registry):\n    registry.append('names')\n",
    "site/linter/checkers/spacing/__init__.py": "from .rules import register\n",
    "site/linter/checkers/spacing/rules.py": "def register(registry):\n    registry.append('spacing')\n",
    "app.py": """
        import linter.checkers
        registry = []
        linter.checkers.initialize(registry)
        print(registry)
    """,
}


def test_package_listing_its_folder_gets_its_modules_and_a_tree_of_packages(tmp_path: Path) -> None:
    """Every module in the listed folder is bundled, and the extraction folder is on
    sys.path with linter/__init__.py in it, though linter itself is not extracted."""
    src = write_tree(tmp_path / "src", FOLDER_LISTER)
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--path", "site", "-o", out, cwd=src)
    assert "extracted to the user cache on first run: linter/checkers" in built.stderr
    runner = src / "unfrozen.py"
    runner.write_text(f"import runpy, sys\nsys.path.insert(0, {str(src / 'site')!r})\n"
                      f"runpy.run_path({str(src / 'app.py')!r}, run_name='__main__')\n")
    unfrozen = run_python(runner, tmp_path=tmp_path, flags=["-I", "-S"])
    assert unfrozen.stdout == "['names', True, 'spacing', True]\n", unfrozen.stderr
    frozen = run_frozen(out, tmp_path=tmp_path)
    assert (frozen.stdout, frozen.stderr, frozen.returncode) == (unfrozen.stdout, "", 0)
    [root] = (tmp_path / "env").glob("xdg-cache-*/freeze/*/")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")) == [
        "linter/__init__.py", "linter/checkers/__init__.py", "linter/checkers/names.py",
        "linter/checkers/spacing/__init__.py", "linter/checkers/spacing/rules.py"]
    where = run_frozen(build_app(tmp_path / "where", {**FOLDER_LISTER, "app.py": """
        import sys, linter.checkers.names
        print(linter.__file__.startswith(sys.argv[0] + "/"), sys.path[-1] in linter.checkers.names.__file__)
    """}, "--path", "site"), tmp_path=tmp_path / "where")
    assert where.stdout == "True True\n", where.stderr  # linter itself loads from the archive


def isolated_cache_run(archive: Path, tmp_path: Path, env_updates: dict[str, str]) -> Ran:
    from venvs import isolated_env
    env = {**isolated_env(tmp_path / "env"), **env_updates}
    return subprocess.run([sys.executable, "-I", "-S", str(archive)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture
def datapkg_app(tmp_path: Path) -> Path:
    src = write_tree(tmp_path / "src", {**FILE_READER,
                                        "app.py": "import datapkg\n"
                                                  "print(datapkg.table(), datapkg.__file__)\n"})
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "--path", "site", "-o", out, cwd=src).returncode == 0
    return out


def test_concurrent_first_runs_share_one_extraction(datapkg_app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: isolated_cache_run(datapkg_app, tmp_path,
                                                             {"XDG_CACHE_HOME": str(cache)}), range(6)))
    assert {(r.returncode, r.stderr) for r in results} == {(0, "")}
    assert len({r.stdout for r in results}) == 1
    folders = [p for p in (cache / "freeze").iterdir()]
    assert len(folders) == 1 and not folders[0].name.startswith(".tmp")


def test_staging_folders_of_killed_runs_are_removed_by_a_later_extraction(
        datapkg_app: Path, tmp_path: Path) -> None:
    """A run killed while it extracted (SIGKILL: no chance to clean up) leaves its
    staging folder; the next run that extracts removes it, not a live run's."""
    cache = tmp_path / "cache"
    parent = cache / "freeze"
    dead = subprocess.Popen(["true"])  # a pid that has exited
    dead.wait()
    stale = parent / f".tmp-{dead.pid}-0123456789ab"
    live = parent / f".tmp-{os.getpid()}-0123456789ab"
    for folder in (stale, live):
        (folder / "datapkg").mkdir(parents=True)
        (folder / "datapkg" / "table.txt").write_text("half written")
    result = isolated_cache_run(datapkg_app, tmp_path, {"XDG_CACHE_HOME": str(cache)})
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and live.exists()


def test_interrupted_extraction_leaves_no_staging_file(tmp_path: Path) -> None:
    """Ctrl-C while a package's files are written: the file being written goes with
    the run, the package is not recorded written, and the next run writes it."""
    src = write_tree(tmp_path / "src", {
        **FILE_READER, "app.py": "import datapkg\nprint(datapkg.table())\n",
        **{f"site/datapkg/file{n}.txt": "x" * 1000 for n in range(300)}})
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "--path", "site", "-o", out, cwd=src).returncode == 0
    cache = tmp_path / "cache"
    from venvs import isolated_env
    env = {**isolated_env(tmp_path / "env"), "XDG_CACHE_HOME": str(cache)}
    # SIGINT arrives while the first file is written: raise KeyboardInterrupt from os.open.
    hook = tmp_path / "hook.py"
    hook.write_text("import os\nopen_ = os.open\n"
                    "def interrupting(path, *args):\n"
                    "    if '/.tmp-' in path:\n        raise KeyboardInterrupt\n"
                    "    return open_(path, *args)\nos.open = interrupting\n")
    runner = tmp_path / "runner.py"
    runner.write_text(f"exec(open({str(hook)!r}).read())\nimport runpy, sys\n"
                      f"sys.argv = [{str(out)!r}]\nrunpy.run_path({str(out)!r}, "
                      "run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-I", "-S", str(runner)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert "KeyboardInterrupt" in result.stderr
    written = [p for p in (cache / "freeze").rglob("*") if p.is_file()]
    assert not [p for p in written if ".tmp-" in str(p) or p.parent.name == ".freeze-units"]
    assert not [p for p in written if p.name.startswith("file")]
    again = isolated_cache_run(out, tmp_path, {"XDG_CACHE_HOME": str(cache)})
    assert again.returncode == 0 and again.stdout.strip(), again.stderr


def test_planted_or_shared_folder_is_replaced_not_trusted(datapkg_app: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = isolated_cache_run(datapkg_app, tmp_path, {"XDG_CACHE_HOME": str(cache)})
    root = Path(first.stdout.split()[-1]).parent.parent
    (root / "datapkg" / "table.txt").unlink()
    (root / "datapkg" / "table.txt").write_text("planted\n")
    os.chmod(root, 0o777)  # writable by others: never trusted
    second = isolated_cache_run(datapkg_app, tmp_path, {"XDG_CACHE_HOME": str(cache)})
    assert second.stdout == first.stdout
    assert (root / "datapkg" / "table.txt").read_text() == "rows from a real file\n"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_unwritable_cache_falls_back_to_a_private_temp_folder(datapkg_app: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache folder should be")
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = isolated_cache_run(datapkg_app, tmp_path, {"XDG_CACHE_HOME": str(blocked),
                                                        "TMPDIR": str(temp)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("rows from a real file ")
    assert result.stdout.split()[-1].startswith(str(temp / f"freeze-{os.getuid()}"))


def test_pyproject_tool_freeze_hooks_include_and_extract(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        **FILE_READER,
        "pyproject.toml": """
            [tool.freeze]
            extract = ["datapkg"]
            [tool.freeze.hooks.hostpkg]
            include = ["hostpkg.formats.*"]
        """,
        "site/datapkg/__init__.py": "VALUE = 1\n",  # no __file__ use: extracted by config only
        "site/hostpkg/__init__.py": "",
        "site/hostpkg/formats/__init__.py": "",
        "site/hostpkg/formats/csvfmt.py": "NAME = 'csv'\n",
        "app.py": """
            import importlib, sys, datapkg, hostpkg
            name = "hostpkg.formats." + sys.argv[1]
            print(importlib.import_module(name).NAME)
        """,
    })
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--path", "site", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    info = json.loads(freeze("inspect", "--json", out).stdout)
    assert "hostpkg.formats.csvfmt" in {m["name"] for m in info["modules"]}
    assert {f["path"]: f["extract"] for f in info["files"]} == {"datapkg/table.txt": True}
    assert run_frozen(out, "csvfmt", tmp_path=tmp_path).stdout == "csv\n"


def test_bad_pyproject_is_a_one_line_error(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"pyproject.toml": "[tool.freeze]\ninclude = 'x'\n",
                                        "app.py": "print(1)\n"})
    result = freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=src)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        "[tool.freeze] include must be a list of strings, not a string")


@pytest.mark.slow
def test_requirements_file_installs_into_a_cached_build_environment(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "requirements.txt": "tabulate==0.9.0\n",
        "app.py": """
            import tabulate
            def main():
                print(tabulate.tabulate([[1, 2]], headers=["a", "b"]))
                return 5
        """,
    })
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "build-cache")}
    out = tmp_path / "app.pyz"
    built = freeze("build", "-r", "requirements.txt", "-e", "app:main", "-o", out, cwd=src, env=env)
    assert built.returncode == 0, built.stderr
    assert len(list((tmp_path / "build-cache" / "freeze" / "envs").iterdir())) == 1
    result = run_frozen(out, tmp_path=tmp_path)
    assert (result.stdout, result.returncode) == ("  a    b\n---  ---\n  1    2\n", 5)
    again = freeze("build", "-r", "requirements.txt", "-e", "app:main", "-o", tmp_path / "b.pyz",
                   cwd=src, env=env)
    assert again.returncode == 0 and (tmp_path / "b.pyz").read_bytes() == out.read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("python", installed_pythons(), ids=lambda p: p.parent.parent.name)
def test_runtime_features_work_on_every_supported_python(python: Path, tmp_path: Path) -> None:
    """Metadata, resources, pkgutil, plugins, extraction and spawn, frozen for each target."""
    import textwrap
    # Guarded: spawn children re-run the main module, and whether their buffered
    # output reaches the terminal before they exit is a matter of timing.
    body = textwrap.dedent(APP) + textwrap.dedent("""
        import datapkg, multiprocessing
        print(datapkg.table())
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            print(pool.map(len, ["ab"]))
    """)
    app = 'if __name__ == "__main__":\n' + textwrap.indent(body, "    ")
    src = write_tree(tmp_path / "src", {**SITE, **FILE_READER, "app.py": app})
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", "--without-pip", venv], check=True)
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--path", "site", "--python", venv / "bin" / "python",
                   "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    unfrozen = subprocess.run([python, "-S", "app.py"], cwd=src, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(src / "site")})
    frozen = run_frozen(out, tmp_path=tmp_path, python=python)
    assert unfrozen.returncode == 0, unfrozen.stderr
    assert (frozen.stdout, frozen.stderr, frozen.returncode) == (unfrozen.stdout, "", 0)
