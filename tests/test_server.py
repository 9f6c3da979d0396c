"""The warm start server of `freeze build --server` (runtime/server.py, boot's client):
real archives, real servers in a private runtime folder, runs compared with the same
archive's normal start (FREEZE_SERVER=0)."""

from __future__ import annotations

import os
import pty
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Optional

import pytest

import venvs
from support import build_app, freeze, inspect_json, write_tree

from freezer.scanner import analyze

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the server is Linux only")

APP = {
    "app.py": """
        import os
        import signal
        import sys
        import time

        import envmod
        import helper


        def main():
            command = sys.argv[1] if len(sys.argv) > 1 else "hello"
            if command == "hello":
                out = sys.stdout
                print("hello", sys.argv[1:], os.getcwd(), envmod.VALUE, os.environ.get("X"),
                      out.isatty(), out.encoding, out.errors, out.line_buffering, helper.NAME)
                print("pid", os.getpid(), file=sys.stderr)
            elif command == "cat":
                for line in sys.stdin:
                    print(line.strip().upper(), flush=True)
            elif command == "exit":
                print("bye")
                sys.exit(int(sys.argv[2]))
            elif command == "fail":
                helper.fail()
            elif command == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif command == "term":
                def stop(number, frame):
                    print("got", number, flush=True)
                    sys.exit(7)
                signal.signal(signal.SIGTERM, stop)
                print("ready", os.getpid(), flush=True)
                time.sleep(30)
            elif command == "sleep":
                print("ready", os.getpid(), flush=True)
                time.sleep(float(sys.argv[2]))
                print("done")
                sys.exit(5)
            elif command == "pause":
                print("ready", os.getpid(), flush=True)
                for _ in range(300):
                    time.sleep(0.1)
            elif command == "interrupt":
                print("ready", flush=True)
                time.sleep(30)


        main()
        """,
    "envmod.py": """
        import os

        VALUE = os.environ.get("SERVER_TEST_VALUE")
        """,
    "helper.py": """
        import json

        NAME = "helper"


        def fail():
            raise ValueError(json.dumps({"boom": 1}))
        """,
}


