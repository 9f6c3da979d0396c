"""`freeze build --trace ARGS`: learn from a representative run what analysis cannot see.

The scanner finds literal regular expressions; patterns built at run time (urllib3
assembles its URL patterns with string formatting) still cost re's parser at every
start.  A trace build of the archive runs once per --trace with the target
interpreter, as the user would run it, and reports the patterns re compiled, the
modules that were loaded and the code they generated while importing
(runtime/importer.py write_trace).  The final build compiles those patterns and
that code too (freezer/generated.py), and loads eagerly the lazy modules the runs
used: LazyLoader only adds work for a module that runs anyway.

A trace run is also the archive's completeness check: a module it failed to
import (even inside ``try/except ImportError``) or a file it failed to open inside
the archive or its extraction folder fails the build when the build environment
has it, naming the option that makes it travel (``check``).
"""

from __future__ import annotations

import fnmatch
import glob
import marshal
import os
import shlex
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import processes, progress
from .errors import FreezeError
from .files import package_folder
from .generated import Source
from .graph import MAIN, Graph, Module
from .resolver import BUILTIN, NAMESPACE, Resolver
from .scanner import Pattern
from .runtime import boot
from .target import Target



@dataclass(frozen=True)
class Trace:
    """What the traced runs did, all runs together."""

    patterns: frozenset[Pattern]
    loaded: frozenset[str]
    sources: frozenset[Source] = frozenset()  # code generated while modules imported
    calls: frozenset[tuple[str, str]] = frozenset()  # (module, builtin) that generated it
    warnings: tuple[str, ...] = ()
    # (the run's --trace, module) it failed to import: no finder had it.
    missing_modules: tuple[tuple[str, str], ...] = ()
    # (the run's --trace, archive path, in the extraction folder) it failed to open or list.
    missing_paths: tuple[tuple[str, str, bool], ...] = ()


@dataclass(frozen=True)
class Environment:
    """What the build had, to tell which misses of a run it could have filled."""

    graph: Graph
    resolver: Resolver
    target: Target
    exclude: tuple[str, ...] = ()  # --exclude patterns: what was left out on purpose
    extracted: tuple[str, ...] = ()  # archive folders extracted


def record(target: Target, image: bytes, runs: Sequence[str], timeout: float) -> Trace:
    """Run the trace archive `image` once per entry of `runs` (shell-quoted
    arguments) in the current folder, as `python -I -S archive ARGS` would, each
    stopped (with what it started) after `timeout` seconds."""
    patterns: set[Pattern] = set()
    loaded: set[str] = set()
    sources: set[Source] = set()
    calls: set[tuple[str, str]] = set()
    warnings = []
    modules_missed: dict[tuple[str, str], None] = {}
    paths_missed: dict[tuple[str, str, bool], None] = {}
    with tempfile.TemporaryDirectory(prefix="freeze-trace-") as scratch:
        archive = Path(scratch, "traced.pyz")
        archive.write_bytes(image)
        for number, arguments in enumerate(runs, 1):
            progress.current().phase(f"--trace run {number} of {len(runs)} (CPython "
                                     f"{target.version_string}): {shlex.quote(arguments)}")
            output = Path(scratch, "trace")
            output.unlink(missing_ok=True)
            proc = _run(target, archive, arguments, output, timeout)
            detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
            said = f": {detail[0]}" if detail else ""
            if not output.is_file():
                raise FreezeError(f"--trace {arguments!r}: the run stopped before it could "
                                  f"report (exit status {proc.returncode}{said}): it was killed "
                                  "or left through os._exit (mypy does, unless given "
                                  "--no-fast-exit); fix the run or leave this --trace out")
            report = marshal.loads(output.read_bytes())  # runtime/importer.py write_trace
            patterns.update(report[boot.TRACE_PATTERNS])
            loaded.update(report[boot.TRACE_LOADED])
            sources.update(report[boot.TRACE_SOURCES])
            calls.update(report[boot.TRACE_CALLERS])
            modules_missed.update(((arguments, name), None)
                                  for name in report[boot.TRACE_MISSING_MODULES])
            paths_missed.update(((arguments, path, extracted), None)
                                for path, extracted in report[boot.TRACE_MISSING_PATHS])
            if b"Traceback (most recent call last):" in proc.stderr:
                warnings.append(f"--trace {arguments!r}: the run failed{said}; what it did "
                                "before is used, but a run that works traces better")
            elif proc.returncode != 0:
                warnings.append(f"--trace {arguments!r}: the run exited with status "
                                f"{proc.returncode}{said}; what it did before is used")
    return Trace(frozenset(patterns), frozenset(loaded), frozenset(sources), frozenset(calls),
                 tuple(warnings), tuple(modules_missed), tuple(paths_missed))


