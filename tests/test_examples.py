"""End to end: a frozen example must behave exactly like the unfrozen one.

Each example runs twice per argument set: unfrozen, as ``<venv python> app.py``
in a venv holding its pinned requirements, and frozen, as
``python -I -S OUT.pyz`` where the archive was built with ``--python <venv
python>``. Exit code and stdout must be identical; stderr too, except that a
traceback's ``File "..."`` paths are compared relative to where the code lives
(the example dir, resp. the archive).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import normalise_frame_paths
from venvs import isolated_env, run, venv_python

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@dataclass(frozen=True)
class Case:
    id: str
    # "{example}" is the example's directory, "{data}" a directory of test inputs.
    args: tuple[str, ...]
    exit_code: int
    stdout_has: str = ""
    stderr_has: str = ""
    stderr_one_line: bool = False


@dataclass(frozen=True)
class Example:
    name: str
    cases: tuple[Case, ...]

    @property
    def dir(self) -> Path:
        return EXAMPLES / self.name

    @property
    def script(self) -> Path:
        return self.dir / "app.py"

    def requirements(self) -> list[str]:
        path = self.dir / "requirements.txt"
        if not path.exists():
            return []
        lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
        return [line for line in lines if line]


INVENTORY = Example(
    "inventory",
    (
        Case("table", ("{example}/sample.csv",), 0, stdout_has="8 items, total value 1,041.70"),
        Case(
            "csv-restock",
            ("{example}/sample.csv", "--format", "csv", "--category", "tools", "--restock-below", "5"),
            0,
            stdout_has="T-031,Cordless drill,tools,2,89.00,178.00\n\nRestock (fewer than 5 in stock):\n",
        ),
        Case(
            "fail",
            ("{example}/sample.csv", "--fail"),
            1,
            stderr_has="inventory.errors.AuditError: strict audit",
        ),
        Case(
            "missing-file",
            ("{data}/missing.csv",),
            3,
            stderr_has="inventory: error: cannot read",
            stderr_one_line=True,
        ),
        Case(
            "bad-usage",
            ("--format", "xml", "{example}/sample.csv"),
            2,
            stderr_has="inventory: error: argument",
        ),
    ),
)
WORDCOUNT = Example(
    "wordcount",
    (
        Case("files", ("--top", "3", "{data}/one.txt", "{data}/two.txt"), 0, stdout_has="      16  total\n"),
        Case("stdin", (), 0, stdout_has="       0  <stdin>\n"),
        Case(
            "missing-file",
            ("{data}/one.txt", "{data}/missing.txt"),
            1,
            stderr_has="wordcount: error: no such file",
            stderr_one_line=True,
        ),
        Case("bad-usage", ("--top", "-1"), 2, stderr_has="wordcount: error: argument --top"),
    ),
)
ALL_CASES = [
    pytest.param(example, case, id=f"{example.name}-{case.id}")
    for example in (INVENTORY, WORDCOUNT)
    for case in example.cases
]

@functools.cache
def example_python(example: Example) -> Path:
    """The venv python for `example`, based on this interpreter (same minor version)."""
    return venv_python(example.requirements(), python=sys.executable)


@functools.cache
def site_packages(python: Path) -> Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    (data / "one.txt").write_text("The cat sat on the mat.\nThe dog didn't.\n", encoding="utf-8")
    (data / "two.txt").write_text("The end, THE END -- fin_de partie\n", encoding="utf-8")
    return data


@pytest.fixture(scope="session")
def build_archive(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Example], Path]:
    """Build each example's archive once per session; a failed build fails every case."""
    built: dict[str, Path | str] = {}

    def build(example: Example) -> Path:
        if example.name not in built:
            out = tmp_path_factory.mktemp(f"dist-{example.name}") / f"{example.name}.pyz"
            python = example_python(example)
            cmd: list[str | Path] = [
                sys.executable,
                "-m",
                "freezer",
                "build",
                example.script,
                "-o",
                out,
                "--python",
                python,
            ]
            proc = run(cmd, cwd=REPO)
            if proc.returncode != 0 or not out.is_file():
                built[example.name] = f"build failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            else:
                built[example.name] = out
        result = built[example.name]
        if isinstance(result, str):
            pytest.fail(result)
        return result

    return build


def args_for(example: Example, case: Case, data_dir: Path) -> list[str]:
    return [arg.format(example=example.dir, data=data_dir) for arg in case.args]


