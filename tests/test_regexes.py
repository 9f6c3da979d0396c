"""Regular expressions compiled at build time: same patterns as re's, and only when safe.

The app below counts the patterns re's parser sees. Unfrozen, it parses every one;
frozen, the literal ones come from the archive's table, while computed patterns,
patterns that warn and patterns under another engine are still parsed at run time.
"""

from __future__ import annotations

import marshal
import subprocess
import sys
from pathlib import Path

import pytest

from freezer import build, regexes
from freezer.runtime import boot
from freezer.target import probe
from support import build_app, installed_pythons, run_frozen, run_python, write_tree

APP = {
    "app.py": r'''
        import re, sys, warnings
        try:
            from re import _parser as parser
        except ImportError:  # Python 3.10
            import sre_parse as parser
        parsed = []
        original = parser.parse
        def parse(pattern, *args):
            parsed.append(pattern)
            return original(pattern, *args)
        parser.parse = parse
        warnings.simplefilter("always")

        WORD = re.compile(r"(?P<word>[a-z]+)-(?P<num>\d+)", re.I | re.X)
        BYTES = re.compile(rb"\x00(.)\xff", re.S)
        print(WORD.match("Ab-12").groupdict(), WORD.flags, WORD.groups, WORD.groupindex)
        print(BYTES.search(b"..\x00z\xff").group(1), re.findall("[0-9]+", "a1b22"))
        print(re.sub("o", "0", "foo", 0, re.M), re.split("[,;]", "a,b;c"))
        NESTED = re.compile("[[a]")  # FutureWarning: possible nested set
        print(re.compile("dyn" + str(len(sys.argv))).pattern)
        print("parsed", sorted(p if isinstance(p, str) else p.decode("latin-1") for p in parsed))
        ''',
}
LITERALS = {r"(?P<word>[a-z]+)-(?P<num>\d+)", r"\x00(.)\xff", "[0-9]+", "o", "[,;]"}
RUN_TIME = {"[[a]", "dyn1"}  # warns at compile time; computed


def parsed(output: str) -> set[str]:
    line = output.strip().splitlines()[-1]
    assert line.startswith("parsed "), output
    return set(eval(line[len("parsed "):]))


def test_literal_patterns_are_not_parsed_when_frozen(tmp_path: Path) -> None:
    archive = build_app(tmp_path, APP)
    frozen = run_frozen(archive, tmp_path=tmp_path)
    plain = run_python(tmp_path / "src" / "app.py", tmp_path=tmp_path, flags=["-I", "-S"])
    assert frozen.returncode == plain.returncode == 0, frozen.stderr
    assert frozen.stdout.splitlines()[:-1] == plain.stdout.splitlines()[:-1]
    # The script's file is app.py inside the archive as it is inside src (3.13 warns at it).
    assert frozen.stderr.replace(str(archive), "SRC") == plain.stderr.replace(
        str(tmp_path / "src"), "SRC")
    assert "FutureWarning: Possible nested set" in frozen.stderr
    assert LITERALS | RUN_TIME <= parsed(plain.stdout)
    assert RUN_TIME <= parsed(frozen.stdout) and LITERALS.isdisjoint(parsed(frozen.stdout))


