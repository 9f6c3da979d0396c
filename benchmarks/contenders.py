"""The contenders: how each is built from an app, and the command that runs the result.

Every build starts from the same cached inputs (the app's venv, a `pip install --target`
folder, the downloaded wheels) and a cold HOME, so build time is the tool's own work.
A standalone file unpacks its interpreter into the user cache on a machine's first run:
`freeze-standalone` times the later runs like every other contender, and
`freeze-standalone-first` (fresh: empty caches for every run) the first run beside them.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Optional

import envs
from catalog import TOOLS, App

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Stage:
    """One app ready to build: its copied files, its cached environments, a build folder."""

    app: App
    src: Path     # a copy of apps/<name>, so runs never write __pycache__ into the checkout
    out: Path
    python: Path  # the app venv's python
    site: Path    # pip install --target of the requirements
    tools: Path   # python of the venv holding shiv, pex and PyInstaller

    @cached_property
    def entry(self) -> str:
        """The app as "module:function", for tools that start one."""
        return self.app.entry or envs.console_entry(self.python, self.app.console_script or "")

    @property
    def args(self) -> list[str]:
        return [arg.replace("{src}", str(self.src)) for arg in self.app.args]

    def step(self, tool: str, command: envs.Command, **env: str) -> None:
        """Run a build step in a HOME of its own, so no tool finds a warm cache."""
        envs.check(command, tool, cwd=REPO, env=envs.run_env(self.out / f"home-{tool}", **env))


@dataclass(frozen=True)
class Built:
    """A build's artifact (file or folder) and its cost, or why there is none."""

    path: Optional[Path] = None
    seconds: Optional[float] = None
    size: Optional[int] = None
    error: Optional[str] = None


Builder = Callable[[Stage], Path]


@dataclass(frozen=True)
class Contender:
    """A way to ship and start an app; contenders with the same builder share one build."""

    name: str
    command: Callable[[Stage, Path], list[str]]
    builder: Optional[Builder] = None
    checks_output: bool = True  # False for the floor, which does not run the app
    slow: bool = False          # left out by --quick unless named
    fresh: bool = False         # empty caches for every run, warm regime too: a first run
    versus: Optional[str] = None  # a contender also compared with, per round


def make_stage(app: App, work: Path) -> Stage:
    """The app's cached environments (made on first use) and a fresh build folder."""
    src = work / app.name / "src"
    shutil.copytree(app.source, src)
    return Stage(app, src, src.parent, envs.venv(app.requirements) / "bin" / "python",
                 envs.site_dir(app.requirements), envs.venv(TOOLS) / "bin" / "python")


def size_of(path: Path) -> int:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.lstat().st_size for p in files)


def build(contender: Contender, stage: Stage) -> Built:
    """Run the contender's builder, timed; the baseline's build is making its venv."""
    if contender.name == BASELINE:
        venv = stage.python.parent.parent
        return Built(venv, envs.setup_seconds(venv), size_of(venv))
    if contender.builder is None:
        return Built()
    started = time.perf_counter()
    try:
        path = contender.builder(stage)
    except (RuntimeError, OSError) as error:
        return Built(error=str(error).strip().splitlines()[-1][:300])
    return Built(path, time.perf_counter() - started, size_of(path))


# -- builders ------------------------------------------------------------------------------


def build_zipapp(stage: Stage) -> Path:
    """Requirements + app, compiled to unchecked hash-based .pyc beside the sources (-b:
    zipimport looks there, never in __pycache__), then stdlib zipapp."""
    tree, out = stage.out / "zipapp", stage.out / "app-zipapp.pyz"
    shutil.copytree(stage.site, tree)
    shutil.copytree(stage.src, tree, dirs_exist_ok=True)
    stage.step("compileall", [PYTHON, "-m", "compileall", "-q", "-b", "--invalidation-mode",
                              "unchecked-hash", tree])
    stage.step("zipapp", [PYTHON, "-m", "zipapp", tree, "-o", out, "-m", stage.entry])
    return out


def entry_option(stage: Stage) -> list[str]:
    """shiv and pex spell a console script and a module:function alike."""
    return ["-c", stage.app.console_script] if stage.app.console_script else ["-e", stage.entry]


def build_shiv(stage: Stage) -> Path:
    out = stage.out / "app-shiv.pyz"
    stage.step("shiv", [stage.tools, "-m", "shiv", "--site-packages", stage.site,
                        "--site-packages", stage.src, *entry_option(stage), "-o", out])
    return out


def build_pex(stage: Stage) -> Path:
    out = stage.out / "app.pex"
    sources: list[str | Path] = [] if stage.app.console_script else ["-D", stage.src]
    stage.step("pex", [stage.tools, "-m", "pex", "--venv", "--sh-boot", "--python", PYTHON,
                       "--no-pypi", "--find-links", envs.wheels(stage.app.requirements),
                       "--intransitive", *stage.app.requirements, *sources,
                       *entry_option(stage), "-o", out])
    return out


