"""Run a Lambda function the way AWS's Python runtime starts it, and build the deployments to compare.

A function is judged by what Lambda does with it: unzip the package into a read-only task root,
start `python -m awslambdaric HANDLER` there with a scrubbed environment and an empty /tmp, and
talk to it over the Runtime API. Here a stub Runtime API serves a fixed list of events, records
what the client posts back and when, and `run_function` turns that into a `FunctionRun`: the
results in order, the init error if any, the Init Duration and cold-start time, the peak RSS and
what the function left in its TMPDIR.

The standard deployments are what users ship today: `pip install --target` plus the handler,
zipped, optionally precompiled with compileall. Both are built from real zips and unzipped with
zipfile, as Lambda unzips a package.

A plain module (no pytest) so that tests and benchmarks can both import it.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import venvs

# awslambdaric and its dependencies, pinned: the client is part of what a run measures.
RUNTIME_CLIENT = ("awslambdaric==4.2.2", "simplejson==4.3.0", "snapshot-restore-py==1.0.0")

HANDLERS = Path(__file__).parent / "lambda"
"""One folder per test function: lambda_function.py, requirements.txt, events.json."""

FUNCTION_NAME = "freeze-test"
_API = "/2018-06-01/runtime"
_DEADLINE_MS = 60_000
_FUNCTION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def client_python(python: str | os.PathLike[str] = sys.executable) -> Path:
    """The runtime client's own venv, built from `python` (the function's target CPython)."""
    return venvs.venv_python(RUNTIME_CLIENT, python=os.fspath(python))


def load_events(handler_dir: Path) -> list[Any]:
    """The events a handler folder's tests send, in order."""
    return json.loads((handler_dir / "events.json").read_text(encoding="utf-8"))