def check(trace: Trace, environment: Environment) -> None:
    """Fail when a run missed a module or a file the build environment has: the
    archive is incomplete, and the message names what to add (for the first run
    that missed it)."""
    modules = {name: arguments for arguments, name in reversed(trace.missing_modules)}
    paths = {(path, extracted): arguments
             for arguments, path, extracted in reversed(trace.missing_paths)}
    # A glob lists the folders its pattern names; whether it missed anything is
    # what its pattern matches in the build environment (nothing: the same answer).
    globs = [path for path, _ in paths if glob.has_magic(path)]
    paths = {key: arguments for key, arguments in paths.items()
             if not any(pattern.startswith(key[0] + "/") for pattern in globs)}
    found = [_module_error(arguments, name, environment)
             for name, arguments in reversed(modules.items())]
    found += [_path_error(arguments, path, extracted, environment)
              for (path, extracted), arguments in reversed(paths.items())]
    errors = [error for error in found if error]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise FreezeError(errors[0] + more)


def _module_error(arguments: str, name: str, environment: Environment) -> Optional[str]:
    """A module the archive lacks though the build environment has it: imported by a
    name the analysis could not see (`import_module(sys.argv[1])`)."""
    graph, resolver = environment.graph, environment.resolver
    parts = name.split(".")
    wanted = [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
    if any(part in graph.excluded or any(fnmatch.fnmatchcase(part, pattern)
                                        for pattern in environment.exclude) for part in wanted):
        return None
    known = graph.modules.get(name)
    if (known is not None and known.bundled) or graph.served_at_run_time(name):
        return None
    spec = resolver.resolve(name)
    if spec is None or spec.kind == BUILTIN or (
            spec.origin and environment.target.provides(spec.origin)):
        return None
    return (f"--trace {arguments!r}: the run imported {name}, which the build environment "
            f"has but the archive lacks (the analysis cannot see that import): "
            f"add --include {name}")


def _path_error(arguments: str, path: str, extracted: bool,
                environment: Environment) -> Optional[str]:
    """A file or folder the run looked for inside the archive or its extraction
    folder and that is beside a bundled package (or the entry script) in the build
    environment: the package must be extracted, or the file added."""
    if "__pycache__" in path.split("/"):  # bytecode caches, written or not, are no data
        return None
    package = _package_holding(path, environment.graph)
    folder = package_folder(package) if package is not None else ""
    rest = path[len(folder) + 1:] if folder else path
    candidates = [os.path.join(place, *filter(None, rest.split("/")))
                  for place in _folders(package, environment.graph)]
    source = next((candidate for candidate in candidates if _exists(candidate)), None)
    if source is None:
        return None
    where = "its extraction folder" if extracted else "the archive"
    said = f"--trace {arguments!r}: the run could not find {path} in {where} ({source})"
    if package is not None and not any(folder == done or folder.startswith(done + "/")
                                       for done in environment.extracted):
        return f"{said}: add --extract {package.name}"
    destination = path.rpartition("/")[0] or "."
    return f"{said}: add --add-data {source}:{destination}"


def _exists(path: str) -> bool:
    """Whether the file or folder is there; for a glob pattern, whether it matches."""
    return bool(glob.glob(path)) if glob.has_magic(path) else os.path.exists(path)


def _package_holding(path: str, graph: Graph) -> Optional[Module]:
    """The bundled top-level package whose archive folder holds `path`.  Not the
    innermost: the path may be built from any of its modules' ``__file__``, and
    extracting the whole package makes every one of them real."""
    module = graph.modules.get(path.partition("/")[0])
    if module is None or not module.bundled or not module.spec.is_package:
        return None
    return module


def _folders(package: Optional[Module], graph: Graph) -> list[str]:
    """Where the build environment has the files of `package`'s folder; for None,
    the entry script's folder (the archive's root)."""
    if package is None:
        main = graph.modules.get(MAIN)
        return [os.path.dirname(main.spec.file)] if main is not None else []
    if package.spec.kind == NAMESPACE:
        return list(package.spec.search_locations or ())
    return [os.path.dirname(package.spec.file)]


def _run(target: Target, archive: Path, arguments: str, output: Path,
         timeout: float) -> subprocess.CompletedProcess[bytes]:
    try:
        words = shlex.split(arguments)
    except ValueError as exc:
        raise FreezeError(f"--trace {arguments!r}: cannot split into arguments ({exc})") from None
    command = [target.executable, "-I", "-S", str(archive), *words]
    with subprocess.Popen(command, env={**os.environ, boot.TRACE_VARIABLE: str(output)},
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except BaseException as exc:  # the timeout, Ctrl-C, SIGTERM: with what it started
            processes.kill_tree(proc.pid, itself=True)
            proc.communicate()
            if isinstance(exc, subprocess.TimeoutExpired):
                raise FreezeError(f"--trace {arguments!r}: the run took over {timeout:g} s and "
                                  "was stopped; trace a shorter representative run, or give "
                                  "--trace-timeout") from None
            raise
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