def pyinstaller_builder(mode: str) -> Builder:
    """PyInstaller with `mode`, --onedir (a folder) or --onefile (one executable that
    extracts itself into a new temporary folder on every run). The tools venv sees the
    app's packages through PYTHONPATH, so PyInstaller's hooks find them and their metadata
    as if installed beside it."""
    def build_pyinstaller(stage: Stage) -> Path:
        work = stage.out / f"pyinstaller-{mode.lstrip('-')}"
        if stage.app.script:
            script = stage.src / stage.app.script
        else:  # PyInstaller takes only scripts: one that calls the console script's function
            module, _, function = stage.entry.partition(":")
            script = stage.out / "launcher.py"
            script.write_text(f"import sys\nfrom {module} import {function}\n"
                              f"sys.exit({function}())\n")
        stage.step("pyinstaller", [stage.tools, "-m", "PyInstaller", mode, "--noconfirm",
                                   "--log-level", "WARN", "--name", "app",
                                   "--distpath", work / "dist", "--workpath", work / "build",
                                   "--specpath", work, script],
                   PYTHONPATH=str(stage.site))
        return work / "dist" / "app"
    return build_pyinstaller


def freeze_builder(*options: str, trace: bool = False) -> Builder:
    """`freeze build` with `options`; `trace` adds --trace with the timed command's
    arguments, the representative run a user would trace."""
    def build_freeze(stage: Stage) -> Path:
        suffix = "" if "--standalone" in options else ".pyz"
        out = stage.out / f"app-freeze{''.join(options)}{'-trace' if trace else ''}{suffix}"
        entry: list[str | Path] = ([stage.src / stage.app.script] if stage.app.script
                                   else ["-c", stage.app.console_script or ""])
        traced = ["--trace", shlex.join(stage.args)] if trace else []
        stage.step(out.stem, [PYTHON, "-m", "freezer", "build", *entry, *options, *traced,
                              "-o", out, "--python", stage.python])
        return out
    return build_freeze


# -- commands ------------------------------------------------------------------------------


def run_venv(stage: Stage, artifact: Path) -> list[str]:
    """`venv/bin/python app.py`, or the console script's function called through it."""
    if stage.app.script:
        return [str(stage.python), str(stage.src / stage.app.script), *stage.args]
    module, _, function = stage.entry.partition(":")
    code = f"import sys; from {module} import {function}; sys.exit({function}())"
    return [str(stage.python), "-c", code, *stage.args]


def run_floor(stage: Stage, artifact: Path) -> list[str]:
    return [PYTHON, "-I", "-S", "-c", "pass"]


def run_with_python(stage: Stage, artifact: Path) -> list[str]:
    return [PYTHON, str(artifact), *stage.args]


def run_isolated(stage: Stage, artifact: Path) -> list[str]:
    return [PYTHON, "-I", "-S", str(artifact), *stage.args]


def run_itself(stage: Stage, artifact: Path) -> list[str]:
    """The artifact as its own executable: its shebang (or PyInstaller's binary) decides."""
    return [str(artifact / "app" if artifact.is_dir() else artifact), *stage.args]


FREEZE, FREEZE_LAZY = freeze_builder(), freeze_builder("--lazy")
FREEZE_TRACED = freeze_builder("--lazy", trace=True)
FREEZE_STANDALONE = freeze_builder("--standalone")
# Traced, so the server preloads what the timed command loads, as a user would build it.
FREEZE_SERVER = freeze_builder("--server", trace=True)
BASELINE = "venv"
CONTENDERS = (
    Contender("floor", run_floor, checks_output=False),
    Contender(BASELINE, run_venv),
    Contender("zipapp", run_with_python, build_zipapp),
    Contender("shiv", run_itself, build_shiv),
    Contender("pex", run_itself, build_pex),
    Contender("pyinstaller", run_itself, pyinstaller_builder("--onedir"), slow=True),
    Contender("pyinstaller-onefile", run_itself, pyinstaller_builder("--onefile"), slow=True),
    Contender("freeze", run_isolated, FREEZE),
    Contender("freeze-exec", run_itself, FREEZE),
    Contender("freeze-lazy", run_isolated, FREEZE_LAZY),
    Contender("freeze-lazy-exec", run_itself, FREEZE_LAZY),
    Contender("freeze-traced", run_isolated, FREEZE_TRACED),
    Contender("freeze-standalone", run_itself, FREEZE_STANDALONE, versus="freeze"),
    Contender("freeze-standalone-first", run_itself, FREEZE_STANDALONE, fresh=True,
              versus="freeze"),
    # Warm: the warm-up run starts the archive's server, the timed runs are its children.
    # In the first-run regime every run has a new runtime folder: no server, and each run
    # starts one (which exits when its folder is gone).
    Contender("freeze-server", run_isolated, FREEZE_SERVER, versus="freeze"),
)
