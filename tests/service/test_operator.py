"""What an operator relies on: probes, the access log, one-line start-up errors, log lines
when the store is swapped, and a log free of errors under concurrent use."""

from __future__ import annotations

import json
import re
import shutil
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kg.paths import Layout
from tests.http import request
from tests.kg.cli import dmkg
from tests.live import LiveServer, free_port

# Combined Log Format: host ident user [time] "request" status size "referer" "user agent".
COMBINED = re.compile(r'^(\S+) \S+ \S+ \[[^\]]+\] "GET (\S+) HTTP/1\.1" (\d{3}) (\d+|-) '
                      r'"([^"]*)" "([^"]*)"$')


def test_health_and_ready(live_server: LiveServer) -> None:
    health = request("GET", f"{live_server.url}/health")
    assert health.status == 200 and json.loads(health.body)["status"] == "up"
    ready = request("GET", f"{live_server.url}/ready")
    body = json.loads(ready.body)
    assert ready.status == 200 and body["status"] == "ready"
    assert body["checks"]["store"].endswith("answers")
    assert int(body["checks"]["search_index"].split()[0]) > 100


@pytest.mark.slow
def test_access_log_in_combined_log_format(tmp_path: Path, built: Layout) -> None:
    log = tmp_path / "access.log"
    with LiveServer(tmp_path, home=built.root, args=("--store", "memory"),
                    settings={"ACCESS_LOG": str(log)}) as server:
        request("GET", f"{server.url}/id/substance/ketamine",
                headers={"User-Agent": "probe/1.0", "Referer": "https://example.org/"})
        request("GET", f"{server.url}/id/substance/unobtainium")
    lines = [COMBINED.match(line) for line in log.read_text().splitlines()]
    assert all(lines), log.read_text()
    seen = {(m.group(2), m.group(3)) for m in lines if m}
    assert ("/id/substance/ketamine", "200") in seen
    assert ("/id/substance/unobtainium", "404") in seen
    assert any(m.group(5) == "https://example.org/" and m.group(6) == "probe/1.0"
               for m in lines if m)


def test_no_access_log_unless_asked(live_server: LiveServer) -> None:
    request("GET", f"{live_server.url}/health?probe-marker")
    assert "probe-marker" not in live_server.log.read_text()


def _one_line_error(result: object) -> str:
    stderr = str(getattr(result, "stderr", ""))
    assert getattr(result, "returncode", 0) != 0
    assert "Traceback" not in stderr, stderr
    # Usage errors come with click's usage lines; the error itself is one line.
    lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and len(stderr.splitlines()) <= 4, stderr
    return lines[0]


def test_a_bad_port_is_a_one_line_error(built: Layout) -> None:
    assert "70000" in _one_line_error(dmkg("serve", "--port", "70000", home=built.root))
    assert "'http'" in _one_line_error(dmkg("serve", "--port", "http", home=built.root))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = _one_line_error(dmkg("serve", "--host", "127.0.0.1", "--port", str(port),
                                       home=built.root))
    assert f"cannot listen on 127.0.0.1:{port}" in message and "in use" in message


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot be read"),
    (b"STORE: [memory\n", "not valid YAML at line"),
    (b"\xff\xfe", "not UTF-8"),
    (b"- a list\n", "mapping"),
])
@pytest.mark.slow
def test_an_unreadable_configuration_is_a_one_line_error(tmp_path: Path, built: Layout,
                                                         content: bytes | None,
                                                         says: str) -> None:
    config = tmp_path / "dmkg.yaml"
    if content is not None:
        config.write_bytes(content)
    result = dmkg("serve", "--port", str(free_port()), home=built.root,
                  env={"DMKG_CONFIG": str(config)})
    message = _one_line_error(result)
    assert str(config) in message and says in message


