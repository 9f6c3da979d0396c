"""The archive's __main__.py: what Python runs when __main__.pyc is not for it.

zipimport runs the zip's __main__.pyc, runtime/boot.py compiled for the newest
interpreter the archive was built for, when its magic number is this
interpreter's, and compiles this file otherwise.  It runs boot compiled for this
interpreter, another zip member, else boot's source, which then says which
Pythons the archive is for.  Keep it tiny: it is compiled at every start of such
an interpreter.  The member names are boot.BOOT_CODE_MEMBER and BOOT_SOURCE_MEMBER.
"""
import marshal
import sys

# __loader__ is the zipimporter, set by the import system: a global mypy does not know.
try:
    _boot = marshal.loads(__loader__.get_data(  # type: ignore[name-defined]
        "__freeze__/boot." + sys.implementation.cache_tag + ".pyc")[16:])
except OSError:
    _boot = compile(__loader__.get_data("__freeze__/boot.py"), __file__, "exec")  # type: ignore[name-defined]
exec(_boot)
