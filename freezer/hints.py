"""Heuristics: the modules a module may import that no import statement names.

Each method returns names with the Reason that found them; the graph
(freezer/graph.py) adds them and traverses.  Nothing here adds, imports or runs
anything: names are found with the resolver, offline.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from .reasons import DATA, LISTING, NATIVE, PLUGIN, PREFIX, STRING, Reason
from .resolver import Resolver, Spec, package_data, resolve_name
from .scanner import Analysis

Found = Iterator[tuple[str, Reason]]

# What generated extension modules import from C: every cffi module imports its backend.
_NATIVE_IMPORTS = (b"_cffi_backend",)
# A pickle of protocol 2 or later (babel writes 2, pickle's default is 4 or 5).
_PICKLE_START = re.compile(rb"\x80[\x02-\x05]")
# Configuration files a package ships, read for the module names they hold.
_CONFIG_SUFFIXES = (".conf", ".cfg", ".ini", ".toml", ".json", ".yaml", ".yml")
_CONFIG_MAX = 256 * 1024
# Names compiled into an extension module (Cython and mypyc keep the modules they
# import as NUL-terminated strings): candidates, like strings in a source.
_NATIVE_NAMES = re.compile(rb"(?<=\x00)[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?=\x00)")
# Names that strings in a package may join to its name, but that are not modules.
_NOT_MODULES = frozenset({"__init__", "__pycache__"})
WILDCARDS = "*?["


class Hints:
    """Finds modules named by strings, listings, entry-point groups, extension
    modules' bytes and package data.

    `plugins` maps an entry-point group to the modules its entry points name;
    `dependencies` maps a top-level name to those its distribution requires, whose
    modules its strings may name when spelled in full.
    """

    def __init__(self, resolver: Resolver, module_suffixes: Sequence[str],
                 plugins: Mapping[str, Sequence[str]],
                 dependencies: Mapping[str, frozenset[str]]) -> None:
        self.resolver = resolver
        self.module_suffixes = tuple(module_suffixes)
        self.plugins = plugins
        self.dependencies = dependencies

    def in_source(self, name: str, package: str | None, spec: Spec, analysis: Analysis) -> Found:
        """Modules the scanned module `name` (of `package`) may import by name:
        plugins of entry-point groups it names, strings naming its own package's
        modules or, spelled in full, modules of the packages its distribution
        requires, names built from a literal beginning, everything in its
        top-level package when it lists modules with pkgutil or runs modules made
        from files, the modules in its folder when it hands that folder to a call,
        and those of its package when it lists folders beside its ``__file__``."""
        for text in analysis.strings:
            for found in self.plugins.get(text, ()):  # an entry-point group it reads
                yield found, Reason(PLUGIN, name, text)
        for prefix in analysis.module_prefixes:
            yield from self._named_from(prefix, name, package)
        if not package:
            return
        top = package.partition(".")[0]
        needed = self.dependencies.get(top, frozenset())
        for text in analysis.strings:
            for candidate in _candidates(text, package):
                first = candidate.partition(".")[0]
                if first == top or (first in needed and candidate == text and "." in candidate):
                    yield from self.longest_module(candidate, Reason(STRING, name, text))
        listing = Reason(LISTING, name)
        if analysis.lists_own_modules or analysis.loads_module_files:  # which folder: unknown
            yield from ((found, listing) for found in self.descendants(top))
        if analysis.lists_own_folder and spec.is_package:
            yield from ((found, listing) for found in self.resolver.submodules(spec))
        if analysis.lists_own_package:  # which of its folders it lists is unknown: all
            yield from ((found, listing) for found in self.descendants(package))

    def in_extension(self, name: str, package: str | None, spec: Spec) -> Found:
        """Modules an extension module imports from C, found by name in its bytes:
        its package's modules it names (lxml's `from lxml import _elementpath`,
        numpy's `numpy._core._exceptions`), the cffi backend, and from a Rust
        (PyO3) module every module of a package its distribution requires and
        names (pipdeptree's `nab_index`)."""
        with open(spec.file, "rb") as file:
            data = file.read()
        native = Reason(NATIVE, name)
        for imported in _NATIVE_IMPORTS:
            if imported in data:
                yield imported.decode(), native
        names = dict.fromkeys(match[0].decode() for match in _NATIVE_NAMES.finditer(data))
        yield from self.in_source(name, package, spec, Analysis([], strings=tuple(names)))
        if b"pyo3" in data:  # Rust keeps names unterminated, even run together
            for needed in sorted(self.dependencies.get(name.partition(".")[0], ())):
                if needed.encode() in data:
                    for found in (needed, *self.descendants(needed)):
                        yield found, Reason(NATIVE, name, needed)

    def in_data(self, package: str, origin: str) -> Found:
        """Modules of the package that its data files name: pickles (babel's locale
        data holds babel.numbers objects, which unpickling imports) and small
        configuration files (alabaster's theme.conf names alabaster.support)."""
        top = re.escape(package.partition(".")[0].encode()) + rb"(?:\.[A-Za-z_]\w*)+"
        # In a pickle an opcode sits right before a name ('c' of GLOBAL): no boundary.
        in_pickle, in_text = re.compile(top), re.compile(rb"(?<![\w.])" + top)
        for relative, path in package_data(os.path.dirname(origin), self.module_suffixes):
            configuration = relative.endswith(_CONFIG_SUFFIXES)
            with open(path, "rb") as file:
                start = file.read(2)
                if _PICKLE_START.match(start):
                    dotted = in_pickle
                elif configuration and os.fstat(file.fileno()).st_size <= _CONFIG_MAX:
                    dotted = in_text
                else:
                    continue
                data = start + file.read()
            for name in dict.fromkeys(match[0].decode() for match in dotted.finditer(data)):
                yield from self.longest_module(name, Reason(DATA, package, relative))

    def _named_from(self, prefix: str, name: str, package: str | None) -> Found:
        """The modules whose full names start with `prefix` (import_module(f"pkg._{x}")),
        nested ones too: the rest may hold dots (poetry's `"...commands." + ".".join(words))`."""
        try:  # resolve_name wants a whole name: give it one more letter, then drop it
            parent, _, start = resolve_name(prefix + "_", package)[:-1].rpartition(".")
        except ValueError:
            return
        spec = self.resolver.resolve(parent) if parent else None
        if spec is None or not spec.is_package:
            return
        reason = Reason(PREFIX, name, prefix)
        for child in self.resolver.submodules(spec):
            if child.rpartition(".")[2].startswith(start):
                for found in (child, *self.descendants(child)):
                    yield found, reason

    def longest_module(self, dotted: str, reason: Reason) -> Found:
        """The longest prefix of `dotted` that is a module ("pkg.mod.function" too).
        Never `pkg.__init__` (a string "__init__" names a method): importing that would
        run the package's __init__.py again, as another module; nor a `__pycache__`
        folder, which a string names to skip it."""
        while "." in dotted:
            last = dotted.rpartition(".")[2]
            if last not in _NOT_MODULES and self.resolver.resolve(dotted) is not None:
                yield dotted, reason
                return
            dotted = dotted.rpartition(".")[0]

    def matches(self, pattern: str) -> list[str]:
        """Module names a glob matches, found by walking the packages it starts in."""
        if not any(char in pattern for char in WILDCARDS):
            return [pattern] if self.resolver.resolve(pattern) is not None else []
        literal = pattern[:min(pattern.find(c) for c in WILDCARDS if c in pattern)]
        root = literal.rpartition(".")[0] or literal
        candidates = [root, *self.descendants(root)]
        return [name for name in candidates if fnmatch.fnmatchcase(name, pattern)]

    def descendants(self, name: str) -> Iterable[str]:
        """Every module inside the package `name`, nested ones too."""
        spec = self.resolver.resolve(name)
        if spec is None or not spec.is_package:
            return
        for child in self.resolver.submodules(spec):
            yield child
            yield from self.descendants(child)


def _candidates(text: str, package: str) -> list[str]:
    """Module names a string in `package` may mean: as written, relative to the package."""
    if text.startswith("."):
        try:
            return [resolve_name(text, package)]
        except ValueError:
            return []
    return [text, f"{package}.{text}"]
