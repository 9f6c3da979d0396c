"""Code generated while modules import, compiled at build time from a --trace run.

dataclasses, namedtuple and typing compile source text they write at import;
pydantic's models make that hundreds of compilations.  A trace run reports each
source with everything its compilation depends on and the modules that asked
(runtime/generated.py); the target interpreter compiles them here into the
table the runtime answers from.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from typing import Optional

from .cache import Cache
from .target import Target, run_cached

# boot.generated_key: (source, filename, mode, compiler flags, optimization level)
Source = tuple[str, str, str, int, int]

# Runs in the target interpreter.  Input: marshal'd [Source].  Output: marshal'd
# {Source: marshal'd code}; a source that does not compile, or warns, is left out,
# so the runtime compiles it and raises or warns as it should.
_WORKER = r"""
import boot, marshal, sys, warnings
table = {}
for key in marshal.loads(sys.stdin.buffer.read()):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a source that warns must warn when it compiles
            table[key] = marshal.dumps(boot.compile_generated(key))
    except Exception:
        continue
sys.stdout.buffer.write(marshal.dumps(table))
"""


def compile_sources(target: Target, sources: Iterable[Source],
                    store: Optional[Cache] = None) -> Optional[bytes]:
    """The marshal'd table for `sources`, or None when there are none."""
    ordered = sorted(set(sources))  # the same bytes every build
    if not ordered:
        return None
    return run_cached(target, _WORKER, marshal.dumps(ordered), "compiling generated code failed", store)


def callers(calls: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """{module: the builtins it calls} from a trace's (module, builtin) pairs."""
    found: dict[str, set[str]] = {}
    for module, builtin in calls:
        found.setdefault(module, set()).add(builtin)
    return {module: tuple(sorted(found[module])) for module in sorted(found)}