def read_requirements(handler_dir: Path) -> list[str]:
    """requirements.txt without blank lines and comments (every line is an exact pin)."""
    lines = (handler_dir / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


# --- the stub Runtime API -----------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    """What the client posted: kind is "response" or "error" ("init_error" for init/error).

    error_type is the Lambda-Runtime-Function-Error-Type header; awslambdaric 4.2.2 sends it
    with init errors only. `at` is time.perf_counter() when the post arrived.
    """

    kind: str
    body: Any
    error_type: str | None
    at: float


class RuntimeAPI:
    """A Runtime API endpoint serving `events` in order, then blocking on /next forever.

    It records when each /next arrives and what comes back for each request id, so a run can
    be timed from the server's side: the client's own clock is not trusted.
    """

    def __init__(self, events: Sequence[Any]) -> None:
        self.events = list(events)
        self.request_ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(len(self.events))]
        self.next_calls: list[float] = []
        self.results: dict[str, Invocation] = {}
        self.init_error: Invocation | None = None
        self.unexpected: list[str] = []
        self.changed = threading.Condition()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _make_handler(self))
        # serve_forever notices shutdown() only between polls: keep closing quick.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, name="runtime-api", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> RuntimeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # releases a /next blocked after the last event
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def done(self) -> bool:
        """Every event has its result, or init failed: nothing more will happen."""
        return self.init_error is not None or len(self.results) >= len(self.events)

    def ordered_results(self) -> list[Invocation]:
        return [self.results[rid] for rid in self.request_ids if rid in self.results]

    def serve_next(self) -> tuple[Any, dict[str, str]] | None:
        """The next event and its headers; past the last one, block until closing (None)."""
        with self.changed:
            index = len(self.next_calls)
            self.next_calls.append(time.perf_counter())
            self.changed.notify_all()
        if index >= len(self.events):
            self._closing.wait()
            return None
        headers = {
            "Lambda-Runtime-Aws-Request-Id": self.request_ids[index],
            "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + _DEADLINE_MS),
            "Lambda-Runtime-Invoked-Function-Arn": _FUNCTION_ARN,
            "Lambda-Runtime-Trace-Id": f"Root=1-00000000-{index:024x};Parent=0000000000000000;Sampled=0",
        }
        return self.events[index], headers

    def record_post(self, path: str, body: Any, error_type: str | None) -> bool:
        """Record a result or an init error; False for a path or request id it did not expect."""
        at = time.perf_counter()
        parts = path.split("/")  # "", "2018-06-01", "runtime", "invocation", ID, KIND
        with self.changed:
            if path == f"{_API}/init/error" and self.init_error is None:
                self.init_error = Invocation("init_error", body, error_type, at)
            elif len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error") \
                    and parts[4] in self.request_ids and parts[4] not in self.results:
                self.results[parts[4]] = Invocation(parts[5], body, error_type, at)
            else:
                self.unexpected.append(f"POST {path}")
                return False
            self.changed.notify_all()
        return True


class _Server(http.server.ThreadingHTTPServer):
    block_on_close = False  # a connection left open by a killed client must not hang close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client was killed mid-request
            super().handle_error(request, client_address)


def _make_handler(api: RuntimeAPI) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        # HTTP/1.1 like the real endpoint: the client keeps one connection, and an
        # "Expect: 100-continue" from libcurl is answered instead of timing out.
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: with Nagle the body would wait for an ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            if self.path != f"{_API}/invocation/next":
                api.unexpected.append(f"GET {self.path}")
                return self._reply(404, {"errorType": "NotFound"})
            served = api.serve_next()
            if served is None:
                self.close_connection = True
                return
            event, headers = served
            self._reply(200, event, headers)

        def do_POST(self) -> None:
            raw = self._read_body()
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            if api.record_post(self.path, body, self.headers.get("Lambda-Runtime-Function-Error-Type")):
                self._reply(202, {"status": "OK"})
            else:
                self._reply(400, {"errorType": "InvalidRequestID"})

        def _read_body(self) -> bytes:
            # The client always sends Content-Length (its libcurl is told not to chunk).
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _reply(self, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


# --- running a function -------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionRun:
    """One cold start of a function and its invocations.

    Times are seconds from just before the process started. `init` is the first /next:
    awslambdaric imports the handler before asking for work, so this is Lambda's Init Duration.
    `first_response` is the cold start as a caller sees it; `invocations[i]` runs from the i-th
    /next to its result, so `invocations[1:]` are warm.
    """

    results: list[Invocation]
    init_error: Any | None
    init_error_type: str | None
    returncode: int
    timed_out: bool
    stdout: str
    stderr: str
    tmp_files: list[str]
    init: float | None
    first_response: float | None
    invocations: list[float]
    peak_rss_kib: int
    unexpected: list[str] = field(default_factory=list)

    @property
    def bodies(self) -> list[Any]:
        return [result.body for result in self.results]

    def output(self) -> str:
        """Everything the process printed, for assertion messages."""
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


@functools.cache
def _client_facts(python: str) -> tuple[str, str]:
    """(X.Y, the dir holding awslambdaric): AWS_EXECUTION_ENV and LAMBDA_RUNTIME_DIR."""
    code = "import sys, os, awslambdaric; print('%d.%d' % sys.version_info[:2]); " \
           "print(os.path.dirname(os.path.dirname(awslambdaric.__file__)))"
    version, runtime_dir = venvs._check([python, "-c", code], f"inspecting {python}").split("\n")[:2]
    return version, runtime_dir


def lambda_environ(task_root: Path, handler: str, api_address: str, tmpdir: Path, home: Path,
                   client: str) -> dict[str, str]:
    """The variables Lambda's python3.X runtime sets, built from scratch (PATH and LANG kept)."""
    version, runtime_dir = _client_facts(client)
    env = {name: os.environ[name] for name in ("PATH", "LANG") if name in os.environ}
    env.update({
        "PYTHONPATH": str(task_root),
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": runtime_dir,
        "_HANDLER": handler,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION_NAME}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]00000000000000000000000000000000",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLETOKEN",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version}",
        "AWS_EC2_METADATA_DISABLED": "true",
        "TZ": ":UTC",
        "HOME": str(home),  # does not exist: Lambda gives no usable home
        "TMPDIR": str(tmpdir),
    })
    return env


# The bind mount is made read-only in a private mount namespace; $0 is the task root.
_READ_ONLY_MOUNT = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


def _unshare_prefix(task_root: Path) -> list[str]:
    return ["unshare", "-m", "sh", "-c", _READ_ONLY_MOUNT, str(task_root)]


