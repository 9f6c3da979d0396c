"""Corpus plumbing: make tests/ importable, collect each case's archive size, report it.

Each case records what it built (archive size, build time) through the
`corpus_record` fixture; at the end of the session the records are written
to ``<pytest basetemp>/corpus-last-run.json`` and summarised in the terminal
report, so the sizes show up without ``-s``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # for `import venvs`, as the tests one level up do

_RECORDS = pytest.StashKey[dict[str, dict[str, Any]]]()
_SUMMARY = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def corpus_record(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                  ) -> Callable[..., None]:
    """record(case_id, **facts): remember facts about a case for the session summary."""
    config = request.config
    records = config.stash.setdefault(_RECORDS, {})
    config.stash[_SUMMARY] = tmp_path_factory.getbasetemp() / "corpus-last-run.json"

    def record(case_id: str, **facts: Any) -> None:
        records.setdefault(case_id, {}).update(facts)

    return record


def _outcomes(terminalreporter: Any) -> dict[str, tuple[str, str]]:
    """Case id -> (passed/failed/error, first line of the failure), for test_corpus.py."""
    outcomes: dict[str, tuple[str, str]] = {}
    for outcome in ("passed", "failed", "error"):  # later ones win
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if "test_corpus.py::" in nodeid and nodeid.endswith("]"):
                why = ""
                if outcome != "passed":
                    text = str(getattr(report, "longrepr", "") or "").strip()
                    why = text.splitlines()[0] if text else ""
                outcomes[nodeid.rsplit("[", 1)[1][:-1]] = (outcome, why)
    return outcomes


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    records = config.stash.get(_RECORDS, None)
    if not records:
        return
    outcomes = _outcomes(terminalreporter)
    for case_id, facts in records.items():
        facts["result"], facts["failure"] = outcomes.get(case_id, ("unknown", ""))
    path = config.stash[_SUMMARY]
    path.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    terminalreporter.section("corpus archives")
    terminalreporter.write_line(f"{'case':<19} {'result':<8} {'archive bytes':>14} {'build s':>8}")
    for case_id in sorted(records):
        facts = records[case_id]
        size = facts.get("archive_size")
        build = facts.get("build_seconds")
        terminalreporter.write_line(
            f"{case_id:<19} {facts['result']:<8} "
            f"{(f'{size:,}' if size is not None else '-'):>14} "
            f"{(f'{build:.1f}' if build is not None else '-'):>8}"
            + (f"  {facts['failure'][:100]}" if facts["failure"] else ""))
    terminalreporter.write_line(f"written to {path}")
