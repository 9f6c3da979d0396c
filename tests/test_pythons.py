"""One archive for several CPythons: `--python` given more than once.

Each interpreter gets its own manifest, resolved and compiled for it; sources,
data and metadata are stored once.  Most tests here need at least two of the
CPythons 3.10-3.13 installed under pyenv.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import venvs
from support import freeze, inspect_json, installed_pythons, run_frozen, run_python, write_tree

PYTHONS = installed_pythons()
SLOW = pytest.mark.slow
NEEDS_TWO = pytest.mark.skipif(len(PYTHONS) < 2, reason="needs two CPythons 3.10-3.13 under pyenv")

# click and rich, pinned as in the corpus; the app prints nothing that depends on the version.
REQUIREMENTS = ("click==8.5.1", "rich==15.0.0", "markdown-it-py==4.3.0", "mdurl==0.1.2",
                "pygments==2.21.0")
CLI = {
    "app.py": '''
        import sys
        import click
        from rich.console import Console
        from rich.table import Table

        @click.command()
        @click.argument("planets", nargs=-1)
        @click.option("--which", is_flag=True, help="Print the interpreter's version.")
        def main(planets, which):
            """Show PLANETS in a table."""
            if which:
                click.echo("{}.{}".format(*sys.version_info[:2]))
                return
            table = Table(title="Planets")
            table.add_column("Name")
            table.add_column("Letters", justify="right")
            for name in planets:
                table.add_row(name, str(len(name)))
            Console(width=60, color_system=None).print(table)
            click.echo(click.style("done", bold=True), color=False)

        main()
    ''',
}


def version(python: Path) -> str:
    """'3.12' for pyenv's .../3.12.1/bin/python."""
    return python.parent.parent.name.rsplit(".", 1)[0]


