"""One build, start to end: probe the target, resolve, compile, write.

Data flows one way: options -> Target -> Graph -> blobs -> archive bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Optional

from . import (
    appfiles, archive, awslambda, cache, compiler, config, distributions, extraction, files,
    generated, graph, hooks, progress, reasons, regexes, requirements, scanner, standalone,
    target, trace, why,
)
from .errors import EntryError, FreezeError, OutputError, ResolveError, TargetError
from .resolver import BUILTIN, BYTECODE, EXTENSION, NAMESPACE, SOURCE, Resolver
from .runtime import boot
from .runtime.server import READ_PROCESS_STATE, RESET_IN_CHILD

_RUNTIME_DIR = Path(boot.__file__).parent
_BOOT = f"{boot.RUNTIME_PACKAGE}.boot"  # compiled to the zip's __main__.pyc
_RUNTIME_NAMES = {short: f"{boot.RUNTIME_PACKAGE}.{short}" for short in boot.RUNTIME_MODULES}
_LAMBDA_BOOTSTRAP = "<lambda bootstrap>"  # compiled to the handler module of a Lambda package
# What AWS's Python runtimes provide beside the standard library: a handler may rely on it.
_LAMBDA_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "awslambdaric"})
_VERSION_RANGE = re.compile(r"^3\.(\d+)-3\.(\d+)$")
_OBJECT_REF = re.compile(r"^\s*([\w.]+)\s*:\s*([\w.]+)\s*(\[.*\])?\s*$")


@dataclass(frozen=True)
class Options:
    """What the user asked for; exactly one of script/module/function/console_script.

    `requirements` (files) and `specs` are installed into a cached environment
    of `python`, which then is the environment resolved in.
    """

    output: Optional[Path] = None  # None: dist/NAME.pyz (dist/function.zip for --lambda)
    script: Optional[str] = None
    module: Optional[str] = None
    function: Optional[str] = None
    console_script: Optional[str] = None
    # Interpreters to build for; none: the active virtual environment's, else sys.executable
    python: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    specs: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extract: tuple[str, ...] = ()
    # Flags (and the timeout): None is not given, which [tool.freeze] (freezer/config.py)
    # may set; build() settles them with _DEFAULTS.
    strict: Optional[bool] = None
    prune: Optional[bool] = None  # bundle only the modules analysis reached
    source: Optional[bool] = None
    lazy: Optional[bool] = None
    gc_freeze: Optional[bool] = None
    trace: tuple[str, ...] = ()  # arguments of representative runs (freezer/trace.py)
    trace_timeout: Optional[float] = None  # seconds a traced run may take
    shebang: Optional[str] = None
    cache: Optional[bool] = None
    aws_lambda: Optional[bool] = None  # write a Lambda deployment package for the script's module
    standalone: Optional[bool] = None  # carry the interpreter too (freezer/standalone.py)
    add_data: tuple[str, ...] = ()  # SRC:DEST, the script's own files (freezer/appfiles.py)
    server: Optional[bool] = None  # runs use a warm start server (runtime/server.py)
    server_idle: Optional[float] = None  # seconds an idle server waits before it exits


# Ten minutes: a session of edits, commits or shell commands keeps its server, which
# holds the memory of one idle interpreter with the app imported (tens of MB) for no
# longer than a coffee break.
_SERVER_IDLE = 600.0
_DEFAULTS = {"strict": False, "prune": False, "source": True, "lazy": False,
             "gc_freeze": True, "cache": True, "aws_lambda": False, "standalone": False,
             "trace_timeout": 600, "server": False, "server_idle": _SERVER_IDLE}


@dataclass(frozen=True, kw_only=True)
class Settled(Options):
    """Options as build() uses them: [tool.freeze] applied, the flags settled with
    _DEFAULTS and the output named (see _configured)."""

    output: Path
    strict: bool
    prune: bool
    source: bool
    lazy: bool
    gc_freeze: bool
    trace_timeout: float
    cache: bool
    aws_lambda: bool
    standalone: bool
    server: bool
    server_idle: float


@dataclass
class Result:
    output: Path
    size: int  # bytes written (zipped, for a Lambda package)
    modules: int  # distinct modules bundled, over every interpreter
    files: int  # distinct data files, metadata and libraries, over every interpreter
    pythons: tuple[str, ...]  # the interpreters' version strings, newest first
    warnings: list[str] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    unzipped: Optional[int] = None  # a Lambda package's size in the task root
    notes: list[str] = field(default_factory=list)  # what the build chose for the user


@dataclass
class _Part:
    """What one interpreter contributes to the archive: its manifest's contents, and
    what the user is told about it."""

    target: target.Target
    graph: graph.Graph
    contents: archive.Contents
    lambda_bootstrap: bytes  # the handler module's .pyc, for a Lambda package (else b"")
    warnings: list[str]
    extracted: list[str]
    notes: list[str]


def build(options: Options) -> Result:
    """Freeze the entry point described by `options` into `options.output`: one
    manifest per --python, resolved, compiled and checked for each on its own."""
    notes: list[str] = []
    options = _folder_script(options)
    settings = config.load(config.find(Path(options.script).resolve().parent if options.script
                                       else Path.cwd()))
    if settings.path is not None:
        notes.append(f"read [tool.freeze] from {_where(str(settings.path), 0)}")
    options = _configured(options, settings)
    if options.server and options.aws_lambda:
        raise EntryError("--server is for apps run again and again from a shell; a Lambda "
                         "function keeps its process warm on its own: drop --server")
    requirements.check_specs(options.specs, named_entry=options.script is None)
    store = cache.Cache() if options.cache else None
    given = _given_files(options.add_data, Path.cwd(), "--add-data", options)
    if settings.add_data and settings.path is not None:
        given = {**_given_files(settings.add_data, settings.path.parent,
                                f"{settings.path} [tool.freeze] add-data", options), **given}
    _refuse_overwriting(options, given.values())
    targets = _targets(options, notes)
    interpreter = _bundle(options, targets, store, notes) if options.standalone else None
    parts = []
    for tgt in targets:
        try:
            parts.append(_part(options, tgt, given, store, settings.hooks, interpreter))
        except FreezeError as exc:
            if len(targets) == 1:
                raise
            raise type(exc)(f"for CPython {tgt.short_version}: {exc}") from None
    if store is not None and store.unwritable:
        notes.append(store.unwritable)
    labels = [f"CPython {tgt.short_version}" for tgt in targets]
    warnings = _merged([part.warnings for part in parts], labels)
    extracted = sorted({path for part in parts for path in part.extracted})
    notes = list(dict.fromkeys([*notes, *(note for part in parts for note in part.notes)]))
    modules = len({m.name for part in parts for m in part.graph.bundled()})
    carried = len({path for part in parts for path in part.contents.files})
    pythons = tuple(tgt.version_string for tgt in targets)
    if options.aws_lambda:
        parts = _shipped_apart(parts)
    progress.current().phase(f"writing {options.output}")
    image = archive.build_bytes([part.contents for part in parts], standalone.launcher(
        interpreter) if interpreter else archive.launcher(
        [f"python{tgt.short_version}" for tgt in targets], options.shebang))
    if not options.aws_lambda:
        archive.write_atomically(options.output, image)
        return Result(options.output, len(image), modules, carried, pythons, warnings,
                      extracted, notes=notes)
    shipped: dict[str, dict[str, bytes]] = {}
    for part in parts:
        shipped.setdefault(part.contents.layout.shipped, {}).update(part.contents.extract)
    package = awslambda.write(options.output, awslambda.members(
        parts[0].contents.layout.entry.module, awslambda.bootstrap_source(),
        {archive.cache_tag(part.target.version_string): part.lambda_bootstrap
         for part in parts}, image, shipped))
    return Result(options.output, package.zipped, modules, carried, pythons,
                  [*warnings, *package.warnings(options.output)], extracted, package.unzipped,
                  notes)


def _configured(options: Options, settings: config.Config) -> Settled:
    """`options` with [tool.freeze]'s values where the command line gave none (globs
    and files add up), the flags settled and the default output named."""
    changes: dict[str, Any] = {}
    for name, value in settings.values:
        given = getattr(options, name)
        if name in config.ADDED_UP:
            changes[name] = (*value, *given)
        elif given is None or given == ():
            changes[name] = Path(value) if name == "output" else value
    for name, default in _DEFAULTS.items():
        if changes.get(name, getattr(options, name)) is None:
            changes[name] = default
    options = replace(options, **changes)
    output = options.output
    if output is None:
        if options.script:
            script = Path(options.script)
            stem = script.parent.resolve().name if script.name == "__main__.py" else script.stem
        else:
            named = options.module or options.function or options.console_script or ""
            stem = named.split(":")[0].rpartition(".")[2]
        output = Path("dist") / ("function.zip" if options.aws_lambda else
                                 stem if options.standalone else f"{stem}.pyz")
    return Settled(**{**{f.name: getattr(options, f.name) for f in fields(options)},
                      "output": output})


def _folder_script(options: Options) -> Options:
    """A folder as SCRIPT runs its __main__.py, as `python FOLDER` does."""
    if options.script is None or not Path(options.script).is_dir():
        return options
    main = Path(options.script, "__main__.py")
    if not main.is_file() or options.aws_lambda:
        raise EntryError(f"{options.script}: a folder without __main__.py; give the script in "
                         "it, or -m PACKAGE with --path for a package")
    return replace(options, script=str(main))


def _targets(options: Settled, notes: list[str]) -> list[target.Target]:
    """The interpreters to build for, newest first, each with its requirements
    installed; one per minor version (a manifest is chosen by bytecode magic)."""
    pythons = [python for given in options.python for python in _expanded(given, notes)]
    targets: dict[str, target.Target] = {}
    for python in dict.fromkeys(pythons or [_interpreter(notes)]):
        tgt = target.probe(python)
        if options.requirements or options.specs:
            tgt = target.probe(requirements.environment(tgt, options.requirements,
                                                         options.specs, notes))
        other = targets.setdefault(tgt.short_version, tgt)
        if other is not tgt:
            raise TargetError(f"--python {python}: CPython {tgt.short_version} is already "
                              f"given ({other.executable}); give one interpreter per version")
    return sorted(targets.values(), key=lambda tgt: tgt.version, reverse=True)


def _expanded(given: str, notes: list[str]) -> list[str]:
    """--python 3.X-3.Y: the python3.Z on PATH for each version in the range (at least
    one); anything else names an interpreter."""
    match = _VERSION_RANGE.match(given)
    if not match:
        return [given]
    low, high = int(match[1]), int(match[2])
    found = [name for name in (f"python3.{minor}" for minor in range(high, low - 1, -1))
             if shutil.which(name) and target.starts(name)]
    if not found:
        raise TargetError(f"--python {given}: no python3.{low} to python3.{high} on PATH")
    notes.append(f"--python {given}: found {', '.join(found)} on PATH")
    return found


def _bundle(options: Settled, targets: list[target.Target], store: Optional[cache.Cache],
            notes: list[str]) -> standalone.Bundle:
    """The interpreter a standalone file carries."""
    if len(targets) != 1 or options.aws_lambda or options.shebang is not None:
        raise TargetError("--standalone carries one interpreter: give one --python, and "
                          "neither --lambda nor --shebang")
    interpreter = standalone.bundle(targets[0], store)
    notes.append(f"carries {interpreter.describe()}")
    return interpreter


def _part(options: Settled, tgt: target.Target, given: dict[str, str],
          store: Optional[cache.Cache], config_hooks: tuple[hooks.Hook, ...],
          interpreter: Optional[standalone.Bundle]) -> _Part:
    """Resolve, check and compile the app for one interpreter (and, standalone, with the
    standard library it carries)."""
    notes: list[str] = []
    entry, search_path = _entry(options, tgt)
    resolver = Resolver.for_target(tgt, search_path)
    if entry.kind == boot.ENTRY_MODULE:
        entry = replace(entry, module=_main_module(resolver, entry.module,
                                                   options.module or entry.module))
    elif entry.kind == boot.ENTRY_FUNCTION:
        _check_function(resolver, entry, options)
    installed = distributions.distributions(search_path)
    reporter = progress.current()
    reporter.phase(f"analysing imports for CPython {tgt.version_string}")
    modules = graph.build_graph(
        tgt, resolver, script=options.script if entry.kind == boot.ENTRY_SCRIPT else None,
        module=None if entry.kind == boot.ENTRY_SCRIPT else entry.module,
        include=options.include, exclude=options.exclude,
        hooks=(*hooks.BUILTIN, *config_hooks, *distributions.hooks(installed)),
        plugins=distributions.plugins(installed),
        dependencies=distributions.dependencies(installed), installed=installed,
        whole=not options.prune, store=store,
        stdlib=graph.StdlibPolicy(interpreter.startup, standalone.LEFT_OUT,
                                  standalone.TEST_FOLDERS) if interpreter else None)
    if interpreter:
        _check_left_out(modules, options.script)
    warnings = _check(modules, options, entry.module, tgt, resolver, notes)
    if options.aws_lambda and modules.modules[entry.module].reads_own_files:
        warnings.append(f"{options.script}: builds paths from __file__, but files beside a "
                        "handler module do not travel; put its data in a package")
    blobs = _compile(tgt, modules, options.aws_lambda, store)
    modules = _without_uncompiled(modules, blobs)
    reporter.phase("collecting package data, metadata and libraries")
    extras = files.collect(tgt, modules, installed)
    carried = _carry(options, modules, extras, given, warnings)
    real = extraction.decide(modules, extras, options.extract)
    if real.tool_files:
        tops = sorted({path.partition("/")[0] for path in real.tool_files})
        count = len(real.tool_files)
        notes.append(f"{count} file{'s' if count > 1 else ''} of {', '.join(tops)} that only compilers "
                     "and type checkers read (C headers and sources, Cython sources, stubs) "
                     "are written to disk only when importlib.resources asks for their folder; "
                     "--extract PACKAGE writes them up front")
    if carried:
        notes.append(f"carried beside {options.script}, as its strings name them: {carried}")
    _refuse_overwriting_read(options.output, modules, extras)
    layout = archive.Layout(
        python=(tgt.version_string, tgt.magic), entry=entry,
        # The entry stays eager: a Lambda handler's init must fail at its import.
        lazy=({name: imports for name, imports in
               graph.lazy_modules(modules, tgt.frozen_modules).items() if name != entry.module}
              if options.lazy else {}),
        boot_code=blobs[_BOOT],
        external={m.name: _external_kind(m) for m in modules.external()},
        shipped=awslambda.shipped_folder(entry.module) if options.aws_lambda else "",
        regexes=regexes.compile_patterns(tgt, modules.patterns(), store),
        gc_freeze=options.gc_freeze, reasons=why.table(modules, extras),
        patches=modules.patches, server=_server(options, modules, entry))
    if options.trace:
        environment = trace.Environment(modules, resolver, tgt,
                                        options.exclude, real.folders)
        layout = _traced(layout, options, tgt, modules, extras, real, blobs, store, warnings,
                         environment)
    return _Part(tgt, modules, _contents(layout, modules, extras, real, blobs, options.source),
                 blobs[_LAMBDA_BOOTSTRAP] if options.aws_lambda else b"", warnings,
                 list(real.folders), notes)


def _merged(lists: list[list[str]], labels: list[str]) -> list[str]:
    """One list of the interpreters' warnings: those all of them give once, the
    others labelled with the interpreter that gives them."""
    everywhere = set.intersection(*map(set, lists))
    shared = dict.fromkeys(line for lines in lists for line in lines if line in everywhere)
    return [*shared, *(f"{label}: {line}" for label, lines in zip(labels, lists)
                       for line in lines if line not in everywhere)]


def _shipped_apart(parts: list[_Part]) -> list[_Part]:
    """A Lambda package ships each interpreter's extraction set in one folder, unless
    they disagree on a file's contents (a package at another version): then each
    interpreter ships its own."""
    merged: dict[str, bytes] = {}
    if all(merged.setdefault(path, data) == data
           for part in parts for path, data in part.contents.extract.items()):
        return parts
    return [replace(part, contents=replace(part.contents, layout=replace(
        part.contents.layout, shipped=awslambda.shipped_folder(
            part.contents.layout.entry.module, archive.cache_tag(part.target.version_string)))))
            for part in parts]


def _interpreter(notes: list[str]) -> str:
    """Without --python: the active virtual environment's interpreter (a user who
    activated one expects its packages: freeze itself may be installed elsewhere,
    with pipx), else the one running freeze."""
    venv = os.environ.get("VIRTUAL_ENV", "")
    python = os.path.join(venv, "bin", "python")
    if venv and os.path.isfile(python) and not _same_file(venv, sys.prefix):
        notes.append(f"using the active virtual environment's {python} (VIRTUAL_ENV); "
                     "give --python to choose another")
        return python
    return sys.executable


def _compile(tgt: target.Target, modules: graph.Graph, aws_lambda: bool,
             store: Optional[cache.Cache]) -> dict[str, bytes]:
    """Blobs of the bundled modules, the runtime and, for Lambda, the handler module."""
    with tempfile.TemporaryDirectory(prefix="freeze-") as scratch:
        jobs = [*_jobs(modules.bundled()), *_runtime_jobs()]
        if aws_lambda:  # Python fixes co_filename when it loads the .pyc
            bootstrap = Path(scratch, "bootstrap.py")
            bootstrap.write_bytes(awslambda.bootstrap_source())
            jobs.append(compiler.Job(_LAMBDA_BOOTSTRAP, str(bootstrap), "bootstrap.py", True))
        return compiler.compile_modules(tgt, jobs, store,
                                        {m.name for m in modules.bundled() if m.extra})


def _without_uncompiled(modules: graph.Graph, blobs: dict[str, bytes]) -> graph.Graph:
    """The graph less the carried modules that do not compile for the target: their
    files travel as data (files.collect), as any file of their distribution."""
    failed = {m.name for m in modules.bundled()
              if m.extra and m.spec.kind in (SOURCE, BYTECODE) and m.name not in blobs}
    if not failed:
        return modules
    return replace(modules, modules={name: module for name, module in modules.modules.items()
                                     if name not in failed})


def _traced(layout: archive.Layout, options: Settled, tgt: target.Target, modules: graph.Graph,
            extras: files.Files, real: extraction.Extraction, blobs: dict[str, bytes],
            store: Optional[cache.Cache], warnings: list[str],
            environment: trace.Environment) -> archive.Layout:
    """`layout` refined by the runs of --trace: their regular expressions join the
    table, the code generated while modules imported is compiled, and lazy modules
    they loaded become eager.  A Lambda handler's run is its init: importing it.
    A module or file a run missed that the build could have added fails the build."""
    entry = (archive.Entry(boot.ENTRY_FUNCTION, layout.entry.module) if options.aws_lambda
             else layout.entry)
    contents = _contents(replace(layout, entry=entry, shipped="", trace=True), modules, extras,
                         real, blobs, with_source=True)
    image = archive.build_bytes([contents], archive.launcher([tgt.executable], None))
    found = trace.record(tgt, image, options.trace, options.trace_timeout)
    trace.check(found, environment)
    warnings.extend(found.warnings)
    table = generated.compile_sources(tgt, found.sources, store)
    lazy = {name: imports for name, imports in layout.lazy.items() if name not in found.loaded}
    server = _server(options, modules, layout.entry, found.loaded)
    return replace(layout, lazy=lazy, server=server,
                   regexes=regexes.compile_patterns(tgt, modules.patterns() | found.patterns, store),
                   generated=None if table is None else (table, generated.callers(found.calls)))


def _server(options: Settled, modules: graph.Graph, entry: archive.Entry,
            loaded: Optional[Iterable[str]] = None) -> tuple[bool, float, tuple[str, ...]]:
    """The manifest's server setting (boot.SERVER_*): the modules a server preloads
    are those a trace loaded, else those the entry's body reaches through bodies'
    imports (graph.server_preload); a module or script entry runs as __main__, so
    it is not one of them."""
    if not options.server:
        return (False, options.server_idle, ())
    root = entry.module if entry.kind != boot.ENTRY_SCRIPT else graph.MAIN
    preload = graph.server_preload(modules, [root], loaded, RESET_IN_CHILD, READ_PROCESS_STATE)
    if entry.kind != boot.ENTRY_FUNCTION:
        preload = tuple(name for name in preload if name != entry.module)
    return (True, options.server_idle, preload)


def _contents(layout: archive.Layout, modules: graph.Graph, extras: files.Files,
              real: extraction.Extraction, blobs: dict[str, bytes],
              with_source: bool) -> archive.Contents:
    """One interpreter's part of the archive."""
    runtime = [archive.Member(name, boot.KIND_MODULE, f"{boot.RUNTIME_PACKAGE}/{short}.py",
                              blobs[name], (_RUNTIME_DIR / f"{short}.py").read_bytes())
               for short, name in _RUNTIME_NAMES.items()]
    # The script extracted with its files (freezer/appfiles.py) is real even without sources.
    members = [_member(m, blobs, with_source or (m.name == graph.MAIN and
                                                 files.module_path(m) in real.paths))
               for m in modules.bundled()]
    data = {path: Path(source).read_bytes() for path, source in extras.data.items()}
    sources = {m.path: m.source for m in members if m.source is not None}
    return archive.Contents(layout, members, runtime, data,
                            extraction.contents(real, data, sources), real.inits,
                            real.units)


