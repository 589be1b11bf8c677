"""`dmkg serve` in its forms: gunicorn workers on either store, and errors at start."""

from __future__ import annotations

import http.client
import json
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from kg.paths import Layout
from tests.attack.writable import write_settings
from tests.http import request
from tests.kg.cli import dmkg
from tests.live import LiveServer

COUNT = quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")


@pytest.mark.slow
@pytest.mark.parametrize("store", ["memory", "oxigraph", "rdflib"])
def test_gunicorn_workers_answer_on_every_store(tmp_path: Path, built: Layout,
                                                store: str) -> None:
    args = ("--workers", "2", "--store", store)
    with LiveServer(tmp_path, args=args, home=built.root) as server:
        counts = set()
        for _ in range(6):  # several requests reach both workers
            reply = request("GET", f"{server.url}/sparql?query={COUNT}")
            assert reply.status == 200
            counts.add(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])
    report = json.loads((built.dist_dir / "report.json").read_text())
    assert counts == {str(report["triples"]["total"])}
    # The start says how long the store and the search index took (once per process that
    # opened them), on the server's standard error.
    said = server.log.read_text()
    engine = "rdflib" if store == "rdflib" else "oxigraph"
    assert re.search(rf"\[INFO\] service\.app: store {engine} open in [0-9.]+ s", said), said
    assert re.search(r"\[INFO\] service\.app: search index of [1-9][0-9]* entities ready in "
                     r"[0-9.]+ s", said), said


@pytest.mark.slow
@pytest.mark.parametrize("writable", [False, True], ids=["read-only", "after-writes"])
def test_the_server_stops_within_two_seconds_of_sigterm(tmp_path: Path, built: Layout,
                                                        writable: bool) -> None:
    token = "stop-token-0123456789"
    settings = write_settings(tmp_path, token) if writable else {"STORE": "memory"}
    args = () if writable else ("--workers", "2")
    with LiveServer(tmp_path, args=args, home=built.root, settings=settings) as server:
        if writable:
            update = "INSERT DATA { GRAPH <urn:stop> { <urn:a> <urn:b> <urn:c> } }"
            reply = request("POST", f"{server.url}/sparql", body=update,
                            headers={"Content-Type": "application/sparql-update",
                                     "Authorization": f"Bearer {token}"})
            assert reply.status == 204
        # A client keeping its connection open after its answer, as browsers do.
        kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        kept.request("GET", "/sparql?query=ASK%7B%7D")
        assert kept.getresponse().read()
        workers = server.workers()
        assert server.process is not None
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=30)
        # The master is gone; its workers too within the same two seconds (one may still be
        # being reaped as the master ends).
        while any(Path(f"/proc/{pid}").exists() for pid in workers) \
                and time.monotonic() - started < 2:
            time.sleep(0.02)
        assert time.monotonic() - started < 2
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
        kept.close()


@pytest.mark.slow
def test_serving_a_missing_data_file_fails_clearly(tmp_path: Path) -> None:
    result = dmkg("serve", "--port", "1", "--data", str(tmp_path / "missing.ttl"))
    assert result.returncode != 0
    assert "missing.ttl: no such file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_serve_builds_dist_first_when_it_is_missing(tmp_path: Path, sources_copy: Layout) -> None:
    assert not sources_copy.dist_dir.exists()
    with LiveServer(tmp_path, home=sources_copy.root) as server:
        reply = request("GET", f"{server.url}/sparql?query={COUNT}")
        assert reply.status == 200
    assert (sources_copy.dist_dir / "dmkg.nq").is_file()


@pytest.mark.slow
def test_serving_an_unreachable_sparql_store_fails_in_one_line(tmp_path: Path) -> None:
    result = dmkg("serve", "--port", "1", "--store", "sparql+http://127.0.0.1:1/sparql")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("Error: "), result.stderr
    assert "http://127.0.0.1:1/sparql" in lines[0] and "cannot be reached" in lines[0]


@pytest.mark.slow
def test_a_remote_store_going_down_answers_503(tmp_path: Path, built: Layout) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    remote = LiveServer(tmp_path / "a", args=("--store", "memory"), home=built.root)
    with remote:
        args = ("--store", f"sparql+{remote.url}/sparql")
        with LiveServer(tmp_path / "b", args=args, home=built.root) as server:
            assert request("GET", f"{server.url}/sparql?query={COUNT}").status == 200
            remote.__exit__(None, None, None)
            for path in (f"/sparql?query={COUNT}", "/id/substance/ketamine",
                         "/api/entities/substance/ketamine"):
                reply = request("GET", server.url + path)
                assert reply.status == 503, (path, reply.status, reply.body[:300])
                assert b"cannot be reached" in reply.body, reply.body


@pytest.mark.parametrize(("args", "env", "said"), [
    (("--port", "99999"), {}, "'--port': 99999 is not in the range"),
    (("--port", "1", "--store", "memory"), {"DMKG_ACCESS_LOG": "/nonexistent/access.log"},
     "DMKG_ACCESS_LOG): cannot write /nonexistent/access.log"),
    (("--port", "1", "--store", "memory"), {"DMKG_WRITE_TOKENS": "/nonexistent"},
     "DMKG_WRITE_TOKENS): cannot read /nonexistent"),
])
@pytest.mark.slow
def test_start_up_errors_are_one_line_naming_the_setting(built: Layout, args: tuple[str, ...],
                                                         env: dict[str, str], said: str) -> None:
    result = dmkg("serve", *args, home=built.root, env=env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if "[INFO]" not in line]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and said in lines[0], lines
    assert "Error: Error" not in lines[0]
