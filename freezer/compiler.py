"""Compile bundled modules to PEP 552 hash-based .pyc blobs with the target interpreter.

Bytecode is version-specific, so the target interpreter compiles: a few worker
processes (one per core) each take a share of the modules and answer in marshal.
"""

from __future__ import annotations

import marshal
import os
import subprocess
from collections.abc import Sequence, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional

from . import cache, progress
from .cache import Cache
from .errors import CompileError
from .runtime.boot import PYC_FLAGS
from .target import Target

# Runs in the target interpreter.  Input: marshal'd [(name, path, dfile, is_source)].
# Output: marshal'd [(name, blob, error)] where error is (message, line) or None.
_WORKER = r"""
import marshal, sys
from importlib.util import MAGIC_NUMBER, source_hash
FLAGS = bytes.fromhex(sys.argv[1])
results = []
for name, path, dfile, is_source in marshal.loads(sys.stdin.buffer.read()):
    try:
        with open(path, "rb") as file:
            data = file.read()
        if is_source:
            code = compile(data, dfile, "exec", dont_inherit=True)
            blob = MAGIC_NUMBER + FLAGS + source_hash(data) + marshal.dumps(code)
        elif data[:4] != MAGIC_NUMBER:
            raise ValueError("bytecode is for another Python version (bad magic number)")
        else:
            marshal.loads(data[16:])
            blob = MAGIC_NUMBER + FLAGS + bytes(8) + data[16:]
        results.append((name, blob, None))
    except SyntaxError as exc:
        results.append((name, b"", ("syntax error: " + str(exc.msg), exc.lineno or 0)))
    except Exception as exc:
        results.append((name, b"", (type(exc).__name__ + ": " + str(exc), 0)))
sys.stdout.buffer.write(marshal.dumps(results))
"""


@dataclass(frozen=True)
class Job:
    """One module to compile: `dfile` becomes co_filename (fixed up at run time)."""

    name: str
    path: str
    dfile: str
    is_source: bool


def compile_modules(target: Target, jobs: Sequence[Job], store: Optional[Cache] = None,
                    optional: Set[str] = frozenset()) -> dict[str, bytes]:
    """Blobs by module name; CompileError naming file:line for the first failure,
    except for `optional` modules, which are left out (a Python 2 fixture that a
    whole distribution carries travels as data).

    With a cache, only modules whose (content, co_filename, target) are new go
    to the workers.
    """
    keys = {job.name: _key(target, job) for job in jobs} if store else {}
    blobs = {name: blob for name, blob in ((n, store.load(k)) for n, k in keys.items()) if blob}
    todo = [job for job in jobs if job.name not in blobs]
    workers = max(1, min(os.cpu_count() or 1, 4, len(todo)))
    # Shares of a few hundred modules: progress can be told, at a worker start each.
    count = max(workers, -(-len(todo) // _SHARE))
    shares = [todo[i::count] for i in range(count)] if todo else []
    reporter = progress.current()
    reporter.phase(f"compiling {len(todo):,} modules for CPython {target.version_string}"
                   + (f" ({len(blobs):,} more from the build cache)" if blobs else ""), len(todo))

    def run(share: list[Job]) -> list[tuple[str, bytes, Optional[tuple[str, int]]]]:
        answer = _run_worker(target, share)
        reporter.advance(len(share))
        return answer

    with ThreadPoolExecutor(workers) as pool:
        answers = list(pool.map(run, shares))
    by_name = {job.name: job for job in jobs}
    for name, blob, error in (result for answer in answers for result in answer):
        if error is not None and name in optional:
            continue
        if error is not None:
            message, line = error
            where = f"{by_name[name].path}:{line}" if line else by_name[name].path
            raise CompileError(f"{where}: {message}")
        blobs[name] = blob
        if store:
            store.store(keys[name], blob)
    return blobs


_SHARE = 300  # modules per worker run

# `-c` puts the current folder first on sys.path: drop it before anything imports.
_UNPATHED = "import sys; del sys.path[0]\n"
_SEEDED = {"PYTHONHASHSEED": "0"}  # see run_in_target
_WORKER_ID = cache.key(_UNPATHED, _WORKER, PYC_FLAGS, repr(_SEEDED))


def _key(target: Target, job: Job) -> str:
    with open(job.path, "rb") as file:
        return cache.key("blob", _WORKER_ID, target.executable, target.magic, job.dfile,
                         str(job.is_source), file.read())


def _run_worker(target: Target, share: list[Job]) -> list[tuple[str, bytes, Optional[tuple[str, int]]]]:
    request = marshal.dumps([(j.name, j.path, j.dfile, j.is_source) for j in share])
    return marshal.loads(run_in_target(target, _WORKER, request, "compiling", PYC_FLAGS.hex()))


def run_in_target(target: Target, script: str, request: bytes, doing: str, *args: str) -> bytes:
    """Run `script` in the target interpreter with `request` on stdin; its stdout.
    CompileError with the script's last line of stderr if it fails.

    As isolated as `-I` (no user site, no PYTHON* variables, no current folder on
    sys.path) but with a fixed hash seed: marshal writes a frozenset constant
    (`x in {"a", "b", "c"}`) in iteration order, which follows the seed, and the
    same inputs must give the same bytes."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    proc = subprocess.run([target.executable, "-s", "-S", "-c", _UNPATHED + script, *args],
                          input=request, capture_output=True, env={**env, **_SEEDED})
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise CompileError(f"{doing} with {target.executable} failed: {detail[0]}")
    return proc.stdout


def run_cached(target: Target, script: str, request: bytes, doing: str,
               store: Optional[Cache]) -> bytes:
    """run_in_target's answer, kept in the cache under the script, target and request."""
    name = cache.key("run", _UNPATHED, script, target.executable, target.magic, request,
                     repr(_SEEDED))
    answer = store.load(name) if store else None
    if answer is None:
        answer = run_in_target(target, script, request, doing)
        if store:
            store.store(name, answer)
    return answer
