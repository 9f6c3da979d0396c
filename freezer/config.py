"""[tool.freeze] in pyproject.toml: the build options a project keeps with its code.

Every option of `freeze build` has a key named like its long form, and per-package
hooks have a table each::

    [tool.freeze]
    python = [".venv/bin/python"]          # --python (paths relative to this file)
    include = ["myapp.plugins.*"]          # --include
    lazy = true                            # --lazy (--no-lazy on the command line wins)
    trace = ["--help", "report in.csv"]    # --trace
    output = "dist/myapp.pyz"              # -o
    add-data = ["templates:templates"]     # --add-data, SRC relative to this file

    [tool.freeze.hooks.somepackage]        # fires when somepackage is bundled
    include = ["somepackage.backends.*"]   # any field of freezer/hooks.py's Hook,
    extract = ["somepackage"]              # hyphenated: package-calls, patches, ...

The command line wins over a key of a single value (a flag, -o, --shebang, and
--python, --requirement and --trace as a whole); globs and files (--include,
--exclude, --extract, --add-data, --path) add up.  The entry (SCRIPT, -m, -e, -c)
stays on the command line.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .errors import FreezeError
from .hooks import Hook, HookError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

_FLAG, _TEXT, _TEXTS, _SECONDS = ("true or false", "a string", "a list of strings",
                                  "a number of seconds above 0")
# key -> (Options field, shape, whether its values are paths relative to the file)
KEYS: dict[str, tuple[str, str, bool]] = {
    "python": ("python", _TEXTS, True),
    "requirement": ("requirements", _TEXTS, True),
    "path": ("path", _TEXTS, True),
    "include": ("include", _TEXTS, False),
    "exclude": ("exclude", _TEXTS, False),
    "extract": ("extract", _TEXTS, False),
    "trace": ("trace", _TEXTS, False),
    "trace-timeout": ("trace_timeout", _SECONDS, False),
    "output": ("output", _TEXT, True),
    "shebang": ("shebang", _TEXT, False),
    "strict": ("strict", _FLAG, False),
    "prune": ("prune", _FLAG, False),
    "source": ("source", _FLAG, False),
    "lazy": ("lazy", _FLAG, False),
    "gc-freeze": ("gc_freeze", _FLAG, False),
    "cache": ("cache", _FLAG, False),
    "lambda": ("aws_lambda", _FLAG, False),
    "standalone": ("standalone", _FLAG, False),
    "server": ("server", _FLAG, False),
    "server-idle": ("server_idle", _SECONDS, False),
}
ADDED_UP = frozenset({"include", "exclude", "extract", "path"})
_PATCH_TABLE = "a table of module = patch name"
# A hook's table has Hook's fields, hyphenated (freezer/hooks.py).
_HOOK_KEYS = {"include": _TEXTS, "extract": _TEXTS, "package-calls": _TEXTS, "real": _TEXTS,
              "aliases": _TEXTS, "patches": _PATCH_TABLE, "served": _FLAG}


@dataclass(frozen=True)
class Config:
    """What a [tool.freeze] table says: Options field -> value, and the hooks."""

    path: Optional[Path] = None  # the pyproject.toml it came from; None: no table
    values: tuple[tuple[str, Any], ...] = ()
    hooks: tuple[Hook, ...] = ()
    add_data: tuple[str, ...] = ()  # SRC:DEST, SRC relative to the file's folder


def find(start: Path) -> Optional[Path]:
    """The nearest pyproject.toml at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load(path: Optional[Path]) -> Config:
    """Read and check [tool.freeze]; a missing file or table is an empty config."""
    if path is None:
        return Config()
    try:
        with open(path, "rb") as file:
            tool = tomllib.load(file).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FreezeError(f"{path}: cannot read [tool.freeze] ({exc})") from None
    table = tool.get("freeze") if isinstance(tool, dict) else None
    if table is None:
        return Config()
    if not isinstance(table, dict):
        raise FreezeError(f"{path}: [tool.freeze] must be a table, not {_kind(table)}")
    keys = [*KEYS, "hooks", "add-data"]
    values = []
    for key, value in table.items():
        if key in ("hooks", "add-data"):
            continue
        if key not in KEYS:
            raise FreezeError(f"{path}: [tool.freeze] has no key {key!r}{_near(key, keys)}")
        field, shape, relative = KEYS[key]
        _check(path, key, value, shape)
        if relative:
            value = _relative_to(path.parent, key, value)
        values.append((field, tuple(value) if shape == _TEXTS else value))
    add_data = table.get("add-data", [])
    _check(path, "add-data", add_data, _TEXTS)
    return Config(path, tuple(values), _hooks(path, table.get("hooks", {})), tuple(add_data))


def _hooks(path: Path, table: Any) -> tuple[Hook, ...]:
    if not isinstance(table, dict):
        raise FreezeError(f"{path}: [tool.freeze] hooks must be a table of tables, not "
                          f"{_kind(table)}")
    hooks = []
    for name, spec in sorted(table.items()):
        if not isinstance(spec, dict):
            raise FreezeError(f"{path}: [tool.freeze.hooks] {name} must be a table")
        fields: dict[str, Any] = {}
        for key, value in spec.items():
            if key not in _HOOK_KEYS:
                raise FreezeError(f"{path}: [tool.freeze.hooks.{name}] has no key "
                                  f"{key!r}{_near(key, _HOOK_KEYS)}")
            _check(path, f"hooks.{name}.{key}", value, _HOOK_KEYS[key])
            fields[key.replace("-", "_")] = tuple(value) if isinstance(value, list) else value
        try:
            hooks.append(Hook(name, **fields))
        except HookError as exc:
            raise FreezeError(f"{path}: {exc}") from None
    return tuple(hooks)


def _check(path: Path, key: str, value: Any, shape: str) -> None:
    if shape == _FLAG:
        fits = isinstance(value, bool)
    elif shape == _SECONDS:
        fits = isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
    elif shape == _TEXT:
        fits = isinstance(value, str)
    elif shape == _PATCH_TABLE:
        fits = isinstance(value, dict) and all(isinstance(item, str) for item in value.values())
    else:
        fits = isinstance(value, list) and all(isinstance(item, str) for item in value)
    if not fits:
        shown = repr(value) if isinstance(value, (int, float)) else _kind(value)
        raise FreezeError(f"{path}: [tool.freeze] {key} must be {shape}, not {shown}")


def _relative_to(folder: Path, key: str, value: Any) -> Any:
    """Paths in the file are relative to its folder, wherever freeze runs; --python
    may also name a command on PATH (`python3.12`) or a range (`3.10-3.13`)."""
    def resolve(text: str) -> str:
        if key == "python" and "/" not in text:
            return text
        return str(folder / text)
    return resolve(value) if isinstance(value, str) else [resolve(item) for item in value]


def _near(key: str, known: Any) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind(value: Any) -> str:
    names = {bool: "a boolean", str: "a string", list: "a list", dict: "a table",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)
