"""The warm start server of `freeze build --server` (docs/server.md).

A run of a --server archive that finds no server starts one (boot._spawn_server):
this module, in a fresh interpreter, imports the modules the build chose, then
waits on a socket.  Later runs connect (boot._run_served) and the server forks a
child that becomes the run: it takes the run's standard streams, arguments,
environment, folder and umask, and runs the entry as a normal start would.

The server keeps one spare monitor forked, with the app's child forked by it and
waiting: the spare accepts the next run, hands the child the request, relays its
exit status and kills its process group if the run's process goes away, while the
server forks the next spare.  A run waits for no fork, a server killed mid-run
loses no run's status, and the server never waits on a run.  Nothing here starts
a thread: forking a threaded process is unsafe.
"""

import os
import sys

from .boot import (
    MANIFEST_SERVER, SERVER_IDLE, SERVER_PRELOAD, receive, send_request, server_identity,
)

_CHECK = 1.0  # seconds between checks that the archive and the socket are still ours
_REQUEST_TIMEOUT = 5.0  # seconds a monitor waits for a run's request or go-ahead
_GRACE = 1.0  # seconds a child whose run went away has between SIGHUP and SIGKILL
_BACKLOG = 64
_SPAWNER_WAIT = 2.0  # seconds a new server waits for the run that spawned it to end
_LOCK, _SOCKET = ".lock", ".sock"
# Modules whose top level reads process state that the child sets anew (_reset): the
# build preloads them all the same (freezer/graph.py server_preload).
RESET_IN_CHILD = frozenset({"logging"})
# Extension modules, which the scanner cannot read, whose initialisation reads the
# terminal (readline's rl_initialize): like modules whose body reads process state.
READ_PROCESS_STATE = frozenset({"readline"})


