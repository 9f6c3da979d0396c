"""The module graph: every module an entry point can reach, found offline.

Starting from the entry, each bundled module's source is scanned for imports,
names are resolved like the import system would (parents first, relative names
against ``__package__``), and every outcome is data: modules found, imports
missing (optional or not), modules excluded.  Reporting is the caller's job.
"""

from __future__ import annotations

import fnmatch
import os
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import nullcontext
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Optional, Union

from .distributions import Distribution, owners, required
from .errors import EntryError, FreezeError
from .hints import WILDCARDS, Hints
from .hooks import Hook
from .reasons import DISTRIBUTION, ENTRY, HOOK, IMPORT, INCLUDE, PACKAGE, ROOTS, STDLIB, Reason
from .resolver import (
    BUILTIN, BYTECODE, EXTENSION, NAMESPACE, SOURCE, Resolver, Spec, package_data, resolve_name,
)
from . import cache, progress, scanner
from .cache import Cache
from .scanner import (
    ANCHOR_NAME, Analysis, ImportRecord, Pattern, ScanError, analyze, from_data, locate, to_data,
)
from .target import Target

MAIN = "__main__"
# Modules that exist on one platform (or Python implementation) only: importing one
# elsewhere is a branch that cannot run there (textual's Windows driver imports msvcrt,
# msgpack's PyPy branch __pypy__), so its absence is quiet.
_PLATFORM_MODULES = {
    **dict.fromkeys(("msvcrt", "winreg", "_winreg", "_winapi", "winsound", "_overlapped", "nt",
                     "_msi", "msilib", "win32api", "win32con", "win32file", "win32event",
                     "win32process", "win32pipe", "win32com", "pywintypes", "pythoncom",
                     "winerror"), "win32"),
    **dict.fromkeys(("_scproxy", "objc", "AppKit", "Foundation", "CoreFoundation"), "darwin"),
    "__pypy__": "pypy",
}
# The scanner's code and parser: a change to either makes new analyses.
_SCANNER_ID = cache.key(cache.code_id(*scanner.code_files()), scanner.parser_version())


@dataclass(frozen=True)
class Module:
    """A module the entry can reach.

    Attributes:
        spec: where the target interpreter would find it.
        bundled: carried in the archive (else the target interpreter provides it).
        imports: resolved names of the modules it imports.
        body_imports: those its body imports as it runs (not inside a function), in order.
        reads_own_files: its source builds paths from ``__file__``.
        speculative: no chain of unconditional imports leads to it from the entry
            (decided on the final graph): it was reached only through a hint (a
            string naming it, a package listing its submodules), an optional
            import (inside ``try/except ImportError``, which also catches its own
            failing imports) or a whole distribution, so its own missing imports
            are not reported.
        extra: carried without analysis: its distribution (or the app's own
            package) travels whole, or only hints reach it and its source does not
            parse.  It is compiled if it can be, else it travels as data.
        defines_only: its body only defines names (see scanner.Analysis).
        patterns: literal regular expressions it compiles (see scanner.Analysis).
        adds_finder: it puts a finder on sys.meta_path (see scanner.Analysis).
        class_bases: modules its classes' bases come from (see scanner.Analysis).
        reads_process_state: its body reads process state (see scanner.Analysis).
    """

    name: str
    spec: Spec
    bundled: bool
    stdlib: bool
    imports: tuple[str, ...] = ()
    body_imports: tuple[str, ...] = ()
    reads_own_files: bool = False
    speculative: bool = False
    extra: bool = False
    defines_only: bool = False
    patterns: tuple[Pattern, ...] = ()
    adds_finder: bool = False
    class_bases: tuple[str, ...] = ()
    reads_process_state: bool = False

    @property
    def package(self) -> Optional[str]:
        """``__package__`` as the import system would set it."""
        if self.name == MAIN:
            return None
        return self.name if self.spec.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class StdlibPolicy:
    """What a standalone build's interpreter brings (freezer/standalone.py): the stdlib
    modules it loads before the archive's importer, the top-level packages it leaves
    out, and the names of test folders it drops."""

    preloaded: frozenset[str]
    left_out: tuple[str, ...]
    test_folders: frozenset[str]


