"""Child processes: stopping a build, and everything it started, cleanly.

A build starts analysis workers, compilers, pip, and the traced runs of --trace
(which may start processes of their own).  Ctrl-C at a terminal reaches all of
them, as they share its process group; SIGTERM, which a CI runner, a supervisor or
Popen.terminate() sends, reaches only freeze, and so may a SIGINT sent with kill.
SIGTERM's default action ends freeze at once, leaving the children alive (holding
the caller's pipes open) and temporary folders behind; a KeyboardInterrupt alone
would wait for the analysis workers' queued work.  So SIGINT, SIGTERM and SIGHUP
kill every descendant first and then unwind: context managers remove what they
created.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Optional


def stop_on_signals() -> None:
    """SIGINT, SIGTERM and SIGHUP: kill the processes below this one, then
    SystemExit(128 + N)."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop)


stopped: Optional[int] = None  # the signal that stopped the build, once one has
_UNWIND_SECONDS = 5


def _stop(number: int, frame: Optional[FrameType]) -> None:
    global stopped
    stopped = number
    # What fails as the children vanish (a process pool's manager thread, a callback
    # the SystemExit lands in) would only hide that the build was stopped: quiet.
    threading.excepthook = lambda args: None
    sys.unraisablehook = lambda unraisable: None
    kill_tree(os.getpid())
    # Unwinding takes well under a second; should the exception land where it is
    # swallowed and leave the build waiting on a dead worker, end the process anyway.
    watchdog = threading.Timer(_UNWIND_SECONDS, os._exit, (128 + number,))
    watchdog.daemon = True
    watchdog.start()
    raise SystemExit(128 + number)


def exit_status() -> Optional[int]:
    """128 + the signal once one stopped the build: whatever exception is unwinding
    then (its SystemExit, or what broke as the children were killed) ends it so.
    Sweeps the children again: one forked as the signal came in escaped the first
    sweep (its SystemExit then lands in a fork hook, which swallows it)."""
    if stopped is None:
        return None
    kill_tree(os.getpid())
    return 128 + stopped


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
