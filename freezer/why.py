"""Why each module and file is in an archive: written at build time, read by
`freeze why` and `freeze inspect`.

The table travels in the archive (manifest key ``reasons``) but the runtime never
reads it.  It is a zlib-compressed marshal'd dict:

- ``modules``: {module: (how, source, detail)}, reasons.Reason's fields for the reason
  that explains the module best (graph.Graph.why); following `source` from module
  to module leads back to the entry;
- ``files``: {archive path: (how, owner)}, files.Files.why;
- ``distributions``: {distribution: (modules, archive paths)}: what each carried
  distribution contributed, for per-distribution totals;
- ``importers``: {module: modules that import it}, every one, for `freeze report`.
"""

from __future__ import annotations

import ast
import marshal
import zlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Optional, TypeGuard

from .reasons import (
    APP_FILE, BY_DISTRIBUTION, DATA, DISTRIBUTION, ENTRY, HOOK, IMPORT, INCLUDE, LISTING, NATIVE,
    PACKAGE, PLUGIN, PREFIX, STDLIB, STRING, Reason,
)
from .resolver import resolve_name
from .runtime import boot

if TYPE_CHECKING:  # the build's types: reading archives back needs no libcst
    from .files import Files
    from .graph import Graph

_TELL = {
    IMPORT: "imported by {source}",
    STRING: "named by the string {detail!r} in {source}",
    PREFIX: "imported by a name starting {detail!r} in {source}",
    LISTING: "{source} lists its package's modules",
    PLUGIN: "an entry point of the group {detail!r}, which {source} names",
    NATIVE: "named in the bytes of the extension module {source}",
    DATA: "named in {source}'s data file {detail}",
    HOOK: "a hook of {source} includes {detail!r}",
    DISTRIBUTION: "its distribution {detail!r} travels whole (reached through {source})",
    PACKAGE: "the app's package {detail!r} travels whole",
    STDLIB: "the standard library's package {detail!r} travels whole (--standalone)",
    INCLUDE: "--include {source}",
    ENTRY: "the entry point ({source})",
}


def table(graph: Graph, extras: Files) -> bytes:
    """The reasons table of an archive holding `graph`'s bundled modules and `extras`."""
    bundled = [m.name for m in graph.bundled()]
    modules = {name: _fields(graph.why[name]) for name in bundled if name in graph.why}
    by_dist: dict[str, tuple[list[str], list[str]]] = {}
    for name in bundled:
        if name in graph.owners:
            by_dist.setdefault(graph.owners[name], ([], []))[0].append(name)
    for path, (how, owner) in sorted(extras.why.items()):
        dist = owner if how in BY_DISTRIBUTION else graph.owners.get(owner, "")
        if path in extras.data and dist:
            by_dist.setdefault(dist, ([], []))[1].append(path)
    importers = {name: tuple(sorted({source for how, source in graph.reasons.get(name, {})
                                     if how == IMPORT}))
                 for name in bundled}
    data = {"modules": modules, "files": {path: extras.why[path] for path in sorted(extras.data)},
            "distributions": {dist: (tuple(names), tuple(paths))
                              for dist, (names, paths) in sorted(by_dist.items())},
            "importers": {name: found for name, found in importers.items() if found}}
    # Version 2 writes no interning marks or references, which follow what this process
    # did before (a name from the analysis cache arrives interned), not the value.
    return zlib.compress(marshal.dumps(data, 2), 9)


def _fields(reason: Reason) -> tuple[str, str, str]:
    return reason.how, reason.source, reason.detail


def read(archive: boot.Archive) -> Optional[dict[str, Any]]:
    """The reasons table of an open archive, or None if it has none."""
    entry = archive.manifest.get(boot.MANIFEST_REASONS)
    if entry is None:
        return None
    return marshal.loads(zlib.decompress(archive.read_checked(*entry, "reasons table")))


def chain(archive: boot.Archive, reasons: Mapping[str, Any], name: str) -> list[str]:
    """Lines from `name` back to the entry, one per step: `module: reason`.
    A file's first line says what carries it; the chain goes on from there."""
    return list(_steps(archive, reasons, name))


def first_step(archive: boot.Archive, reasons: Mapping[str, Any], name: str) -> str:
    """The first line of `name`'s chain, without walking (and parsing) the rest."""
    return next(_steps(archive, reasons, name))


def _steps(archive: boot.Archive, reasons: Mapping[str, Any], name: str) -> Iterator[str]:
    files = reasons["files"]
    if name in files:
        how, owner = files[name]
        if how == APP_FILE:
            yield f"{name}: {how}"
            name = owner
        elif how not in BY_DISTRIBUTION:
            yield f"{name}: {how} of {owner}"
            name = owner
        else:  # a distribution's: go on from the module that made it travel
            yield f"{name}: {how} of the distribution {owner!r}"
            carried = reasons["distributions"].get(owner, ((), ()))[0]
            name = carried[0] if carried else ""
    seen = set()
    while name and name not in seen:
        seen.add(name)
        how, source, detail = reasons["modules"].get(name, ("", "", ""))
        if not how:
            yield f"{name}: (no reason recorded)"
            return
        text = _TELL.get(how, how).format(source=source, detail=detail)
        if how == IMPORT:
            text += _import_line(archive, source, name)
        yield f"{name}: {text}"
        name = source if how not in (ENTRY, INCLUDE, PACKAGE) else ""


def _import_line(archive: boot.Archive, importer: str, name: str) -> str:
    """` at path:line` of the import of `name` in `importer`'s embedded source, or ""."""
    record = archive.modules.get(importer)
    if record is None:
        return ""
    try:
        source = archive.read_source(record)
        tree = ast.parse(source) if source else None
    except (SyntaxError, ValueError, zlib.error, boot.ArchiveError):
        tree = None
    package = importer if record[boot.KIND] == boot.KIND_PACKAGE else importer.rpartition(".")[0]
    for node in ast.walk(tree) if tree else ():
        if _imports(node, package, name):
            return f" at {record[boot.PATH]}:{node.lineno}"
    return f" ({record[boot.PATH]})"


def _imports(node: ast.AST, package: str,
             name: str) -> TypeGuard[ast.Import | ast.ImportFrom | ast.Call]:
    """Whether an import statement (or a call of import_module or __import__ with a
    literal name) imports `name` or a module inside it."""
    written: list[str] = []
    if isinstance(node, ast.Import):
        written = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        try:
            base = resolve_name("." * node.level + (node.module or ""), package or None)
        except ValueError:
            return False
        written = [base, *(f"{base}.{alias.name}" for alias in node.names)]
    elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        callee = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if callee in ("import_module", "__import__") and isinstance(node.args[0].value, str):
            written = [node.args[0].value]
    return any(text == name or text.startswith(name + ".") for text in written)


def totals(archive: boot.Archive, reasons: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Per distribution: modules, data files, bytes in the archive, files extracted."""
    extracted = frozenset(archive.manifest[boot.MANIFEST_EXTRACT][boot.EXTRACT_PATHS])
    sizes = archive.manifest[boot.MANIFEST_FILES]
    result = {}
    for dist, (names, paths) in reasons["distributions"].items():
        size = sum(archive.modules[n][boot.SIZE] + archive.modules[n][boot.SOURCE_SIZE]
                   for n in names if n in archive.modules)
        size += sum(sizes[p][1] for p in paths if p in sizes)
        result[dist] = {"modules": len(names), "files": len(paths), "bytes": size,
                        "extracted": sum(p in extracted for p in paths)}
    return result