@dataclass(frozen=True)
class Missing:
    """An import that does not resolve (or names an excluded module); `reason` is
    CPython's wording, or EXCLUDED.  `top_level`: the import runs with the
    importer's body, not inside a function."""

    name: str
    importer: str
    filename: str
    line: int
    optional: bool
    reason: str = "not found"
    top_level: bool = False


EXCLUDED = "excluded"


@dataclass
class Graph:
    """Modules found, imports missing, modules excluded, and what hooks ask for:
    packages to extract, packages whose files the runtime serves, single real files,
    and the run-time patches of the hooks that fired.

    `reasons` holds every way each module was reached, `why` the one that explains
    it best (the first a breadth-first walk of firm reasons from the roots meets,
    else the first a walk of all reasons from there meets); `owners` maps a module to
    the distribution that installed it, and `carried` names the distributions that
    travel (whole, unless pruned).
    """

    modules: dict[str, Module] = field(default_factory=dict)
    reasons: dict[str, dict[tuple[str, str], Reason]] = field(default_factory=dict)
    why: dict[str, Reason] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    carried: set[str] = field(default_factory=set)
    missing: list[Missing] = field(default_factory=list)
    excluded: set[str] = field(default_factory=set)
    extract: set[str] = field(default_factory=set)
    served: set[str] = field(default_factory=set)
    real: set[str] = field(default_factory=set)
    patches: dict[str, str] = field(default_factory=dict)  # the run-time halves of hooks

    def bundled(self) -> list[Module]:
        return [self.modules[name] for name in sorted(self.modules)
                if self.modules[name].bundled]

    def external(self) -> list[Module]:
        """Modules the bundled ones import that the interpreter provides (and their
        parents): the standard library's own imports are not listed."""
        names = {name for module in self.bundled() for name in module.imports
                 if not self.modules[name].bundled}
        for name in list(names):
            while "." in name:
                name = name.rpartition(".")[0]
                names.add(name)
        return [self.modules[name] for name in sorted(names)
                if name in self.modules and not self.modules[name].bundled]

    def served_at_run_time(self, name: str) -> bool:
        """Whether a bundled module that puts a finder on sys.meta_path has `name` under
        its own (six's `six.moves.urllib.parse`): the finder may serve it at run time."""
        parts = name.split(".")
        for end in range(1, len(parts)):
            module = self.modules.get(".".join(parts[:end]))
            if module is not None and module.bundled and module.adds_finder:
                return True
        return False

    def patterns(self) -> set[Pattern]:
        """Every literal regular expression of the modules reached."""
        return {pattern for module in self.modules.values() for pattern in module.patterns}


