"""Why a module is in the graph, one Reason per way it was reached, and why a file travels.

The graph records every reason (freezer/graph.py), decides on the final graph
which modules a chain of firm reasons reaches from the entry, and keeps the
reason that explains each module best; `freeze why` prints that chain
(freezer/why.py).
"""

from __future__ import annotations

from dataclasses import dataclass

# How a module was reached (Reason.how).
ENTRY = "entry"  # the entry point: a script or module the user named
INCLUDE = "include"  # --include or [tool.freeze] include
IMPORT = "import"  # an import statement (or literal dynamic import) of the source module
STRING = "string"  # a string constant of the source module names it
PREFIX = "prefix"  # the source module imports names starting so (import_module(f"pkg.{x}"))
LISTING = "listing"  # the source module lists its package's modules (pkgutil, a folder walk)
PLUGIN = "plugin"  # an entry point of a group the source module names
NATIVE = "native"  # named in the bytes of the source extension module
DATA = "data"  # named in a data file of the source package
HOOK = "hook"  # a hook of the source package
DISTRIBUTION = "distribution"  # its distribution travels whole (detail: the distribution)
PACKAGE = "package"  # the app's own package travels whole
STDLIB = "stdlib"  # --standalone: its standard-library package travels whole as blobs
ROOTS = (ENTRY, INCLUDE)

# Why a file travels (files.Files.why): (one of these, the package, module or distribution).
PACKAGE_DATA = "package data"
EXTENSION_MODULE = "extension module"
METADATA = "metadata"
LIBRARY = "library"
DISTRIBUTION_FILE = "distribution file"
PREFIX_FILE = "prefix file"
APP_FILE = "file beside the script"  # --add-data, or named by the script's strings
BY_DISTRIBUTION = frozenset({METADATA, LIBRARY, DISTRIBUTION_FILE, PREFIX_FILE})  # owner: a dist


@dataclass(frozen=True)
class Reason:
    """How a module was reached: `how` from `source` (a module, or for a root the
    script, module or glob the user gave).  `detail` says what named it (a string,
    an entry-point group, a hook's glob, a distribution); `optional` marks an
    import inside ``try/except ImportError``, which may fail harmlessly."""

    how: str
    source: str
    detail: str = ""
    optional: bool = False

    @property
    def firm(self) -> bool:
        """The module runs whenever its source does (or it is a root)."""
        return self.how in ROOTS or (self.how == IMPORT and not self.optional)
