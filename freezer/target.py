"""What the target interpreter's import system would use, asked once.

Everything version- or environment-specific (search path, suffix tables, magic
number, builtin and stdlib names) comes from running the target interpreter,
never from the interpreter running freeze.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Optional

from . import cache
from .cache import Cache
from .errors import EntryError, TargetError
from .runtime import boot

SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))

_PROBE = r"""
import _imp, importlib.machinery as m, importlib.util as u, json, site, sys, sysconfig
paths = sysconfig.get_paths()
print(json.dumps({
    "executable": sys.executable,
    "prefix": sys.prefix,
    "implementation": sys.implementation.name,
    "version": list(sys.version_info[:3]),
    "version_string": sys.version.split()[0],
    "magic": u.MAGIC_NUMBER.hex(),
    "path": [p for p in sys.path if p],
    "extension_suffixes": m.EXTENSION_SUFFIXES,
    "source_suffixes": m.SOURCE_SUFFIXES,
    "bytecode_suffixes": m.BYTECODE_SUFFIXES,
    "builtin_modules": sorted(sys.builtin_module_names),
    "platform": sys.platform,
    "frozen_modules": sorted(getattr(_imp, "_frozen_module_names", lambda: ())()),
    "registered_submodules": sorted(n for n, mod in list(sys.modules.items()) if "." in n
        and not hasattr(sys.modules.get(n.rpartition(".")[0]), "__path__")),
    "stdlib_dirs": sorted({paths["stdlib"], paths["platstdlib"]}),
    "site_dirs": sorted({paths["purelib"], paths["platlib"], *site.getsitepackages()}),
}))
"""

_CONSOLE_SCRIPT = r"""
import json, sys
from importlib.metadata import entry_points
found = [ep.value for ep in entry_points(group="console_scripts", name=sys.argv[1])]
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Target:
    """The interpreter an archive is built for, as its import system sees things."""

    executable: str
    version: tuple[int, int, int]
    version_string: str
    magic: bytes
    path: tuple[str, ...]
    extension_suffixes: tuple[str, ...]
    source_suffixes: tuple[str, ...]
    bytecode_suffixes: tuple[str, ...]
    builtin_modules: frozenset[str]
    frozen_modules: frozenset[str]
    # Submodules of plain modules that the parent puts in sys.modules (os.path).
    registered_submodules: frozenset[str]
    platform: str
    stdlib_dirs: tuple[str, ...]
    site_dirs: tuple[str, ...]
    prefix: str = ""  # sys.prefix: where its distributions put files outside site-packages

    @property
    def short_version(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def module_suffixes(self) -> tuple[str, ...]:
        """Every file suffix its import system loads a module from."""
        return (*self.source_suffixes, *self.bytecode_suffixes, *self.extension_suffixes)

    def provides(self, origin: str) -> bool:
        """The file is part of the interpreter's standard library (not site-packages).

        Decided by location, not name: an app's own `calendar.py` beside its
        script shadows the stdlib module and must be bundled.
        """
        return (_under(origin, self.stdlib_dirs) and not _under(origin, self.site_dirs))


def _under(path: str, directories: tuple[str, ...]) -> bool:
    return any(path.startswith(directory.rstrip(os.sep) + os.sep) for directory in directories)


# `-c` puts the current folder first on sys.path: a script run isolated finds the
# runtime's folder there instead, so that `import boot` gives it the archive format.
_RUNTIME = os.path.dirname(boot.__file__)
_ISOLATED_PREFIX = f"import sys; sys.path[0] = {_RUNTIME!r}\n"
_SEEDED = {"PYTHONHASHSEED": "0"}
# What else shapes an isolated run's answer, for cache keys.
RUN_ID = cache.key(_ISOLATED_PREFIX, cache.code_id(boot.__file__), repr(_SEEDED))


def run(python: str, script: str, request: bytes = b"", *args: str, failure: str,
        label: str = "", isolated: bool = True, timeout: Optional[float] = None) -> bytes:
    """Run `script` in the interpreter `python` with `request` on stdin; its stdout.
    The one way freeze runs code in a target interpreter.  TargetError
    ``"{label}: {failure} ({what stderr says})"``, label defaulting to `python`.

    Isolated, it is as isolated as ``-I`` (no site, no PYTHON* variables, no current
    folder on sys.path) but with a fixed hash seed, since marshal writes a frozenset
    constant in iteration order, which follows the seed, and the same inputs must
    give the same bytes; and runtime/boot.py imports as ``boot``.  Not isolated, it
    sees what the interpreter's own programs see (the probe asks for its sys.path)."""
    label = label or python
    if isolated:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
        command = [python, "-s", "-S", "-c", _ISOLATED_PREFIX + script, *args]
        env.update(_SEEDED)
    else:
        env, command = None, [python, "-c", script, *args]
    try:
        proc = subprocess.run(command, input=request, capture_output=True, env=env,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TargetError(f"{label}: cannot run it ({exc})") from None
    if proc.returncode != 0:
        raise TargetError(f"{label}: {failure} ({_gist(proc.stderr.decode(errors='replace'))})")
    return proc.stdout


def starts(python: str) -> bool:
    """Whether `python` starts (a pyenv shim on PATH may name a version not enabled)."""
    try:
        run(python, "", failure="does not start", isolated=False, timeout=60)
    except TargetError:
        return False
    return True


def run_cached(target: Target, script: str, request: bytes, failure: str,
               store: Optional[Cache]) -> bytes:
    """run()'s answer for an isolated script, kept in the cache under the script,
    the target, the request and boot, which the script may import."""
    name = cache.key("run", RUN_ID, script, target.executable, target.magic, request)
    answer = store.load(name) if store else None
    if answer is None:
        answer = run(target.executable, script, request, failure=failure)
        if store:
            store.store(name, answer)
    return answer


def _gist(stderr: str) -> str:
    """The line that says what went wrong: a traceback's last, else the first (a pyenv
    shim's "command not found" comes before its advice)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return "it failed without a word"
    return lines[-1] if any(line.startswith("Traceback") for line in lines) else lines[0]


def probe(python: str) -> Target:
    """Ask `python` once for its import configuration."""
    try:
        info = json.loads(run(python, _PROBE, label=f"--python {python}",
                              failure="not a usable CPython 3.10+", isolated=False,
                              timeout=120))
    except json.JSONDecodeError:
        raise TargetError(f"--python {python}: not a Python interpreter (it ran freeze's "
                          "probe and printed no answer); give a python executable") from None
    version = tuple(info["version"])
    if info["implementation"] != "cpython" or version[:2] not in SUPPORTED:
        raise TargetError(f"--python {python}: is {info['implementation']} "
                          f"{info['version_string']}; freeze supports CPython 3.10 to 3.13")
    return Target(
        executable=info["executable"],
        prefix=info["prefix"],
        version=version,
        version_string=info["version_string"],
        magic=bytes.fromhex(info["magic"]),
        path=tuple(info["path"]),
        extension_suffixes=tuple(info["extension_suffixes"]),
        source_suffixes=tuple(info["source_suffixes"]),
        bytecode_suffixes=tuple(info["bytecode_suffixes"]),
        builtin_modules=frozenset(info["builtin_modules"]),
        frozen_modules=frozenset(info["frozen_modules"]),
        registered_submodules=frozenset(info["registered_submodules"]),
        platform=info["platform"],
        stdlib_dirs=tuple(info["stdlib_dirs"]),
        site_dirs=tuple(info["site_dirs"]),
    )


def console_script(target: Target, name: str) -> str:
    """The `module:attr` a console script of the target environment runs."""
    found = json.loads(run(target.executable, _CONSOLE_SCRIPT, b"", name, isolated=False,
                           failure="cannot list its console scripts", timeout=120))
    if not found:
        script = os.path.join(os.path.dirname(target.executable), name)
        if os.path.isfile(script):  # installed with setup(scripts=...), as awscli's `aws`
            raise EntryError(f"-c {name}: {script} is a plain script, not an entry point; "
                             f"freeze it as one: `freeze build {script} --python "
                             f"{target.executable}`")
        raise EntryError(f"-c {name}: no console script of that name is installed for "
                         f"{target.executable}; check `pip show` in that environment")
    return found[0]
