"""Compile bundled modules to PEP 552 hash-based .pyc blobs with the target interpreter.

Bytecode is version-specific, so the target interpreter compiles: a few worker
processes (one per core) each take a share of the modules and answer in marshal.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Sequence, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Optional

from . import cache, progress
from .cache import Cache
from .errors import CompileError
from .target import RUN_ID, Target, run

# Runs in the target interpreter.  Input: marshal'd [(name, path, dfile, is_source)].
# Output: marshal'd [(name, blob, error)] where error is (message, line) or None.
_WORKER = r"""
import boot, marshal, sys
from importlib.util import MAGIC_NUMBER, source_hash
results = []
for name, path, dfile, is_source in marshal.loads(sys.stdin.buffer.read()):
    try:
        with open(path, "rb") as file:
            data = file.read()
        if is_source:
            code = compile(data, dfile, "exec", dont_inherit=True)
            blob = MAGIC_NUMBER + boot.PYC_FLAGS + source_hash(data) + marshal.dumps(code)
        elif data[:4] != MAGIC_NUMBER:
            raise ValueError("bytecode is for another Python version (bad magic number)")
        else:
            marshal.loads(data[16:])
            blob = MAGIC_NUMBER + boot.PYC_FLAGS + bytes(8) + data[16:]
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
    keys: dict[str, str] = {}
    blobs: dict[str, bytes] = {}
    if store is not None:
        keys = {job.name: _key(target, job) for job in jobs}
        blobs = {name: blob for name, blob in ((n, store.load(k)) for n, k in keys.items()) if blob}
    todo = [job for job in jobs if job.name not in blobs]
    workers = max(1, min(os.cpu_count() or 1, 4, len(todo)))
    # Shares of a few hundred modules: progress can be told, at a worker start each.
    count = max(workers, -(-len(todo) // _SHARE))
    shares = [todo[i::count] for i in range(count)] if todo else []
    reporter = progress.current()
    reporter.phase(f"compiling {len(todo):,} modules for CPython {target.version_string}"
                   + (f" ({len(blobs):,} more from the build cache)" if blobs else ""), len(todo))

    def compile_share(share: list[Job]) -> list[tuple[str, bytes, Optional[tuple[str, int]]]]:
        answer = _run_worker(target, share)
        reporter.advance(len(share))
        return answer

    with ThreadPoolExecutor(workers) as pool:
        answers = list(pool.map(compile_share, shares))
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
_WORKER_ID = cache.key(RUN_ID, _WORKER)


def _key(target: Target, job: Job) -> str:
    with open(job.path, "rb") as file:
        return cache.key("blob", _WORKER_ID, target.executable, target.magic, job.dfile,
                         str(job.is_source), file.read())


def _run_worker(target: Target, share: list[Job]) -> list[tuple[str, bytes, Optional[tuple[str, int]]]]:
    request = marshal.dumps([(j.name, j.path, j.dfile, j.is_source) for j in share])
    return marshal.loads(run(target.executable, _WORKER, request, failure="compiling failed"))
