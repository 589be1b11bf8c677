"""The competency questions as files, and through `dmkg query` (HTTP: tests/service)."""

from __future__ import annotations

import pytest

from kg.paths import Layout
from kg.queryfiles import read_queries
from tests.competency import EXPECTED
from tests.kg.cli import dmkg


def test_every_question_has_a_file_with_headers_and_an_expected_answer(layout: Layout) -> None:
    queries = read_queries(layout.queries_dir)
    assert {q.name for q in queries} == set(EXPECTED)
    for query in queries:
        assert query.title != query.name and query.description


@pytest.mark.slow
def test_dmkg_query_prints_a_table_by_name(built: Layout) -> None:
    result = dmkg("query", "cq02", home=built.root)
    assert result.returncode == 0, result.stderr
    for city in ("Paris", "Bordeaux", "Lille", "Rennes", "Toulouse"):
        assert city in result.stdout
    assert "5 row(s)" in result.stdout


def test_dmkg_query_runs_a_file_as_json(built: Layout, tmp_path: object) -> None:
    result = dmkg("query", str(built.queries_dir / "cq12-dark-web-requirements.rq"),
                  "--format", "json", home=built.root)
    assert result.returncode == 0, result.stderr
    assert "computer equipment" in result.stdout


@pytest.mark.slow
def test_dmkg_query_explains_a_syntax_error_and_an_unknown_name(built: Layout,
                                                               tmp_path: object) -> None:
    unknown = dmkg("query", "cq99", home=built.root)
    assert unknown.returncode != 0 and "no query file or named query 'cq99'" in unknown.stderr
    from pathlib import Path

    broken = Path(str(tmp_path)) / "broken.rq"
    broken.write_text("SELECT * WHERE { ?s ?p }")
    result = dmkg("query", str(broken), home=built.root)
    assert result.returncode != 0
    assert "broken.rq" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_stats_and_validate_through_the_cli(built: Layout) -> None:
    stats = dmkg("stats", "--json", home=built.root)
    assert stats.returncode == 0 and '"claims": 37' in stats.stdout
    valid = dmkg("validate", home=built.root)
    assert valid.returncode == 0 and "valid" in valid.stdout