@functools.cache
def unshare_read_only_works() -> bool:
    """Whether the unshare wrapper really gives a read-only task root here (probed once)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="ro-probe-") as probe:
        (Path(probe) / "seen").touch()
        check = 'test -e "$1/seen" && ! (: > "$1/written") 2>/dev/null'
        proc = subprocess.run([*_unshare_prefix(Path(probe)), "sh", "-c", check, "sh", probe],
                              stdin=subprocess.DEVNULL, capture_output=True)
        return proc.returncode == 0 and not (Path(probe) / "written").exists()


@dataclass
class _ReadOnly:
    """How a task root is made read-only for one run, and how that is undone."""

    prefix: list[str]
    restore_modes: dict[Path, int]

    def undo(self) -> None:
        for path, mode in self.restore_modes.items():
            os.chmod(path, mode)


def _make_read_only(task_root: Path) -> _ReadOnly:
    if unshare_read_only_works():
        return _ReadOnly(_unshare_prefix(task_root), {})
    if os.geteuid() == 0:
        raise RuntimeError("cannot make the task root read-only: running as root (which ignores file "
                           "modes) and `unshare -m` with a read-only bind mount does not work here; "
                           "pass read_only=False to run it writable on purpose")
    modes = {path: stat.S_IMODE(path.stat().st_mode)
             for path in [task_root, *task_root.rglob("*")] if not path.is_symlink()}
    for path, mode in modes.items():
        os.chmod(path, mode & ~0o222)
    return _ReadOnly([], modes)


def run_function(task_root: str | os.PathLike[str], handler: str, events: Sequence[Any], *,
                 client_python: str | os.PathLike[str], timeout: float = 120, read_only: bool = True,
                 extra_env: Mapping[str, str] | None = None) -> FunctionRun:
    """Start `client_python -m awslambdaric HANDLER` in task_root as Lambda does; serve `events`.

    Stops when every event has a result, init failed, the process exited or `timeout` passed,
    then kills the process group and reaps it with wait4 for the peak RSS. `extra_env` is
    applied last, so it may override Lambda's variables. read_only=False runs the task root
    writable, for callers that cannot make it read-only and say so.
    """
    root = Path(task_root).resolve()
    client = os.fspath(client_python)
    scratch = Path(tempfile.mkdtemp(prefix="lambda-run-"))
    tmpdir = scratch / "tmp"
    tmpdir.mkdir()
    guard = _make_read_only(root) if read_only else _ReadOnly([], {})
    try:
        with RuntimeAPI(events) as api, open(scratch / "stdout", "w+b") as out, \
                open(scratch / "stderr", "w+b") as err:
            env = lambda_environ(root, handler, api.address, tmpdir, scratch / "no-home", client)
            env.update(extra_env or {})
            start = time.perf_counter()
            proc = subprocess.Popen([*guard.prefix, client, "-m", "awslambdaric", handler], cwd=root,
                                    env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=True)
            try:
                timed_out = not _wait(api, proc.pid, start + timeout)
            finally:
                returncode, peak_rss = _kill_and_reap(proc)
            results = api.ordered_results()
            init_error = api.init_error
            next_calls = list(api.next_calls)
            unexpected = list(api.unexpected)
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        tmp_files = sorted(str(p.relative_to(tmpdir)) for p in tmpdir.rglob("*"))
    finally:
        guard.undo()
        shutil.rmtree(scratch, ignore_errors=True)
    return FunctionRun(
        results=results,
        init_error=init_error.body if init_error else None,
        init_error_type=init_error.error_type if init_error else None,
        returncode=returncode,
        timed_out=timed_out,
        stdout=stdout,
        stderr=stderr,
        tmp_files=tmp_files,
        init=next_calls[0] - start if next_calls else None,
        first_response=results[0].at - start if results else None,
        invocations=[result.at - called for result, called in zip(results, next_calls)],
        peak_rss_kib=peak_rss,
        unexpected=unexpected,
    )


def _exited(pid: int) -> bool:
    """Whether pid has exited, leaving it unreaped so its process group id stays reserved."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _wait(api: RuntimeAPI, pid: int, deadline: float) -> bool:
    """Wait until the run is over; False if the deadline came first."""
    with api.changed:
        while not api.done():
            if _exited(pid):
                return True
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            api.changed.wait(min(remaining, 0.05))
    if api.init_error is not None:  # awslambdaric exits by itself after an init error
        grace = min(deadline, time.perf_counter() + 5)
        while not _exited(pid) and time.perf_counter() < grace:
            time.sleep(0.01)
    return True


