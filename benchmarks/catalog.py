"""The benchmark apps: real small programs with fully pinned requirements.

Every requirement, transitive ones included, is pinned with == so that a cached
environment built from them is the same environment on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

APPS_DIR = Path(__file__).resolve().parent / "apps"


@dataclass(frozen=True)
class App:
    """One program: its files in apps/<name>/ and how each contender starts it."""

    name: str
    requirements: tuple[str, ...]
    script: Optional[str] = None          # file in apps/<name>/ run as __main__
    entry: Optional[str] = None           # "module:function" for tools that need one
    console_script: Optional[str] = None  # instead of script/entry: an installed console script
    args: tuple[str, ...] = ()            # "{src}" is the app's copied folder

    @property
    def source(self) -> Path:
        return APPS_DIR / self.name


URLLIB3 = "urllib3==2.8.0"

APPS = (
    App("click-help", ("click==8.5.1",), script="app.py", entry="widgets.cli:main",
        args=("--help",)),
    App("rich-table", ("rich==15.0.0", "markdown-it-py==4.3.0", "mdurl==0.1.2", "pygments==2.21.0"),
        script="app.py", entry="app:main"),
    App("requests-prepare", ("requests==2.34.2", "certifi==2026.10.18", "charset-normalizer==3.5.2",
                             "idna==3.20", URLLIB3), script="app.py", entry="app:main"),
    App("boto3-handler", ("boto3==1.44.5", "botocore==1.44.5", "jmespath==1.1.0",
                          "s3transfer==0.19.3", "python-dateutil==2.9.0.post0", "six==1.17.0",
                          URLLIB3),
        script="handler.py", entry="handler:main"),
    App("docutils-file", ("docutils==0.23",), console_script="rst2html",
        args=("--no-generator", "--no-datestamp", "--no-source-link", "{src}/input.rst")),
    # A formatter on one file (mypyc-compiled: extension modules too).
    App("black-file", ("black==26.10.1", "click==8.5.1", "mypy_extensions==1.2.0",
                       "packaging==26.4", "pathspec==1.1.1", "platformdirs==4.14.9",
                       "pytokens==0.4.1", 'tomli==2.2.1; python_version < "3.11"',
                       'typing_extensions==4.15.0; python_version < "3.11"'),
        console_script="black",
        # --code prints the file formatted: a diff's header would carry the time of day.
        args=("--quiet", "--code", (APPS_DIR / "black-file" / "input.py").read_text())),
    # Extension-heavy: what a first run writes to disk.
    App("pyarrow-orjson", ("pyarrow==26.0.1", "orjson==3.13.0"), script="app.py",
        entry="app:main"),
    App("cryptography-fernet", ("cryptography==50.0.2", "cffi==2.1.1", "pycparser==3.12"),
        script="app.py", entry="app:main"),
    App("pandas-frame", ("pandas==3.1.1", "numpy==2.4.6", "python-dateutil==4.0.0",
                         "tzdata==2026.6"), script="app.py", entry="app:main"),
)

# The packaging tools, pinned with everything they pull in.
TOOLS = ("shiv==1.0.8", "click==8.5.1", "pip==26.3", "setuptools==84.2.1", "pex==2.105.2",
         "pyinstaller==6.22.3", "altgraph==0.17.5", "pyinstaller-hooks-contrib==2026.9",
         "packaging==26.3")