def _entry(options: Settled, tgt: target.Target) -> tuple[archive.Entry, list[str]]:
    """The manifest's entry and the search path, as Python would set sys.path[0]."""
    extra = [os.path.abspath(p) for p in options.path]
    if options.aws_lambda and options.script is None:
        raise EntryError("--lambda: give the handler module's file, such as lambda_function.py")
    if options.script is not None:
        script = Path(options.script)
        if not script.is_file():
            raise EntryError(f"{options.script}: no such script file")
        folder = [str(script.resolve().parent), *extra, *tgt.path]
        if not options.aws_lambda:
            return archive.Entry(boot.ENTRY_SCRIPT, graph.MAIN), folder
        if script.suffix != ".py" or not script.stem.isidentifier():
            raise EntryError(f"{options.script}: a Lambda handler module must be a .py file "
                             "named like a Python module, such as lambda_function.py")
        return archive.Entry(boot.ENTRY_MODULE, script.stem), folder
    here = [os.getcwd(), *extra, *tgt.path]
    if options.module is not None:
        return archive.Entry(boot.ENTRY_MODULE, options.module), here
    if options.function is not None:
        return _object_ref(options.function, f"-e {options.function}"), here
    name = options.console_script
    assert name is not None, "the CLI checks that exactly one entry is given"
    return _object_ref(target.console_script(tgt, name), f"-c {name}"), [*extra, *tgt.path]


