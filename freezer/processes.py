"""Child processes: stopping a build, and everything it started, cleanly.

A build starts analysis workers, compilers, pip, and the traced runs of --trace
(which may start processes of their own).  Ctrl-C reaches all of them, as they
share the terminal's process group; SIGTERM, which a CI runner, a supervisor or
Popen.terminate() sends, reaches only freeze.  Its default action ends freeze at
once, leaving the children alive (holding the caller's pipes open) and temporary
folders behind.  So SIGTERM and SIGHUP kill every descendant first and then unwind
like Ctrl-C: context managers remove what they created.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Optional


def stop_on_signals() -> None:
    """SIGTERM and SIGHUP: kill the processes below this one, then SystemExit(128 + N)."""
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop)


def _stop(number: int, frame: Optional[FrameType]) -> None:
    # The threads that tend the children (a process pool's manager) fail as they
    # vanish: the build is over, their tracebacks would only hide that.
    threading.excepthook = lambda args: None
    kill_tree(os.getpid())
    raise SystemExit(128 + number)


def kill_tree(pid: int, itself: bool = False) -> None:
    """SIGKILL every process below `pid` (and `pid` when `itself`), found through
    /proc (Linux); elsewhere only `pid` itself."""
    below = _descendants(pid)
    for target in ([pid] if itself else []) + below:
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass  # gone already


def _descendants(pid: int) -> list[int]:
    """Children first found, then theirs: all are listed before any is killed, so a
    child reparented away mid-walk is not missed."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as file:
                    children = [int(child) for child in file.read().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found
