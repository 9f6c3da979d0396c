"""The corpus: real, unmodified PyPI packages must run frozen exactly as in a venv.

Each case pins a complete requirement set (venvs.venv_python installs with
--no-deps and runs `pip check`, so transitive requirements are listed too),
freezes a driver from drivers/ (or the package's own console script) with
``--python <venv python>``, checks the archive with ``freeze verify``, and then
runs every argument set twice from an empty directory with a fresh HOME and
XDG_CACHE_HOME:

- unfrozen: ``<venv python> drivers/X.py ARGS`` (``-m`` with the drivers dir on
  PYTHONPATH; a console script's entry point is called through ``-c``, because
  console-script files in the cached venvs have stale shebangs);
- frozen: ``python -I -S OUT.pyz ARGS``.

Exit status, stdout and stderr must be identical (traceback frame paths are
compared relative to where the code lives). The unfrozen run is also checked
against what the case expects, so two equal failures never pass.

No case passes --include: modules imported by computed names (plugins,
providers, lexers, languages) must be found by freeze's own heuristics and hooks.
"""

from __future__ import annotations

import difflib
import functools
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from support import normalise_frame_paths
from venvs import isolated_env, run, venv_python

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DRIVERS = HERE / "drivers"
DATA = HERE / "data"


@dataclass(frozen=True)
class Run:
    """One invocation; "{data}" in args is tests/corpus/data."""

    args: tuple[str, ...] = ()
    exit_code: int = 0
    stdout_has: str = ""  # checked on the unfrozen run: the driver really did its job
    stderr_has: str = ""  # ditto; if empty and exit_code is 0, stderr must be empty


@dataclass(frozen=True)
class Case:
    id: str
    requirements: tuple[str, ...]
    runs: tuple[Run, ...]
    script: Optional[str] = None  # a file in drivers/
    module: Optional[str] = None  # a package in drivers/, run with -m
    console_script: Optional[str] = None  # an installed console script, frozen with -c
    slow: bool = True
    since: tuple[int, int] = (3, 10)  # the oldest Python with the wheels the case is about

    def build_args(self) -> list[str]:
        if self.script is not None:
            return [str(DRIVERS / self.script)]
        if self.module is not None:
            return ["-m", self.module, "--path", str(DRIVERS)]
        assert self.console_script is not None
        return ["-c", self.console_script]


# What black, pylint and astroid require before Python 3.11 only (pip skips them after).
BEFORE_311 = ('tomli==2.2.1; python_version < "3.11"',
              'typing_extensions==4.15.0; python_version < "3.11"')