def _object_ref(text: str, what: str) -> archive.Entry:
    """`pkg.mod:func` (extras allowed, as in entry points) -> a function entry."""
    match = _OBJECT_REF.match(text)
    if not match or not all(part.isidentifier() for part in
                            (*match[1].split("."), *match[2].split("."))):
        raise EntryError(f"{what}: expected MODULE:FUNCTION, such as pkg.cli:main")
    return archive.Entry(boot.ENTRY_FUNCTION, match[1], match[2])


def _main_module(resolver: Resolver, name: str, given: str) -> str:
    """runpy's rule: a package runs its __main__ submodule."""
    spec = resolver.resolve(name)
    if spec is None:
        raise EntryError(f"-m {given}: no module named {name!r} on the search path")
    if not spec.is_package:
        return name
    if resolver.resolve(f"{name}.__main__") is None:
        raise EntryError(f"-m {given}: {name!r} is a package and cannot be directly "
                         "executed (it has no __main__ module)")
    return f"{name}.__main__"


def _where(filename: str, line: int, roots: Iterable[str] = ()) -> str:
    """`filename` (:line) as a user reads it: relative to the site folder it is in
    (`roots`, longest first), else to the current folder when below it."""
    shown = filename
    for root in sorted((root.rstrip(os.sep) + os.sep for root in roots), key=len, reverse=True):
        if filename.startswith(root):
            shown = filename[len(root):]
            break
    else:
        try:
            relative = os.path.relpath(filename)
            shown = filename if relative.startswith("..") else relative
        except ValueError:
            pass
    return f"{shown}:{line}" if line else shown


