"""Per-package hooks: what a package needs that its import statements do not say.

A hook fires when its package is bundled (or, for a standard-library module,
reached).  Its build half can bundle more modules (name globs, as --include) and
mark packages or files that must be real at run time (as --extract); its run-time
half names patches, functions of runtime/patches.py that adapt a module of the
package right after it runs.  Both halves are declared here, in one Hook, and the
manifest carries the patches of the hooks that fired.  Users write the same
fields in [tool.freeze.hooks.<package>] (freezer/config.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .runtime.patches import PATCHES


class HookError(ValueError):
    """A hook that cannot work as declared."""


@dataclass(frozen=True)
class Hook:
    """When `package` is bundled: bundle `include` globs, extract `extract` packages.

    `package_calls` names functions of the package whose first string argument
    is a package that must be on disk (jinja2's ``PackageLoader("app")``): any
    bundled module calling one gets that package extracted.  `patches` maps a
    module to the function of runtime/patches.py run right after it (see
    runtime/patches.PATCHES).  `served` says those patches let the package read
    its data files inside the archive, so its use of ``__file__`` extracts
    nothing; `real` lists single files (archive paths) that must be real all the
    same.  `aliases` are top-level names the package serves from its own folder
    once it is imported, through a finder of its own on sys.meta_path.
    """

    package: str
    include: tuple[str, ...] = ()
    extract: tuple[str, ...] = ()
    package_calls: tuple[str, ...] = ()
    patches: Mapping[str, str] = field(default_factory=dict)
    served: bool = False
    real: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.patches.values()) - set(PATCHES))
        if unknown:
            raise HookError(f"hook {self.package}: no run-time patch named {unknown[0]!r} "
                            f"(runtime/patches.py has {', '.join(PATCHES)})")
        if self.served and not self.patches:
            raise HookError(f"hook {self.package}: served at run time, but it names no patch "
                            "that serves its files")


# Each entry names why the package needs it.
BUILTIN: tuple[Hook, ...] = (
    # Languages are imported by computed name (import_module(package + code)).
    Hook("docutils", include=("docutils.languages.*", "docutils.parsers.rst.languages.*")),
    # lxml.etree imports lxml._elementpath from C; lxml 6 is built with a Cython that
    # zlib-compresses its strings, so the name is not in the binary as it is.
    Hook("lxml", include=("lxml._elementpath",)),
    # A project's conf.py, which is not part of the app, names the extensions it loads.
    Hook("sphinx", include=("sphinx.ext.*",)),
    # Unicode width tables are imported as f".unicode{version}" (names like unicode17-0-0).
    Hook("rich", include=("rich._unicode_data.*",)),
    # PackageLoader("app", "templates") lists and opens the folder on disk.
    Hook("jinja2", package_calls=("PackageLoader",)),
    # botocore.loaders walks its model files (and boto3's) by path: the runtime
    # serves them from the archive; OpenSSL needs the CA bundle as a real file.
    Hook("botocore", served=True, real=("botocore/cacert.pem",),
         patches={"botocore.loaders": "serve_botocore_data",
                  "botocore.httpsession": "real_ca_bundle"}),
    Hook("boto3", served=True, patches={"botocore.loaders": "serve_botocore_data"}),
    # The AWS CLI (v1) vendors botocore and s3transfer in its own folder and imports
    # them by their top-level names (its TopLevelImportAliasFinder).
    Hook("awscli", aliases=("botocore", "s3transfer")),
    # babel reads global.dat and its 1,100 locale-data pickles (35 MB) by path: the
    # runtime serves them from the archive (babel.core and babel.localedata).
    Hook("babel", served=True,
         patches={"babel.core": "serve_files", "babel.localedata": "serve_files"}),
    # Zone files are resources of tzdata.zoneinfo.<Area>, opened by computed name;
    # zoneinfo falls back to tzdata when the system has no time-zone database.
    Hook("tzdata", include=("tzdata.*",)),
    Hook("zoneinfo", include=("tzdata", "tzdata.*")),
)