def wrappers(folder: Path, pythons: dict[str, Path]) -> Path:
    """A folder of `python3.X` scripts running each given interpreter, for PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    for short, python in pythons.items():
        wrapper = folder / f"python{short}"
        wrapper.write_text(f'#!/bin/sh\nexec {python} "$@"\n')
        wrapper.chmod(0o755)
    return folder


@SLOW
@NEEDS_TWO
def test_one_archive_runs_on_every_python_as_its_venv_does(tmp_path: Path) -> None:
    """click and rich frozen once for every CPython here: each prints what its venv
    prints; the launcher runs the newest on PATH; smaller than one archive per Python."""
    src = write_tree(tmp_path / "src", CLI)
    venv_pythons = {version(p): venvs.venv_python(REQUIREMENTS, python=str(p)) for p in PYTHONS}
    bin_folder = wrappers(tmp_path / "bin", venv_pythons)
    out = tmp_path / "app.pyz"
    path = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    built = freeze("build", "app.py", "--python", f"{min(venv_pythons)}-{max(venv_pythons)}",
                   "-o", out, cwd=src, env=path)
    assert built.returncode == 0, built.stderr
    assert f"for CPython {', '.join(p.parent.parent.name for p in reversed(PYTHONS))}" \
        in built.stderr
    outputs = set()
    for short, python in venv_pythons.items():
        unfrozen = run_python(src / "app.py", "Mercury", "Jupiter", tmp_path=tmp_path,
                              python=python, flags=["-I"])
        frozen = run_frozen(out, "Mercury", "Jupiter", tmp_path=tmp_path, python=python)
        assert unfrozen.returncode == 0 and "Jupiter" in unfrozen.stdout, unfrozen.stderr
        assert (frozen.stdout, frozen.stderr, frozen.returncode) == (
            unfrozen.stdout, unfrozen.stderr, 0), short
        outputs.add(frozen.stdout)
    assert len(outputs) == 1

    oldest, newest = min(venv_pythons), max(venv_pythons)
    launched = venvs.run([out, "--which"], cwd=tmp_path, env={
        "PATH": str(wrappers(tmp_path / "two", {oldest: venv_pythons[oldest],
                                                newest: venv_pythons[newest]}))})
    assert (launched.stdout, launched.returncode) == (f"{newest}\n", 0), launched.stderr
    nothing = venvs.run([out], cwd=tmp_path, env={"PATH": str(tmp_path / "empty")})
    assert nothing.returncode == 127 and "needs one of python" in nothing.stderr

    singles = {}
    for short, python in venv_pythons.items():
        single = tmp_path / f"app-{short}.pyz"
        assert freeze("build", "app.py", "--python", python, "-o", single,
                      cwd=src).returncode == 0
        singles[short] = single.stat().st_size
    size = out.stat().st_size
    print(f"\none archive for {len(singles)} Pythons: {size:,} bytes; one per Python: "
          + ", ".join(f"{short} {n:,}" for short, n in singles.items())
          + f" (sum {sum(singles.values()):,}, ratio {size / sum(singles.values()):.2f})")
    assert max(singles.values()) < size < sum(singles.values())


VERSIONED = {
    "app.py": '''
        import sys
        if sys.version_info >= (3, 11):
            import tomllib as toml
        else:
            import oldtoml as toml
        print(toml.loads('answer = 42')["answer"], toml.__name__ in ("tomllib", "oldtoml"))
    ''',
    "oldtoml.py": '''
        def loads(text):
            key, _, value = text.partition(" = ")
            return {key: int(value)}
    ''',
}


@SLOW
@pytest.mark.skipif(not any(version(p) == "3.10" for p in PYTHONS)
                    or not any(version(p) != "3.10" for p in PYTHONS),
                    reason="needs CPython 3.10 and a later one under pyenv")
def test_each_python_resolves_on_its_own(tmp_path: Path) -> None:
    """A backport imported only before 3.11 is in 3.10's manifest alone; the archive
    is reproducible, verify checks every manifest, and a Python it lacks is one line."""
    src = write_tree(tmp_path / "src", VERSIONED)
    old = next(p for p in PYTHONS if version(p) == "3.10")
    new = PYTHONS[-1]
    out = tmp_path / "app.pyz"
    args = ("build", "app.py", "--python", old, "--python", new, "-o")
    assert freeze(*args, out, cwd=src).returncode == 0
    again = tmp_path / "again.pyz"
    assert freeze(*args, again, cwd=src).returncode == 0
    assert out.read_bytes() == again.read_bytes()

    for python in (old, new):
        frozen = run_frozen(out, tmp_path=tmp_path, python=python)
        assert (frozen.stdout, frozen.stderr, frozen.returncode) == ("42 True\n", "", 0)
    names = {short: {m["name"] for m in inspect_json_for(out, short)["modules"]}
             for short in ("3.10", version(new))}
    assert "oldtoml" in names["3.10"] and "oldtoml" not in names[version(new)]
    info = inspect_json(out)
    assert info["differences"] == {"oldtoml": ["3.10"]}
    assert [p["version"] for p in info["pythons"]] == [new.parent.parent.name,
                                                       old.parent.parent.name]
    assert freeze("verify", out).returncode == 0

    lacking = next((p for p in PYTHONS if p not in (old, new)), None)
    if lacking is not None:
        refused = run_frozen(out, tmp_path=tmp_path, python=lacking)
        assert refused.returncode == 1 and refused.stdout == ""
        [line] = refused.stderr.splitlines()
        assert (f"built for CPython {new.parent.parent.name} and {old.parent.parent.name}, "
                f"but this is CPython {lacking.parent.parent.name} (bytecode magic" in line
                and f"run it with python{version(new)} or rebuild it" in line), line


def inspect_json_for(archive: Path, short: str) -> dict:
    shown = freeze("inspect", "--json", "--python", short, archive)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


@SLOW
@NEEDS_TWO
def test_damage_in_an_older_manifest_is_named(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "import helper\nhelper.hello()\n",
                                        "helper.py": "def hello():\n    print('hello')\n"})
    old, new = PYTHONS[0], PYTHONS[-1]
    out = tmp_path / "app.pyz"
    assert freeze("build", "app.py", "--python", old, "--python", new, "-o", out,
                  cwd=src).returncode == 0
    blob = next(m for m in inspect_json_for(out, version(old))["modules"]
                if m["name"] == "helper")
    data = bytearray(out.read_bytes())
    data[blob["offset"] + blob["length"] - 1] ^= 0xFF
    out.write_bytes(bytes(data))
    checked = freeze("verify", out)
    assert checked.returncode == 1
    assert checked.stderr.splitlines() == [
        f"{out} (CPython {version(old)}): module 'helper': digest mismatch"]
    assert run_frozen(out, tmp_path=tmp_path, python=new).stdout == "hello\n"


def test_two_interpreters_of_one_version_are_refused(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "print('hi')\n"})
    same = tmp_path / "same-python"
    same.symlink_to(os.path.realpath(sys.executable))
    refused = freeze("build", "app.py", "--python", os.path.realpath(sys.executable),
                     "--python", same, "-o", tmp_path / "app.pyz", cwd=src)
    assert refused.returncode == 2
    short = "{}.{}".format(*sys.version_info[:2])
    assert f"CPython {short} is already given" in refused.stderr
    assert not (tmp_path / "app.pyz").exists()