CASES = (
    Case(
        "rich",
        ("rich==15.0.0", "markdown-it-py==4.3.0", "mdurl==0.1.2", "pygments==2.21.0"),
        (Run(stdout_has="│ Jupiter │    95 │ Largest planet, with a Great   │"),),
        script="rich_report.py",
        # rich imports its cell-width table for the Unicode version by computed name;
        # Pygments imports lexers and styles by name from its mapping tables.
    ),
    Case(
        "requests",
        ("requests==2.34.2", "certifi==2026.10.18", "charset-normalizer==3.5.2", "idna==3.20",
         "urllib3==2.8.0"),
        (Run(stdout_has="GET https://xn--bcher-kva.example/"),),
        script="requests_prepare.py",
    ),
    Case(
        "jinja2",
        ("jinja2==3.1.6", "markupsafe==3.0.4"),
        (Run(stdout_has="escape implementation: markupsafe._speedups"),),
        module="jinjaapp",
    ),
    Case(
        "pyyaml",
        ("pyyaml==6.0.3",),
        (Run(stdout_has="loader base: yaml._yaml CParser"),),
        script="yaml_roundtrip.py",
        slow=False,
    ),
    Case(
        "pillow",
        ("pillow==11.3.0",),
        (Run(stdout_has="features: True True True"),),
        script="pillow_image.py",
    ),
    Case(
        "tomli-mypyc",
        ("tomli==2.5.0",),
        (Run(stdout_has="compiled: True True builtin_function_or_method"),),
        script="tomli_parse.py",
        slow=False,
        since=(3, 11),  # tomli publishes no compiled wheel for 3.10, only the pure one
    ),
    Case(
        "charset-normalizer",
        ("charset-normalizer==3.5.2",),
        (Run(stdout_has="md compiled: True so"),),
        script="charset_detect.py",
    ),
    Case(
        "markdown",
        ("markdown==3.10.2",),  # 3.11 needs Python 3.11
        (Run(stdout_has='<table>\n<thead>\n<tr>\n<th style="text-align: left;">Option</th>'),),
        script="markdown_render.py",
        # The extensions are found as entry points; their modules are imported from those.
    ),
    Case(
        "faker",
        ("faker==40.54.0",),
        (Run(stdout_has="== ja_JP\n  name: "),),
        script="faker_people.py",
        # Providers and locales: listed with pkgutil.iter_modules, imported by computed name.
    ),
    Case(
        "pytz",
        ("pytz==2026.6",),
        (Run(stdout_has="Australia/Lord_Howe:\n"),),
        script="pytz_zones.py",
    ),
    Case(
        "babel",
        ("babel==2.19.0",),
        (Run(stdout_has="de_DE: German (Germany) | other\n    1.234.567,891\n"),),
        script="babel_locales.py",
        # Locale data are pickles naming babel's modules, read by path (served, not
        # extracted).
    ),
    Case(
        "boto3",
        ("boto3==1.44.5", "botocore==1.44.5", "jmespath==1.1.0", "s3transfer==0.19.3",
         "python-dateutil==2.9.0.post0", "six==1.17.0", "urllib3==2.8.0"),
        (Run(stdout_has='"signature_version": "s3v4"'),),
        script="s3_handler.py",
        # boto3 registers its S3 customisations as dotted strings (boto3.utils.lazy_call).
    ),
    Case(
        "docutils",
        ("docutils==0.23",),
        (Run(("--no-generator", "--no-datestamp", "--no-source-link", "--syntax-highlight=none",
              "{data}/sample.rst"),
             stdout_has='<div class="document" id="corpus-document">'),),
        console_script="rst2html",
        # Readers, parsers, writers, languages, directives and roles are imported by name.
    ),
    Case(
        "black-mypyc",
        ("black==26.10.1", "click==8.5.1", "mypy_extensions==1.2.0", "packaging==26.3",
         "pathspec==1.1.1", "platformdirs==4.12.4", "pytokens==0.4.1", *BEFORE_311),
        (
            Run(("--code", "x = [  'a',1 ]\ndef f( a ):\n  return a\n"),
                stdout_has='x = ["a", 1]\n\n\ndef f(a):\n    return a\n'),
            Run(("--check", "--code", "x=1"), exit_code=1, stderr_has=""),
        ),
        console_script="black",
        # Every black module is compiled by mypyc: what they import is read from the
        # sources shipped beside them, and blib2to3 opens its grammar files by path.
    ),
    Case(
        "lxml",
        ("lxml==6.0.2",),
        (Run(stdout_has="xslt: <?xml version=\"1.0\"?>\n<out>hi</out>"),),
        script="lxml_xml.py",
    ),
    Case(
        "pylint",
        ("pylint==3.3.9", "astroid==3.3.11", "dill==0.4.1", "isort==6.1.0", "mccabe==0.7.0",
         "platformdirs==4.12.4", "tomlkit==0.15.2", *BEFORE_311),
        (
            Run(("{data}/lint_clean.py",), stdout_has="Your code has been rated at 10.00/10"),
            Run(("{data}/lint_warnings.py",), exit_code=28,
                stdout_has="W0702: No exception type(s) specified (bare-except)"),
            Run(("--version",), stdout_has="astroid 3.3.11"),
        ),
        console_script="pylint",
        # pylint lists pylint/checkers, extensions and reporters (__path__[0]) and has
        # astroid map each file back to a module name through sys.path.
    ),
    Case(
        "click",
        ("click==8.5.1",),
        (
            Run(("--help",), stdout_has="Commands:\n  greet  Greet NAME a few times."),
            Run(("greet", "--help"), stdout_has="[default: 1; 1<=x<=5]"),
            Run(("-vv", "greet", "-n", "2", "--shout", "Ada"), stdout_has="HELLO, ADA! (2/2)",
                stderr_has="verbosity 2"),
            Run(("stock", "list", "--format", "csv"), stdout_has="washer,0"),
            Run(("stock", "adjust", "gizmo", "3"), exit_code=1,
                stderr_has="Error: unknown item 'gizmo'"),
            Run(("greet", "-n", "9", "Bob"), exit_code=2, stderr_has="9 is not in the range"),
            Run(("nosuch",), exit_code=2, stderr_has="No such command 'nosuch'"),
        ),
        script="click_cli.py",
    ),
)


# How each case is built: eagerly, with --lazy, and with --lazy plus a --trace of every run.
POLICIES = ("", "lazy", "traced")