def env_for(tmp_path: Path) -> dict[str, str]:
    env = isolated_env(tmp_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep __pycache__ out of the checkout
    return env


def empty_dir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


def run_unfrozen(example: Example, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    cmd: list[str | Path] = [example_python(example), example.script, *args]
    return run(cmd, cwd=empty_dir(tmp_path, "cwd-unfrozen"), env=env_for(tmp_path))


def assert_same_behaviour(
    example: Example,
    unfrozen: subprocess.CompletedProcess[str],
    frozen: subprocess.CompletedProcess[str],
    archive: Path,
) -> None:
    assert frozen.returncode == unfrozen.returncode, f"frozen stderr:\n{frozen.stderr}"
    assert frozen.stdout == unfrozen.stdout
    unfrozen_roots = [example.dir, site_packages(example_python(example))]
    frozen_roots = [archive, archive.resolve()]
    assert normalise_frame_paths(frozen.stderr, frozen_roots) == normalise_frame_paths(
        unfrozen.stderr, unfrozen_roots
    )


def test_normalise_frame_paths() -> None:
    unfrozen = (
        "Traceback (most recent call last):\n"
        '  File "/src/examples/inventory/app.py", line 9, in <module>\n'
        "    sys.exit(main())\n"
        '  File "/src/examples/inventory/inventory/cli.py", line 45, in main\n'
        "    _strict_audit(items)\n"
        'inventory.errors.AuditError: File "/src/examples/inventory/x.py" in a message is not a frame\n'
    )
    frozen = unfrozen.replace('"/src/examples/inventory/', '"/tmp/dist/inventory.pyz/', 2)
    want = unfrozen.replace('"/src/examples/inventory/', '"', 2)
    assert normalise_frame_paths(unfrozen, [Path("/src/examples/inventory")]) == want
    assert normalise_frame_paths(frozen, [Path("/tmp/dist/inventory.pyz")]) == want
    # Only whole path components count, and foreign frames are kept as they are.
    for line in (
        '  File "/src/examples/inventory2/a.py", line 1, in f',
        '  File "<frozen runpy>", line 198, in _run',
    ):
        assert normalise_frame_paths(line, [Path("/src/examples/inventory")]) == line


@pytest.mark.slow
@pytest.mark.parametrize(("example", "case"), ALL_CASES)
def test_unfrozen_example(example: Example, case: Case, data_dir: Path, tmp_path: Path) -> None:
    """The examples themselves behave as their READMEs say (no freezer involved)."""
    result = run_unfrozen(example, args_for(example, case, data_dir), tmp_path)
    assert result.returncode == case.exit_code, result.stderr
    assert case.stdout_has in result.stdout
    assert case.stderr_has in result.stderr
    if case.stderr_one_line:
        assert len(result.stderr.splitlines()) == 1, result.stderr
    if case.exit_code == 0:
        assert result.stderr == ""


@pytest.mark.slow
@pytest.mark.parametrize(("example", "case"), ALL_CASES)
def test_frozen_matches_unfrozen(
    example: Example, case: Case, data_dir: Path, tmp_path: Path, build_archive: Callable[[Example], Path]
) -> None:
    archive = build_archive(example)
    args = args_for(example, case, data_dir)
    unfrozen = run_unfrozen(example, args, tmp_path)
    frozen = run(
        [sys.executable, "-I", "-S", archive, *args],
        cwd=empty_dir(tmp_path, "cwd-frozen"),
        env=env_for(tmp_path),
    )
    assert_same_behaviour(example, unfrozen, frozen, archive)


@pytest.mark.slow
def test_frozen_archive_runs_by_shebang(
    data_dir: Path, tmp_path: Path, build_archive: Callable[[Example], Path]
) -> None:
    example, case = INVENTORY, INVENTORY.cases[0]
    archive = build_archive(example)
    assert archive.read_bytes().startswith(b"#!"), "archive has no shebang line"
    assert os.access(archive, os.X_OK), "archive is not executable"
    args = args_for(example, case, data_dir)
    unfrozen = run_unfrozen(example, args, tmp_path)
    env = env_for(tmp_path)
    # A "#!/usr/bin/env python3" shebang must find the Python the venv is based on.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    frozen = run([archive, *args], cwd=empty_dir(tmp_path, "cwd-frozen"), env=env)
    assert_same_behaviour(example, unfrozen, frozen, archive)