def _check(modules: graph.Graph, options: Settled, entry: str, tgt: target.Target,
           resolver: Resolver, notes: list[str]) -> list[str]:
    """Warnings for the user, and a note totalling the modules not found; ResolveError
    for what CPython would refuse, for what the entry cannot start without, and
    with --strict for any warning."""
    errors, warnings, at_start = [], [], []
    not_found: dict[str, list[graph.Missing]] = {}  # one warning per missing package
    excluded: dict[str, list[graph.Missing]] = {}
    for missing in modules.missing:
        if missing.optional or modules.served_at_run_time(missing.name):
            continue
        if missing.reason == graph.EXCLUDED:
            if resolver.resolve(missing.name) is not None:  # excluding the absent says "not needed"
                excluded.setdefault(missing.name, []).append(missing)
        elif missing.reason != "not found":
            where = _where(missing.filename, missing.line)
            errors.append(f"{where}: {missing.reason} ({missing.name!r} in {missing.importer})")
        elif missing.importer == entry and missing.top_level and not (
                options.aws_lambda and missing.name.partition(".")[0] in _LAMBDA_PROVIDED):
            at_start.append(missing)
        else:
            not_found.setdefault(missing.name.partition(".")[0], []).append(missing)
    if at_start:
        errors.insert(0, _cannot_start(at_start, options, tgt))
    for top, group in not_found.items():
        first = group[0]
        importers = list(dict.fromkeys(missing.importer for missing in group))
        if len(importers) > 1:
            more = f" and {len(importers) - 1} more module{'s' if len(importers) > 2 else ''}"
        elif len(group) > 1:
            more = (f"; {len(group) - 1} more import{'s' if len(group) > 2 else ''} of {top!r} "
                    "there")
        else:
            more = ""
        warnings.append(f"{_where(first.filename, first.line, tgt.site_dirs)}: cannot find "
                        f"module {first.name!r} (imported by {first.importer}{more})")
    if not_found:
        names = ", ".join(not_found)
        them = "them" if len(not_found) > 1 else "it"
        notes.append(f"{len(not_found)} module{'s' if len(not_found) > 1 else ''} not found "
                     f"({names}): an import of {them} fails at run time as in the build "
                     f"environment; install {them} for {tgt.executable} if the app needs "
                     f"{them}, or --exclude {them} if it does not, which silences "
                     f"{'their warnings' if len(not_found) > 1 else 'its warning'}")
    for name, group in sorted(excluded.items()):
        importers = sorted({missing.importer for missing in group})
        others = f" and {len(importers) - 1} more" if len(importers) > 1 else ""
        warnings.append(f"{_where(group[0].filename, group[0].line, tgt.site_dirs)}: {name!r} "
                        f"is excluded, but {importers[0]}{others} import{'' if others else 's'} "
                        "it unconditionally: that import fails at run time")
    for module in modules.modules.values():
        if module.bundled and module.spec.kind == BYTECODE:
            warnings.append(f"{module.name}: bytecode without source ({module.spec.origin}); "
                            "its imports are not followed, add them with --include")
    if options.strict and warnings and not errors:
        errors = [f"{warnings[0]} (--strict; {len(warnings)} problem(s) in all)"]
    if errors:
        raise ResolveError(errors[0] if len(errors) == 1
                           else f"{errors[0]} (and {len(errors) - 1} more)")
    return warnings


