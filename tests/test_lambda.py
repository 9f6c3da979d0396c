"""`freeze build --lambda`: the frozen zip, run as Lambda runs it, behaves like the plain zip."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import lambda_api
import venvs
from lambda_api import HANDLERS, FunctionRun, load_events, plain_zip, read_requirements, run_function, unzip
from support import freeze, installed_pythons

HANDLER = "lambda_function.lambda_handler"
SLOW = pytest.mark.slow
# --trace '' runs the handler's init at build time: its generated code (pydantic's) is
# prebuilt, and in the runtime client's process typing and dataclasses are loaded first.
TRACED = ("--lazy", "--trace", "")
CASES = [("stdlib", ()), ("init_error", ()), ("invoke_error", ()),
         pytest.param("boto3", (), marks=SLOW), pytest.param("pydantic", (), marks=SLOW),
         pytest.param("pydantic", TRACED, marks=SLOW, id="pydantic-traced")]


@pytest.fixture(scope="module")
def client() -> Path:
    return lambda_api.client_python()


def frozen_zip(name: str, tmp_path: Path, target: str = sys.executable,
               options: tuple[str, ...] = ()) -> Path:
    """Freeze the handler from a venv of its pinned requirements; return the unzipped task root."""
    folder = HANDLERS / name
    python = venvs.venv_python(read_requirements(folder), python=target)
    out = tmp_path / "function.zip"
    built = freeze("build", str(folder / "lambda_function.py"), "--lambda", "-o", str(out),
                   "--python", str(python), *options, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    return unzip(out, tmp_path / "frozen")


def outcome(run: FunctionRun) -> dict[str, Any]:
    """What a caller sees, with errors cut to type and message: stack traces differ by design."""
    def brief(error: dict[str, Any]) -> dict[str, Any]:
        return {"errorType": error["errorType"], "errorMessage": error["errorMessage"]}

    return {
        "init_error": brief(run.init_error) if run.init_error is not None else None,
        "results": [(r.kind, brief(r.body) if r.kind == "error" else r.body) for r in run.results],
        "returncode": run.returncode,
    }


@pytest.mark.parametrize(("name", "options"), CASES)
def test_frozen_function_behaves_like_the_plain_zip(name: str, options: tuple[str, ...],
                                                    tmp_path: Path, client: Path) -> None:
    folder = HANDLERS / name
    events = load_events(folder)
    frozen = run_function(frozen_zip(name, tmp_path, options=options), HANDLER, events,
                          client_python=client)
    plain_root = plain_zip(folder / "lambda_function.py", read_requirements(folder), tmp_path / "plain")
    plain = run_function(plain_root, HANDLER, events, client_python=client)
    assert not plain.timed_out and (plain.results or plain.init_error), plain.output()
    assert not frozen.timed_out, frozen.output()
    assert outcome(frozen) == outcome(plain), frozen.output()
    assert frozen.init_error_type == plain.init_error_type
    assert frozen.tmp_files == []  # nothing extracted at run time
    assert frozen.unexpected == []


@SLOW
@pytest.mark.parametrize("python", installed_pythons(), ids=lambda p: p.parent.parent.name)
@pytest.mark.parametrize("name", ["stdlib", "pydantic"])
def test_every_managed_runtime_version(name: str, python: Path, tmp_path: Path) -> None:
    """Built with --python of the runtime's version, run by that version's runtime client
    (3.12 and later poll for invocations from a thread)."""
    folder = HANDLERS / name
    events = load_events(folder)
    run = run_function(frozen_zip(name, tmp_path, str(python)), HANDLER, events,
                       client_python=lambda_api.client_python(python))
    plain = run_function(plain_zip(folder / "lambda_function.py", read_requirements(folder),
                                   tmp_path / "plain", python=str(python)),
                         HANDLER, events, client_python=lambda_api.client_python(python))
    assert outcome(run) == outcome(plain) and len(run.results) == len(events), run.output()
    assert run.tmp_files == []


@SLOW
def test_package_on_another_runtime_version_reports_why(tmp_path: Path) -> None:
    """A package deployed to another runtime version: the init error says what to do."""
    here = "{}.{}".format(*sys.version_info[:2])
    other = next((p for p in installed_pythons()
                  if not p.parent.parent.name.startswith(here + ".")), None)
    if other is None:
        pytest.skip(f"needs a CPython other than {here} under pyenv")
    run = run_function(frozen_zip("stdlib", tmp_path), HANDLER, load_events(HANDLERS / "stdlib"),
                       client_python=lambda_api.client_python(other))
    assert run.init_error is not None and run.init_error["errorType"] == "Runtime.ImportModuleError"
    message = run.init_error["errorMessage"]
    assert message.startswith("Unable to import module 'lambda_function': freeze: ")
    assert f"built for CPython {here}." in message
    assert "rebuild it with `freeze build --python python3." in message


@SLOW
@pytest.mark.skipif(len(installed_pythons()) < 2, reason="needs two CPythons under pyenv")
def test_one_package_for_every_runtime_version(tmp_path: Path) -> None:
    """One package built with --python of each runtime version: every version's runtime
    client runs it as it runs that version's plain zip, each from its own bootstrap .pyc."""
    folder = HANDLERS / "pydantic"
    events = load_events(folder)
    pythons = installed_pythons()
    out = tmp_path / "function.zip"
    built = freeze("build", str(folder / "lambda_function.py"), "--lambda", "-o", str(out),
                   *(arg for python in pythons for arg in (
                       "--python", str(venvs.venv_python(read_requirements(folder),
                                                         python=str(python))))), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    root = unzip(out, tmp_path / "frozen")
    tags = sorted("cpython-" + python.parent.parent.name.rsplit(".", 1)[0].replace(".", "")
                  for python in pythons)
    assert sorted(p.name for p in (root / "__pycache__").iterdir()) == [
        f"lambda_function.{tag}.pyc" for tag in tags]
    for python in pythons:
        client = lambda_api.client_python(python)
        run = run_function(root, HANDLER, events, client_python=client)
        plain = run_function(plain_zip(folder / "lambda_function.py", read_requirements(folder),
                                       tmp_path / f"plain-{python.parent.parent.name}",
                                       python=str(python)), HANDLER, events, client_python=client)
        assert outcome(run) == outcome(plain) and len(run.results) == len(events), run.output()
        assert run.tmp_files == []