def serve(archive, runtime, finder, request):
    """Serve runs of `archive` on socket BASE.sock until idle, or until the archive or
    the socket is no longer the one we started with; `request` is boot.SERVE_VARIABLE's
    value, "PID:BASE" (PID: the run that spawned us) or "BASE".  One server per base:
    the one holding the lock; another exits at once."""
    import fcntl
    spawner, colon, base = request.partition(":")
    if not (colon and spawner.isdigit()):
        spawner, base = "", request
    lock = os.open(base + _LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return
    os.ftruncate(lock, 0)
    os.write(lock, str(os.getpid()).encode())  # `kill $(cat BASE.lock)` stops it (docs/server.md)
    setting = archive.manifest[MANIFEST_SERVER]
    if spawner:
        _after_spawner(int(spawner))
    preload(setting[SERVER_PRELOAD])
    import gc
    gc.collect()
    gc.freeze()  # fewer pages copied on write in each child
    listener, inode = _listen(base)
    server = _Server(archive, runtime, finder, listener, lock, _single_threaded())
    try:
        server.loop(base + _SOCKET, inode, setting[SERVER_IDLE])
    finally:
        _remove_if_ours(base + _SOCKET, inode)


def _after_spawner(pid, longest=_SPAWNER_WAIT):
    """Wait (up to `longest` seconds) for the run that spawned us to end: importing the
    app beside it would slow that run down on a busy machine."""
    import select
    try:
        parent = os.pidfd_open(pid)
    except (AttributeError, OSError):
        return
    try:
        poller = select.poll()
        poller.register(parent, select.POLLIN)
        poller.poll(longest * 1000)
    finally:
        os.close(parent)


def preload(names):
    """Import each module; one that fails is simply not preloaded."""
    for name in names:
        try:
            __import__(name)
            getattr(sys.modules[name], "__name__", None)  # a lazy module runs its body now
        except BaseException:
            pass


def _single_threaded():
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return "threading" not in sys.modules


def _listen(base):
    """A listening socket at base.sock, bound under a temporary name and renamed
    into place, so a client never sees a socket that is not listening yet."""
    import _socket
    folder, _, stem = base.rpartition("/")
    for name in os.listdir(folder):  # temporary names of servers killed while binding
        if name.startswith(stem + ".") and name.endswith(".tmp"):
            _unlink(folder + "/" + name)
    temporary = "{}.{}.tmp".format(base, os.getpid())
    listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    listener.bind(temporary)
    listener.listen(_BACKLOG)
    listener.setblocking(False)  # spares poll it; one may find the connection taken
    os.rename(temporary, base + _SOCKET)
    return listener, os.stat(base + _SOCKET).st_ino


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _remove_if_ours(path, inode):
    try:
        if os.stat(path).st_ino == inode:
            os.unlink(path)
    except OSError:
        pass


class _Server:
    def __init__(self, archive, runtime, finder, listener, lock, usable):
        self.archive, self.runtime, self.finder = archive, runtime, finder
        self.listener, self.lock, self.usable = listener, lock, usable
        self.identity = server_identity(archive)
        self.archive_status = _file_identity(os.fstat(archive.fd))

    def loop(self, path, inode, idle):
        """Keep one spare monitor ready (it accepts the next run itself), until idle
        or no longer ours.  A spare tells us through `taken` that it took a run; each
        spare sees `alive` end when we do."""
        import select
        import time
        taken, taken_end = os.pipe()
        alive, alive_end = os.pipe()
        poller = select.poll()
        poller.register(taken, select.POLLIN)
        if not self.usable:
            poller.register(self.listener.fileno(), select.POLLIN)
        spare = None
        last_run = checked = time.monotonic()
        while True:
            if self.usable and spare is None:
                spare = self._fork_spare((taken, alive_end), (taken_end, alive))
            now = time.monotonic()
            timeout = max(0.0, min(_CHECK - (now - checked), idle - (now - last_run)))
            events = poller.poll(timeout * 1000)
            if spare in _reap():
                spare = None
            now = time.monotonic()
            for fd, _ in events:
                last_run = now
                if fd == taken:
                    os.read(taken, 64)
                    spare = None
                else:
                    self._refuse()
            if now - checked >= _CHECK:
                checked = now
                if not self._still_ours(path, inode):
                    return
            if not events and now - last_run >= idle:
                return

    def _fork_spare(self, ours, its):
        """A spare monitor: a process of its own, given the ends of the pipes in `its`."""
        pid = os.fork()
        if pid:
            return pid
        status = 1
        try:
            for fd in (self.lock, *ours):
                os.close(fd)
            _Monitor(self, *its).run()
            status = 0
        except BaseException:
            _report()
        finally:
            os._exit(status)

    def _still_ours(self, path, inode):
        """The archive is the file we opened, unchanged, and the socket is ours."""
        try:
            return (_file_identity(os.stat(self.archive.path)) == self.archive_status
                    and os.stat(path).st_ino == inode)
        except OSError:
            return False

    def _refuse(self):
        """Close a run's connection unanswered: it starts as usual."""
        try:
            fd, _ = self.listener._accept()
            os.close(fd)
        except OSError:
            pass


def _file_identity(status):
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def _peer_uid(connection, _socket):
    credentials = connection.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(credentials[4:8], sys.byteorder)


def _reap():
    """The pids of the monitors that ended (the server has no other children)."""
    ended: list[int] = []  # annotations in a function cost nothing at run time
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append(pid)


class _Monitor:
    """One run, in a process of its own, forked before the run connects with the app's
    child forked ahead too (so a run waits for no fork): accept the run, check it, hand
    the child its request, relay its exit status, and kill its process group if the
    run's process goes away."""

    def __init__(self, server, taken, alive):
        self.server, self.taken, self.alive = server, taken, alive

    def run(self):
        import _socket
        mine, childs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            try:
                for fd in (self.taken, self.alive, self.server.listener.fileno(), mine.fileno()):
                    os.close(fd)
                _Child(self.server).run(childs, _socket)
            except BaseException:
                _report()
            finally:
                os._exit(1)
        childs.close()
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        started = False
        try:
            connection = self._accept(_socket)
            if connection is not None:
                started = self._serve(connection, pid, mine, _socket)
        finally:
            if not started:
                try:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                except OSError:  # reaped already
                    pass

    def _accept(self, _socket):
        """The next run's connection, or None once the server is gone."""
        import select
        listener = self.server.listener
        poller = select.poll()
        poller.register(listener.fileno(), select.POLLIN)
        poller.register(self.alive, select.POLLIN)
        while True:
            for fd, _ in poller.poll():
                if fd == self.alive:
                    return None
            try:
                fd, _ = listener._accept()
            except BlockingIOError:
                continue
            except OSError:
                return None
            os.write(self.taken, b"T")  # the server forks the next spare now
            for end in (self.taken, self.alive):
                os.close(end)
            listener.close()
            return _socket.socket(fileno=fd)

    def _serve(self, connection, pid, channel, _socket):
        """Run the child for the run on `connection`: whether it started."""
        if _peer_uid(connection, _socket) != os.getuid():
            return False  # another user's: refused, it starts as usual
        connection.settimeout(_REQUEST_TIMEOUT)
        request, fds = _read_request(connection, _socket)
        if request is None or request[0] != self.server.identity or os.waitpid(
                pid, os.WNOHANG)[0]:  # a child that died waiting cannot take the run
            for fd in fds:
                os.close(fd)
            return False
        try:
            connection.sendall(pid.to_bytes(8, "little"))
            go = connection.recv(1)
        except OSError:
            go = b""
        try:
            if go == b"G":  # else the run gave up waiting: it starts as usual
                send_request(channel, request, fds, _socket)
        except OSError:  # the child died meanwhile: the run learns it as status 1
            go = b""
        for fd in fds:
            os.close(fd)
        channel.close()
        if go != b"G":
            return False
        status = self._watch(connection, pid)
        if status is not None:
            try:
                connection.sendall(status.to_bytes(8, "little", signed=True))
            except OSError:
                pass
        return True

    def _watch(self, connection, pid):
        """The child's exit status, or None when the run's process went away first
        (its child then gets SIGHUP, and SIGKILL after a grace period)."""
        import select
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLHUP)
        try:
            pidfd = os.pidfd_open(pid)
            poller.register(pidfd, select.POLLIN)
            timeout = None
        except (AttributeError, OSError):
            timeout = 50
        while True:
            events = poller.poll(timeout)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if any(fd == connection.fileno() for fd, _ in events):
                self._end(pid)
                return None

    def _end(self, pid):
        import time
        for number, wait in ((1, _GRACE), (9, None)):  # SIGHUP, then SIGKILL
            try:
                os.killpg(pid, number)
            except OSError:
                pass
            deadline = time.monotonic() + (wait or 0)
            while wait is None or time.monotonic() < deadline:
                done, _ = os.waitpid(pid, 0 if wait is None else os.WNOHANG)
                if done:
                    return
                time.sleep(0.02)