def _cannot_start(missing: list[graph.Missing], options: Settled, tgt: target.Target) -> str:
    """The error for imports the entry runs first that do not resolve: the app could
    not start.  Names the interpreter that has them when one sits beside the script."""
    names = list(dict.fromkeys(m.name for m in missing))
    shown = ", ".join(repr(name) for name in names[:3]) + (" ..." if len(names) > 3 else "")
    where = _where(missing[0].filename, missing[0].line)
    fix = f"install {'them' if len(names) > 1 else 'it'} for {tgt.executable} or give --python"
    if options.script is not None and not options.python:
        folder = Path(options.script).resolve().parent
        for venv in (folder / ".venv", folder / "venv"):
            python = venv / "bin" / "python"
            if python.is_file() and _resolves(str(python), folder, names):
                fix = f"the script's {venv.name} has {'them' if len(names) > 1 else 'it'}: " \
                      f"add --python {os.path.relpath(python)}"
                break
    return f"{where}: cannot find module {shown}, which the entry imports as it starts; {fix}"


def _resolves(python: str, folder: Path, names: list[str]) -> bool:
    """Whether `python`'s environment finds every one of `names`."""
    try:
        other = target.probe(python)
    except FreezeError:
        return False
    resolver = Resolver.for_target(other, [str(folder), *other.path])
    return all(resolver.resolve(name) is not None for name in names)


