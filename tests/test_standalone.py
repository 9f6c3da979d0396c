"""`freeze build --standalone`: one executable carrying its interpreter (issue 17).

The end-to-end tests run the file where no Python is installed: in a private mount
namespace (`unshare --mount`, root only) with an empty folder bound over every Python
installation and an empty file over every `python*` on PATH, as root and as nobody.
The first-run tests cover the launcher's unpacking: concurrent first runs, a read-only
cache, damage, a planted folder, a glibc too old, later runs that change nothing.
Every run gets its own empty cache folder, so nothing depends on the user's cache
(the build's cache of bundled interpreters aside, which only saves time).
"""

from __future__ import annotations

import http.server
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import ssl
import stat
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

import venvs
from freezer import elf, standalone
from freezer.errors import TargetError
from support import freeze, installed_pythons, run_python, write_tree

SLOW = pytest.mark.slow
LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--standalone builds for Linux only")
NOBODY = 65534
TOOLS = ("unshare", "setpriv")
AS_ROOT = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0 or not all(map(shutil.which, TOOLS)),
    reason="needs Linux, root and unshare/setpriv (hides every Python in a mount namespace, "
           "runs as nobody)")
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"

Ran = subprocess.CompletedProcess[str]


# --- the launcher's fields, runs, and a machine without Python -----------------------------

_FIELDS = re.compile(rb"^d=(\w+) v=([\d.]+) o=(\d+) n=(\d+) c='(\d+ \d+)' g=(\d+\.\d+)$", re.MULTILINE)


def fields(path: Path) -> dict[str, str]:
    """The launcher's digest (d), version (v), bundle offset (o) and size (n), cksum (c)
    and glibc (g), from the head of a standalone file."""
    with open(path, "rb") as file:
        head = file.read(4096)
    match = _FIELDS.search(head)
    assert match, head[:400]
    return dict(zip("dvoncg", (group.decode() for group in match.groups())))