def _read_request(connection, _socket):
    """(request, [fds]) of a run (boot._handshake), or (None, [])."""
    import marshal
    try:
        data, ancillary, _, _ = connection.recvmsg(65536, _socket.CMSG_SPACE(3 * 4))
    except OSError:
        return None, []
    fds = []
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds += [int.from_bytes(payload[i:i + 4], sys.byteorder)
                    for i in range(0, len(payload) - len(payload) % 4, 4)]
    try:
        size = int.from_bytes(data[:8], "little")
        rest = receive(connection, max(0, 8 + size - len(data)))
        request = None if rest is None else marshal.loads((data + rest)[8:8 + size])
    except (OSError, EOFError, ValueError, TypeError):
        request = None
    if request is None or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        return None, []
    return request, fds


class _Child:
    """The app's process for one run, forked before the run connected: it waits for
    the run's request, becomes the run's process as far as Python can tell, then runs
    the entry as runtime/entry.py's run() does."""

    def __init__(self, server):
        self.server = server

    def run(self, channel, _socket):
        os.setpgid(0, 0)
        channel.settimeout(None)
        request, fds = _read_request(channel, _socket)
        if request is None:
            os._exit(1)
        (_, argv, orig_argv, environ, cwd, umask, self.ignored, self.blocked) = request
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        channel.close()
        self._signals()
        _new_stdio()
        os.environb.clear()
        os.environb.update(environ)
        os.chdir(cwd)
        os.umask(umask)
        sys.argv = list(argv)
        sys.orig_argv = list(orig_argv)
        _reset()
        os._exit(_run(self.server))

    def _signals(self):
        """Dispositions as the run's interpreter started with them: what its parent
        ignored stays ignored, Ctrl-C raises KeyboardInterrupt, SIGPIPE and SIGXFSZ
        are ignored as Python does, the rest default; its blocked signals blocked."""
        import _signal  # type: ignore[import-not-found]
        for number in range(1, _signal.NSIG):
            if number in (_signal.SIGKILL, _signal.SIGSTOP):
                continue
            if number in self.ignored or number in (_signal.SIGPIPE, _signal.SIGXFSZ):
                handler = _signal.SIG_IGN
            elif number == _signal.SIGINT:
                handler = _signal.default_int_handler
            else:
                handler = _signal.SIG_DFL
            try:
                if _signal.getsignal(number) is not handler:
                    _signal.signal(number, handler)
            except (OSError, ValueError):
                pass
        _signal.pthread_sigmask(_signal.SIG_SETMASK, self.blocked)


