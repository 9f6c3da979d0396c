"""The app's own files: data beside the script, carried by --add-data or found in
its strings, extracted with the script so that ``__file__`` is beside them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from freezer.scanner import top_level_names
from support import freeze, inspect_json, run_frozen, run_python, write_tree

READER = {
    "app.py": """
        import json, os
        from pathlib import Path
        print((Path(__file__).parent / "templates" / "a.txt").read_text().strip())
        with open(os.path.join(os.path.dirname(__file__), "config.json")) as file:
            print(json.load(file)["greeting"])
        print(sorted(p.name for p in (Path(__file__).parent / "templates").iterdir()))
    """,
    "templates/a.txt": "template a\n",
    "templates/sub/b.txt": "template b\n",
    "config.json": '{"greeting": "hi"}\n',
    "unrelated.txt": "not named by the script\n",
}


def one_line_error(result) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_files_the_script_names_beside_its_file_travel_and_run_as_unfrozen(
        tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", READER)
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    assert ("note: carried beside app.py, as its strings name them: config.json, "
            "templates/ (2 files)") in built.stderr.splitlines()
    assert "warning" not in built.stderr
    frozen = run_frozen(out, tmp_path=tmp_path)
    plain = run_python(src / "app.py", tmp_path=tmp_path)
    assert (frozen.stdout, frozen.stderr, frozen.returncode) == (plain.stdout, "", 0)
    assert frozen.stdout == "template a\nhi\n['a.txt', 'sub']\n"
    files = {f["path"]: f["extract"] for f in inspect_json(out)["files"]}
    assert files == {"config.json": True, "templates/a.txt": True, "templates/sub/b.txt": True}


def test_script_file_is_real_beside_its_files_even_without_sources(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        **READER, "app.py": textwrap.dedent(READER["app.py"]) + "print(os.path.isfile(__file__))\n"})
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "--no-source", "-o", out, cwd=src).returncode == 0
    frozen = run_frozen(out, tmp_path=tmp_path)
    assert frozen.stdout.splitlines()[-1] == "True", frozen.stderr


def test_add_data_carries_a_file_and_a_folder_into_dest(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "shared/settings.ini": "[main]\nname = shared\n",
        "assets/logo.txt": "LOGO\n",
        "assets/icons/x.txt": "X\n",
        "src/app.py": """
            import configparser, os
            from pathlib import Path
            here = os.path.dirname(os.path.abspath(__file__))
            parser = configparser.ConfigParser()
            parser.read(os.path.join(here, "conf", "settings.ini"))
            print(parser["main"]["name"])
            media = Path(__file__).parent / "media"
            print((media / "logo.txt").read_text().strip(), (media / "icons" / "x.txt").read_text().strip())
        """,
    })
    out = tmp_path / "app.pyz"
    built = freeze("build", "src/app.py", "--add-data", "shared/settings.ini:conf",
                   "--add-data", "assets:media", "-o", out, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr and "note: carried" not in built.stderr
    frozen = run_frozen(out, tmp_path=tmp_path)
    assert (frozen.stdout, frozen.stderr) == ("shared\nLOGO X\n", "")
    paths = {f["path"] for f in inspect_json(out)["files"]}
    assert paths == {"conf/settings.ini", "media/logo.txt", "media/icons/x.txt"}


def test_add_data_dot_puts_a_file_beside_the_script(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "data/version.txt": "1.2\n",
        "src/app.py": """
            from pathlib import Path
            print(Path(__file__).with_name("version.txt").read_text().strip())
        """,
    })
    out = tmp_path / "app.pyz"
    built = freeze("build", "src/app.py", "--add-data", "data/version.txt:.", "-o", out,
                   cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert run_frozen(out, tmp_path=tmp_path).stdout == "1.2\n"


def test_add_data_from_pyproject_is_relative_to_it(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "project/pyproject.toml": """
            [tool.freeze]
            add-data = ["../shared:shared"]
        """,
        "shared/words.txt": "from pyproject\n",
        "project/app.py": """
            from pathlib import Path
            print((Path(__file__).parent / "shared" / "words.txt").read_text().strip())
        """,
    })
    out = tmp_path / "app.pyz"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    built = freeze("build", tmp_path / "project" / "app.py", "-o", out, cwd=elsewhere)
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr
    assert run_frozen(out, tmp_path=tmp_path).stdout == "from pyproject\n"


def test_script_reading_beside_its_file_with_nothing_to_carry_warns(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": """
            import os, sys
            name = sys.argv[1] if len(sys.argv) > 1 else "defaults" + ".ini"
            print(os.path.exists(os.path.join(os.path.dirname(__file__), name)))
        """,
        "defaults.ini": "[x]\n",
    })
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    assert ("warning: app.py: builds paths from __file__, but no file beside it travels; "
            "name them with --add-data SRC:DEST") in built.stderr.splitlines()
    assert run_frozen(out, tmp_path=tmp_path).stdout == "False\n"
    assert freeze("build", "app.py", "--add-data", "defaults.ini:.", "-o", out,
                  cwd=src).stderr.count("warning") == 0
    assert run_frozen(out, tmp_path=tmp_path).stdout == "True\n"


def test_a_script_that_does_not_read_beside_its_file_carries_nothing(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": 'print(open("config.json").read() if False else "config.json")\n',
        "config.json": "{}\n",
    })
    out = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "-o", out, cwd=src)
    assert built.returncode == 0 and "note" not in built.stderr, built.stderr
    assert inspect_json(out)["files"] == []


def test_a_previous_archive_beside_the_script_is_not_carried(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {
        "app.py": """
            import os
            print(sorted(os.listdir(os.path.join(os.path.dirname(__file__), "dist"))))
        """,
        "dist/readme.txt": "x\n",
    })
    for _ in range(2):
        built = freeze("build", "app.py", "-o", "dist/app.pyz", cwd=src)
        assert built.returncode == 0, built.stderr
    assert {f["path"] for f in inspect_json(src / "dist" / "app.pyz")["files"]} == {
        "dist/readme.txt"}


@pytest.mark.parametrize("args, message", [
    (["--add-data", "nosuch:."], "Error: --add-data nosuch:.: no such file or folder 'nosuch'"),
    (["--add-data", "config.json"], "Error: --add-data config.json: expected SRC:DEST"),
    (["--add-data", "config.json:../up"], "DEST must be a folder inside the script's"),
    (["--add-data", "config.json:/abs"], "DEST must be a folder inside the script's"),
    (["--add-data", "app.py:."], "Error: --add-data: app.py "),
])
def test_bad_add_data_is_one_line_and_exit_2(tmp_path: Path, args, message) -> None:
    src = write_tree(tmp_path / "src", READER)
    out = tmp_path / "x.pyz"
    line = one_line_error(freeze("build", "app.py", *args, "-o", out, cwd=src))
    assert message in line
    assert not out.exists()


def test_add_data_needs_a_script_entry(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {**READER, "mod.py": "print(1)\n"})
    line = one_line_error(freeze("build", "-m", "mod", "--add-data", "config.json:.",
                                 "-o", tmp_path / "x.pyz", cwd=src))
    assert line == ("Error: --add-data config.json:.: carries files beside a SCRIPT entry "
                    "only (a package's own files travel with it)")


def test_bad_add_data_in_pyproject_names_the_file(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {**READER, "pyproject.toml": """
        [tool.freeze]
        add-data = ["gone:."]
    """})
    line = one_line_error(freeze("build", "app.py", "-o", tmp_path / "x.pyz", cwd=src))
    assert line == (f"Error: {src / 'pyproject.toml'} [tool.freeze] add-data gone:.: "
                    "no such file or folder 'gone'")


@pytest.mark.parametrize("code, names", [
    ("def f(): pass\nclass C: pass\nx = y = 1\na, (b, *c) = 1, (2, 3)\n",
     {"f", "C", "x", "y", "a", "b", "c"}),
    ("import os.path\nimport json as j\nfrom x import y as z, w\n", {"os", "j", "z", "w"}),
    ("for i in []: pass\nwith open(p) as fh: pass\nif (n := 1): pass\n"
     "try: pass\nexcept E as err: pass\nt: int = 1\nu += 1\n",
     {"i", "fh", "n", "err", "t", "u"}),
    ("def setup():\n    global late\n    late = 1\n", {"setup", "late"}),
    ("def inner():\n    hidden = 1\nclass K:\n    attr = 1\n", {"inner", "K"}),
    ("from x import *\n", None),
    ("def __getattr__(name): pass\n", None),
    ("globals()['made'] = 1\n", None),
    ("import sys\nsys.modules[__name__] = object()\n", None),
    ("def broken(:\n", None),
])
def test_top_level_names(code: str, names) -> None:
    assert top_level_names(code) == (None if names is None else frozenset(names))