def _param(case: Case, policy: str) -> object:
    marks = [pytest.mark.slow] if case.slow else []
    if sys.version_info < case.since:
        marks.append(pytest.mark.skip(reason="{}: no wheel before Python {}.{}".format(
            case.id, *case.since)))
    return pytest.param(case, policy, id=f"{case.id}-{policy}" if policy else case.id, marks=marks)


def policy_options(case: Case, policy: str) -> list[str]:
    if not policy:
        return []
    traces = [["--trace", shlex.join(arg.format(data=DATA) for arg in spec.args)]
              for spec in case.runs] if policy == "traced" else []
    return ["--lazy", *(option for trace in traces for option in trace)]


# -- helpers ---------------------------------------------------------------------------------

@functools.cache
def case_python(case: Case) -> Path:
    return venv_python(case.requirements, python=sys.executable)


def _query(python: Path, code: str) -> str:
    proc = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=True)
    return proc.stdout.strip()


@functools.cache
def site_packages(python: Path) -> tuple[Path, ...]:
    out = _query(python, "import sysconfig; print(sysconfig.get_path('purelib'));"
                         " print(sysconfig.get_path('platlib'))")
    return tuple(Path(line) for line in out.splitlines())


@functools.cache
def console_entry(python: Path, name: str) -> tuple[str, str]:
    """(module, attribute path) of an installed console script, from its metadata."""
    value = _query(python, "from importlib.metadata import entry_points;"
                           f" print(entry_points(group='console_scripts', name={name!r})[{name!r}].value)")
    match = re.fullmatch(r"\s*([\w.]+)\s*:\s*([\w.]+)\s*(\[.*\])?\s*", value)
    assert match, f"console script {name}: cannot parse entry point {value!r}"
    return match.group(1), match.group(2)


