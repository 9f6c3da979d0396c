"""The handler module of a function built with `freeze build --lambda`.

Lambda imports this file under the handler module's name (it is shipped as
``<module>.py`` in the task root).  It installs the importer of the archive
``.freeze/<module>.frz`` once per execution environment, as this body runs
once, then runs the frozen module of the same name in its place: the handler
setting ``module.function`` stays as it was.

Rule: like boot.py, import only what is built in or already loaded.
"""

import os
import sys
import zipimport


def _hand_over(name, here):
    path = os.path.join(here, ".freeze", name + ".frz")
    boot = type(sys)("__freeze__.boot")
    sys.modules[boot.__name__] = boot
    exec(zipimport.zipimporter(path).get_code("__main__"), boot.__dict__)
    archive, runtime, finder = boot.start(path, guest=True)
    runtime.entry.run_in_place(finder, name)


_hand_over(__name__, os.path.dirname(os.path.abspath(__file__)))
