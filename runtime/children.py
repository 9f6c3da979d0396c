"""Child processes of a frozen app: multiprocessing's spawn and forkserver.

Their children are fresh interpreters that import the app's modules, so they
need this importer too.  The preparation data a parent sends first carries an
object whose unpickling, in the child, runs boot's start() from the archive's
zip member: the child then imports exactly as the parent does.
"""

import sys

from .boot import RUNTIME_PACKAGE

_CHILD_BOOT = """
import sys, zipimport
boot = type(sys)("{package}.boot")
sys.modules["{package}.boot"] = boot
exec(zipimport.zipimporter(path).get_code("__main__"), boot.__dict__)
boot.start(path)
""".format(package=RUNTIME_PACKAGE)


class _InstallInChild:
    def __init__(self, archive_path):
        self.archive_path = archive_path

    def __reduce__(self):
        return exec, (_CHILD_BOOT, {"path": self.archive_path})


def patch_spawn(spawn, loader):
    """After multiprocessing.spawn loads: children start by installing the runtime."""
    archive = loader.archive
    original = spawn.get_preparation_data

    def get_preparation_data(name):
        data = original(name)
        if RUNTIME_PACKAGE + ".importer" in sys.modules:
            data["freeze_runtime"] = _InstallInChild(archive.path)
        if data.get("init_main_from_path") == archive.path:
            # A function entry's __main__ stands for the archive, which runpy
            # cannot run as the child's main (it holds no __main__ module).
            del data["init_main_from_path"]
        return data

    spawn.get_preparation_data = get_preparation_data

