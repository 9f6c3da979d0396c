"""The Lambda harness itself, against the standard deployments: does it run functions as Lambda does?"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import lambda_api
from lambda_api import HANDLERS, load_events, plain_zip, precompiled_zip, read_requirements, run_function
from support import write_tree

HANDLER = "lambda_function.lambda_handler"


@pytest.fixture(scope="module")
def client() -> Path:
    return lambda_api.client_python()


def deploy(name: str, tmp_path: Path, *, precompiled: bool = False) -> Path:
    folder = HANDLERS / name
    make = precompiled_zip if precompiled else plain_zip
    return make(folder / "lambda_function.py", read_requirements(folder), tmp_path / name)


def test_stdlib_responds_and_is_timed(tmp_path: Path, client: Path) -> None:
    events = load_events(HANDLERS / "stdlib")
    run = run_function(deploy("stdlib", tmp_path), HANDLER, events, client_python=client)
    assert [r.kind for r in run.results] == ["response"] * 3, run.output()
    first, second, third = run.bodies
    assert first["top"] == [["to", 2], ["be", 2], ["or", 1]]
    assert first["weekday"] == "Thursday" and first["total"] == "6.30"  # 6.305, half to even
    assert second["top"][0] == ["the", 3]
    assert third["sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert [body["echo"] for body in run.bodies] == events
    assert first["function"] == [lambda_api.FUNCTION_NAME, "1024"]  # awslambdaric passes the env string
    assert run.init_error is None and not run.timed_out and run.unexpected == []
    assert run.returncode == -9  # still waiting on /next when killed
    assert 0 < run.init <= run.first_response
    assert len(run.invocations) == 3 and all(t > 0 for t in run.invocations)
    assert run.peak_rss_kib > 5_000
    assert run.tmp_files == []


def test_precompiled_zip_holds_unchecked_hash_pycs(tmp_path: Path, client: Path) -> None:
    root = deploy("stdlib", tmp_path, precompiled=True)
    (pyc,) = (root / "__pycache__").glob("lambda_function.*.pyc")
    header = pyc.read_bytes()[:8]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source not checked
    events = load_events(HANDLERS / "stdlib")
    run = run_function(root, HANDLER, events, client_python=client)
    plain = run_function(deploy("stdlib", tmp_path / "plain"), HANDLER, events, client_python=client)
    assert run.bodies == plain.bodies, run.output()


def test_init_error_is_posted_and_the_client_exits(tmp_path: Path, client: Path) -> None:
    run = run_function(deploy("init_error", tmp_path), HANDLER, load_events(HANDLERS / "init_error"),
                       client_python=client)
    assert run.init_error is not None, run.output()
    assert run.init_error["errorType"] == "ValueError"
    assert run.init_error["errorMessage"] == "bad config: MISSING_SETTING is not set"
    assert run.init_error_type == "ValueError"
    assert run.results == [] and run.init is None and run.first_response is None
    assert run.returncode == 1  # awslambdaric exits by itself after posting
    assert "[ERROR] ValueError: bad config" in run.stdout


def test_invoke_error_is_posted_for_that_event_only(tmp_path: Path, client: Path) -> None:
    run = run_function(deploy("invoke_error", tmp_path), HANDLER, load_events(HANDLERS / "invoke_error"),
                       client_python=client)
    assert [r.kind for r in run.results] == ["response", "error", "response"], run.output()
    ok, failed, edge = run.bodies
    assert ok == {"accepted": "A-1", "quantity": 3}
    assert edge == {"accepted": "C-3", "quantity": 10}
    assert failed["errorType"] == "OrderRejected"
    assert failed["errorMessage"] == "order B-2 rejected: quantity 99 over limit 10"
    assert "in check" in failed["stackTrace"][-1]
    assert run.init_error is None


PROBE = {
    "lambda_function.py": """
        import errno, os, sys, tempfile

        def lambda_handler(event, context):
            root = os.environ["LAMBDA_TASK_ROOT"]
            try:
                open(os.path.join(root, "written.txt"), "w").close()
                write = "written"
            except OSError as error:
                write = errno.errorcode[error.errno]
            with open(os.path.join(tempfile.gettempdir(), "left-behind.txt"), "w") as f:
                f.write("x")
            return {
                "write": write,
                "cwd_is_root": os.getcwd() == root,
                "root_on_path": root in sys.path,
                "home_exists": os.path.exists(os.path.expanduser("~")),
                "tmpdir": tempfile.gettempdir() == os.environ["TMPDIR"],
                "leaked": "FREEZE_TEST_LEAK" in os.environ,
                "extra": os.environ.get("EXTRA"),
                "tz": os.environ["TZ"],
            }
    """,
}


def test_task_root_is_read_only_and_environment_is_lambdas(tmp_path: Path, client: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREEZE_TEST_LEAK", "1")
    source = write_tree(tmp_path / "src", PROBE) / "lambda_function.py"
    root = plain_zip(source, [], tmp_path / "task")
    run = run_function(root, HANDLER, [{}], client_python=client, extra_env={"EXTRA": "yes"})
    assert run.results and run.results[0].kind == "response", run.output()
    expected_errno = "EROFS" if lambda_api.unshare_read_only_works() else "EACCES"
    assert run.bodies[0] == {"write": expected_errno, "cwd_is_root": True, "root_on_path": True,
                             "home_exists": False, "tmpdir": True, "leaked": False, "extra": "yes",
                             "tz": ":UTC"}
    assert run.tmp_files == ["left-behind.txt"]
    assert not (root / "written.txt").exists()
    (root / "after.txt").write_text("writable again")  # the chmod fallback restored the modes


@pytest.mark.slow
def test_boto3_plain_and_precompiled_respond(tmp_path: Path, client: Path) -> None:
    events = load_events(HANDLERS / "boto3")
    plain = run_function(deploy("boto3", tmp_path), HANDLER, events, client_python=client)
    assert [r.kind for r in plain.results] == ["response"] * 3, plain.output()
    first = plain.bodies[0]
    assert first["endpoint_url"] == "https://s3.amazonaws.com"
    assert first["sent"] == [["GET", "https://example-bucket.s3.amazonaws.com/?list-type=2&prefix=logs%2F"
                                     "&encoding-type=url"]]
    assert [o["key"] for o in first["objects"]] == ["logs/2024-01-01.txt", "logs/café menu.txt"]
    precompiled = run_function(deploy("boto3", tmp_path / "pre", precompiled=True), HANDLER, events,
                               client_python=client)
    assert precompiled.bodies == plain.bodies, precompiled.output()
    assert plain.tmp_files == precompiled.tmp_files == []


@pytest.mark.slow
def test_pydantic_plain_and_precompiled_respond(tmp_path: Path, client: Path) -> None:
    events = load_events(HANDLERS / "pydantic")
    plain = run_function(deploy("pydantic", tmp_path), HANDLER, events, client_python=client)
    assert [r.kind for r in plain.results] == ["response"] * 3, plain.output()
    good, bad, edge = plain.bodies
    assert good["valid"] and good["order"]["total"] == "139.98"
    assert good["order"]["tags"] == ["express", "gift"]
    assert good["schema"]["title"] == "Order"
    assert not bad["valid"]
    assert {tuple(e["loc"]) for e in bad["errors"]} >= {("order_id",), ("placed_on",), ("status",)}
    assert edge["valid"] and edge["order"]["status"] == "pending"
    precompiled = run_function(deploy("pydantic", tmp_path / "pre", precompiled=True), HANDLER, events,
                               client_python=client)
    assert precompiled.bodies == plain.bodies, precompiled.output()


def test_a_process_that_dies_or_hangs_ends_the_run(tmp_path: Path, client: Path) -> None:
    source = write_tree(tmp_path / "src", {"lambda_function.py": """
        import os, time

        def lambda_handler(event, context):
            if "exit" in event:
                os._exit(event["exit"])
            time.sleep(event["sleep"])
    """}) / "lambda_function.py"
    root = plain_zip(source, [], tmp_path / "task")
    died = run_function(root, HANDLER, [{"exit": 3}, {}], client_python=client)
    assert (died.returncode, died.results, died.timed_out) == (3, [], False), died.output()
    hung = run_function(root, HANDLER, [{"sleep": 30}], client_python=client, timeout=1)
    assert (hung.returncode, hung.results, hung.timed_out) == (-9, [], True), hung.output()
    assert hung.init is not None and hung.first_response is None


def test_read_only_is_never_silently_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("")
    monkeypatch.setattr(lambda_api, "unshare_read_only_works", lambda: False)
    monkeypatch.setattr(lambda_api.os, "geteuid", lambda: 0)
    with pytest.raises(RuntimeError, match="cannot make the task root read-only"):
        lambda_api._make_read_only(tmp_path)
    # Not root: the chmod fallback, which undo() reverts exactly.
    monkeypatch.setattr(lambda_api.os, "geteuid", lambda: 1000)
    before = {p: p.stat().st_mode for p in [tmp_path, *tmp_path.rglob("*")]}
    guard = lambda_api._make_read_only(tmp_path)
    assert all(p.stat().st_mode & 0o222 == 0 for p in before)
    guard.undo()
    assert {p: p.stat().st_mode for p in before} == before