@pytest.mark.slow
def test_a_rebuilt_dataset_is_swapped_in_with_a_log_line(tmp_path: Path, built: Layout) -> None:
    home = tmp_path / "home"
    shutil.copytree(built.root, home, ignore=shutil.ignore_patterns("var"))
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with LiveServer(tmp_path / "first", home=home) as server:
        pass
    first = server.log.read_text()
    assert re.search(r"store store-\w+ loaded from .*dmkg\.nq .* and swapped in\n", first), first
    dataset = home / "dist" / "dmkg.nq"
    dataset.write_text(dataset.read_text() + "<urn:a> <urn:b> <urn:c> .\n")
    with LiveServer(tmp_path / "second", home=home) as server:
        pass
    second = server.log.read_text()
    assert re.search(r"and swapped in for store-\w+", second), second


def test_no_unsendable_errors_under_concurrent_load(live_server: LiveServer) -> None:
    select = "SELECT * WHERE { ?s ?p ?o } LIMIT 20"
    construct = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 20"
    paths = [("/sparql?" + urlencode({"query": select}), {}),
             ("/sparql?" + urlencode({"query": select, "format": "png"}), {}),
             ("/sparql?" + urlencode({"query": construct}), {"Accept": "image/png"}),
             ("/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"}), {"Accept": "text/csv"}),
             ("/sparql?" + urlencode({"query": construct, "format": "nquads"}), {}),
             ("/id/channel/drive?format=nquads", {}), ("/api/search?q=ket", {}),
             ("/graph/inferred?format=ntriples", {}), ("/ready", {})]
    before = live_server.log.read_text()

    def hit(index: int) -> int:
        path, headers = paths[index % len(paths)]
        return request("GET", live_server.url + path, headers=headers).status

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(hit, range(600)))
    assert statuses.count(400) >= 60 and statuses.count(406) >= 60
    assert all(s < 500 for s in statuses)
    request("GET", f"{live_server.url}/health")
    logged = live_server.log.read_text()[len(before):]
    assert "unsendable" not in logged and "Traceback" not in logged, logged[:2000]


@pytest.mark.slow
def test_ready_says_503_when_the_sparql_server_stops_answering(tmp_path: Path,
                                                                built: Layout) -> None:
    # The store of the second service is the first one's endpoint: a real SPARQL server.
    (tmp_path / "server").mkdir()
    (tmp_path / "client").mkdir()
    store = LiveServer(tmp_path / "server", home=built.root, args=("--store", "memory"))
    with store, LiveServer(tmp_path / "client", home=built.root,
                           args=("--store", f"sparql+{store.url}/sparql")) as service:
        assert request("GET", f"{service.url}/ready").status == 200
        store.__exit__(None, None, None)
        reply = request("GET", f"{service.url}/ready")
        assert request("GET", f"{service.url}/health").status == 200
    # An error as every other of its family: code, status and a message naming the check.
    body = json.loads(reply.body)
    assert reply.status == 503 and body["code"] == 503
    assert body["status"] == "Service Unavailable" and body["message"].startswith("store ")
    assert body["checks"]["store"].startswith("not ready")
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_the_readme_names_settings_as_the_environment_reads_them() -> None:
    from service.config import DEFAULTS, ENV_PREFIX

    root = Path(__file__).resolve().parents[2]
    for name in ("README.md", "CHANGELOG.md"):
        text = (root / name).read_text(encoding="utf-8")
        # `NAME=value` and "set `NAME`" read as environment variables: they carry the prefix.
        bare = re.findall(r"`([A-Z_]+)=|[Ss]et `([A-Z_]+)`", text)
        assert not [b for pair in bare for b in pair if b in DEFAULTS], (name, bare)
        for variable in re.findall(rf"`{ENV_PREFIX}([A-Z_]+)", text):
            assert variable in DEFAULTS or variable in {"CONFIG", "TOKEN"}, variable


@pytest.mark.slow
def test_health_and_ready_are_outside_the_rate_limit(tmp_path: Path, built: Layout) -> None:
    settings = {"RATE_LIMIT": "0.1", "RATE_BURST": "2"}
    with LiveServer(tmp_path, home=built.root, args=("--store", "memory"),
                    settings=settings) as server:
        statuses = [request("GET", f"{server.url}{path}").status
                    for path in ("/health", "/ready") * 6]
        limited = [request("GET", f"{server.url}/api/entities/substance/ketamine").status
                   for _ in range(4)]
    assert set(statuses) == {200}, statuses
    assert 429 in limited, limited  # the limit is on for the other routes