class _Builder:
    def __init__(self, target: Target, resolver: Resolver, exclude: Sequence[str],
                 hooks: Sequence[Hook], plugins: Mapping[str, Sequence[str]],
                 dependencies: Mapping[str, frozenset[str]], store: Optional[Cache]) -> None:
        self.target = target
        self.store = store
        self.reading_stdlib: set[str] = set()  # stdlib top-level names whose code opens files
        self.stdlib_data: dict[str, bool] = {}  # stdlib top-level name -> it has data files
        self.resolver = resolver
        self.exclude = tuple(exclude)
        self.hooks: dict[str, list[Hook]] = {}
        for hook in hooks:
            self.hooks.setdefault(hook.package, []).append(hook)
        self.package_calls = frozenset(call for hook in hooks for call in hook.package_calls)
        self.hints = Hints(resolver, target.module_suffixes, plugins, dependencies)
        self.graph = Graph()
        self.queue: deque[str] = deque()
        # Unresolved imports, settled once the graph is final (settle()): whether one
        # is reported depends on whether its importer turns out to be reached firmly.
        self.pending: list[tuple[Missing, bytes, list[ImportRecord], int]] = []
        # Extension modules compiled from a source shipped beside them (mypyc, Cython's
        # pure-Python mode): the source says what the compiled module imports.
        self.twins: dict[str, str] = {}
        # Modules whose source does not parse -> the error (settle() decides).
        self.unparsed: dict[str, str] = {}

    def excluded(self, name: str) -> bool:
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.exclude):
            self.graph.excluded.add(name)
            return True
        return False

    def add(self, name: str, reason: Reason, spec: Optional[Spec] = None,
            scan: bool = True) -> Optional[Module]:
        """Add `name` and its parents (reached the same way), recording `reason`;
        None when it (or a parent) is not found.  `scan` False carries the module
        without reading it (a whole distribution's modules analysis did not reach)."""
        module = self.graph.modules.get(name)
        if module is None:
            module = self._create(name, reason, spec, scan)
        elif module.extra and scan and name not in self.unparsed:  # analysis reaches it now
            parent = name.rpartition(".")[0]
            if parent:
                self.add(parent, reason)
            module = self.graph.modules[name] = replace(module, extra=False)
            self._scan(module)
        if module is not None:
            reasons = self.graph.reasons.setdefault(name, {})
            known = reasons.get((reason.how, reason.source))
            if known is None or (reason.firm and not known.firm):
                reasons[reason.how, reason.source] = reason
        return module

    def _create(self, name: str, reason: Reason, spec: Optional[Spec],
                scan: bool) -> Optional[Module]:
        parent = name.rpartition(".")[0]
        if parent and self.add(parent, reason, scan=scan) is None:
            if parent in self.graph.excluded:  # excluding a package excludes its submodules
                self.graph.excluded.add(name)
            return None
        if self.excluded(name):
            return None
        spec = spec or self.resolver.resolve(name)
        if spec is None:
            return None
        stdlib = name != MAIN and self._provided(spec)
        bundled = not stdlib and spec.kind in (SOURCE, BYTECODE, NAMESPACE, EXTENSION)
        module = Module(name, spec, bundled, stdlib, extra=not scan)
        self.graph.modules[name] = module
        if scan:
            self._scan(module)
        for hook in self.hooks.get(name, ()) if bundled or stdlib else ():
            self.graph.extract.update(hook.extract)
            self.graph.real.update(hook.real)
            self.graph.patches.update(hook.patches)
            if hook.served:
                self.graph.served.add(hook.package)
            for alias in hook.aliases:
                self.resolver.alias(alias, spec.search_locations or ())
            for pattern in hook.include:
                for found in self.hints.matches(pattern):
                    self.add(found, Reason(HOOK, name, pattern))
        return module

    def _scan(self, module: Module) -> None:
        """Queue a module for analysis, and add what its bytes or data files name."""
        spec = module.spec
        if spec.kind == SOURCE and (module.bundled or module.stdlib):
            self.queue.append(module.name)
        if module.bundled and spec.kind == EXTENSION:
            twin = _source_twin(spec.file)
            if twin is not None:
                self.twins[module.name] = twin
                self.queue.append(module.name)
            self.add_all(self.hints.in_extension(module.name, module.package, spec))
        if module.bundled and spec.is_package and spec.kind != NAMESPACE:
            self.add_all(self.hints.in_data(module.name, spec.file))

    def add_all(self, found: Iterable[tuple[str, Reason]]) -> None:
        for name, reason in found:
            self.add(name, reason)

    def _provided(self, spec: Spec) -> bool:
        """The target interpreter supplies it: builtin, frozen, or in its stdlib directories."""
        if spec.kind == BUILTIN or spec.name in self.target.frozen_modules:
            return True
        places = [spec.origin] if spec.origin else list(spec.search_locations or ())
        return bool(places) and all(self.target.provides(place) for place in places)

    def follow(self, importer: Module, source: bytes, analysis: Analysis) -> None:
        """Add what one scanned module imports."""
        if importer.stdlib:
            self._follow_stdlib(importer, analysis)
            return
        imports, body = [], []
        for index, record in enumerate(analysis.imports):
            try:
                name = resolve_name(record.module, _anchor(importer, record))
            except ValueError as exc:
                self.miss(record.module, importer, source, analysis.imports, index, str(exc))
                continue
            reason = Reason(IMPORT, importer.name, optional=record.optional)
            module = self.add(name, reason)
            if module is None:
                self.miss(name, importer, source, analysis.imports, index,
                          EXCLUDED if name in self.graph.excluded else "not found")
                continue
            found = [name]
            if module.spec.is_package:
                # `from pkg import x`: x may be a submodule; if not, it is a name.
                for attribute in record.names:
                    if attribute != "*" and self.resolver.resolve(f"{name}.{attribute}"):
                        if self.add(f"{name}.{attribute}", reason):
                            found.append(f"{name}.{attribute}")
            imports.extend(found)
            if not record.in_function:
                body.extend(found)
        self.graph.modules[importer.name] = replace(
            importer, imports=tuple(dict.fromkeys(imports)), body_imports=tuple(dict.fromkeys(body)),
            reads_own_files=analysis.reads_own_files, defines_only=analysis.defines_only,
            patterns=analysis.patterns, adds_finder=analysis.adds_finder,
            class_bases=analysis.class_bases, reads_process_state=analysis.reads_process_state)
        self.graph.extract.update(self._module_named(name, importer)
                                  for name in analysis.named_packages)
        if (analysis.reads_other_files or analysis.loads_module_files) and importer.package:
            self.graph.extract.add(importer.package.partition(".")[0])  # most likely its own
        self.add_all(self.hints.in_source(importer.name, importer.package, importer.spec,
                                          analysis))

    def _module_named(self, name: str, importer: Module) -> str:
        """The module a name in the source means: relative to the importer's package,
        and without the attributes after it (`from pkg import function as f`)."""
        try:
            name = resolve_name(name, importer.package)
        except ValueError:
            return name
        while "." in name and name not in self.graph.modules:
            name = name.rpartition(".")[0]
        return name

    def _follow_stdlib(self, importer: Module, analysis: Analysis) -> None:
        """A standard-library module is scanned for what it does at import (its
        regular expressions, its imports for import cycles) and followed into the
        standard library only, and only as far as module bodies import: what it
        cannot find is the interpreter's business."""
        found = []
        for record in analysis.imports:
            if record.in_function:
                continue
            try:
                name = resolve_name(record.module, _anchor(importer, record))
            except ValueError:
                continue
            for candidate in (name, *(f"{name}.{a}" for a in record.names if a != "*")):
                module = self.graph.modules.get(candidate)
                if module is None:
                    spec = self.resolver.resolve(candidate)
                    if spec is not None and self._provided(spec):
                        module = self.add(candidate, Reason(IMPORT, importer.name), spec)
                if module is not None:
                    found.append(candidate)
        imports = tuple(dict.fromkeys(found))
        self.graph.modules[importer.name] = replace(
            importer, imports=imports, body_imports=imports, defines_only=analysis.defines_only,
            patterns=analysis.patterns, reads_own_files=analysis.reads_own_files,
            reads_process_state=analysis.reads_process_state)
        if analysis.reads_own_files or analysis.reads_other_files or analysis.loads_module_files:
            self.reading_stdlib.add(importer.name.partition(".")[0])

    def analyze(self, modules: list[Module], pool: Optional[Executor]) -> list[tuple[bytes, Analysis]]:
        """Sources and analyses of `modules`: from the build cache, else computed,
        in the pool when there is one (libcst parsing is CPU-bound)."""
        options = (tuple(self.target.version), self.target.platform, self.package_calls)
        sources, keys, found = [], [], {}
        for index, module in enumerate(modules):
            with open(self.twins.get(module.name, module.spec.file), "rb") as file:
                sources.append(file.read())
            keys.append(cache.key("analysis", _SCANNER_ID, repr(options), sources[-1]))
            data = self.store.load(keys[-1]) if self.store else None
            if data is not None:
                found[index] = from_data(data)
        todo = [index for index in range(len(modules)) if index not in found]
        jobs = [(sources[index], *options) for index in todo]
        results = pool.map(_analyze, jobs, chunksize=4) if pool and len(todo) > 1 else map(_analyze, jobs)
        reporter = progress.current()
        reporter.advance(len(found))
        for index, result in zip(todo, results):
            reporter.advance()
            if isinstance(result, ScanError):  # an error only if a firm import reaches it
                self.unparsed[modules[index].name] = (f"{modules[index].spec.origin}:"
                                                      f"{result.line}: syntax error: {result}")
                found[index] = Analysis([])
                continue
            found[index] = result
            if self.store:
                self.store.store(keys[index], to_data(result))
        return [(sources[index], found[index]) for index in range(len(modules))]

    def miss(self, name: str, importer: Module, source: bytes, records: list[ImportRecord],
             index: int, reason: str = "not found") -> None:
        """Note an unresolved import; settle() decides whether it is reported."""
        record = records[index]
        origin = self.twins.get(importer.name, importer.spec.origin or "")
        optional = (record.optional or name == MAIN  # always there
                    or _PLATFORM_MODULES.get(name.partition(".")[0], self.target.platform)
                    != self.target.platform)
        self.pending.append((Missing(name, importer.name, origin, 0, optional, reason,
                                     not record.in_function), source, records, index))

    def run(self) -> None:
        """Follow queued modules in order, analysing each wave of them in parallel."""
        if not self.queue:
            return
        workers = min(os.cpu_count() or 1, 8)
        with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
            while self.queue:
                wave = [self.graph.modules[name] for name in self.queue]
                self.queue.clear()
                for module, (source, analysis) in zip(wave, self.analyze(wave, pool)):
                    self.follow(self.graph.modules[module.name], source, analysis)

    def carry_whole(self, installed: Sequence[Distribution]) -> None:
        """Every module of each distribution that owns a bundled module, of the
        distributions those require, and of the app's own top-level packages: code
        that finds modules at run time (a folder walk, FileFinder, a registry
        filled by name) finds what the venv has.  They are compiled, not scanned;
        new ones that hooks bring are followed, until nothing changes."""
        by_name = {dist.name: dist for dist in installed}
        where = owners(installed)
        done: set[str] = set()
        while True:
            first = self.owning(where)
            todo = sorted(required(installed, first) - done)
            if not todo:
                return
            for name in todo:
                done.add(name)
                self.graph.carried.add(name)
                source = first.get(name) or _requirer(name, first, installed)
                reason = Reason(DISTRIBUTION, source, name)
                for module in _modules_of(by_name[name], self.resolver, self.target):
                    self.add(module, reason, scan=False)
            self._carry_own_packages(where)
            self.run()

    def bundle_stdlib(self, policy: StdlibPolicy) -> None:
        """Make blobs of the standard library's packages reached: whole, as a package
        served from the archive finds its submodules only there.  Left on the
        interpreter's disk: what it loads before the archive's importer is in, and
        packages with data files or code that opens files beside modules (a blob's
        ``__file__`` names no real file).  The disk copy also answers every import
        no analysis sees (function bodies are not followed into the stdlib)."""
        while True:
            tops = self._stdlib_tops(policy)
            new = [name for top in sorted(tops) for name in self._stdlib_package(top, policy)
                   if name not in self.graph.modules]
            if not new:
                break
            for name in new:
                self.add(name, Reason(STDLIB, name.partition(".")[0], name.partition(".")[0]))
            self.run()
        for name, module in self.graph.modules.items():
            if name.partition(".")[0] in tops and self._stdlib_file(name, module):
                self.graph.modules[name] = replace(module, bundled=True)

    def _stdlib_file(self, name: str, module: Module) -> bool:
        """A stdlib module the interpreter loads from a source or bytecode file."""
        return (module.stdlib and module.spec.kind in (SOURCE, BYTECODE)
                and name not in self.target.frozen_modules)

    def _stdlib_tops(self, policy: StdlibPolicy) -> set[str]:
        tops = {name.partition(".")[0] for name, module in self.graph.modules.items()
                if self._stdlib_file(name, module)}
        kept = {name.partition(".")[0] for name in policy.preloaded} | set(policy.left_out)
        for top in tops - kept - self.stdlib_data.keys():
            self.stdlib_data[top] = self._has_data(top, policy)
        return {top for top in tops - kept - self.reading_stdlib if not self.stdlib_data[top]}

    def _stdlib_package(self, top: str, policy: StdlibPolicy) -> list[str]:
        """Every module of a stdlib package, test folders left out."""
        found, todo = [], [top]
        while todo:
            name = todo.pop()
            spec = self.resolver.resolve(name)
            if spec is None or not spec.is_package:
                continue
            for sub in self.resolver.submodules(spec):
                if sub.rpartition(".")[2] not in policy.test_folders:
                    found.append(sub)
                    todo.append(sub)
        return sorted(found)

    def _has_data(self, top: str, policy: StdlibPolicy) -> bool:
        """A stdlib package, or one below it (tests aside), with files other than modules."""
        for name in (top, *self._stdlib_package(top, policy)):
            spec = self.resolver.resolve(name)
            if spec is not None and spec.is_package and spec.kind != NAMESPACE and any(
                    package_data(os.path.dirname(spec.file), self.target.module_suffixes)):
                return True
        return False

    def owning(self, where: Mapping[str, Distribution]) -> dict[str, str]:
        """Distribution name -> its first bundled module, for those owning one."""
        first: dict[str, str] = {}
        for name in sorted(self.graph.modules):
            module = self.graph.modules[name]
            dist = where.get(os.path.normpath(module.spec.origin)) if module.spec.origin else None
            if dist is not None and module.bundled:
                self.graph.owners[name] = dist.name
                first.setdefault(dist.name, name)
        return first

    def _carry_own_packages(self, where: Mapping[str, Distribution]) -> None:
        """The app's own top-level packages (no distribution installed them) whole."""
        tops = {name.partition(".")[0] for name, module in self.graph.modules.items()
                if module.bundled and name != MAIN and not module.extra
                and module.spec.origin and os.path.normpath(module.spec.origin) not in where}
        for top in sorted(tops):
            spec = self.resolver.resolve(top)
            if spec is not None and spec.is_package and spec.kind != NAMESPACE:
                for name in self.hints.descendants(top):
                    self.add(name, Reason(PACKAGE, top, top), scan=False)

    def settle(self) -> None:
        """Decide what only the final graph can: which modules are reached firmly
        (speculative is the rest), the reason that explains each module, which
        unresolved imports are reported (those of firm importers), with lines,
        and whether a source that does not parse fails the build (when firm) or
        travels as data (when only hints reach it, as a Python 2 fixture would)."""
        firm = self._explain(lambda reason: reason.firm)
        self._explain(lambda reason: True)
        for name, error in sorted(self.unparsed.items()):
            if name in firm:
                raise FreezeError(error)
            # Reached only through hints: it travels as data if it does not compile.
            self.graph.modules[name] = replace(self.graph.modules[name], extra=True)
        for name, module in self.graph.modules.items():
            if module.speculative != (name not in firm):
                self.graph.modules[name] = replace(module, speculative=name not in firm)
        lines: dict[str, list[int]] = {}
        for missing, source, records, index in self.pending:
            optional = missing.optional or missing.importer not in firm
            line = 0
            if not optional:
                if missing.filename not in lines:
                    lines[missing.filename] = locate(source, records)
                line = lines[missing.filename][index]
            self.graph.missing.append(replace(missing, optional=optional, line=line))

    def _explain(self, usable: Callable[[Reason], bool]) -> set[str]:
        """Breadth first from the roots over reasons `usable` says to follow, the
        modules reached; each gets its first such reason in graph.why."""
        by_source: dict[str, list[tuple[str, Reason]]] = {}
        queue: deque[str] = deque()
        for name in sorted(self.graph.reasons):
            for reason in self.graph.reasons[name].values():
                if reason.how in ROOTS:
                    self.graph.why.setdefault(name, reason)
                    queue.append(name)
                elif usable(reason):
                    by_source.setdefault(reason.source, []).append((name, reason))
        reached = set(queue)
        queue.extend(name for name in sorted(self.graph.why) if name not in reached)
        reached.update(queue)
        while queue:
            for name, reason in by_source.get(queue.popleft(), ()):
                if name not in reached:
                    reached.add(name)
                    self.graph.why.setdefault(name, reason)
                    queue.append(name)
        return {name for name in reached if name in self.graph.modules}

    def include(self, pattern: str) -> None:
        """Add the modules an --include glob names; an error when it names none."""
        reason = Reason(INCLUDE, pattern)
        if not any(char in pattern for char in WILDCARDS):
            if self.add(pattern, reason) is None:
                raise EntryError(f"--include {pattern}: no module of that name on the search path")
            return
        if not pattern.partition(".")[0] or any(c in pattern.partition(".")[0] for c in WILDCARDS):
            raise EntryError(f"--include {pattern}: a pattern must start with a package name, "
                             "as in 'pkg.plugins.*'")
        found = self.hints.matches(pattern)
        if not found:
            raise EntryError(f"--include {pattern}: matches no module")
        for name in found:
            self.add(name, reason)