@pytest.mark.parametrize("python", installed_pythons(), ids=lambda p: p.parent.parent.name)
def test_table_entries_equal_re_compile_on_every_version(python: Path) -> None:
    """What the target's re would build, for patterns that exercise the compiler."""
    patterns = [(r"(?P<a>x)(?P=a)|(?:y{2,5}?)\b", 0), (r"(?<=ab)c+?\Z", 2), ("[^\\W\\d]+", 32),
                (b"(?i)caf\\xe9", 0), (r"\N{LATIN SMALL LETTER E WITH ACUTE}+", 2),
                ("a # comment\n b", 64), ("[[a]", 0), ("(unclosed", 0), (r"(?ms)^a.$", 0)]
    engine, table = regexes.compile_patterns(probe(str(python)), patterns)
    check = r"""
import marshal, re, sys, _sre
sys.path.insert(0, sys.argv[1])
import boot
compiler = getattr(re, "_compiler", None) or __import__("sre_compile")
table = marshal.loads(sys.stdin.buffer.read())
for (pattern, flags), entry in table.items():
    entry = marshal.loads(entry)
    assert entry[:2] == (pattern, flags), entry
    made = _sre.compile(*boot.regex_arguments(entry))
    real = compiler.compile(pattern, flags)
    assert made == real and made.groupindex == real.groupindex, pattern
    assert (made.flags, made.groups) == (real.flags, real.groups), pattern
print((_sre.MAGIC, _sre.CODESIZE, sys.byteorder))
"""
    proc = subprocess.run([str(python), "-I", "-S", "-c", check, str(Path(boot.__file__).parent)],
                          input=marshal.dumps(table),
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == repr(engine)
    # Patterns that warn or do not compile are left to re at run time.
    assert set(table) == set(patterns) - {("[[a]", 0), ("(unclosed", 0)}


def test_table_for_another_engine_is_ignored(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = regexes.compile_patterns

    def for_another_engine(*args: object, **kwargs: object) -> tuple[tuple, bytes] | None:
        found = real(*args, **kwargs)
        return None if found is None else ((0, *found[0][1:]), found[1])

    monkeypatch.setattr(regexes, "compile_patterns", for_another_engine)
    src = write_tree(tmp_path / "src", APP)
    build.build(build.Options(output=tmp_path / "app.pyz", script=str(src / "app.py")))
    frozen = run_frozen(tmp_path / "app.pyz", tmp_path=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    assert LITERALS <= parsed(frozen.stdout)


def test_frozen_runs_use_the_table_on_every_version(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", APP)
    for python in installed_pythons():
        out = tmp_path / f"app-{python.parent.parent.name}.pyz"
        built = subprocess.run([sys.executable, "-m", "freezer", "build", "app.py", "--python",
                                str(python), "-o", str(out)], cwd=src, capture_output=True,
                               text=True, timeout=600)
        assert built.returncode == 0, built.stderr
        frozen = run_frozen(out, tmp_path=tmp_path, python=python)
        plain = run_python(src / "app.py", tmp_path=tmp_path, python=python, flags=["-I", "-S"])
        assert frozen.stdout.splitlines()[:-1] == plain.stdout.splitlines()[:-1], python
        assert RUN_TIME <= parsed(frozen.stdout), python
        assert LITERALS.isdisjoint(parsed(frozen.stdout)), python


def test_index_keys_collide_safely() -> None:
    """The index holds CRC-32 keys, not patterns: a pattern whose key another holds
    finds that one's entry, sees it is not its own, and is compiled by re."""
    other, pattern = "plumless", "buckeroo"  # a known CRC-32 collision
    assert boot.regex_key(other, 0) == boot.regex_key(pattern, 0)
    entries = {(other, 0): (0, 10, b"aaaa"), (pattern, 0): (10, 10, b"bbbb"), ("x", 2): (20, 5, b"cccc")}
    index = boot.pack_regex_index(entries)
    assert list(boot.regex_entries(index)) == [(0, 10, b"aaaa"), (20, 5, b"cccc")]
    assert boot.find_regex(index, pattern, 0) == boot.find_regex(index, other, 0) == (0, 10, b"aaaa")
    assert boot.find_regex(index, "x", 0) is None and boot.find_regex(index, "y", 2) is None

    class Stored:  # an archive whose only entry is `other`'s
        def read_checked(self, offset: int, size: int, digest: bytes, what: str) -> bytes:
            return marshal.dumps(boot.regex_entry(0, (other, 32, [1, 2], 0, {}, ())))

    assert boot.Archive.read_regex(Stored(), index, other, 0) == (other, 32, [1, 2], 0, {}, ())
    assert boot.Archive.read_regex(Stored(), index, pattern, 0) is None
    assert boot.Archive.read_regex(Stored(), index, other.encode(), 0) is None


def test_parsed_patterns_pass_through(tmp_path: Path) -> None:
    """re.Scanner hands re's compile step a parsed pattern, not a string (markdown's
    attr_list extension, which mkdocs loads)."""
    frozen = build_app(tmp_path, {"app.py": r"""
        import re
        scanner = re.Scanner([(r"\d+", lambda s, token: int(token)), (r"\s+", None)])
        print(scanner.scan("1 22 333"), re.compile(r"\d+").findall("4 55"))
    """})
    ran = run_frozen(frozen, tmp_path=tmp_path)
    assert (ran.returncode, ran.stdout) == (0, "([1, 22, 333], '') ['4', '55']\n"), ran.stderr