def _kill_and_reap(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Kill the whole process group, reap the leader: (exit code, peak RSS in KiB)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait again
    return proc.returncode, usage.ru_maxrss


# --- the standard deployments -------------------------------------------------------------


def unzip(zip_path: str | os.PathLike[str], dest: str | os.PathLike[str]) -> Path:
    """Extract a deployment package with zipfile, keeping the Unix modes as Lambda does."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = Path(archive.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                target.chmod(mode)
    return dest


def plain_zip(handler_file: Path, requirements: Sequence[str], dest: Path,
              python: str | os.PathLike[str] = sys.executable) -> Path:
    """`pip install --target` + the handler, zipped and unzipped: the usual deployment."""
    return unzip(deployment_zip(handler_file, requirements, python, precompiled=False), dest)


def precompiled_zip(handler_file: Path, requirements: Sequence[str], dest: Path,
                    python: str | os.PathLike[str] = sys.executable) -> Path:
    """The usual deployment with every module compiled to unchecked-hash .pyc files.

    unchecked-hash because unzipping does not keep mtimes, which timestamp .pyc files check:
    this is the strongest honest form of "precompiled with compileall".
    """
    return unzip(deployment_zip(handler_file, requirements, python, precompiled=True), dest)


def deployment_zip(handler_file: Path, requirements: Sequence[str],
                   python: str | os.PathLike[str] = sys.executable, *, precompiled: bool) -> Path:
    """The cached zip of a standard deployment, built from a staging dir on first use."""
    python = os.fspath(python)
    reqs = sorted(r.strip() for r in requirements)
    handler_bytes = Path(handler_file).read_bytes()
    key = _digest(_python_version(python), *reqs, f"precompiled={precompiled}",
                  hashlib.sha256(handler_bytes).hexdigest())
    final = venvs.cache_root() / "lambda-zips" / f"{key}.zip"
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stage-", dir=final.parent) as stage_dir:
        stage = Path(stage_dir) / "task"
        shutil.copytree(_installed(python, reqs), stage, symlinks=True)
        (stage / "lambda_function.py").write_bytes(handler_bytes)
        if precompiled:
            venvs._check([python, "-m", "compileall", "-q", "-j0", "--invalidation-mode", "unchecked-hash",
                          str(stage)], f"compileall over {stage}")
        partial = Path(stage_dir) / "function.zip"
        write_zip(stage, partial)
        os.replace(partial, final)
    return final


def write_zip(root: Path, zip_path: Path) -> None:
    """Zip a directory deterministically, with what `zip -r` records: dir entries and modes."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in _walk(root):
            name = path.relative_to(root).as_posix() + ("/" if path.is_dir() else "")
            info = zipfile.ZipInfo(name, _ZIP_EPOCH)
            mode = stat.S_IMODE(path.stat().st_mode)
            info.external_attr = ((stat.S_IFDIR if path.is_dir() else stat.S_IFREG) | mode) << 16
            if path.is_dir():
                info.external_attr |= 0x10  # MS-DOS directory flag
                archive.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        yield path
        if path.is_dir() and not path.is_symlink():
            yield from _walk(path)


def _installed(python: str, reqs: Sequence[str]) -> Path:
    """A cached `pip install --no-deps --target` of reqs, with no bytecode in it."""
    for req in reqs:
        if "==" not in req:
            raise ValueError(f"requirement {req!r} is not pinned with '=='")
    root = venvs.cache_root()
    final = root / f"lambda-target-{_digest(_python_version(python), *reqs)}"
    if final.is_dir():
        return final
    tmp = Path(tempfile.mkdtemp(prefix=f"{final.name}.tmp-", dir=root))
    try:
        if reqs:
            venvs._check([python, "-m", "pip", "--disable-pip-version-check", "-q", "install", "--no-deps",
                          "--no-compile", "--cache-dir", str(root / "pip-cache"), "--target", str(tmp),
                          *reqs],
                         f"pip install --target {' '.join(reqs)}")
        for cache in list(tmp.rglob("__pycache__")):
            shutil.rmtree(cache)
        for pyc in tmp.rglob("*.pyc"):
            pyc.unlink()
        tmp.chmod(0o755)  # mkdtemp makes it private; a task root is world-readable
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
            # Another process finished first; its install is equivalent to ours.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


@functools.cache
def _python_version(python: str) -> str:
    return venvs._check([python, "-c", "import sys; print(sys.version)"], f"running {python}").strip()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
