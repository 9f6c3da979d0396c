"""freeze: a static bundler for Python applications.

runtime/ ships inside every archive.  It sits at the top of a checkout and is
installed as freezer.runtime, so it never claims a generic top-level name in
site-packages.  In a checkout, this package's path also names the checkout, so
``freezer.runtime`` is found by the ordinary path search there too: the same
package whether freeze is installed, editable or just checked out.
"""

import os as _os

_CHECKOUT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if (not _os.path.isdir(_os.path.join(__path__[0], "runtime"))
        and _os.path.isfile(_os.path.join(_CHECKOUT, "runtime", "boot.py"))):
    __path__.append(_CHECKOUT)
