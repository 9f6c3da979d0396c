"""Package hooks are one piece: the build half and the run-time patches it names agree,
and a project's [tool.freeze.hooks] table has the built-in hooks' shape."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from freezer import hooks
from freezer.runtime import patches
from support import freeze, inspect_json, run_frozen, run_python, write_tree


def test_every_patch_a_hook_names_exists_and_every_patch_is_named() -> None:
    named = {function for hook in hooks.BUILTIN for function in hook.patches.values()}
    assert named == set(patches.PATCHES)
    for name in patches.PATCHES:
        parameters = list(inspect.signature(getattr(patches, name)).parameters)
        assert len(parameters) == 2, (name, parameters)  # patch(module, loader)
    assert all(hook.patches for hook in hooks.BUILTIN if hook.served)


@pytest.mark.parametrize("fields, message", [
    ({"served": True}, "hook pkg: served at run time, but it names no patch"),
    ({"patches": {"pkg.data": "no_such_patch"}}, "hook pkg: no run-time patch named 'no_such_patch'"),
])
def test_a_hook_that_cannot_work_is_refused(fields: dict, message: str) -> None:
    with pytest.raises(hooks.HookError, match=message):
        hooks.Hook("pkg", **fields)


# A package that lists and opens its data folder by path, from its __file__.
LISTS_ITS_FOLDER = {
    "app.py": """
        import sys
        import tables
        print(tables.names(), tables.first_line("b.txt"))
        print("patched" if "__freeze__.patches" in sys.modules else "unpatched")
    """,
    "tables/__init__.py": """
        import os
        HERE = os.path.join(os.path.dirname(__file__), "data")
        def names():
            return sorted(os.listdir(HERE))
        def first_line(name):
            with open(os.path.join(HERE, name)) as file:
                return file.readline().strip()
    """,
    "tables/data/a.txt": "alpha\n",
    "tables/data/b.txt": "beta\n",
}


def test_a_project_hook_serves_its_package_files_from_the_archive(tmp_path: Path) -> None:
    """[tool.freeze.hooks.tables] with a built-in patch: nothing is extracted, the
    package reads its folder inside the archive, and the output is the venv's."""
    src = write_tree(tmp_path / "src", {**LISTS_ITS_FOLDER, "pyproject.toml": """
        [tool.freeze.hooks.tables]
        served = true
        patches = {"tables" = "serve_files"}
    """})
    built = freeze("build", "app.py", "-o", tmp_path / "app.pyz", cwd=src)
    assert built.returncode == 0, built.stderr
    info = inspect_json(tmp_path / "app.pyz")
    assert not any(entry["extract"] for entry in info["files"])
    frozen = run_frozen(tmp_path / "app.pyz", tmp_path=tmp_path)
    plain = run_python(src / "app.py", tmp_path=tmp_path)
    assert frozen.stdout == "['a.txt', 'b.txt'] beta\npatched\n", frozen.stderr
    assert plain.stdout == "['a.txt', 'b.txt'] beta\nunpatched\n"


def test_without_a_hook_the_folder_is_extracted_and_no_patch_loads(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", LISTS_ITS_FOLDER)
    built = freeze("build", "app.py", "-o", tmp_path / "app.pyz", cwd=src)
    assert built.returncode == 0, built.stderr
    extracted = {entry["path"] for entry in inspect_json(tmp_path / "app.pyz")["files"]
                 if entry["extract"]}
    assert extracted == {"tables/data/a.txt", "tables/data/b.txt"}
    frozen = run_frozen(tmp_path / "app.pyz", tmp_path=tmp_path)
    assert frozen.stdout == "['a.txt', 'b.txt'] beta\nunpatched\n", frozen.stderr