def _env(tmp_path: Path, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    """A fresh HOME and cache; no PYTHON* variables, since `-I` makes the frozen run ignore them."""
    env = {k: v for k, v in isolated_env(tmp_path).items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep __pycache__ out of tests/corpus/drivers
    env.update(extra or {})
    return env


def _empty_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def unfrozen_command(case: Case, python: Path, args: list[str]) -> list[str | Path]:
    if case.script is not None:
        return [python, DRIVERS / case.script, *args]
    if case.module is not None:
        return [python, "-m", case.module, *args]
    module, attribute = console_entry(python, case.console_script or "")
    head, _, rest = attribute.partition(".")
    code = (f"import sys; from {module} import {head} as entry; "
            f"entry = entry{'.' + rest if rest else ''}; sys.exit(entry())")
    return [python, "-c", code, *args]


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def build_archive(tmp_path_factory: pytest.TempPathFactory, corpus_record: Callable[..., None]
                  ) -> Callable[[Case, str], Path]:
    """Build each case's archive once per session and policy; a failed build fails the case."""
    built: dict[str, Path | str] = {}

    def build(case: Case, policy: str) -> Path:
        key = f"{case.id}-{policy}" if policy else case.id
        if key not in built:
            out = tmp_path_factory.mktemp(f"dist-{key}") / f"{case.id}.pyz"
            cmd: list[str | Path] = [sys.executable, "-m", "freezer", "build", *case.build_args(),
                                     *policy_options(case, policy),
                                     "-o", out, "--python", case_python(case)]
            started = time.monotonic()
            proc = run(cmd, cwd=out.parent, timeout=900)  # where traced runs may write
            seconds = time.monotonic() - started
            warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
            print(f"[{key}] build {seconds:.1f}s, exit {proc.returncode}, "
                  f"{len(warnings)} warnings")
            print(proc.stderr)
            if proc.returncode != 0 or not out.is_file():
                corpus_record(key, build_seconds=seconds, build_error=_tail(proc.stderr, 3))
                built[key] = (f"build failed (exit {proc.returncode}): {_last_line(proc.stderr)}\n"
                                  f"{proc.stdout}\n{_tail(proc.stderr, 40)}")
            else:
                size = out.stat().st_size
                print(f"[{key}] archive {out}: {size:,} bytes")
                corpus_record(key, archive_size=size, build_seconds=round(seconds, 2),
                              build_warnings=len(warnings))
                built[key] = out
        result = built[key]
        if isinstance(result, str):
            pytest.fail(result, pytrace=False)
        return result

    return build


# -- the test --------------------------------------------------------------------------------


def _diff(what: str, unfrozen: str, frozen: str, limit: int = 60) -> str:
    lines = list(difflib.unified_diff(unfrozen.splitlines(), frozen.splitlines(),
                                      f"{what} unfrozen", f"{what} frozen", lineterm="", n=2))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "(empty)"


def compare(label: str, unfrozen: subprocess.CompletedProcess[str],
            frozen: subprocess.CompletedProcess[str], unfrozen_roots: list[Path],
            frozen_roots: list[Path]) -> list[str]:
    """Differences between the two runs, each a message whose first line says what differs."""
    problems = []
    if frozen.returncode != unfrozen.returncode:
        problems.append(f"{label}: frozen exit {frozen.returncode} != unfrozen {unfrozen.returncode}: "
                        f"{_last_line(frozen.stderr)}\nfrozen stderr ends:\n{_tail(frozen.stderr)}")
    if frozen.stdout != unfrozen.stdout:
        first = next((f"line {n + 1}: {b!r} != {a!r}" for n, (a, b) in enumerate(
            zip(unfrozen.stdout.splitlines(), frozen.stdout.splitlines())) if a != b),
            f"{len(frozen.stdout.splitlines())} lines != {len(unfrozen.stdout.splitlines())}")
        problems.append(f"{label}: stdout differs (frozen vs unfrozen {first})\n"
                        + _diff("stdout", unfrozen.stdout, frozen.stdout))
    frozen_err = normalise_frame_paths(frozen.stderr, frozen_roots)
    unfrozen_err = normalise_frame_paths(unfrozen.stderr, unfrozen_roots)
    if frozen_err != unfrozen_err and frozen.returncode == unfrozen.returncode:
        problems.append(f"{label}: stderr differs: {_last_line(frozen_err)}\n"
                        + _diff("stderr", unfrozen_err, frozen_err))
    return problems


@pytest.mark.parametrize(("case", "policy"), [_param(case, policy) for case in CASES
                                              for policy in POLICIES])
def test_frozen_matches_unfrozen(case: Case, policy: str, tmp_path: Path,
                                 build_archive: Callable[[Case, str], Path],
                                 record_property: Callable[[str, object], None]) -> None:
    """Each case frozen eagerly, with the --lazy policy and traced, which must change nothing."""
    python = case_python(case)
    runs = [(f"run {index} ({' '.join(spec.args) or 'no args'})", spec,
             [arg.format(data=DATA) for arg in spec.args], tmp_path / f"run-{index}")
            for index, spec in enumerate(case.runs)]

    # First the unfrozen program, which must do what the case expects: otherwise two
    # equal failures would pass (and a broken driver is not the freezer's fault).
    unfrozen_results = []
    for label, spec, args, where in runs:
        extra = {"PYTHONPATH": str(DRIVERS)} if case.module is not None else None
        unfrozen = run(unfrozen_command(case, python, args), cwd=_empty_dir(where / "cwd-unfrozen"),
                       env=_env(where / "env-unfrozen", extra))
        assert unfrozen.returncode == spec.exit_code, (
            f"{label}: UNFROZEN exit {unfrozen.returncode}, expected {spec.exit_code}:\n"
            f"{_tail(unfrozen.stderr)}")
        assert spec.stdout_has in unfrozen.stdout, f"{label}: unfrozen stdout lacks {spec.stdout_has!r}"
        assert spec.stderr_has in unfrozen.stderr, f"{label}: unfrozen stderr lacks {spec.stderr_has!r}"
        if spec.exit_code == 0 and not spec.stderr_has:
            assert unfrozen.stderr == "", f"{label}: unfrozen stderr:\n{_tail(unfrozen.stderr)}"
        unfrozen_results.append(unfrozen)

    archive = build_archive(case, policy)
    record_property("archive_size", archive.stat().st_size)
    unfrozen_roots = [DRIVERS, *site_packages(python)]
    frozen_roots = [archive, archive.resolve()]
    problems = []
    for (label, _, args, where), unfrozen in zip(runs, unfrozen_results):
        frozen = run([sys.executable, "-I", "-S", archive, *args], cwd=_empty_dir(where / "cwd-frozen"),
                     env=_env(where / "env-frozen"))
        problems += compare(label, unfrozen, frozen, unfrozen_roots, frozen_roots)

    verify = run([sys.executable, "-m", "freezer", "verify", archive], cwd=REPO)
    if verify.returncode != 0 or not verify.stdout.strip().endswith(": ok"):
        problems.append(f"freeze verify exit {verify.returncode}: "
                        f"{_last_line(verify.stderr or verify.stdout)}\n{verify.stdout}{verify.stderr}")
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


