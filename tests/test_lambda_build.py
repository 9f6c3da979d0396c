"""`freeze build --lambda`: the package's layout, its bootstrap, and its errors.

These import the package's task root with a plain interpreter, the way Lambda's
runtime imports the handler module; tests/test_lambda.py runs the real runtime
interface client against the same packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support import freeze, inspect_json, write_tree
from venvs import isolated_env

from freezer import awslambda
from freezer.errors import OutputError

HANDLER = {
    "lambda_function.py": """
        import json
        import helpers

        CONFIG = helpers.load()

        def lambda_handler(event, context):
            return {"greeting": CONFIG["greeting"] + ", " + event["name"],
                    "module": __name__, "helpers": helpers.__file__.rpartition("/.freeze/")[2]}
        """,
    "helpers/__init__.py": """
        import json, os

        def load():
            with open(os.path.join(os.path.dirname(__file__), "config.json")) as file:
                return json.load(file)
        """,
    "helpers/config.json": '{"greeting": "hello"}',
    "notes.txt": "not part of the function",
}

# What Lambda's runtime does with the task root, minus the runtime: import the handler module.
_INVOKE = """
import importlib, json, os, sys
sys.path.insert(0, sys.argv[1])  # as PYTHONPATH puts the task root first
handler = importlib.import_module(sys.argv[2])
print(json.dumps(handler.lambda_handler({"name": "lambda"}, None), sort_keys=True))
print(json.dumps(sorted(os.listdir(os.environ["TMPDIR"]))))
print(json.dumps([entry for entry in sys.path if entry.endswith("site-packages")] != []))
"""


def build_package(tmp_path: Path, files: dict[str, str] = HANDLER, *args: str,
                  env: dict[str, str] | None = None) -> Path:
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "function.zip"
    built = freeze("build", "lambda_function.py", "--lambda", "-o", out, *args, cwd=src, env=env)
    assert built.returncode == 0, built.stderr
    return out


def unzip(package: Path, root: Path) -> Path:
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root)
    return root


def invoke(root: Path, tmp_path: Path, module: str = "lambda_function",
           ) -> subprocess.CompletedProcess[str]:
    env = isolated_env(tmp_path / "env")
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    # Without -S: the function shares the interpreter with a runtime that has site-packages.
    return subprocess.run([sys.executable, "-I", "-c", _INVOKE, str(root), module],
                          env=env, cwd=root, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=120)


def test_package_layout_and_handler_import(tmp_path: Path) -> None:
    package = build_package(tmp_path)
    with zipfile.ZipFile(package) as archive:
        names = sorted(archive.namelist())
    tag = sys.implementation.cache_tag
    assert names == [".freeze/lambda_function.frz", ".freeze/lambda_function/helpers/__init__.py",
                     ".freeze/lambda_function/helpers/config.json",
                     f"__pycache__/lambda_function.{tag}.pyc", "lambda_function.py"]
    root = unzip(package, tmp_path / "task")
    os.chmod(root, 0o555)  # the bootstrap must not need to write (root ignores this; the
    ran = invoke(root, tmp_path)  # end-to-end test mounts the task root read-only)
    assert ran.returncode == 0, ran.stderr
    result, tmp_files, site_kept = ran.stdout.splitlines()
    assert result == ('{"greeting": "hello, lambda", "helpers": "lambda_function/helpers/__init__.py",'
                      ' "module": "lambda_function"}')
    assert tmp_files == "[]"  # nothing extracted: the shipped files are used in place
    assert site_kept == "true"  # a guest leaves the runtime's sys.path alone


def test_bootstrap_works_for_any_module_name(tmp_path: Path) -> None:
    files = {"app_handler.py": "def handle(event, context):\n    return __name__\n"}
    src = write_tree(tmp_path / "src", files)
    out = tmp_path / "function.zip"
    assert freeze("build", "app_handler.py", "--lambda", "-o", out, cwd=src).returncode == 0
    root = unzip(out, tmp_path / "task")
    ran = subprocess.run([sys.executable, "-I", "-S", "-c",
                          "import sys; sys.path.insert(0, sys.argv[1]); import app_handler; "
                          "print(app_handler.handle(None, None))", str(root)],
                         cwd=root, capture_output=True, text=True)
    assert ran.stdout == "app_handler\n", ran.stderr


@pytest.mark.parametrize("args", [(), ("--lazy",)], ids=["eager", "lazy"])
def test_init_error_propagates_unchanged(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Raised while the handler module is imported, with --lazy too: the entry stays eager."""
    files = {"lambda_function.py": "import json\nCONFIG = int('MISSING')\n"}
    root = unzip(build_package(tmp_path, files, *args), tmp_path / "task")
    ran = invoke(root, tmp_path)
    assert ran.returncode == 1
    assert ran.stderr.splitlines()[-1] == "ValueError: invalid literal for int() with base 10: 'MISSING'"
    assert 'File "<string>", line 4, in <module>' in ran.stderr  # the import line of _INVOKE
    assert 'lambda_function.py", line 2, in <module>' in ran.stderr