def run(file: Path, *args: str, env: Mapping[str, str], cwd: Path, user: int | None = None,
        prefix: Sequence[str] = ()) -> Ran:
    """Run a standalone file with exactly `env` (as `env -i` would), as `user` when given,
    after `prefix` (hidden_pythons' command)."""
    as_user = [shutil.which("setpriv") or "setpriv", f"--reuid={user}", f"--regid={user}",
               "--clear-groups", "--"] if user is not None else []
    return subprocess.run([*prefix, *as_user, str(file), *args], env=dict(env), cwd=cwd,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


def root_env(tmp_path: Path, name: str = "cache") -> dict[str, str]:
    """A bare environment whose user cache is an empty folder under tmp_path."""
    home, cache = tmp_path / f"home-{name}", tmp_path / name
    home.mkdir()
    cache.mkdir()
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CACHE_HOME": str(cache)}


def _python_roots(pythons: Sequence[Path]) -> set[Path]:
    """Folders holding these interpreters' installations: pyenv's root for its versions
    (found from the path, .../versions/V/bin/python), else the prefix; the system's
    /usr and /usr/local are left to hidden_pythons' globs."""
    roots = set()
    for python in pythons:
        real = Path(os.path.realpath(python))
        versions = next((parent for parent in real.parents if parent.name == "versions"), None)
        root = versions.parent if versions else real.parent.parent
        if root not in (Path("/usr"), Path("/usr/local"), Path("/")):
            roots.add(root)
    return roots


def hidden_pythons(tmp_path: Path, *also: Path) -> list[str]:
    """A command prefix running its command in a mount namespace with no Python: an
    empty folder over pyenv's root (and any other install the interpreters here come
    from, plus `also`), /usr/lib/python3*, /usr/local/lib/python3*; an empty file over
    every /usr/bin/python*, /usr/local/bin/python* and libpython3*.  It checks that no
    python is left on PATH before running the command (exit 97 if one is)."""
    empty_dir, empty_file = tmp_path / "hide-empty", tmp_path / "hide-empty-file"
    empty_dir.mkdir(exist_ok=True)
    empty_file.write_bytes(b"")
    base = Path(getattr(sys, "_base_executable", sys.executable))
    pythons = [Path(sys.executable), base, *installed_pythons()]
    found = {*_python_roots(pythons), *also, *(
        path for pattern in ("usr/lib/python3*", "usr/local/lib/python3*")
        for path in Path("/").glob(pattern) if path.is_dir())}
    # the outermost only: once pyenv's root is hidden, its versions' folders are gone
    folders = sorted(folder for folder in found if not any(other in folder.parents for other in found))
    files = sorted(p for pattern in ("usr/bin/python*", "usr/local/bin/python*", "usr/lib/*/libpython3*",
                                     "usr/local/lib/libpython3*", "usr/lib/libpython3*")
                   for p in Path("/").glob(pattern) if p.exists() and not p.is_dir())
    lines = ["set -e"]  # files first: some are links into the folders (libpython3.X.a)
    lines += [f"mount --bind {shlex.quote(str(empty_file))} {shlex.quote(str(file))}" for file in files]
    lines += [f"mount --bind {shlex.quote(str(empty_dir))} {shlex.quote(str(folder))}" for folder in folders]
    lines += ["for n in python python3 python3.10 python3.11 python3.12 python3.13 python3.14; do",
              '  if command -v "$n"; then echo "still on PATH: $n" >&2; exit 97; fi',
              "done", 'exec "$@"']
    return [shutil.which("unshare") or "unshare", "--mount", "--propagation", "private",
            "sh", "-c", "\n".join(lines), "hide-pythons"]


@pytest.fixture
def public() -> Iterator[Path]:
    """A 0755 folder under /tmp, which the user nobody can reach (pytest's temp folders
    are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="freeze-standalone-test-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def nobody_folder(path: Path, mode: int = 0o755) -> Path:
    """An empty folder owned by nobody."""
    path.mkdir(parents=True)
    os.chown(path, NOBODY, NOBODY)
    path.chmod(mode)
    return path


def copy_public(file: Path, folder: Path) -> Path:
    """`file` copied into `folder`, readable (and runnable) by everyone."""
    copy = folder / file.name
    shutil.copyfile(file, copy)
    copy.chmod(0o755)
    return copy


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """(mtime, size, mode) of every path under `folder`, and of `folder` itself."""
    found = {".": (folder.stat().st_mtime_ns, 0, folder.stat().st_mode)}
    for path in folder.rglob("*"):
        info = path.lstat()
        found[str(path.relative_to(folder))] = (info.st_mtime_ns, info.st_size, info.st_mode)
    return found


def build_standalone(src: Path, out: Path, *args: str) -> Path:
    built = freeze("build", "app.py", "--standalone", *args, "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    assert "note: carries CPython" in built.stderr, built.stderr
    return out


# --- 1. Done when: rich, requests over TLS, sqlite3, ctypes, spawn, with no Python anywhere --

# rich and requests with every dependency pinned (pip runs with --no-deps, tests/venvs.py).
REQUIREMENTS = ("rich==13.7.1", "markdown-it-py==4.3.0", "mdurl==0.1.2", "pygments==2.21.0",
                "requests==2.32.3", "certifi==2026.10.19.post1", "charset-normalizer==3.5.3",
                "idna==3.20", "urllib3==2.8.0")

DONE_WHEN = {
    "app.py": '''
        """rich, requests over TLS to a local server, sqlite3, ctypes, a spawn pool."""
        import ctypes
        import ctypes.util
        import multiprocessing
        import sqlite3
        import sys

        import requests
        from rich.console import Console
        from rich.table import Table


        def square(x):
            return x * x


        def main():
            url, ca = sys.argv[1], sys.argv[2]
            console = Console(width=60, color_system=None, force_terminal=False)
            table = Table("check", "result")
            response = requests.get(url, verify=ca, timeout=30)
            table.add_row("https", f"{response.status_code} {response.text.strip()}")
            db = sqlite3.connect(":memory:")
            table.add_row("sqlite", str(db.execute("select 6 * 7").fetchone()[0]))
            libc = ctypes.CDLL(ctypes.util.find_library("c"))
            table.add_row("ctypes", str(libc.abs(-5)))
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                table.add_row("spawn", str(pool.map(square, range(5))))
            console.print(table)


        if __name__ == "__main__":
            main()
    ''',
}


def make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) made with the openssl command:
    a CA and a server certificate it signs, for 127.0.0.1 and localhost."""
    folder.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        done = subprocess.run(["openssl", *args], cwd=folder, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=freeze test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (folder / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello over tls\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(URL, CA file) of an HTTPS server on a free loopback port, with its own CA."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a CA")
    ca, cert, key = make_ca(tmp_path / "ca")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/", ca
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@SLOW
@AS_ROOT
def test_rich_requests_sqlite_ctypes_and_spawn_run_where_no_python_is_installed(
        tmp_path: Path, public: Path, tls_server: tuple[str, Path]) -> None:
    """Issue 17's Done-when: the standalone file prints what the venv prints, with
    every Python of the machine hidden, as root and as nobody."""
    url, ca = tls_server
    python = venvs.venv_python(REQUIREMENTS)
    src = write_tree(tmp_path / "src", DONE_WHEN)
    out = build_standalone(src, tmp_path / "app", "--python", str(python))
    expected = run_python(src / "app.py", url, ca, tmp_path=tmp_path, python=python)
    assert expected.returncode == 0, expected.stderr
    assert "200 hello over tls" in expected.stdout and "[0, 1, 4, 9, 16]" in expected.stdout

    hide = hidden_pythons(tmp_path, Path(sys.prefix), python.parent.parent)
    probe = subprocess.run([*hide, "sh", "-c", 'command -v python3 || echo "no python3"\n'
                            'find "$@" /usr/lib/python3* -mindepth 1 -maxdepth 1\n'
                            '"$1" -c pass 2>/dev/null || echo "the venv does not start"',
                            "probe", str(python), str(Path(sys.base_prefix) / "lib"), str(python.parent)],
                           env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert (probe.stdout, probe.returncode) == ("no python3\nthe venv does not start\n", 0), probe.stderr

    app = copy_public(out, public)
    public_ca = public / "ca.pem"
    shutil.copyfile(ca, public_ca)
    public_ca.chmod(0o644)
    cwd = nobody_folder(public / "cwd")

    as_root = run(app, url, str(public_ca), env=root_env(tmp_path), cwd=cwd, prefix=hide)
    assert (as_root.stdout, as_root.stderr, as_root.returncode) == (expected.stdout, "", 0)

    nobody_env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent",
                  "XDG_CACHE_HOME": str(nobody_folder(public / "cache")), "TMPDIR": str(public / "cwd")}
    as_nobody = run(app, url, str(public_ca), env=nobody_env, cwd=cwd, user=NOBODY, prefix=hide)
    assert (as_nobody.stdout, as_nobody.stderr, as_nobody.returncode) == (expected.stdout, "", 0)
    digest = fields(app)["d"]
    unpacked = public / "cache" / "freeze" / "python" / digest
    assert (unpacked / ".complete").is_file() and unpacked.stat().st_uid == NOBODY


# --- 2. First runs: one shared, small build --------------------------------------------------

TINY = {
    "app.py": """
        import json, os, sqlite3, subprocess, sys
        code = "import sqlite3, sys; print(sys.prefix, sqlite3.sqlite_version)"
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        print(json.dumps({
            "sqlite": sqlite3.connect(":memory:").execute("select 6 * 7").fetchone()[0],
            "executable": sys.executable, "prefix": sys.prefix, "child": child.stdout.strip(),
            "ld_library_path": os.environ.get("LD_LIBRARY_PATH"), "argv": sys.argv[1:],
            "version": sys.version.split()[0],
        }, sort_keys=True))
    """,
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TINY built standalone for the interpreter running the tests."""
    if not sys.platform.startswith("linux"):
        pytest.skip("--standalone builds for Linux only")
    folder = tmp_path_factory.mktemp("tiny")
    return build_standalone(write_tree(folder / "src", TINY), folder / "tiny")


def unpacked_in(cache: Path, file: Path) -> Path:
    return cache / "freeze" / "python" / fields(file)["d"]


@SLOW
@LINUX
def test_later_runs_start_the_cached_interpreter_and_children_run_it(tiny: Path, tmp_path: Path) -> None:
    """sys.executable is the unpacked interpreter, a child started from it works, and
    nothing is set in the environment for the loader (LD_LIBRARY_PATH)."""
    env = root_env(tmp_path)
    ran = run(tiny, "a b", env=env, cwd=tmp_path)
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    shown = json.loads(ran.stdout)
    folder = unpacked_in(Path(env["XDG_CACHE_HOME"]), tiny)
    assert shown == {"sqlite": 42, "executable": str(folder / "bin" / f"python{VERSION}"),
                     "prefix": str(folder), "child": f"{folder} {sqlite3.sqlite_version}",
                     "ld_library_path": None, "argv": ["a b"], "version": platform.python_version()}
    assert (folder / ".complete").is_file() and fields(tiny)["v"] == VERSION


def unpacked_once(tiny: Path, tmp_path: Path) -> tuple[dict[str, str], Ran, Path]:
    """A first run on an empty cache: its environment, its outcome and the folder."""
    env = root_env(tmp_path)
    first = run(tiny, env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    return env, first, unpacked_in(Path(env["XDG_CACHE_HOME"]), tiny)


def runs_as_before(tiny: Path, env: Mapping[str, str], tmp_path: Path, first: Ran) -> bool:
    again = run(tiny, env=env, cwd=tmp_path)
    return (again.stdout, again.stderr, again.returncode) == (first.stdout, "", 0)


@SLOW
@LINUX
def test_later_runs_change_nothing_in_the_cache(tiny: Path, tmp_path: Path) -> None:
    env, first, folder = unpacked_once(tiny, tmp_path)
    before = snapshot(Path(env["XDG_CACHE_HOME"]))
    assert runs_as_before(tiny, env, tmp_path, first) and runs_as_before(tiny, env, tmp_path, first)
    assert snapshot(Path(env["XDG_CACHE_HOME"])) == before
    assert sorted(os.listdir(folder.parent)) == [folder.name]


@SLOW
@LINUX
def test_a_cache_folder_missing_its_interpreter_is_unpacked_again(tiny: Path, tmp_path: Path) -> None:
    """A temp cleaner removed the executable: the next run replaces the folder."""
    env, first, folder = unpacked_once(tiny, tmp_path)
    (folder / "bin" / f"python{VERSION}").unlink()
    assert runs_as_before(tiny, env, tmp_path, first)
    assert (folder / "bin" / f"python{VERSION}").is_file()
    assert sorted(os.listdir(folder.parent)) == [folder.name]


@SLOW
@LINUX
def test_concurrent_first_runs_unpack_once(tiny: Path, tmp_path: Path) -> None:
    """Four first runs at once on an empty cache: all succeed, one folder is left and
    no staging folder."""
    env = root_env(tmp_path)
    runs = [subprocess.Popen([str(tiny), str(index)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
            for index in range(4)]
    results = [(proc.communicate(timeout=300), proc.returncode) for proc in runs]
    folder = unpacked_in(Path(env["XDG_CACHE_HOME"]), tiny)
    for index, ((out, err), status) in enumerate(results):
        assert (status, err) == (0, ""), err
        shown = json.loads(out)
        assert shown["executable"] == str(folder / "bin" / f"python{VERSION}")
        assert shown["argv"] == [str(index)]
    assert sorted(os.listdir(folder.parent)) == [folder.name]
    assert (folder / ".complete").is_file()


@SLOW
@LINUX
def test_a_damaged_bundle_is_refused_and_leaves_nothing(tiny: Path, tmp_path: Path) -> None:
    info = fields(tiny)
    damaged = tmp_path / "damaged"
    data = bytearray(tiny.read_bytes())
    data[int(info["o"]) + int(info["n"]) // 2] ^= 0x20
    damaged.write_bytes(bytes(data))
    damaged.chmod(0o755)
    env = root_env(tmp_path)
    ran = run(damaged, env=env, cwd=tmp_path)
    assert (ran.stdout, ran.returncode) == ("", 1)
    assert ran.stderr == f"{damaged}: damaged: the interpreter it carries fails its checksum\n"
    unpacked = Path(env["XDG_CACHE_HOME"]) / "freeze" / "python"
    assert not unpacked.exists() or list(unpacked.iterdir()) == []


@SLOW
@LINUX
def test_a_glibc_older_than_the_bundle_needs_is_one_message_and_126(tiny: Path, tmp_path: Path) -> None:
    info = fields(tiny)
    data = tiny.read_bytes()
    head, rest = data[:int(info["o"])], data[int(info["o"]):]
    old = f"g={info['g']}\n".encode()
    assert head.count(old) == 1 and len(info["g"]) == 4
    newer = tmp_path / "newer"
    newer.write_bytes(head.replace(old, b"g=9.99\n") + rest)
    newer.chmod(0o755)
    env = root_env(tmp_path)
    ran = run(newer, env=env, cwd=tmp_path)
    libc = subprocess.run(["getconf", "GNU_LIBC_VERSION"], capture_output=True, text=True).stdout.split()[-1]
    assert (ran.stdout, ran.returncode) == ("", 126)
    assert ran.stderr == (f"{newer}: needs glibc 9.99 or newer (this system: {libc}); "
                          "build it on the oldest system you support\n")
    unpacked = Path(env["XDG_CACHE_HOME"]) / "freeze" / "python"
    assert not unpacked.exists() or list(unpacked.iterdir()) == []


@SLOW
@AS_ROOT
def test_a_cache_that_cannot_be_written_falls_back_to_the_temp_folder(
        tiny: Path, tmp_path: Path, public: Path) -> None:
    """nobody, with XDG_CACHE_HOME in a folder of root's: unpacked once under
    $TMPDIR/freeze-<uid>/python (private to nobody), and used from there later."""
    app = copy_public(tiny, public)
    readonly = public / "readonly"
    readonly.mkdir(mode=0o755)
    temp = nobody_folder(public / "tmp")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "XDG_CACHE_HOME": str(readonly / "cache"),
           "TMPDIR": str(temp)}
    results = [run(app, env=env, cwd=temp, user=NOBODY) for _ in range(2)]
    private = temp / f"freeze-{NOBODY}"
    folder = private / "python" / fields(app)["d"]
    for ran in results:
        assert (ran.stderr, ran.returncode) == ("", 0)
        assert json.loads(ran.stdout)["executable"] == str(folder / "bin" / f"python{VERSION}")
    assert list(readonly.iterdir()) == []
    assert stat.S_IMODE(private.stat().st_mode) == 0o700 and private.stat().st_uid == NOBODY
    assert sorted(os.listdir(folder.parent)) == [folder.name]


@SLOW
@AS_ROOT
def test_a_folder_of_another_user_at_the_cache_path_is_not_used(
        tiny: Path, tmp_path: Path, public: Path) -> None:
    """A complete-looking folder of root's where nobody's interpreter would be: nobody's
    run neither runs it nor writes into it, and falls back to the temp folder."""
    app = copy_public(tiny, public)
    cache = nobody_folder(public / "cache")
    python = nobody_folder(cache / "freeze" / "python")
    os.chown(cache / "freeze", NOBODY, NOBODY)
    planted = python / fields(app)["d"]
    write_tree(planted, {".complete": "", f"bin/python{VERSION}": "#!/bin/sh\necho planted\n"})
    (planted / "bin" / f"python{VERSION}").chmod(0o755)
    before = snapshot(planted)
    temp = nobody_folder(public / "tmp")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "XDG_CACHE_HOME": str(cache), "TMPDIR": str(temp)}
    ran = run(app, env=env, cwd=temp, user=NOBODY)
    assert (ran.stderr, ran.returncode) == ("", 0)
    assert json.loads(ran.stdout)["executable"] == \
        str(temp / f"freeze-{NOBODY}" / "python" / planted.name / "bin" / f"python{VERSION}")
    assert snapshot(planted) == before
    assert sorted(os.listdir(python)) == [planted.name]


@SLOW
@AS_ROOT
def test_a_temp_folder_of_another_user_is_not_used(tiny: Path, tmp_path: Path, public: Path) -> None:
    """No writable cache and $TMPDIR/freeze-<uid> made by someone else (root): one
    message naming both places, exit 1, and nothing run or written there."""
    app = copy_public(tiny, public)
    temp = nobody_folder(public / "tmp", mode=0o1777)
    planted = write_tree(temp / f"freeze-{NOBODY}" / "python" / fields(app)["d"],
                         {".complete": "", f"bin/python{VERSION}": "#!/bin/sh\necho planted\n"})
    (planted / "bin" / f"python{VERSION}").chmod(0o755)
    before = snapshot(temp)
    cache = public / "readonly" / "cache"
    (public / "readonly").mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "XDG_CACHE_HOME": str(cache), "TMPDIR": str(temp)}
    ran = run(app, env=env, cwd=temp, user=NOBODY)
    assert (ran.stdout, ran.returncode) == ("", 1)
    assert ran.stderr == (f"{app}: cannot unpack its interpreter into {cache}/freeze/python or "
                          f"{temp}/freeze-{NOBODY}/python\n")
    assert snapshot(temp) == before


@SLOW
@LINUX
def test_a_staging_folder_left_by_a_killed_run_is_removed(tiny: Path, tmp_path: Path) -> None:
    env = root_env(tmp_path)
    unpacked = Path(env["XDG_CACHE_HOME"]) / "freeze" / "python"
    stale = write_tree(unpacked / ".tmp-999999999-abcdef", {"blob": "half of a bundle"})
    ran = run(tiny, env=env, cwd=tmp_path)
    assert (ran.stderr, ran.returncode) == ("", 0)
    assert not stale.exists()
    assert sorted(os.listdir(unpacked)) == [fields(tiny)["d"]]


@SLOW
@LINUX
def test_the_users_library_path_does_not_replace_the_carried_libpython(tiny: Path, tmp_path: Path) -> None:
    """LD_LIBRARY_PATH naming a folder with another libpython under the carried one's
    soname (as /usr/lib/<multiarch> does for the system's Python, or a conda or
    pyenv lib folder): the carried interpreter still runs its own library, and the
    user's variable reaches the app untouched."""
    soname = sysconfig.get_config_var("INSTSONAME")
    others = [python for python in installed_pythons()
              if python.parent.parent.name.rsplit(".", 1)[0] != VERSION]
    where = "import sysconfig as s; print(s.get_config_var('LIBDIR') + '/' + s.get_config_var('INSTSONAME'))"
    foreign = [Path(subprocess.run([str(python), "-c", where], capture_output=True, text=True).stdout.strip())
               for python in others]
    foreign = [path for path in foreign if path.is_file()]
    if not sysconfig.get_config_var("Py_ENABLE_SHARED") or not soname or not foreign:
        pytest.skip("needs a shared CPython running the tests and another one's libpython")
    folder = tmp_path / "lib"
    folder.mkdir()
    shutil.copyfile(foreign[0], folder / soname)
    env = root_env(tmp_path)
    plain = run(tiny, env=env, cwd=tmp_path)
    assert (plain.stderr, plain.returncode) == ("", 0)
    ran = run(tiny, env={**env, "LD_LIBRARY_PATH": str(folder)}, cwd=tmp_path)
    assert (ran.stderr, ran.returncode) == ("", 0)
    assert json.loads(ran.stdout) == {**json.loads(plain.stdout), "ld_library_path": str(folder)}


@SLOW
@LINUX
def test_verify_checks_the_carried_interpreter(tiny: Path, tmp_path: Path) -> None:
    ok = freeze("verify", tiny)
    assert (ok.stdout, ok.returncode) == (f"{tiny}: ok\n", 0), ok.stderr
    info = fields(tiny)
    damaged = tmp_path / "damaged"
    data = bytearray(tiny.read_bytes())
    data[int(info["o"]) + int(info["n"]) // 3] ^= 0x01
    damaged.write_bytes(bytes(data))
    bad = freeze("verify", damaged)
    assert bad.returncode == 1 and "digest mismatch" in bad.stdout + bad.stderr, bad.stdout + bad.stderr


# --- 3. Every Python -------------------------------------------------------------------------

EVERY = {
    "app.py": """
        import decimal, json, multiprocessing, sqlite3, ssl, sys

        def cube(x):
            return x ** 3

        if __name__ == "__main__":
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                cubes = pool.map(cube, range(4))
            print(json.dumps({"version": list(sys.version_info[:2]), "sqlite": sqlite3.sqlite_version,
                              "decimal": str(decimal.Decimal(1) / 7), "openssl": ssl.OPENSSL_VERSION,
                              "cubes": cubes, "json": json.loads('{"a": [1, 2.5]}')}))
    """,
}
_PYTHONS = {python.parent.parent.name.rsplit(".", 1)[0]: python for python in installed_pythons()}


@SLOW
@AS_ROOT
@pytest.mark.parametrize("version", ["3.10", "3.12", "3.13"])
def test_every_python_runs_standalone_where_no_python_is_installed(version: str, tmp_path: Path) -> None:
    python = _PYTHONS.get(version)
    if python is None:
        pytest.skip(f"no CPython {version} under pyenv")
    src = write_tree(tmp_path / "src", EVERY)
    out = build_standalone(src, tmp_path / "app", "--python", str(python))
    assert fields(out)["v"] == version
    expected = run_python(src / "app.py", tmp_path=tmp_path, python=python, flags=["-I", "-S"])
    assert expected.returncode == 0, expected.stderr
    ran = run(out, env=root_env(tmp_path), cwd=tmp_path, prefix=hidden_pythons(tmp_path))
    assert (ran.stdout, ran.stderr, ran.returncode) == (expected.stdout, "", 0)


# --- 4. The pieces, the build's errors, reproducibility --------------------------------------

def _libpython() -> Path | None:
    name = sysconfig.get_config_var("INSTSONAME")
    libdir = sysconfig.get_config_var("LIBDIR")
    path = Path(libdir or "") / (name or "")
    return path if name and sysconfig.get_config_var("Py_ENABLE_SHARED") and path.is_file() else None


@LINUX
def test_elf_reads_the_glibc_the_interpreter_and_its_libpython_need() -> None:
    """Compared with readelf's version-needs listing, when binutils is there."""
    exe = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    assert elf.is_elf(exe)
    library = _libpython()
    for path in (exe, *([library] if library else [])):
        needed = elf.glibc_needed(path)
        assert needed > (2, 0)
        if shutil.which("readelf"):
            listing = subprocess.run(["readelf", "-V", str(path)], capture_output=True,
                                     text=True, check=True).stdout
            versions = {tuple(map(int, found)) for found in re.findall(r"GLIBC_(\d+)\.(\d+)", listing)}
            assert needed == max(versions)


def test_elf_refuses_a_file_that_is_not_elf(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho not a binary\n")
    assert not elf.is_elf(script)
    with pytest.raises(TargetError, match=re.escape(f"{script}: not an ELF file")):
        elf.glibc_needed(script)


@pytest.mark.skipif(not shutil.which("cksum"), reason="needs the cksum command")
@pytest.mark.parametrize("data", [b"", b"a", b"hello\n", bytes(range(256)) * 300, os.urandom(70001)],
                         ids=["empty", "one", "line", "bytes", "random"])
def test_cksum_is_what_the_cksum_command_says(data: bytes) -> None:
    said = subprocess.run(["cksum"], input=data, capture_output=True, check=True).stdout.decode()
    assert standalone.cksum(data) == said.strip()


@pytest.mark.parametrize("size", [1, 9, 10, 99_999, 100_000, 12_345_678])
@pytest.mark.parametrize("ca", [None, ("/usr/lib/ssl/cert.pem", "/usr/lib/ssl/certs")], ids=["no-ssl", "ssl"])
def test_the_launchers_offset_is_its_own_length(size: int, ca: tuple[str, str] | None) -> None:
    blob = bytes(size)
    said = f"4294967295 {size}"  # the launcher only quotes it (computing it takes seconds)
    bundle = standalone.Bundle(blob, "0123456789abcdef0123456789abcdef", (3, 11), (2, 35), "libpython",
                               frozenset(), said, ca)
    head = standalone.launcher(bundle)
    assert standalone.head(head) == {
        "version": "3.11", "digest": bundle.digest, "offset": len(head) - size, "size": size,
        "glibc": "2.35", "folder": f"freeze/python/{bundle.digest}"}
    assert (b"SSL_CERT_FILE" in head) == (ca is not None)
    match = re.search(rb"^d=\w+ v=3\.11 o=(\d+) n=(\d+) c='(\d+ \d+)' g=2\.35$", head, re.MULTILINE)
    assert match, head[:300]
    offset = int(match[1])
    assert offset == len(head) - size and head[offset:] == blob
    assert (int(match[2]), match[3].decode()) == (size, said)
    assert head.startswith(b"#!/bin/sh\n") and head[:offset].endswith(b'-I -S "$0" "$@"\n')


def _one_line_error(done: Ran) -> None:
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines() == ["Error: --standalone carries one interpreter: give one --python, "
                                        "and neither --lambda nor --shebang"], done.stderr


@pytest.mark.skipif(len(installed_pythons()) < 2, reason="needs two CPythons 3.10-3.13 under pyenv")
def test_standalone_with_two_pythons_is_one_line(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "print('hi')\n"})
    first, second = installed_pythons()[:2]
    done = freeze("build", "app.py", "--standalone", "--python", first, "--python", second,
                  "-o", tmp_path / "app", cwd=src)
    _one_line_error(done)
    assert not (tmp_path / "app").exists()


@pytest.mark.parametrize("option", [("--lambda",), ("--shebang", "/usr/bin/env python3")])
def test_standalone_with_lambda_or_shebang_is_one_line(tmp_path: Path, option: tuple[str, ...]) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "def handler(event, context):\n    return 1\n"})
    done = freeze("build", "app.py", "--standalone", *option, "-o", tmp_path / "app", cwd=src)
    _one_line_error(done)
    assert not (tmp_path / "app").exists()


@SLOW
@LINUX
def test_two_standalone_builds_are_byte_identical(tiny: Path, tmp_path: Path) -> None:
    """The module's build (its interpreter bundle most likely from the user's build
    cache), and a second from its own copy of the source with an empty cache, so the
    bundle is made afresh: the same bytes, hence the same digest and the same unpacked
    folder for every app built from one interpreter, on any machine."""
    src = write_tree(tmp_path / "src", TINY)
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    built = freeze("build", "app.py", "--standalone", "-o", tmp_path / "tiny", cwd=src, env=env)
    assert built.returncode == 0, built.stderr
    # made afresh and stored in the empty cache (the only entry of millions of bytes)
    assert any(entry.stat().st_size > 5e6 for entry in (tmp_path / "empty-cache").rglob("*")
               if entry.is_file())
    assert fields(tmp_path / "tiny") == fields(tiny)
    assert (tmp_path / "tiny").read_bytes() == tiny.read_bytes()


@SLOW
@LINUX
def test_an_app_importing_tkinter_is_a_build_error(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": "import tkinter\nprint(tkinter.TkVersion)\n"})
    done = freeze("build", "app.py", "--standalone", "-o", tmp_path / "app", cwd=src)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    # one line naming the app's own import (not tkinter's import of _tkinter)
    assert re.fullmatch(r"Error: (__main__|app\.py) imports tkinter, which a standalone file does not "
                        r"carry \(it leaves out tkinter, .*\); build an archive without --standalone\n",
                        done.stderr), done.stderr
    assert not (tmp_path / "app").exists()