def _new_stdio():
    """sys.stdin, stdout and stderr for descriptors 0, 1 and 2, made as CPython's
    create_stdio makes them at start: the encoding and errors the server's own
    streams got (they follow from the locale and options a run shares with its
    server), line buffering at a terminal and always for stderr, write-through
    under -u."""
    import _io
    buffered = not getattr(sys.__stdout__, "write_through", False)  # -u: the server's too
    for fd, name, writing in ((0, "stdin", False), (1, "stdout", True), (2, "stderr", True)):
        old = getattr(sys, "__{}__".format(name))
        buffering = -1 if buffered or not writing else 0
        buffer = _io.open(fd, "wb" if writing else "rb", buffering, closefd=False)
        raw = buffer.raw if buffering else buffer  # type: ignore[attr-defined]
        raw.name = "<{}>".format(name)  # type: ignore[misc]
        stream = _io.TextIOWrapper(buffer, old.encoding, old.errors, "\n",
                                   buffered and (raw.isatty() or fd == 2), not buffered)
        stream.mode = "w" if writing else "r"  # type: ignore[misc]
        setattr(sys, name, stream)
        setattr(sys, "__{}__".format(name), stream)


def _reset():
    """Per-process state the stdlib made at import: random reseeds itself at fork;
    multiprocessing's authentication key does not, and logging's start time (its
    records' relativeCreated) is the server's."""
    logging = sys.modules.get("logging")
    if logging is not None:
        import time
        started = logging._startTime
        logging._startTime = time.time_ns() if isinstance(started, int) else time.time()  # type: ignore[attr-defined]
    process = sys.modules.get("multiprocessing.process")
    if process is not None:
        try:
            process.current_process().authkey = os.urandom(32)
        except Exception:
            pass


def _run(server):
    """Run the entry and finish as the interpreter would: wait for threads, run
    the atexit functions, flush the streams; the exit status."""
    try:
        server.runtime.entry.run(server.archive, server.finder)
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException:
            pass
    import atexit
    atexit._run_exitfuncs()
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except Exception as exc:
        _unraisable(exc, sys.stdout)
        status = 120
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except Exception:
        pass
    return status


def _exit_status(code):
    """The status `raise SystemExit(code)` exits with (pythonrun's handle_system_exit)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stdout.flush()
    except Exception:
        pass
    try:
        sys.stderr.write("{}\n".format(code))
        sys.stderr.flush()
    except Exception:
        pass
    return 1


def _report():
    """A failure of the server's own code, on its stderr (/dev/null unless debugging)."""
    try:
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
    except BaseException:
        pass


def _unraisable(exc, obj):
    try:
        import traceback
        sys.stderr.write("Exception ignored in: {!r}\n".format(obj))
        sys.stderr.write("".join(traceback.format_exception_only(type(exc), exc)))
    except Exception:
        pass