def test_damaged_archive_is_an_import_error_naming_it(tmp_path: Path) -> None:
    root = unzip(build_package(tmp_path), tmp_path / "task")
    frz = root / ".freeze" / "lambda_function.frz"
    data = bytearray(frz.read_bytes())
    data[-1] ^= 0xFF  # the manifest index digest in the trailer
    frz.write_bytes(bytes(data))
    ran = invoke(root, tmp_path)
    assert ran.returncode == 1
    assert ran.stderr.splitlines()[-1] == (
        f"ImportError: freeze: {frz}: manifest index is damaged (digest mismatch); rebuild the "
        "archive")


def test_packages_are_byte_identical_and_inspectable(tmp_path: Path) -> None:
    # Whatever freeze's own hash seed: 3.10's marshal writes a set in hash order, and
    # seeds 6 and 7 order the two extracted paths differently.
    first = build_package(tmp_path / "a", env={**os.environ, "PYTHONHASHSEED": "6"}).read_bytes()
    second = build_package(tmp_path / "b", env={**os.environ, "PYTHONHASHSEED": "7"})
    assert second.read_bytes() == first
    info = inspect_json(second)
    assert info["entry"] == {"kind": "module", "module": "lambda_function", "attribute": ""}
    assert info["shipped"] == ["helpers/__init__.py", "helpers/config.json"]
    assert freeze("verify", second).returncode == 0


@pytest.mark.parametrize("script, message", [
    (None, "--lambda: give the handler module's file, such as lambda_function.py"),
    ("my-handler.py", "my-handler.py: a Lambda handler module must be a .py file named like "
                      "a Python module, such as lambda_function.py"),
])
def test_bad_handler_is_one_line(tmp_path: Path, script: str | None, message: str) -> None:
    src = write_tree(tmp_path, {"my-handler.py": "pass\n"})
    ran = freeze("build", *([script] if script else ["-m", "json"]), "--lambda", cwd=src)
    assert (ran.returncode, ran.stderr) == (2, f"Error: {message}\n")


def test_handler_reading_files_beside_itself_is_warned(tmp_path: Path) -> None:
    src = write_tree(tmp_path, {"lambda_function.py": """
        import os
        TEMPLATE = os.path.join(os.path.dirname(__file__), "page.html")
        """, "page.html": "<p>hi</p>"})
    ran = freeze("build", "lambda_function.py", "--lambda", cwd=src)
    assert ran.returncode == 0
    assert ran.stderr.startswith("warning: lambda_function.py: builds paths from __file__, but "
                                 "files beside a handler module do not travel; put its data in "
                                 "a package\n")


def test_default_output_is_dist_function_zip(tmp_path: Path) -> None:
    src = write_tree(tmp_path, {"lambda_function.py": "def lambda_handler(e, c):\n    pass\n"})
    ran = freeze("build", "lambda_function.py", "--lambda", cwd=src)
    assert ran.returncode == 0, ran.stderr
    assert zipfile.is_zipfile(src / "dist" / "function.zip")
    assert "unzipped), for CPython" in ran.stderr


def test_size_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"a.bin": os.urandom(4096), "b.bin": os.urandom(4096)}
    monkeypatch.setattr(awslambda, "DIRECT_UPLOAD_LIMIT", 4096)
    package = awslambda.write(tmp_path / "ok.zip", files)
    assert package.unzipped == 8192 and package.zipped > 8192  # random bytes do not shrink
    assert package.warnings(tmp_path / "ok.zip") == [
        f"{tmp_path / 'ok.zip'}: 0.0 MB zipped is over Lambda's 0 MB limit for direct upload; "
        "upload it to S3 and deploy from there"]
    monkeypatch.setattr(awslambda, "UNZIPPED_LIMIT", 8191)
    with pytest.raises(OutputError, match=r"big\.zip: 0\.0 MB unzipped is over Lambda's 0 MB "
                                          r"limit for a function; leave out"):
        awslambda.write(tmp_path / "big.zip", files)
    assert not (tmp_path / "big.zip").exists()


def test_a_handler_that_cannot_start_fails_but_the_runtime_provides_boto3(tmp_path: Path) -> None:
    """An import the handler's init runs that resolves nowhere fails the build; the
    managed runtime's own packages (awslambdaric, boto3) are only a warning."""
    src = write_tree(tmp_path, {"lambda_function.py": "import awslambdaric\nimport nowhere_xyz\n"})
    failed = freeze("build", "lambda_function.py", "--lambda", "-o", tmp_path / "f.zip", cwd=src)
    assert failed.returncode == 2
    assert "cannot find module 'nowhere_xyz', which the entry imports as it starts" in failed.stderr
    (src / "lambda_function.py").write_text("import awslambdaric\n")
    built = freeze("build", "lambda_function.py", "--lambda", "-o", tmp_path / "f.zip", cwd=src)
    assert built.returncode == 0, built.stderr
    assert "warning: lambda_function.py:1: cannot find module 'awslambdaric'" in built.stderr
