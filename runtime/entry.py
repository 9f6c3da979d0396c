"""Run the app's entry point as ``__main__``, the way ``python`` would.

A script runs with ``__spec__`` None, a module with runpy's attributes, a
function like a console script: its return value is the exit status.  An
uncaught exception is reported without the runtime's own frames, so the
traceback reads exactly as it would without freezing.
"""

import builtins
import sys
from _frozen_importlib import module_from_spec

from .boot import (
    ENTRY_ATTRIBUTE, ENTRY_FUNCTION, ENTRY_KIND, ENTRY_NAME, ENTRY_SCRIPT, MANIFEST_ENTRY,
)


def run(archive, finder):
    entry = archive.manifest[MANIFEST_ENTRY]
    kind, module_name, attribute = entry[ENTRY_KIND], entry[ENTRY_NAME], entry[ENTRY_ATTRIBUTE]
    _site_builtins()
    try:
        if kind == ENTRY_FUNCTION:
            # The archive stands where a console script would: it is __main__'s file.
            _new_main(archive.path, finder.loader, spec=None, package=None)
            __import__(module_name)
            if not attribute:  # a traced Lambda handler: its init is its import
                return
            target = sys.modules[module_name]
            for part in attribute.split("."):
                target = getattr(target, part)
            sys.exit(target())  # type: ignore[operator]  # what getattr found, not the module
        _run_main(finder, module_name, script=kind == ENTRY_SCRIPT)
    except SystemExit:
        raise
    except BaseException as exc:
        _report_uncaught(exc)


def run_in_place(finder, name):
    """Execute the bundled module `name` as the module being imported under that name.

    A Lambda bootstrap hands over this way: once its body ends, the import
    system returns whatever sys.modules holds for the name.
    """
    spec = finder.find_spec(name)
    module = module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


class _Quitter:
    """exit() and quit(), which `site` adds and `python -S` (our launcher) does not."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "Use {}() or Ctrl-D (i.e. EOF) to exit".format(self.name)

    def __call__(self, code=None):
        try:
            sys.stdin.close()
        except Exception:
            pass
        raise SystemExit(code)


def _site_builtins():
    for name in ("exit", "quit"):
        if not hasattr(builtins, name):
            setattr(builtins, name, _Quitter(name))


def _run_main(finder, name, script):
    if name in finder.loader.archive.modules:
        spec = finder.find_spec(name)
        code = finder.loader.get_code(name)
        cached = None  # no file of compiled code is behind a bundled module
    else:  # a standard-library module, which the interpreter provides
        spec, code = _interpreter_module(name)
        cached = spec.cached
    if script:
        main = _new_main(spec.origin, spec.loader, spec=None, package=None)
    else:
        # As runpy._run_module_as_main: parents are imported first.
        if spec.parent:
            __import__(spec.parent)
        main = _new_main(spec.origin, spec.loader, spec=spec, package=spec.parent,
                         cached=cached)
    exec(code, main.__dict__)


def _new_main(file, loader, spec, package, cached=None):
    """A fresh __main__ in place of the zip's (boot, which runpy ran)."""
    main = type(sys)("__main__")
    # __builtins__ is the module, as in python's __main__ (exec gave us its dict).
    main.__dict__.update(__file__=file, __cached__=cached, __loader__=loader,
                         __builtins__=builtins, __spec__=spec, __package__=package)
    sys.modules["__main__"] = main
    return main


def _interpreter_module(name):
    """Spec and code of a module the archive does not hold, found as runpy finds
    it (importing its parents first) by the import system."""
    from importlib.util import find_spec
    spec = find_spec(name)
    # runpy's call: a module that runs as __main__ has an InspectLoader, which the stub's
    # Loader is not.
    code = (None if spec is None or spec.loader is None
            else spec.loader.get_code(name))  # type: ignore[attr-defined]
    if code is None:
        raise ImportError("No module named {}".format(name), name=name)
    return spec, code


def _report_uncaught(exc):
    """Print like the interpreter's top level, minus this module's frames.

    The interpreter's own printer opens source files by name, which cannot
    reach into the archive; the traceback module asks each module's loader.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_globals.get("__name__") == __name__:
        tb = tb.tb_next
    exc = exc.with_traceback(tb)
    try:
        sys.stdout.flush()  # as the interpreter does before printing a traceback
    except Exception:
        pass
    if sys.excepthook is sys.__excepthook__:
        import traceback
        traceback.print_exception(type(exc), exc, tb)
    else:
        sys.excepthook(type(exc), exc, tb)
    raise SystemExit(130 if isinstance(exc, KeyboardInterrupt) else 1)
