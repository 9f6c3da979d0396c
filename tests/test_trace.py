"""`freeze build --trace ARGS`: a representative run's regular expressions are prebuilt
and the lazy modules it loaded become eager (freezer/trace.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from support import build_app, freeze, inspect_json, installed_pythons, run_frozen, write_tree

# `check` makes re's parser refuse to run, so a pattern compiled then must come from the
# archive's table.  The pattern is built at run time: the scanner cannot see it.
APP = {
    "app.py": """
        import re, sys
        import used, unused
        if sys.argv[1:] == ["check"]:
            parser = sys.modules.get("re._parser") or sys.modules["sre_parse"]
            def refuse(*args, **kwargs):
                raise AssertionError("parsed at run time")
            parser.parse = refuse
        word = "tr" + "aced"
        print(re.compile(rf"\\b{word}+\\d?", re.I).findall("Traced, TRACEDD"), used.VALUE)
    """,
    "used.py": "VALUE = 'used'\n",
    "unused.py": "VALUE = 'unused'\n",
}


def test_traced_run_prebuilds_its_patterns_and_makes_used_lazy_modules_eager(
        tmp_path: Path) -> None:
    plain = build_app(tmp_path, APP, "--lazy", name="plain.pyz")
    assert {"used", "unused"} <= set(inspect_json(plain)["lazy"])
    refused = run_frozen(plain, "check", tmp_path=tmp_path)
    assert refused.returncode == 1 and "parsed at run time" in refused.stderr

    traced = build_app(tmp_path, APP, "--lazy", "--trace", "", "--trace", "other args",
                       name="traced.pyz")
    lazy = set(inspect_json(traced)["lazy"])
    assert "unused" in lazy and "used" not in lazy
    ran = run_frozen(traced, "check", tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "['Traced', 'TRACEDD'] used\n"), ran.stderr


@pytest.mark.parametrize("python", installed_pythons(), ids=lambda p: p.parent.parent.name)
def test_lazy_and_traced_archives_run_on_every_version(python: Path, tmp_path: Path) -> None:
    """LazyLoader imports threading when a lazy module first loads (3.13, 3.12.3+): the
    standard-library modules threading imports may be lazy themselves."""
    for args in (["--lazy"], ["--lazy", "--trace", ""]):
        built = build_app(tmp_path, APP, *args, "--python", python, name="app.pyz")
        assert "_weakrefset" in inspect_json(built)["lazy"] or "--trace" in args
        ran = run_frozen(built, tmp_path=tmp_path, python=python)
        assert (ran.returncode, ran.stdout) == (0, "['Traced', 'TRACEDD'] used\n"), ran.stderr


def test_trace_reports_runs_that_fail(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"app.py": """
        import os, sys
        if sys.argv[1] == "crash":
            os._exit(3)
        if sys.argv[1] == "raise":
            raise LookupError("no such record")
        sys.exit(int(sys.argv[1]))
    """})
    out = tmp_path / "app.pyz"
    crashed = freeze("build", "app.py", "--trace", "crash", "-o", out, cwd=src)
    assert crashed.returncode == 2 and not out.exists()
    assert crashed.stderr.strip().splitlines()[-1] == (
        "Error: --trace 'crash': the run stopped before it could report (exit status 3): it was "
        "killed or left through os._exit (mypy does, unless given --no-fast-exit); fix the run "
        "or leave this --trace out")
    unquoted = freeze("build", "app.py", "--trace", "'open", "-o", out, cwd=src)
    assert unquoted.returncode == 2
    assert "--trace \"'open\": cannot split into arguments" in unquoted.stderr
    failed = freeze("build", "app.py", "--trace", "4", "-o", out, cwd=src)
    assert failed.returncode == 0
    assert ("warning: --trace '4': the run exited with status 4; what it did before is used"
            in failed.stderr)
    raised = freeze("build", "app.py", "--trace", "raise", "-o", out, cwd=src)
    assert raised.returncode == 0
    assert ("warning: --trace 'raise': the run failed: LookupError: no such record; what it "
            "did before is used, but a run that works traces better" in raised.stderr)


def test_traced_lambda_handler_is_imported(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {"lambda_function.py": """
        import re, sys
        PATTERN = re.compile("".join(["l", "a", "m"]) + "+")
        if "lambda_function" not in sys.modules:
            raise SystemExit("imported under another name")

        def lambda_handler(event, context):
            return PATTERN.pattern
    """})
    out = tmp_path / "function.zip"
    built = freeze("build", "lambda_function.py", "--lambda", "--trace", "", "-o", out, cwd=src)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(out) as package:
        package.extract(".freeze/lambda_function.frz", tmp_path)
    frozen = tmp_path / ".freeze" / "lambda_function.frz"
    from freezer.runtime import boot
    archive = boot.Archive(str(frozen))
    try:
        assert archive.read_regex(archive.read_regexes(), "lam+", 0)
        assert archive.manifest[boot.MANIFEST_TRACE] is False
    finally:
        archive.close()
