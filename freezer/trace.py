"""`freeze build --trace ARGS`: learn from a representative run what analysis cannot see.

The scanner finds literal regular expressions; patterns built at run time (urllib3
assembles its URL patterns with string formatting) still cost re's parser at every
start.  A trace build of the archive runs once per --trace with the target
interpreter, as the user would run it, and reports the patterns re compiled, the
modules that were loaded and the code they generated while importing
(runtime/importer.py write_trace).  The final build compiles those patterns and
that code too (freezer/generated.py), and loads eagerly the lazy modules the runs
used: LazyLoader only adds work for a module that runs anyway.
"""

from __future__ import annotations

import marshal
import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import FreezeError
from .generated import Source
from .scanner import Pattern
from .target import Target

TIMEOUT = 600  # seconds a traced run may take


@dataclass(frozen=True)
class Trace:
    """What the traced runs did, all runs together."""

    patterns: frozenset[Pattern]
    loaded: frozenset[str]
    sources: frozenset[Source] = frozenset()  # code generated while modules imported
    calls: frozenset[tuple[str, str]] = frozenset()  # (module, builtin) that generated it
    warnings: tuple[str, ...] = ()


def record(target: Target, image: bytes, runs: Sequence[str]) -> Trace:
    """Run the trace archive `image` once per entry of `runs` (shell-quoted
    arguments) in the current folder, as `python -I -S archive ARGS` would."""
    patterns: set[Pattern] = set()
    loaded: set[str] = set()
    sources: set[Source] = set()
    calls: set[tuple[str, str]] = set()
    warnings = []
    with tempfile.TemporaryDirectory(prefix="freeze-trace-") as scratch:
        archive = Path(scratch, "traced.pyz")
        archive.write_bytes(image)
        for arguments in runs:
            output = Path(scratch, "trace")
            output.unlink(missing_ok=True)
            proc = _run(target, archive, arguments, output)
            detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
            said = f": {detail[0]}" if detail else ""
            if not output.is_file():
                raise FreezeError(f"--trace {arguments!r}: the run stopped before it could "
                                  f"report (exit status {proc.returncode}{said}): it was killed "
                                  "or left through os._exit (mypy does, unless given "
                                  "--no-fast-exit); fix the run or leave this --trace out")
            found, modules, generated, callers = marshal.loads(output.read_bytes())
            patterns.update(found)
            loaded.update(modules)
            sources.update(generated)
            calls.update(callers)
            if b"Traceback (most recent call last):" in proc.stderr:
                warnings.append(f"--trace {arguments!r}: the run failed{said}; what it did "
                                "before is used, but a run that works traces better")
            elif proc.returncode != 0:
                warnings.append(f"--trace {arguments!r}: the run exited with status "
                                f"{proc.returncode}{said}; what it did before is used")
    return Trace(frozenset(patterns), frozenset(loaded), frozenset(sources), frozenset(calls),
                 tuple(warnings))


def _run(target: Target, archive: Path, arguments: str,
         output: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        words = shlex.split(arguments)
    except ValueError as exc:
        raise FreezeError(f"--trace {arguments!r}: cannot split into arguments ({exc})") from None
    try:
        return subprocess.run([target.executable, "-I", "-S", str(archive), *words],
                              env={**os.environ, "FREEZE_TRACE": str(output)},
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise FreezeError(f"--trace {arguments!r}: the run took over {TIMEOUT} s; trace a "
                          "shorter representative run") from None