def _given_files(specs: tuple[str, ...], base: Path, label: str,
                 options: Settled) -> dict[str, str]:
    """The files `specs` (``SRC:DEST``, SRC relative to `base`) carry beside the script."""
    if not specs:
        return {}
    if options.script is None or options.aws_lambda:
        raise EntryError(f"{label} {specs[0]}: carries files beside a SCRIPT entry only "
                         "(a package's own files travel with it)")
    return _not_the_archive(appfiles.given(specs, base, label), options.output)


def _not_the_archive(carried: dict[str, str], output: Path) -> dict[str, str]:
    """`carried` without the archive being rebuilt, when it lies among them (a
    `dist` folder beside the script); any other file at -o is refused later."""
    if not _is_archive(output):
        return carried
    return {path: source for path, source in carried.items() if not _same_file(output, source)}


def _is_archive(path: Path) -> bool:
    """Whether `path` is an archive freeze wrote (any format version)."""
    try:
        with open(path, "rb") as file:
            file.seek(max(os.fstat(file.fileno()).st_size - boot.TRAILER_SIZE, 0))
            return file.read(len(boot.TRAILER_MAGIC) - 1) == boot.TRAILER_MAGIC[:-1]
    except OSError:
        return False


def _carry(options: Settled, modules: graph.Graph, extras: files.Files,
           given: dict[str, str], warnings: list[str]) -> str:
    """Add the script's own files to `extras`, extracted with the script so that its
    ``__file__`` is beside them; warn when it builds paths from ``__file__`` and
    nothing travels.  Returns the summary of the files found in its strings."""
    main = modules.modules.get(graph.MAIN)
    if main is None or options.aws_lambda:
        return ""
    taken = {files.module_path(m) for m in modules.bundled()} | set(extras.data)
    for path, source in given.items():
        if path in taken:
            raise EntryError(f"--add-data: {path} ({source}) is already in the archive")
    found = {}
    if main.reads_own_files:
        found = _not_the_archive({path: source for path, source
                                  in appfiles.detected(Path(main.spec.file)).items()
                                  if path not in taken and path not in given}, options.output)
    carried = {**found, **given}
    if not carried:
        if main.reads_own_files:
            warnings.append(f"{options.script}: builds paths from __file__, but no file beside "
                            "it travels; name them with --add-data SRC:DEST")
        return ""
    for path, source in carried.items():
        extras.add(path, source, reasons.APP_FILE, graph.MAIN)
    return appfiles.summary(found)


