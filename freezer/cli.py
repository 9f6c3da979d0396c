"""The `freeze` command: parse options, delegate, turn errors into exits."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import click

from . import cache as caching
from . import contents, processes, progress, report
from .errors import FreezeError


class _Failure(click.ClickException):
    """One line on stderr, exit 2: the input was unusable."""

    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="freeze")
def main() -> None:
    """Freeze a Python application into one fast-starting archive."""
    processes.stop_on_signals()


@main.command()
@click.argument("arguments", nargs=-1, metavar="[SCRIPT] [REQUIREMENT]...")
@click.option("-m", "--module", metavar="MODULE", help="Run MODULE as __main__ (like python -m).")
@click.option("-e", "--entry-point", "function", metavar="PKG.MOD:FUNC",
              help="Call FUNC; its return value is the exit status.")
@click.option("-c", "--console-script", metavar="NAME",
              help="Run an installed console script of the target environment.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Archive to write [default: dist/NAME.pyz, dist/function.zip with "
                   "--lambda].")
@click.option("--python", "python", multiple=True, metavar="INTERPRETER",
              help="Resolve in this interpreter's environment and compile for it; repeat it "
                   "for one archive that runs on each (3.X-3.Y: every python3.X on PATH in "
                   "that range) [default: the active virtual environment's, else the Python "
                   "running freeze].")
@click.option("-r", "--requirement", "requirement_files", multiple=True, metavar="FILE",
              help="Install the requirements in FILE into a cached build environment "
                   "of --python and freeze from there (repeatable).")
@click.option("--path", "paths", multiple=True, metavar="DIR",
              help="Add a module search path entry (repeatable).")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Also bundle modules matching GLOB, e.g. 'pkg.plugins.*' (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Never bundle modules matching GLOB (repeatable).")
@click.option("--extract", multiple=True, metavar="PACKAGE",
              help="Write PACKAGE's files to the user cache at run time, for code that "
                   "opens files beside its __file__ (repeatable).")
@click.option("--add-data", "add_data", multiple=True, metavar="SRC:DEST",
              help="Carry the file or folder SRC beside the script, into DEST (a folder "
                   "relative to the script's, '.' for its own), extracted with it at run "
                   "time (repeatable; usually detected).")
@click.option("--strict/--no-strict", default=None, help="Fail on any unresolved import.")
@click.option("--prune/--no-prune", default=None,
              help="Bundle only the modules analysis reaches, not every module of their "
                   "distributions (smaller; code that finds modules at run time may miss some).")
@click.option("--source/--no-source", default=None,
              help="Embed sources for tracebacks and inspect.getsource [default: on].")
@click.option("--lazy/--no-lazy", default=None,
              help="Load modules whose body only defines names, outside import cycles, "
                   "on first use (importlib.util.LazyLoader), the app's and the "
                   "standard library's.")
@click.option("--gc-freeze/--no-gc-freeze", default=None,
              help="Collect cyclic garbage only every 100,000 allocations while bundled "
                   "modules import, then gc.freeze() what they built [default: on].")
@click.option("--trace", multiple=True, metavar="ARGS",
              help="Run the archive once with ARGS (shell-quoted; '' for none) in this "
                   "folder and use what the run did: the regular expressions it compiled "
                   "are prebuilt, and with --lazy the modules it loaded load eagerly "
                   "(repeatable). With --lambda the run imports the handler: give ''.")
@click.option("--trace-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop a --trace run (and what it started) after SECONDS and fail the "
                   "build [default: 600].")
@click.option("--cache/--no-cache", "use_cache", default=None,
              help="Reuse analyses and compiled modules from the user cache [default: on].")
@click.option("--lambda/--no-lambda", "aws_lambda", default=None,
              help="Write an AWS Lambda deployment package (.zip) for the handler module "
                   "SCRIPT; the handler setting stays module.function.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True,
              help="Also print the build's decisions: why each module and file is in the "
                   "archive, what is extracted and why.")
@click.option("--standalone/--no-standalone", default=None,
              help="Carry the target interpreter too: one file that runs where no Python is "
                   "installed (Linux; unpacked once per machine into the user cache) "
                   "[default: off].")
@click.option("--server/--no-server", default=None,
              help="Start a per-user server on the first run that imports the app once and "
                   "forks a child per later run: for CLIs run again and again (Linux; "
                   "FREEZE_SERVER=0 turns it off for a run; docs/server.md) [default: off].")
@click.option("--server-idle", "server_idle", type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", help="An idle server exits after SECONDS [default: 600].")
@click.option("--shebang", metavar="COMMAND",
              help="Use `#!COMMAND` as the first line [default: a /bin/sh line running "
                   "`pythonX.Y -S` of the target].")
def build(arguments: tuple[str, ...], module: Optional[str], function: Optional[str],
          console_script: Optional[str], output: Optional[Path], python: tuple[str, ...],
          requirement_files: tuple[str, ...], paths: tuple[str, ...],
          include: tuple[str, ...], exclude: tuple[str, ...], extract: tuple[str, ...],
          add_data: tuple[str, ...], strict: Optional[bool], prune: Optional[bool],
          source: Optional[bool], lazy: Optional[bool], gc_freeze: Optional[bool],
          trace: tuple[str, ...], trace_timeout: Optional[float], use_cache: Optional[bool],
          aws_lambda: Optional[bool], quiet: bool, verbose: bool,
          standalone: Optional[bool], server: Optional[bool], server_idle: Optional[float],
          shebang: Optional[str]) -> None:
    """Freeze SCRIPT (or -m, -e, -c) into one archive.

    REQUIREMENTs (pip specs, like -r files) are installed into a cached build
    environment first; with -m, -e or -c every argument is a requirement.

    Every option can also be set in the [tool.freeze] table of the nearest
    pyproject.toml (the script's folder or above; the current folder for -m, -e
    and -c), keyed by its long name: lazy = true, include = ["pkg.*"],
    output = "dist/app.pyz". The command line wins; globs and files add up.
    """
    named = [x for x in (module, function, console_script) if x is not None]
    script = None if named or not arguments else arguments[0]
    specs = arguments if named else arguments[1:]
    given = [x for x in (script, *named) if x is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of SCRIPT, -m MODULE, -e PKG.MOD:FUNC "
                               "or -c CONSOLE_SCRIPT")
    from . import build as building  # libcst and the rest of the build: only `build` needs them
    options = building.Options(
        output=output, script=script, module=module, function=function,
        console_script=console_script, python=python, requirements=requirement_files,
        specs=specs, path=paths, include=include, exclude=exclude, extract=extract,
        strict=strict, prune=prune, source=source, lazy=lazy, gc_freeze=gc_freeze, trace=trace,
        trace_timeout=trace_timeout, shebang=shebang, cache=use_cache, aws_lambda=aws_lambda,
        standalone=standalone, server=server, server_idle=server_idle,
        add_data=add_data)
    if quiet and verbose:
        raise click.UsageError("give -q or -v, not both")
    reporter = (progress.Progress() if quiet else
                progress.Bar(verbose=verbose) if sys.stderr.isatty() else
                progress.Lines(verbose=verbose))
    progress.show(reporter)
    started = time.monotonic()
    try:
        result = building.build(options)
    except BaseException as exc:
        status = processes.exit_status()  # a signal stopped it: whatever broke, it was that
        if status is not None:
            raise SystemExit(status) from None
        if isinstance(exc, FreezeError):
            raise _Failure(str(exc)) from None
        raise
    finally:
        reporter.clear()
    if quiet:
        return
    if verbose:
        for line in contents.decisions(result.output):
            click.echo(f"        {line}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.extracted:
        where = ("shipped as real files in the package" if result.unzipped is not None
                 else "extracted to the user cache on first run")
        click.echo(f"note: {where}: "
                   f"{', '.join(result.extracted)}", err=True)
    size = f"{result.size:,} bytes"
    if result.unzipped is not None:
        size += f" ({result.unzipped:,} unzipped)"
    pythons = ", ".join(result.pythons)
    problems = len(result.warnings)
    said = f", {problems} warning{'s' if problems != 1 else ''}" if problems else ""
    click.echo(f"wrote {result.output}: {result.modules:,} module"
               f"{'s' if result.modules != 1 else ''}, {result.files:,} file"
               f"{'s' if result.files != 1 else ''}, {size}, for CPython {pythons}, in "
               f"{time.monotonic() - started:.1f} s{said}", err=True)


@main.command("report")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Page to write [default: ARCHIVE's name with .html].")
def report_command(archive: Path, output: Optional[Path]) -> None:
    """Write one self-contained HTML page of where ARCHIVE's bytes go: a treemap by
    distribution and package, and every module and file with its reason and importers."""
    page = output or archive.with_suffix(".html")
    try:
        size = report.write(archive, page)
    except FreezeError as exc:
        raise _Failure(str(exc)) from None
    click.echo(f"wrote {page}: {size:,} bytes", err=True)


@main.command("cache")
@click.option("--clear", is_flag=True, help="Remove the entries (all, or those --older-than).")
@click.option("--older-than", type=click.FloatRange(min=0), metavar="DAYS", default=0,
              help="With --clear: only entries not modified for DAYS days.")
@click.option("--only", type=click.Choice(["build", "envs", "extracted", "interpreters"]),
              multiple=True,
              help="With --clear: only this kind (repeatable).")
def cache_command(clear: bool, older_than: float, only: tuple[str, ...]) -> None:
    """Show (or clear) what freeze keeps in the user cache: analyses and compiled
    modules (build, with the interpreters --standalone bundled), requirement
    environments (envs), the files archives extracted at run time (extracted) and
    the interpreters standalone files unpacked (interpreters): nothing removes the
    last two when an archive is deleted."""
    kinds = caching.usage()
    click.echo(f"{'KIND':<12} {'ENTRIES':>7} {'SIZE':>13}  FOLDER")
    for kind in kinds:
        click.echo(f"{kind.what:<12} {len(kind.entries):>7,} {kind.size / 1e6:>10,.1f} MB  "
                   f"{kind.folder}")
    if clear:
        removed, freed = caching.clear([kind for kind in kinds if not only or kind.what in only],
                                       older_than * 86400)
        click.echo(f"removed {removed:,} entr{'y' if removed == 1 else 'ies'}, "
                   f"{freed / 1e6:,.1f} MB")


# inspect and why read one interpreter's manifest of an archive built for several.
_PYTHON_OPTION = click.option(
    "--python", metavar="3.X", help="The manifest for CPython 3.X [default: the newest].")


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@_PYTHON_OPTION
def inspect(archive: Path, as_json: bool, python: Optional[str]) -> None:
    """List what ARCHIVE holds: entry, Python, and every module's blob."""
    try:
        info = contents.describe(archive, python)
    except FreezeError as exc:
        raise _Failure(str(exc)) from None
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    entry = info["entry"]
    target = entry["module"] + (f":{entry['attribute']}" if entry["attribute"] else "")
    click.echo(f"archive  {info['archive']} ({info['size']:,} bytes)")
    click.echo(f"python   {info['python']['label']}")
    others = [p["version"] for p in info["pythons"] if p["version"] != info["python"]["version"]]
    if others:
        click.echo(f"         also CPython {', '.join(others)} (--python 3.X shows that one)")
    click.echo(f"entry    {entry['kind']} {target}")
    if info["standalone"]:
        carried = info["standalone"]
        click.echo(f"carries  CPython {carried['version']} ({carried['size']:,} bytes; unpacked once "
                   f"into the user cache's {carried['folder']}), needs glibc {carried['glibc']}+")
    click.echo(f"lazy     {len(info['lazy'])} modules load on first use")
    click.echo("gc       " + ("eased while bundled modules import, then gc.freeze()"
                             if info["gc_freeze"] else "as Python collects"))
    served = info["server"]
    click.echo("server   " + (f"on: preloads {len(served['preload'])} modules, exits after "
                             f"{served['idle']:g} s idle" if served["enabled"] else "off"))
    generated = info["generated"]
    if generated["sources"]:
        click.echo(f"codegen  {generated['sources']} generated sources prebuilt for "
                   f"{', '.join(generated['modules'])}")
    extracted = sum(f["extract"] for f in info["files"])
    click.echo(f"modules  {len(info['modules'])} bundled, {len(info['external'])} "
               "from the Python installation")
    click.echo(f"files    {len(info['files'])} data and metadata files, {extracted} of them "
               "written to the user cache at run time")
    if info["units"] and not info["shipped"]:
        click.echo(f"         written when first needed, in {len(info['units'])} groups: an "
                   "extension module with the libraries it loads, a package's folder")
    if info["differences"]:
        click.echo(f"         {len(info['differences'])} bundled for some Pythons only: "
                   + ", ".join(f"{name} ({', '.join(versions)})"
                               for name, versions in info["differences"].items()))
    if info["shipped"]:
        click.echo(f"shipped  {len(info['shipped'])} files beside the archive, as real files")
    click.echo()
    click.echo(f"{'KIND':<10} {'OFFSET':>10} {'LENGTH':>8} {'SOURCE':>8}  {'DIGEST':<32}  NAME")
    for module in info["modules"]:
        click.echo(f"{module['kind']:<10} {module['offset']:>10} {module['length']:>8} "
                   f"{module['source_length']:>8}  {module['digest']:<32}  {module['name']}")
    for name, kind in info["external"].items():
        click.echo(f"{kind:<10} {'-':>10} {'-':>8} {'-':>8}  {'-':<32}  {name}")
    if info["distributions"]:
        click.echo()
        click.echo(f"{'MODULES':>8} {'FILES':>6} {'BYTES':>12} {'EXTRACTED':>9}  DISTRIBUTION")
        by_size = sorted(info["distributions"].items(), key=lambda item: -item[1]["bytes"])
        for name, total in by_size:
            click.echo(f"{total['modules']:>8} {total['files']:>6} {total['bytes']:>12,} "
                       f"{total['extracted']:>9}  {name}")


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("name")
@_PYTHON_OPTION
def why(archive: Path, name: str, python: Optional[str]) -> None:
    """Say why module or file NAME is in ARCHIVE, step by step back to the entry."""
    try:
        lines = contents.explain(archive, name, python)
    except FreezeError as exc:
        raise _Failure(str(exc)) from None
    for line in lines:
        click.echo(line)


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(archive: Path) -> None:
    """Re-check every byte that matters; exit 1 naming each damaged part (2: not an
    archive freeze can read at all)."""
    try:
        problems = contents.verify(archive)
    except FreezeError as exc:
        raise _Failure(str(exc)) from None
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"{archive}: ok")