def _requirer(name: str, first: Mapping[str, str], installed: Sequence[Distribution]) -> str:
    """A bundled module of a distribution that requires `name` (transitively)."""
    for owner, module in sorted(first.items()):
        if name in required(installed, [owner]):
            return module
    return ""


def _modules_of(dist: Distribution, resolver: Resolver, target: Target) -> list[str]:
    """Names of the modules a distribution installed that import as the file RECORD
    lists (not shadowed, not inside a folder that is no package)."""
    suffixes = sorted(target.module_suffixes, key=len, reverse=True)
    found = []
    for relative, path in dist.paths():
        path = os.path.normpath(path)
        suffix = next((s for s in suffixes if relative.endswith(s)), None)
        if suffix is None:
            continue
        name = relative[:-len(suffix)].replace("/", ".")
        if name.endswith(".__init__"):
            name = name[:-len(".__init__")]
        if not all(part.isidentifier() for part in name.split(".")):
            continue
        spec = resolver.resolve(name)
        if spec is not None and spec.origin and os.path.normpath(spec.origin) == path:
            found.append(name)
    return found


def _source_twin(origin: str) -> Optional[str]:
    """`pkg/mod.py` beside the extension module `pkg/mod.cpython-311-x86_64-linux-gnu.so`."""
    folder, _, filename = origin.rpartition(os.sep)
    twin = os.path.join(folder, filename.partition(".")[0] + ".py")
    return twin if os.path.isfile(twin) else None