def _same_file(one: os.PathLike[str] | str, other: str) -> bool:
    """Whether both name one existing file or folder (through links): writing `one`
    would replace `other`, or a venv is the one running freeze."""
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _refuse_overwriting(options: Settled, given: Iterable[str]) -> None:
    """OutputError when -o names an input: the script, a requirements file, a file
    --add-data carries, or a module source in a folder on the search path."""
    output = options.output
    if not output.exists():
        return
    named = [("the script", options.script)] if options.script else []
    named += [("the requirements file", path) for path in options.requirements]
    named += [("a file --add-data carries", path) for path in given]
    for what, path in named:
        if _same_file(output, path):
            raise OutputError(f"-o {output}: would overwrite {what} {path}")
    folders = [*options.path, *([os.path.dirname(os.path.abspath(options.script))]
                                if options.script else [])]
    real = output.resolve()
    if real.suffix in (".py", ".pyw", ".pyc", ".so", ".pyd"):
        for folder in folders:
            if Path(folder).resolve() in real.parents:
                raise OutputError(f"-o {output}: would overwrite a module source on the "
                                  f"search path ({folder})")


def _refuse_overwriting_read(output: Path, modules: graph.Graph, extras: files.Files) -> None:
    """OutputError when -o names a file the build reads: a bundled module, package
    data or metadata (checked once they are known, before anything is written)."""
    if not output.exists():
        return
    for path in (*(m.spec.origin for m in modules.bundled() if m.spec.origin),
                 *extras.data.values()):
        if _same_file(output, path):
            raise OutputError(f"-o {output}: would overwrite {_where(path, 0)}, "
                              "a file the build reads")


