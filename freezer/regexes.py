"""Regular expressions compiled at build time, so that importing an app skips re's parser.

re turns a pattern into a program for its C engine in Python code (the parser and
compiler behind re.compile), a measurable part of many apps' start-up
(docs/performance.md): modules compile dozens of patterns at import.  The target interpreter runs re's own
compiler on every literal pattern the scanner found and records what it would hand
the engine; the runtime answers re's compile step from that table when the engine
is the same (runtime/importer.py: seed_regexes), and compiles anything else as usual.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from typing import Optional

from .cache import Cache
from .scanner import Pattern
from .target import Target, run_cached

# Runs in the target interpreter.  Input: marshal'd [(pattern, flags)].  Output:
# marshal'd (engine key, table): table maps (pattern, flags) to its archive entry,
# boot.regex_entry marshal'd with version 2, which writes no references or
# interning marks: those would follow what the process did before, not the value.
_WORKER = r"""
import boot, marshal, sys, warnings, _sre
try:
    from re import _compiler
except ImportError:  # Python 3.10
    import sre_compile as _compiler

class Capture:  # stands in for _sre: keeps the program instead of building it
    def __getattr__(self, name):
        return getattr(_sre, name)
    @staticmethod
    def compile(*args):
        return args

table = {}
for pattern, flags in marshal.loads(sys.stdin.buffer.read()):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a pattern that warns must warn when it runs
            _compiler._sre = Capture()
            try:
                args = _compiler.compile(pattern, flags)
            finally:
                _compiler._sre = _sre
        _sre.compile(*args)
    except Exception:
        continue  # left to re at run time, which raises or warns as it should
    table[pattern, flags] = marshal.dumps(boot.regex_entry(flags, args), 2)
sys.stdout.buffer.write(marshal.dumps((boot.regex_engine(), table)))
"""


def compile_patterns(target: Target, patterns: Iterable[Pattern],
                     store: Optional[Cache] = None) -> Optional[tuple[tuple, Table]]:
    """(engine key, table) for `patterns`, or None when there are none.  The archive
    stores each entry as a blob, which the runtime reads when re asks for it."""
    ordered = sorted(set(patterns), key=lambda item: (isinstance(item[0], bytes), item))
    if not ordered:
        return None
    # Version 2, as the archive's entries: the request (and so the cache key and the
    # table's keys) must not depend on which patterns this process happened to intern.
    data = run_cached(target, _WORKER, marshal.dumps(ordered, 2),
                      "compiling regular expressions failed", store)
    key, table = marshal.loads(data)
    return key, table


Table = dict[Pattern, bytes]  # (pattern, flags) -> its marshal'd boot.regex_entry