class Served:
    """An archive and a private runtime folder: runs, and the servers they start."""

    def __init__(self, archive: Path, folder: Path, cwd: Path) -> None:
        self.archive, self.folder, self.cwd = archive, folder, cwd
        self.env = venvs.isolated_env(cwd.parent / "env")
        self.env.update(XDG_RUNTIME_DIR=str(folder), LC_ALL="C.UTF-8")

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-I", "-S", str(self.archive), *args]

    def environment(self, **extra: str) -> dict[str, str]:
        return {**self.env, **extra}

    def run(self, *args: str, served: Optional[bool] = None, input: Optional[str] = None,
            **extra: str) -> subprocess.CompletedProcess[str]:
        """A run; `client` is its process's pid, which a normal run prints."""
        env = self.environment(**extra)
        if served is not None:
            env["FREEZE_SERVER"] = "1" if served else "0"
        proc = subprocess.Popen(self.command(*args), cwd=self.cwd, env=env, text=True,
                                stdin=subprocess.PIPE if input else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(input, timeout=60)
        self.client = proc.pid
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def popen(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), cwd=self.cwd, env=self.environment(**extra),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def servers(self) -> list[int]:
        """Pids of the live servers in our folder (each writes its pid in its lock file)."""
        found = []
        for lock in (self.folder / "freeze").glob("*.lock"):
            text = lock.read_text()
            if text.isdigit() and _alive(int(text)):
                found.append(int(text))
        return found

    def start(self) -> int:
        """Run once (starting the server) and wait until a run is served: the server's pid."""
        self.run("hello")
        return self.wait_for_server()

    def wait_for_server(self, other_than: Sequence[int] = ()) -> int:
        """The pid of a server (not one of `other_than`) once a run was served."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pids = [pid for pid in self.servers() if pid not in other_than]
            if pids and _pid(self.run("hello")) != self.client:
                return pids[0]
            time.sleep(0.1)
        raise AssertionError("no server started")

    def stop(self) -> None:
        for pid in self.servers():
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")


def _pid(done: subprocess.CompletedProcess[str]) -> Optional[int]:
    """The pid the app printed (the `hello` command)."""
    for line in done.stderr.splitlines():
        if line.startswith("pid "):
            return int(line.split()[1])
    return None


def _without_pid(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("pid "))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_app(tmp_path_factory.mktemp("server"), APP, "--server")


@pytest.fixture
def runtime_folder() -> Iterator[Path]:
    """A private XDG_RUNTIME_DIR, short (a socket's path has room for 107 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="fz-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def served(archive: Path, runtime_folder: Path, tmp_path: Path) -> Iterator[Served]:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    served = Served(archive, runtime_folder, cwd)
    try:
        yield served
    finally:
        served.stop()


# -- build ----------------------------------------------------------------------------------


def test_inspect_shows_the_server_and_what_it_preloads(archive: Path) -> None:
    info = inspect_json(archive)["server"]
    assert info["enabled"] is True and info["idle"] == 600
    assert "helper" in info["preload"] and "json" in info["preload"]
    # envmod reads the environment as it imports, and __main__ imports it (and runs anyway).
    assert "envmod" not in info["preload"] and "__main__" not in info["preload"]
    shown = freeze("inspect", archive).stdout
    assert f"server   on: preloads {len(info['preload'])} modules, exits after 600 s idle" in shown


def test_server_is_off_by_default_and_refused_with_lambda(tmp_path: Path) -> None:
    plain = build_app(tmp_path, {"app.py": "print(1)\n"})
    assert inspect_json(plain)["server"]["enabled"] is False
    assert "server   off" in freeze("inspect", plain).stdout
    refused = freeze("build", "app.py", "--lambda", "--server", cwd=tmp_path / "src")
    assert refused.returncode != 0 and "drop --server" in refused.stderr


def test_config_sets_the_server_and_its_idle_time(tmp_path: Path) -> None:
    write_tree(tmp_path / "src", {"pyproject.toml": """
        [tool.freeze]
        server = true
        server-idle = 30
        """})
    out = build_app(tmp_path, {"app.py": "print(1)\n"})
    assert inspect_json(out)["server"] == {"enabled": True, "idle": 30, "preload": []}


def test_modules_that_would_import_a_reader_of_process_state_are_not_preloaded(
        tmp_path: Path) -> None:
    out = build_app(tmp_path, {
        "app.py": "import pkg.sub\nimport clean\nimport user\nimport quiet\n",
        "pkg/__init__.py": "import os\nMODE = os.getenv('MODE')\n",
        "pkg/sub.py": "X = 1\n",
        "clean.py": "import json\n",
        "user.py": "import reader\n",
        "reader.py": "import sys\nARGS = list(sys.argv)\n",
        "quiet.py": "import os\n\n\ndef mode():\n    return os.environ.get('MODE')\n",
    }, "--server")
    preload = set(inspect_json(out)["server"]["preload"])
    assert {"clean", "json", "quiet"} <= preload
    assert not preload & {"pkg", "pkg.sub", "user", "reader", "__main__"}


@pytest.mark.parametrize("source, reads", [
    ("import os\nX = os.environ.get('A')\n", True),
    ("import os\ndef f():\n    return os.environ.get('A')\n", False),
    ("import sys\ndef f(out=sys.stdout):\n    pass\n", True),
    ("from os import getenv\nY = getenv('x')\n", True),
    ("from sys import argv\n", True),
    ("import sys\nif __name__ == '__main__':\n    print(sys.argv)\n", False),
    ("import sys\nCOLOR = sys.stdout.isatty()\n", True),
    ("import sys\nclass A:\n    x = sys.argv\n", True),
    ("import time\nf = lambda: time.time()\n", False),
    ("import os\nHERE = os.path.dirname(__file__)\n", False),
    ("import time\nSTARTED = time.monotonic()\n", True),
    ("import sys\nENCODING = getattr(sys.stderr, 'encoding', None) or 'ascii'\n", False),
    ("import sys\nclass A:\n    errors = sys.stdout.errors\n", False),
    ("import sys\nWRITE = sys.stdout.write\n", True),
])
def test_the_scanner_sees_top_level_reads_of_process_state(source: str, reads: bool) -> None:
    assert analyze(source, version=(3, 11), platform="linux").reads_process_state is reads


# -- runs -----------------------------------------------------------------------------------


def test_a_served_run_prints_what_a_normal_run_prints(served: Served) -> None:
    server = served.start()
    folder = served.folder / "freeze"
    assert folder.stat().st_mode & 0o777 == 0o700 and folder.stat().st_uid == os.getuid()
    for value in ("one", "two"):  # a module reading the environment sees each run's
        normal = served.run("hello", "x y", served=False, SERVER_TEST_VALUE=value, X="1")
        assert _pid(normal) == served.client
        warm = served.run("hello", "x y", SERVER_TEST_VALUE=value, X="1")
        assert _pid(warm) != served.client
        assert warm.returncode == normal.returncode == 0
        assert warm.stdout == normal.stdout
        assert f"{value} 1 False utf-8 surrogateescape False helper" in warm.stdout
        assert _without_pid(warm.stderr) == _without_pid(normal.stderr) == ""
    assert served.servers() == [server]


def test_freeze_server_0_turns_it_off(served: Served) -> None:
    served.start()
    done = served.run("hello", FREEZE_SERVER="0")
    assert done.returncode == 0 and _pid(done) == served.client


def test_exit_statuses_and_tracebacks_are_a_normal_runs(served: Served) -> None:
    served.start()
    for args in (["exit", "0"], ["exit", "3"], ["fail"], ["kill"], ["exit", "300"]):
        normal, warm = served.run(*args, served=False), served.run(*args)
        assert (warm.returncode, warm.stdout, warm.stderr) == (
            normal.returncode, normal.stdout, normal.stderr), args
    assert served.run("kill").returncode == -signal.SIGKILL
    failed = served.run("fail")
    assert failed.returncode == 1 and 'ValueError: {"boom": 1}' in failed.stderr
    assert 'helper.py", line' in failed.stderr


def test_stdin_streams_to_the_child(served: Served) -> None:
    served.start()
    proc = served.popen("cat")
    assert proc.stdin and proc.stdout
    for word in ("first", "second"):  # each line comes back before the next is sent
        proc.stdin.write(word + "\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == word.upper() + "\n"
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0


def test_sigterm_to_the_run_reaches_the_child(served: Served) -> None:
    served.start()
    proc = served.popen("term")
    assert proc.stdout
    ready = proc.stdout.readline().split()
    assert ready[0] == "ready" and int(ready[1]) != proc.pid  # served
    time.sleep(0.3)  # into its sleep: a signal inside print() is another story
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert out == f"got {signal.SIGTERM.value}\n" and proc.returncode == 7


def _chunks(fd: int) -> Iterator[bytes]:
    """What a pty's master reads until the other side is gone (EIO on Linux)."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        yield chunk


def _pty_run(command: list[str], env: dict[str, str], cwd: Path,
             interrupt: bool = False) -> tuple[bytes, int]:
    """Run `command` as the session leader of a new pseudo-terminal, as a shell would;
    `interrupt` types Ctrl-C once it printed "ready".  Its output and wait status."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            os.execve(command[0], command, env)
        finally:
            os._exit(127)
    output = b""
    for chunk in _chunks(fd):
        output += chunk
        if interrupt and b"ready" in output:
            time.sleep(0.3)  # into its sleep, as a person would be
            os.write(fd, b"\x03")
            interrupt = False
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return output, os.waitstatus_to_exitcode(status)


def test_a_terminal_is_a_terminal_and_ctrl_c_interrupts(served: Served) -> None:
    served.start()
    env = served.environment()
    normal = _pty_run(served.command("hello"), {**env, "FREEZE_SERVER": "0"}, served.cwd)
    warm = _pty_run(served.command("hello"), env, served.cwd)
    assert b"True utf-8 surrogateescape True helper" in warm[0]
    assert _without_pid(warm[0].decode()) == _without_pid(normal[0].decode())
    assert warm[1] == normal[1] == 0
    normal = _pty_run(served.command("interrupt"), {**env, "FREEZE_SERVER": "0"}, served.cwd,
                      interrupt=True)
    warm = _pty_run(served.command("interrupt"), env, served.cwd, interrupt=True)
    assert b"KeyboardInterrupt" in warm[0]
    assert warm == normal


def test_sixteen_runs_at_once(served: Served) -> None:
    server = served.start()
    procs = [served.popen("hello", str(number)) for number in range(16)]
    for number, proc in enumerate(procs):
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert out.startswith(f"hello ['hello', '{number}'] ")
    assert served.servers() == [server]


def test_a_server_killed_mid_run_loses_nothing(served: Served) -> None:
    server = served.start()
    proc = served.popen("sleep", "1")
    assert proc.stdout
    assert proc.stdout.readline().startswith("ready")
    os.kill(server, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    assert out == "done\n" and proc.returncode == 5
    after = served.run("hello")  # a normal start, which starts a new server
    assert after.returncode == 0 and after.stdout.startswith("hello")
    assert _pid(after) == served.client
    assert served.wait_for_server(other_than=[server]) != server


def test_a_rebuilt_archive_gets_a_new_server(served: Served, tmp_path: Path) -> None:
    archive = tmp_path / "app.pyz"
    shutil.copy(served.archive, archive)
    served.archive = archive
    old = served.start()
    assert "v2" not in served.run("hello").stdout
    src = write_tree(tmp_path / "src", {**APP, "helper.py": APP["helper.py"].replace(
        '"helper"', '"v2"')})
    assert freeze("build", "app.py", "--server", "-o", archive, cwd=src).returncode == 0
    assert served.run("hello").stdout.rstrip().endswith("v2")
    new = served.wait_for_server(other_than=[old])
    assert served.run("hello").stdout.rstrip().endswith("v2")
    deadline = time.monotonic() + 10
    while _alive(old) and time.monotonic() < deadline:  # it notices within a second
        time.sleep(0.1)
    assert not _alive(old) and _alive(new)


def test_an_idle_server_exits(tmp_path: Path, runtime_folder: Path) -> None:
    archive = build_app(tmp_path, APP, "--server", "--server-idle", "1")
    (tmp_path / "cwd").mkdir()
    served = Served(archive, runtime_folder, tmp_path / "cwd")
    try:
        server = served.start()
        deadline = time.monotonic() + 15
        while _alive(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(server)
        assert not list((runtime_folder / "freeze").glob("*.sock"))
    finally:
        served.stop()


@pytest.mark.skipif(os.getuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to run a server as another user")
def test_another_users_server_and_folder_are_refused(served: Served, tmp_path: Path) -> None:
    shared = Path(tempfile.mkdtemp(prefix="fz-other-", dir="/tmp"))
    try:
        os.chmod(shared, 0o755)
        archive = shared / "app.pyz"
        shutil.copy(served.archive, archive)
        os.chmod(archive, 0o644)
        runtime = shared / "run"
        runtime.mkdir(mode=0o700)
        (runtime / "freeze").mkdir(mode=0o700)
        nobody = int(subprocess.run(["id", "-u", "nobody"], capture_output=True,
                                    text=True).stdout)
        for folder in (runtime, runtime / "freeze"):
            os.chown(folder, nobody, -1)
        base = runtime / "freeze" / "other"
        as_nobody = ["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups"]
        if subprocess.run([*as_nobody, sys.executable, "-c", "pass"], cwd=shared,
                          capture_output=True).returncode:
            pytest.skip("nobody cannot run this interpreter (it lives in a private folder)")
        server = subprocess.Popen(
            [*as_nobody, sys.executable, "-I", "-S", str(archive)], cwd=shared,
            env={**served.env, "XDG_RUNTIME_DIR": str(runtime), "FREEZE_SERVE": str(base)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not Path(f"{base}.sock").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            with socket.socket(socket.AF_UNIX) as client:  # root may connect; it is refused
                client.settimeout(10)
                client.connect(f"{base}.sock")
                try:
                    client.sendall(b"\0" * 8)
                    refused = client.recv(8) == b""
                except ConnectionResetError:  # closed with our bytes unread
                    refused = True
                assert refused
            # A run that finds the runtime folder is another user's does not use it.
            proc = subprocess.Popen([sys.executable, "-I", "-S", str(archive), "hello"],
                                    cwd=served.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env={**served.env, "XDG_RUNTIME_DIR": str(runtime)})
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0 and out.startswith("hello") and f"pid {proc.pid}" in err
        finally:
            server.kill()
            server.wait()
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        for lock in Path(tempfile.gettempdir(), f"freeze-{os.getuid()}-server").glob("*.lock"):
            text = lock.read_text()
            if text.isdigit() and _alive(int(text)):
                cmdline = Path(f"/proc/{text}/cmdline").read_bytes()
                if str(archive).encode() in cmdline:
                    os.kill(int(text), signal.SIGKILL)


CLICK_APP = {
    "app.py": """
        import click


        @click.command()
        @click.option("--name", default="world")
        def main(name):
            click.echo(click.style("hello " + name, fg="green"))
            click.echo(click.style("to stderr", fg="red"), err=True)


        main()
        """,
}


@pytest.mark.slow
def test_click_decides_colours_as_in_a_normal_run(tmp_path: Path, runtime_folder: Path) -> None:
    python = venvs.venv_python(["click==8.5.1"])
    src = write_tree(tmp_path / "src", CLICK_APP)
    archive = tmp_path / "app.pyz"
    built = freeze("build", "app.py", "--server", "-o", archive, "--python", python, cwd=src)
    assert built.returncode == 0, built.stderr
    assert "click.termui" in inspect_json(archive)["server"]["preload"]
    (tmp_path / "cwd").mkdir()
    served = Served(archive, runtime_folder, tmp_path / "cwd")
    try:
        served.start()
        normal = served.run("--name", "you", served=False)
        warm = served.run("--name", "you")
        assert (warm.stdout, warm.stderr) == (normal.stdout, normal.stderr) == (
            "hello you\n", "to stderr\n")
        env = served.environment()
        normal_tty = _pty_run(served.command(), {**env, "FREEZE_SERVER": "0"}, served.cwd)
        warm_tty = _pty_run(served.command(), env, served.cwd)
        assert b"\x1b[32mhello world" in warm_tty[0]
        assert warm_tty == normal_tty
    finally:
        served.stop()


def test_no_server_where_a_socket_path_would_not_fit(served: Served) -> None:
    deep = served.folder / ("x" * 90)
    deep.mkdir(mode=0o700)
    served.folder = deep
    served.env["XDG_RUNTIME_DIR"] = str(deep)
    for _ in range(2):
        done = served.run("hello")
        assert done.returncode == 0 and _pid(done) == served.client
    time.sleep(0.5)
    assert not list((deep / "freeze").glob("*.lock"))  # none was spawned


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]


def test_ctrl_z_stops_the_run_and_its_child_and_sigcont_resumes_them(served: Served) -> None:
    served.start()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.chdir(served.cwd)
            command = served.command("pause")
            os.execve(command[0], command, served.environment())
        finally:
            os._exit(127)
    try:
        output = b""
        while b"ready" not in output:
            output += os.read(fd, 4096)
        child = int(output.split(b"ready")[1].split()[0])
        assert child != pid  # served
        time.sleep(0.3)
        os.write(fd, b"\x1a")  # Ctrl-Z
        _, status = os.waitpid(pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status)
        deadline = time.monotonic() + 10
        while _state(child) != "T" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(child) == "T"
        os.kill(pid, signal.SIGCONT)
        while _state(child) == "T" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(child) in "SR"
        os.write(fd, b"\x03")  # Ctrl-C: still the run's to end
        output += b"".join(_chunks(fd))
        _, status = os.waitpid(pid, 0)
        assert b"KeyboardInterrupt" in output and os.waitstatus_to_exitcode(status) == 130
    finally:
        os.close(fd)


def test_a_killed_run_takes_its_child_with_it(served: Served) -> None:
    served.start()
    proc = served.popen("pause")
    assert proc.stdout
    child = int(proc.stdout.readline().split()[1])
    assert child != proc.pid and _alive(child)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10  # SIGHUP at once, SIGKILL a second later
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_a_function_entry_is_preloaded_and_served(tmp_path: Path, runtime_folder: Path) -> None:
    src = write_tree(tmp_path / "src", {"tool.py": """
        import os
        import sys


        def main():
            print("tool", sys.argv[1:], __name__)
            print("pid", os.getpid(), file=sys.stderr)
            return 4
        """})
    archive = tmp_path / "tool.pyz"
    built = freeze("build", "-e", "tool:main", "--path", src, "--server", "-o", archive, cwd=src)
    assert built.returncode == 0, built.stderr
    assert "tool" in inspect_json(archive)["server"]["preload"]
    (tmp_path / "cwd").mkdir()
    served = Served(archive, runtime_folder, tmp_path / "cwd")
    try:
        served.run("first")
        deadline = time.monotonic() + 30
        while not served.servers() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        normal = served.run("a", served=False)
        assert _pid(normal) == served.client
        warm = served.run("a")
        assert _pid(warm) != served.client
        for done in (normal, warm):
            assert (done.returncode, done.stdout) == (4, "tool ['a'] tool\n")
    finally:
        served.stop()


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.skipif(not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                    reason="needs /proc/PID/task/TID/children")
def test_a_spare_whose_child_died_lets_the_run_start_as_usual(served: Served) -> None:
    server = served.start()
    time.sleep(0.5)  # the next spare is forked and has forked its child
    # The spare is the server's one child with a child (the others are ending monitors).
    (spare,) = [pid for pid in _children(server) if _alive(pid) and _children(pid)]
    (child,) = _children(spare)
    os.kill(child, signal.SIGKILL)
    done = served.run("hello")
    assert done.returncode == 0 and done.stdout.startswith("hello")
    assert _pid(done) == served.client  # started as usual
    assert _pid(served.run("hello")) != served.client  # the next spare serves again