def _check_left_out(modules: graph.Graph, script: Optional[str]) -> None:
    """TargetError when the app needs a stdlib module a standalone file leaves out."""
    def left_out(name: str) -> bool:
        return name.partition(".")[0] in standalone.LEFT_OUT

    for name, module in sorted(modules.modules.items()):
        source = modules.why[name].source
        if left_out(name) and not module.speculative and not left_out(source):
            importer = script if source == graph.MAIN and script else source
            raise TargetError(f"{importer} imports {name}, which a standalone "
                              f"file does not carry (it leaves out {', '.join(standalone.LEFT_OUT)}); "
                              "build an archive without --standalone")


def _check_function(resolver: Resolver, entry: archive.Entry, options: Settled) -> None:
    """EntryError when MOD of MOD:FUNC plainly defines no FUNC (only its first
    name is checked: ``a.b`` needs ``a``); anything it may bind unseen passes."""
    name, attribute = entry.module, entry.attribute
    spec = resolver.resolve(name)
    if not attribute or spec is None or spec.kind != SOURCE:
        return
    first = attribute.partition(".")[0]
    try:
        names = scanner.top_level_names(Path(spec.file).read_bytes())
    except OSError:
        return
    if (names is None or first in names
            or (spec.is_package and resolver.resolve(f"{name}.{first}") is not None)):
        return
    what = f"-e {options.function}" if options.function else f"-c {options.console_script}"
    raise EntryError(f"{what}: {name} defines no {first!r}")


def _jobs(modules: list[graph.Module]) -> list[compiler.Job]:
    """Compile jobs for the bundled modules that have code."""
    return [compiler.Job(m.name, m.spec.file, files.module_path(m), m.spec.kind == SOURCE)
            for m in modules if m.spec.kind not in (NAMESPACE, EXTENSION)]


def _runtime_jobs() -> list[compiler.Job]:
    """The runtime's modules, and boot as the zip's __main__.pyc.

    The runtime runs inside the import system: named like importlib's own code,
    its frames are dropped from import tracebacks exactly as importlib's are, and
    tracers skip them as code with no file (coverage measured boot's finder
    lookups as the app's own `__main__.py`, then found no source for it).
    """
    jobs = [compiler.Job(name, str(_RUNTIME_DIR / f"{short}.py"),
                         "<frozen importlib._bootstrap_external>", True)
            for short, name in _RUNTIME_NAMES.items()]
    return [*jobs, compiler.Job(_BOOT, boot.__file__, "<frozen importlib._bootstrap_external>",
                                True)]


def _member(module: graph.Module, blobs: dict[str, bytes], with_source: bool) -> archive.Member:
    kind = (boot.KIND_NAMESPACE if module.spec.kind == NAMESPACE else
            boot.KIND_EXTENSION if module.spec.kind == EXTENSION else
            boot.KIND_PACKAGE if module.spec.is_package else boot.KIND_MODULE)
    source = None
    if with_source and module.spec.kind == SOURCE:
        source = Path(module.spec.file).read_bytes()
    return archive.Member(module.name, kind, files.module_path(module), blobs.get(module.name),
                          source)


def _external_kind(module: graph.Module) -> str:
    if module.spec.kind == BUILTIN:
        return "builtin"
    return "stdlib" if module.stdlib else module.spec.kind