def _anchor(importer: Module, record: ImportRecord) -> Optional[str]:
    """The package a relative import record is resolved against."""
    if record.anchor is None:
        return importer.package
    return importer.name if record.anchor == ANCHOR_NAME else record.anchor


def _analyze(job: tuple[bytes, tuple[int, ...], str, frozenset[str]]) -> Union[Analysis, ScanError]:
    """scanner.analyze for a worker process; a syntax error comes back as a value."""
    source, version, platform, package_calls = job
    try:
        return analyze(source, version=version, platform=platform, package_calls=package_calls)
    except ScanError as exc:
        return exc


def build_graph(target: Target, resolver: Resolver, *, script: Optional[str] = None,
                module: Optional[str] = None, include: Sequence[str] = (),
                exclude: Sequence[str] = (), hooks: Sequence[Hook] = (),
                plugins: Mapping[str, Sequence[str]] = {},
                dependencies: Mapping[str, frozenset[str]] = {},
                installed: Sequence[Distribution] = (), whole: bool = True,
                store: Optional[Cache] = None,
                stdlib: Optional[StdlibPolicy] = None) -> Graph:
    """Everything reachable from a script file or a module name.

    `hooks` fire when their package is bundled; `plugins` maps an entry-point
    group to the modules its entry points name, bundled when a module names the group;
    `dependencies` maps a top-level name to those its distribution requires, whose
    modules its strings may name.  With `whole`, every module of the `installed`
    distributions that own a bundled module (and of those they require) is carried
    too, and so is every module of the app's own packages.  `store` caches
    analyses by content.  With `stdlib` (a standalone build), the standard library's
    packages reached travel too (_Builder.bundle_stdlib).
    """
    builder = _Builder(target, resolver, exclude, hooks, plugins, dependencies, store)
    if script is not None:
        builder.add(MAIN, Reason(ENTRY, script), Spec(MAIN, SOURCE, os.path.abspath(script)))
    elif module is not None and builder.add(module, Reason(ENTRY, module)) is None:
        raise EntryError(f"{module}: no module of that name on the search path")
    for pattern in include:
        builder.include(pattern)
    builder.run()
    if whole:
        builder.carry_whole(installed)
    else:
        builder.graph.carried.update(builder.owning(owners(installed)))
    if stdlib is not None:
        builder.bundle_stdlib(stdlib)
    builder.settle()
    return builder.graph


def lazy_modules(graph: Graph, frozen: frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """Modules that may load lazily, each with the lazy modules to import with it.

    Lazy: plain source modules, bundled or from the standard library (not `frozen`
    into the interpreter), whose body only defines names and that sit in no import
    cycle (a cycle's partly run modules must exist eagerly, or `from x import y`
    inside the cycle fails), and whose classes take their bases and metaclasses
    from the standard library or from their own top-level package's classes that
    do: another package's metaclass may register each class it makes (Django's
    models, imported for that alone by name).

    An import binds a submodule on its package, which others may rely on (`import
    jsonschema` then `jsonschema.protocols`, bound by the lazy `jsonschema._typing`'s
    import): a lazy module comes with the lazy submodules its body imports, and with
    lazy modules whose own imports bring one.  Importing a lazy module costs little;
    importing the others would run what laziness defers.
    """
    cyclic = {name for component in _cycles(graph) for name in component}
    lazy = {m.name: m for m in graph.modules.values()
            if m.defines_only and not m.spec.is_package and m.name != MAIN
            and m.spec.kind in (SOURCE, BYTECODE) and (m.bundled or m.stdlib)
            and m.name not in cyclic and m.name not in frozen and not _may_register(graph, m)}
    companions: dict[str, tuple[str, ...]] = {}

    def companions_of(name: str) -> tuple[str, ...]:
        # Lazy modules import each other without cycles, so this ends.
        if name not in companions:
            companions[name] = tuple(
                imported for imported in lazy[name].body_imports
                if imported in lazy and ("." in imported or companions_of(imported)))
        return companions[name]

    return {name: companions_of(name) for name in sorted(lazy)}


def server_preload(graph: Graph, roots: Iterable[str], loaded: Optional[Iterable[str]] = None,
                   reset: frozenset[str] = frozenset(),
                   unreadable: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The modules a warm start server imports before it forks runs (runtime/server.py):
    those a trace run `loaded`, else those the bodies of `roots` import, in turn,
    through their bodies' imports; never one whose body reads process state (the
    child would see the server's), nor one that would import such a module as it
    runs (its importers through body imports, and a package's submodules, whose
    import runs the package first).  Modules in `reset` read process state the
    server's child sets anew (logging's start time); those in `unreadable` read it
    in code the scanner cannot see (an extension module's initialisation)."""
    if loaded is None:
        found, queue = set(), [name for name in roots if name in graph.modules]
        while queue:
            name = queue.pop()
            if name not in found:
                found.add(name)
                queue.extend(graph.modules[name].body_imports)
    else:
        found = set(loaded) & graph.modules.keys()
    unsafe = {name for name, module in graph.modules.items()
              if (module.reads_process_state or name in unreadable) and name not in reset}
    importers: dict[str, set[str]] = {}
    for name, module in graph.modules.items():
        parent = name.rpartition(".")[0]
        for imported in (*module.body_imports, *([parent] if parent else [])):
            importers.setdefault(imported, set()).add(name)
    queue = list(unsafe)
    while queue:
        for importer in importers.get(queue.pop(), ()):
            if importer not in unsafe:
                unsafe.add(importer)
                queue.append(importer)
    return tuple(sorted(found - unsafe - {MAIN}))


def _may_register(graph: Graph, module: Module, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a class of `module` takes a base or metaclass from another package
    than its own that is not the standard library's (or is not found), directly or
    through a base from its own package (SQLAlchemy's `class Base(DeclarativeBase)`
    in myapp.db, then `class User(Base)` in myapp.models)."""
    own = module.name.partition(".")[0]
    for written in module.class_bases:
        try:
            name = resolve_name(written, module.package)
        except ValueError:
            continue
        if name.partition(".")[0] != own:
            if not getattr(graph.modules.get(name.partition(".")[0]), "stdlib", False):
                return True
        elif name in graph.modules and name not in seen and name != module.name and \
                _may_register(graph, graph.modules[name], seen | {module.name}):
            return True
    return False


def _cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(graph.modules[root].imports))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for child in edges:
                if child not in graph.modules:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.modules[child].imports)))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found
